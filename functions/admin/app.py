"""Lambda entry point of the ``admin`` unit: tenants, databases, keys and collections from the
AWS console's Test tab, with no CLI and no API key.

Each event is a plain JSON action (``{"action": "create_key", "tenant": "*", "role":
"admin", "name": "bootstrap"}``); ``chromalake.admin_actions`` runs it against the catalog
table and answers JSON. The function's shareable test events (template.yaml,
``AdminTestEvents``) are the files of ``events/``. ``maintain`` and ``restore_version`` need
Lance, which this small zip function does not have: they are handed to the maintenance
function (``CHROMALAKE_MAINTENANCE_FUNCTION``), synchronously, and its answer is returned.

Composition only; the catalog client is built once per cold start. Keys are never logged.

Example (``sam local invoke AdminFunction -e functions/admin/events/list_keys.json``)::

    handler({"action": "list_keys"}, LambdaContext())  # [{"id": ..., "tenant": ...}, ...]
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from chromalake.admin_actions import AdminActions
from chromalake.auth.factory import build_key_admin, build_tenants
from chromalake.config import Settings

logger = Logger(service="chromalake-admin")

settings = Settings.from_env()


def _invoke_maintenance(payload: dict[str, Any]) -> Any:
    """Run ``payload`` on the maintenance function and return its answer."""
    import boto3

    client = boto3.client("lambda", region_name=settings.chromalake_region)
    reply = client.invoke(
        FunctionName=settings.chromalake_maintenance_function,
        Payload=json.dumps(payload).encode(),
    )
    answer = json.loads(reply["Payload"].read() or b"null")
    if reply.get("FunctionError"):
        return {"error": "MaintenanceFunctionError", "message": answer}
    return answer


actions = AdminActions(
    build_tenants(settings),
    build_key_admin(settings),
    _invoke_maintenance if settings.chromalake_maintenance_function else None,
)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    """Run one admin action event."""
    answer = actions.run(event)
    failed = isinstance(answer, dict) and "error" in answer
    # The event may carry no secret, but the answer of create_key does: only names are logged.
    logger.info("admin action", action=event.get("action"), failed=failed)
    return answer
