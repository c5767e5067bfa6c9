"""The Chroma v2 REST app: API Gateway HTTP API events in, Chroma's JSON out."""

from chromalake.extras import missing_extra

try:  # powertools, Lance, pyarrow: a slim install is told which extra brings them
    from chromalake.server.app import build_app
except ModuleNotFoundError as error:
    raise missing_extra(error) from None

__all__ = ["build_app"]
