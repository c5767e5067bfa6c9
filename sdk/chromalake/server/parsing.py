"""How a request that cannot be parsed is answered: Chroma's (axum's) rejections.

Chroma's server answers a body that is not JSON (or not UTF-8) with 400 InvalidArgumentError,
a JSON body of the wrong shape with 422 ChromaError, a bad query string with 400
InvalidArgumentError, and a body sent with another Content-Type with 415. Here the same cases,
as powertools and pydantic report them, become the same answers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from chromalake.errors import (
    ChromaError,
    InvalidArgumentError,
    UnprocessableEntityError,
)
from chromalake.server.http import JSON
from chromalake.server.serde_errors import invalid_unicode, shape_error

WRONG_CONTENT_TYPE = "Expected request with `Content-Type: application/json`"
NOT_JSON = "Failed to parse the request body as JSON"
WRONG_SHAPE = "Failed to deserialize the JSON body into the target type"
BAD_QUERY = "Failed to deserialize query string"


# serde_json refuses a document nested deeper than this; Python's parser (and everything
# that walks the result recursively, e.g. a `where` filter) would run out of stack instead.
MAX_DEPTH = 128
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def load_json(text: str) -> Any:
    """JSON as serde reads it: no NaN/Infinity literals, at most 128 levels of nesting.

    Example:
        >>> load_json('{"a": [1]}')
        {'a': [1]}
        >>> load_json("[" * 129 + "]" * 129)
        Traceback (most recent call last):
        json.decoder.JSONDecodeError: recursion limit exceeded: line 1 column 129 (char 128)
    """

    def refuse(constant: str) -> Any:
        raise json.JSONDecodeError(f"expected value ({constant})", text, 0)

    _check_depth(text)
    loaded = json.loads(text, parse_constant=refuse)
    if "\\u" in text:
        _check_surrogates(text, loaded)
    return loaded


def _check_surrogates(text: str, loaded: Any) -> None:
    """Refuse a lone UTF-16 surrogate escape (``"\\ud800"``), as serde does: Python decodes
    it into a string no UTF-8 encoder (Arrow's, SQLite's) accepts."""
    try:
        json.dumps(loaded, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        found = _SURROGATE.search(text)
        raise json.JSONDecodeError(
            "lone leading surrogate in hex escape", text, found.start() if found else 0
        ) from None


def _check_depth(text: str) -> None:
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return  # too few brackets to nest that deep: no need to scan
    depth = 0
    for token in _TOKENS.finditer(text):
        kind = token.group()
        if kind in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise json.JSONDecodeError("recursion limit exceeded", text, token.start())
        elif kind in "]}":
            depth -= 1


def is_json(content_type: str | None) -> bool:
    """Whether a Content-Type is JSON as axum's ``Json`` extractor accepts it."""
    if not content_type:
        return True  # Chroma treats a missing Content-Type as JSON
    essence = content_type.split(";", 1)[0].strip().lower()
    return essence == JSON or (essence.startswith("application/") and essence.endswith("+json"))


def _location(loc: Any) -> str:
    parts = [str(p) for p in loc[1:]] if loc else []
    return ".".join(parts)


def _query_problem(problem: dict[str, Any]) -> str:
    """serde's wording for a query parameter it cannot parse."""
    kind = problem.get("type", "")
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(problem.get("ctx", {}).get("expected", "")))
        variants = ", ".join(f"`{v}`" for v in expected)
        return f"unknown variant `{problem.get('input', '')}`, expected one of {variants}"
    if kind in ("int_parsing", "greater_than_equal", "int_from_float"):
        return "invalid digit found in string"
    if kind == "less_than_equal":
        return "number too large to fit in target type"
    return str(problem.get("msg", ""))


def validation_error(
    error: RequestValidationError, raw_body: str | None = None, path: str = "", method: str = ""
) -> ChromaError:
    """Chroma's answer to a request powertools could not parse or validate."""
    problems = list(error.errors())
    first = problems[0] if problems else {}
    loc = tuple(first.get("loc", ()))
    if first.get("type") == "json_invalid":
        detail = first.get("ctx", {}).get("error", "invalid JSON")
        return InvalidArgumentError(f"{NOT_JSON}: {detail}{_position(error.body, loc)}")
    if loc and loc[0] in ("query", "path"):
        return InvalidArgumentError(f"{BAD_QUERY}: {_location(loc)}: {_query_problem(first)}")
    detail = shape_error(first, raw_body, route=path.rsplit("/", 1)[-1], method=method)
    return UnprocessableEntityError(f"{WRONG_SHAPE}: {detail}")


def not_utf8_error(raw: bytes) -> ChromaError:
    """Chroma's 400 for a body that is not UTF-8, as serde reads it: the first syntax error,
    or else the string holding the first bad byte (its path and where it ends).

    Example:
        >>> not_utf8_error(b'{"name": "x\\xff"}').message().split(": ", 1)[1]
        'name: invalid unicode code point at line 1 column 13'
    """
    text = raw.decode("utf-8", "surrogateescape")
    bad = next(i for i, c in enumerate(text) if "\udc80" <= c <= "\udcff")
    found = invalid_unicode(text, bad)
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        if found is None or error.pos < found[1]:  # serde stops at the first problem
            return InvalidArgumentError(
                f"{NOT_JSON}: {error.msg}{_position(text, ('body', error.pos))}"
            )
    problem = found[0] if found is not None else "invalid unicode code point"
    return InvalidArgumentError(f"{NOT_JSON}: {problem}")


def empty_body_error() -> ChromaError:
    """An empty body where a JSON one is required."""
    return InvalidArgumentError(f"{NOT_JSON}: EOF while parsing a value at line 1 column 0")


def _position(document: Any, loc: tuple[Any, ...]) -> str:
    """serde's " at line L column C" for a character offset into the body."""
    if not isinstance(document, str) or len(loc) < 2 or not isinstance(loc[1], int):
        return ""
    before = document[: loc[1]]
    line = before.count("\n") + 1
    column = loc[1] - (before.rfind("\n") + 1) + 1
    return f" at line {line} column {column}"
