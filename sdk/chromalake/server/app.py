"""The REST app: powertools routers over the engine, Chroma's errors in one place.

``build_app(engine, settings)`` returns an ``APIGatewayHttpResolver``; call its ``resolve``
with an API Gateway HTTP API (payload format 2.0) event. Request bodies are parsed into the
models of :mod:`chromalake.http.payloads` before a handler runs, and every failure becomes Chroma's
``{"error", "message"}`` JSON with its status and a ``chroma-trace-id`` header:

| failure | status | ``error`` |
| --- | --- | --- |
| a :class:`~chromalake.errors.ChromaError` | its own | its wire name |
| a body that is not JSON (or is empty, or not UTF-8) | 400 | InvalidArgumentError |
| a JSON body of the wrong shape | 422 | ChromaError |
| a bad query string | 400 | InvalidArgumentError |
| a ``Content-Type`` other than JSON on a route with a body | 415 | ChromaError |
| ``/api/v1/...`` | 410 | Unimplemented |
| no accepted API key, where keys are required (:mod:`chromalake.server.authz`) | 403 | AuthError |
| anything unexpected | 500 | InternalError |
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Mapping
from contextvars import ContextVar
from re import Match
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder, Route
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFound
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from chromalake.auth.admin import KeyAdmin
from chromalake.config import Settings
from chromalake.engine.engine import Engine
from chromalake.errors import ChromaError, InternalError, UnsupportedMediaTypeError
from chromalake.server import authz, request_log
from chromalake.server.http import JSON, TRACE_HEADER, TRACE_ID, error_response, json_response
from chromalake.server.parsing import (
    WRONG_CONTENT_TYPE,
    empty_body_error,
    is_json,
    load_json,
    not_utf8_error,
    validation_error,
)
from chromalake.server.routers import (
    collections,
    databases,
    forks,
    keys,
    records,
    search,
    system,
    tenants,
    unsupported,
)

logger = logging.getLogger(__name__)

TITLE = "chromalake"
API_VERSION = "1.0.0"
V1_GONE = {"error": "Unimplemented", "message": "The v1 API is deprecated. Please use /v2 apis"}
ROUTERS = (system, tenants, databases, collections, records, search, forks, unsupported)
# The route a request matched and its arguments, for its log line (per thread or task).
_matched: ContextVar[tuple[str, dict[str, str]] | None] = ContextVar("matched", default=None)


class _RequestState(threading.local):
    """What powertools keeps of the request being resolved, one copy per thread."""

    event: BaseProxyEvent | None = None
    lambda_context: Any = None

    def __init__(self) -> None:
        self.context: dict[str, Any] = {}
        self.frames: list[str] = []


class ChromaResolver(APIGatewayHttpResolver):
    """An HTTP API resolver that checks a route's key, then its body, before powertools
    validates it, and that threads may share (``chromalake run`` resolves concurrently).

    Powertools keeps the request being resolved on the resolver (its route context and
    middleware frames) and on the ``BaseRouter`` class (the event and the Lambda context),
    as one Lambda instance answers one event at a time. Here each of those is the calling
    thread's own, and every route's middleware stack is built before the first request
    (powertools builds it lazily, and two first requests at once would wrap it twice).
    """

    auth_required = False  # keys are checked anyway when the event has an authorizer context

    def __init__(self, **options: Any) -> None:
        self._request = _RequestState()
        super().__init__(**options)

    # The per-request attributes powertools reads and writes, kept per thread.
    @property  # type: ignore[override]
    def current_event(self) -> BaseProxyEvent:
        return self._request.event  # type: ignore[return-value]

    @current_event.setter
    def current_event(self, value: BaseProxyEvent) -> None:
        self._request.event = value

    @property
    def lambda_context(self) -> Any:
        return self._request.lambda_context

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._request.lambda_context = value

    @property
    def context(self) -> dict[str, Any]:
        return self._request.context

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        self._request.context = value

    @property
    def processed_stack_frames(self) -> list[str]:
        return self._request.frames

    @processed_stack_frames.setter
    def processed_stack_frames(self, value: list[str]) -> None:
        self._request.frames = value

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        """Answer ``event`` (powertools' ``resolve``, thread-safe; it never raises: what no
        route handled is Chroma's 500), and log one line for it
        (:mod:`chromalake.server.request_log`)."""
        started = time.perf_counter()
        token = _matched.set(None)
        try:
            result = self._answer(dict(event), context)
            route, arguments = _matched.get() or (None, {})
        finally:
            _matched.reset(token)
        line = request_log.request_line(
            event, result, route, arguments, time.perf_counter() - started
        )
        request_log.log_request(line)
        return result

    def _answer(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        # powertools sets the event on the BaseRouter class, which this class's own
        # property hides: the thread's copy is set here.
        self.current_event = self._to_proxy_event(event)
        self.lambda_context = context
        try:
            return super().resolve(event, context)
        except Exception as error:  # outside any route (the exception handlers run there)
            logger.exception("unhandled error outside a route")
            failed = error_response(InternalError(f"{type(error).__name__}: {error}"))
            builder: ResponseBuilder[Any] = ResponseBuilder(failed, self._serializer)
            return builder.build(self.current_event)

    def build_middleware_stacks(self) -> None:
        """Build every route's middleware stack now, once all routes are registered."""
        for route in self._static_routes + self._dynamic_routes:
            if not route._middleware_stack_built:
                route._build_middleware_stack(router_middlewares=self._router_middlewares, app=self)

    def _call_route(self, route: Route, route_arguments: dict[str, str]) -> ResponseBuilder:  # type: ignore[type-arg]
        _matched.set((route.path, route_arguments))
        try:
            event = self.current_event.raw_event
            authz.check(route.method, route.path, route_arguments, event, self.auth_required)
        except ChromaError as refused:
            return ResponseBuilder(error_response(refused), self._serializer, route)
        if route.dependant.body_params:
            problem = self._body_problem()
            if problem is not None:
                return ResponseBuilder(error_response(problem), self._serializer, route)
        return super()._call_route(route, route_arguments)

    def _convert_matches_into_route_keys(self, match: Match[str]) -> dict[str, str]:
        # API Gateway passes the raw (percent-encoded) path; Chroma decodes path segments.
        return {k: unquote(v) for k, v in match.groupdict().items()}

    def _body_problem(self) -> ChromaError | None:
        event = self.current_event
        if not is_json(event.headers.get("content-type")):
            return UnsupportedMediaTypeError(WRONG_CONTENT_TYPE)
        try:
            body = event.decoded_body
        except UnicodeDecodeError:  # a base64 body (API Gateway's, the gateway's) not UTF-8
            return not_utf8_error(base64.b64decode(event.body or ""))
        if not body:
            return empty_body_error()
        return None

    def allowed_methods(self, path: str) -> list[str]:
        """The methods some route accepts at ``path`` (for a 405's ``allow`` header)."""
        methods = [
            r.method for r in self._static_routes + self._dynamic_routes if r.rule.match(path)
        ]
        if "GET" in methods:
            methods.append("HEAD")
        return methods


def build_app(
    engine: Engine, settings: Settings, keys_admin: KeyAdmin | None = None
) -> APIGatewayHttpResolver:
    """The Chroma v2 REST app over ``engine``; ``keys_admin`` serves the key admin routes.

    With ``settings.chromalake_auth`` every route but the public ones needs an accepted API
    key in the event's authorizer context (:mod:`chromalake.server.authz`).

    Example:
        >>> from chromalake.engine.factory import build_engine
        >>> app = build_app(build_engine(Settings()), Settings())
        >>> type(app).__name__
        'ChromaResolver'
    """
    app = ChromaResolver(enable_validation=True, json_body_deserializer=load_json)
    app.auth_required = settings.chromalake_auth
    for module in ROUTERS:
        app.include_router(module.router(engine, settings))
    app.include_router(keys.router(keys_admin))

    def chroma_error(error: ChromaError) -> Response[Any]:
        return error_response(error)

    def invalid_request(error: RequestValidationError) -> Response[Any]:
        # serde's messages say where in the raw body it stopped, and which route it was.
        event = app.current_event
        body, path, method = event.decoded_body, event.path, event.http_method
        return error_response(validation_error(error, body, path, method))

    @app.not_found
    def not_found(error: RouteNotFound) -> Response[Any]:
        del error
        path = app.current_event.path
        if path == "/api/v1" or path.startswith("/api/v1/"):
            return json_response(V1_GONE, 410)
        allowed = app.allowed_methods(path)
        if allowed:  # the path exists, the method does not: Chroma's (axum's) 405
            headers = {TRACE_HEADER: TRACE_ID, "allow": ",".join(allowed)}
            return Response(status_code=405, content_type=None, body="", headers=headers)
        return Response(
            status_code=404, content_type=None, body="", headers={TRACE_HEADER: TRACE_ID}
        )

    def unexpected(error: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        return error_response(InternalError(f"{type(error).__name__}: {error}"))

    app.exception_handler(ChromaError)(chroma_error)
    app.exception_handler(RequestValidationError)(invalid_request)
    app.exception_handler(Exception)(unexpected)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document() -> Response[Any]:
        text = app.get_openapi_json_schema(title=TITLE, version=API_VERSION)
        return Response(status_code=200, content_type=JSON, body=text)

    app.enable_swagger(path="/docs", title=TITLE, version=API_VERSION)
    app.build_middleware_stacks()
    return app


__all__ = ["build_app"]
