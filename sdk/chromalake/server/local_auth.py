"""``chromalake run --auth``: the authorizer in front of the app, as API Gateway puts it.

In AWS, API Gateway calls the authorizer function and hands its context to the API function
in ``requestContext.authorizer.lambda``. Locally the same authenticator runs in-process and
the same context is put in the same place, so the app checks keys by the deployed path.

A reset answered here also empties the authenticator's cache of accepted keys, so the keys of
the tenants it removed stop working at once (elsewhere: within the cache time).
"""

from __future__ import annotations

import copy
from typing import Any

from chromalake.auth.authenticator import Authenticator
from chromalake.server.authz import V2, authorizer_context
from chromalake.server.gateway import Resolver

RESET = V2 + "/reset"


class AuthorizingResolver:
    """A resolver that authorizes each event with ``authenticator`` before ``app`` answers.

    Example:
        >>> from chromalake.auth.keys import MemoryKeyStore
        >>> from chromalake.engine.catalog import MemoryCatalog
        >>> class Echo:
        ...     def resolve(self, event, context):
        ...         return event["requestContext"]["authorizer"]["lambda"]
        >>> wrapped = AuthorizingResolver(Echo(), Authenticator(MemoryKeyStore(), MemoryCatalog()))
        >>> wrapped.resolve({"headers": {}, "requestContext": {}}, None)
        {'status': 'denied'}
    """

    def __init__(self, app: Resolver, authenticator: Authenticator) -> None:
        self.app, self.authenticator = app, authenticator

    def screen(self, event: dict[str, Any]) -> bool:
        """Authorize ``event`` from its headers, in place; whether its key was accepted (the
        gateway reads the body only then: the app refuses any other request, or answers a
        public route, without it)."""
        answer = self.authenticator.authorize_event(event)
        request_context = event.setdefault("requestContext", {})
        request_context["authorizer"] = {"lambda": answer["context"]}
        return bool(answer["context"].get("status") == "ok")

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        authorized = copy.copy(event)
        authorized["requestContext"] = dict(authorized.get("requestContext") or {})
        if authorizer_context(authorized) is None:  # not screened by the gateway already
            self.screen(authorized)
        reply = self.app.resolve(authorized, context)
        if _is_reset(event) and reply.get("statusCode") == 200:
            self.authenticator.forget()
        return reply


def _is_reset(event: dict[str, Any]) -> bool:
    http = (event.get("requestContext") or {}).get("http") or {}
    return http.get("method") == "POST" and event.get("rawPath") == RESET
