"""Lambda entry point of the ``authorizer`` unit: API key -> tenant scope, for API Gateway.

An HTTP API Lambda authorizer (payload format 2.0, simple responses). It reads the key from
``X-Chroma-Token`` or ``Authorization: Bearer``, looks its hash (and the id of the key's
tenant) up in the catalog table (``CHROMALAKE_TABLE``, ``CHROMALAKE_REGION``;
``CHROMALAKE_KEY_PEPPER`` if keys are peppered) and lets the request through with the outcome
in its context; the API function (with ``CHROMALAKE_AUTH=true``) refuses what the context does
not allow (chromalake.server.authz). Configure it without an identity source and with caching
off: a request may carry either header, and this function caches accepted and refused keys
itself, and budgets lookups of unknown keys per client by the event's ``sourceIp``.

Composition only: the decisions are chromalake.auth.authenticator's. Keys are never logged.

Example (``sam local invoke Authorizer -e functions/authorizer/events/no_key.json``)::

    handler(event, LambdaContext())  # {"isAuthorized": True, "context": {"status": "denied"}}
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from chromalake.auth.factory import build_authenticator, build_key_store
from chromalake.config import Settings

logger = Logger(service="chromalake-authorizer")

settings = Settings.from_env()
authenticator = build_authenticator(settings, build_key_store(settings))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Answer one authorizer event with a simple response carrying the key's scope."""
    answer = authenticator.authorize_event(event)
    outcome = answer["context"]
    # An allowed request is in the API's access log already (with its tenant); a line here
    # for each would double the log volume a request costs (infrastructure/README.md).
    log = logger.info if not answer.get("isAuthorized") else logger.debug
    log("authorized", status=outcome["status"], key_id=outcome.get("key_id"))
    return answer
