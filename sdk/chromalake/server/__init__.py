"""The Chroma v2 REST app: API Gateway HTTP API events in, Chroma's JSON out.

``app`` builds it from the ``routers`` (one per concept); ``http`` and ``parsing`` read
requests, ``serialize`` and ``serde_errors`` write Chroma's JSON and 422 messages, ``authz``
checks every route's key. ``gateway`` serves it on a local port for ``chromalake run``, with
``local_auth`` as its authorizer; ``request_log`` logs one line per request.

The top layer, beside ``api``: it may import the engine, ``auth``, ``http`` (for the payload
models in ``http.payloads``) and the shared vocabulary; nothing but ``cli`` and the Lambda
functions import it.
"""

from chromalake.extras import missing_extra

try:  # powertools, Lance, pyarrow: a slim install is told which extra brings them
    from chromalake.server.app import build_app
except ModuleNotFoundError as error:
    raise missing_extra(error) from None

__all__ = ["build_app"]
