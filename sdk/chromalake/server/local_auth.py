"""``chromalake run --auth``: the authorizer in front of the app, as API Gateway puts it.

In AWS, API Gateway calls the authorizer function and hands its context to the API function
in ``requestContext.authorizer.lambda``. Locally the same authenticator runs in-process and
the same context is put in the same place, so the app checks keys by the deployed path.
"""

from __future__ import annotations

import copy
from typing import Any

from chromalake.auth.authenticator import Authenticator
from chromalake.server.gateway import Resolver


class AuthorizingResolver:
    """A resolver that authorizes each event with ``authenticator`` before ``app`` answers.

    Example:
        >>> from chromalake.auth.keys import MemoryKeyStore
        >>> class Echo:
        ...     def resolve(self, event, context):
        ...         return event["requestContext"]["authorizer"]["lambda"]
        >>> wrapped = AuthorizingResolver(Echo(), Authenticator(MemoryKeyStore()))
        >>> wrapped.resolve({"headers": {}, "requestContext": {}}, None)
        {'status': 'denied'}
    """

    def __init__(self, app: Resolver, authenticator: Authenticator) -> None:
        self.app, self.authenticator = app, authenticator

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        answer = self.authenticator.authorize_event(event)
        authorized = copy.copy(event)
        request_context = dict(authorized.get("requestContext") or {})
        request_context["authorizer"] = {"lambda": answer["context"]}
        authorized["requestContext"] = request_context
        return self.app.resolve(authorized, context)
