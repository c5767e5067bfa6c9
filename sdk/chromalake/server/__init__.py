"""The Chroma v2 REST app: API Gateway HTTP API events in, Chroma's JSON out."""

from chromalake.server.app import build_app

__all__ = ["build_app"]
