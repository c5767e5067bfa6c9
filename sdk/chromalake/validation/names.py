"""Engine rules on names: tenants, databases and collections, with the Rust frontend's
messages (:class:`~chromalake.errors.InvalidArgumentError`)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Any

from chromalake.errors import (
    InvalidArgumentError,
)

_NAME_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]")
_NAME_PATTERN_MESSAGE = (
    "Expected a name containing 3-512 characters from [a-zA-Z0-9._-], starting and ending with "
    "a character in [a-zA-Z0-9]. Got: {}"
)


def validate_collection_name(name: Any, *, field: str = "name") -> None:
    """Chroma's server rule for collection names (Rust ``validate_name``).

    3-512 characters from ``[a-zA-Z0-9._-]``, alphanumeric at both ends, no ``..``, not an IP
    address, at most one ``topology+name`` prefix. ``field`` is the payload field named in the
    message (``new_name`` for a rename).

    Raises:
        InvalidArgumentError: "Validation error: name: ..." as the server words it.
        TypeError: ``name`` is not a str (the embedded binding's conversion error).

    Example:
        >>> validate_collection_name("ab")
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Validation error: name: Expected a name containing 3-512 characters from [a-zA-Z0-9._-], starting and ending with a character in [a-zA-Z0-9]. Got: ab
    """  # noqa: E501
    _require_str_argument(name, field)
    _raise_validation_errors([(field, name_problem(name))])


def name_problem(name: str) -> str | None:
    """Why ``name`` breaks the Rust ``validate_name`` rule, or None if it is valid."""
    topology, plus, rest = name.partition("+")
    if plus:
        if len(name.encode()) > 512:  # Rust measures bytes
            return f"Expected a name containing 3-512 characters. Got: {len(name.encode())}"
        if "+" in rest:
            return "Expected a name to contain at most one topology:  Got two `+` characters."
        return name_problem(topology) or name_problem(rest)
    # fullmatch: Rust's `$` does not match before a trailing newline, Python's does.
    if _NAME_RE.fullmatch(name) is None:
        return _NAME_PATTERN_MESSAGE.format(name)
    if ".." in name:
        return f"Expected a name that does not contains two consecutive periods (..). Got {name}"
    if _is_ip_address(name):
        return f"Expected a name that is not a valid ip address. Got {name}"
    return None


def _is_ip_address(name: str) -> bool:
    # Python's parser, like Rust's, rejects leading zeros ("01.2.3.4") and short forms ("1.2.3").
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def validate_database_name(name: Any, *, strict: bool = False) -> None:
    """Chroma's rule for database names.

    By default the embedded rule: at least 3 bytes ("database name must be at least 3
    characters"). With ``strict=True``, the HTTP server's create rule: the collection-name rule
    reported without the "Validation error: name: " prefix.

    Example:
        >>> validate_database_name("a..b")  # fine for the embedded client
        >>> validate_database_name("a..b", strict=True)
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Expected a name that does not contains two consecutive periods (..). Got a..b
    """  # noqa: E501
    _require_str_argument(name, "name")
    if strict:
        problem = name_problem(name)
        if problem is not None:
            raise InvalidArgumentError(problem)
    elif len(name.encode()) < 3:
        raise InvalidArgumentError("database name must be at least 3 characters")


def validate_tenant_name(name: Any) -> None:
    """Tenant names need at least 3 characters (the server's ``validator`` length rule).

    Example:
        >>> validate_tenant_name("ab")
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Validation error: name: Validation error: length [{"value": String("ab"), "min": Number(3)}]
    """  # noqa: E501
    _require_str_argument(name, "name")
    if len(name) < 3:
        # Chroma prints a HashMap here, so its key order varies; this is one of its two orders.
        raise InvalidArgumentError(
            "Validation error: name: Validation error: length "
            f'[{{"value": String({_rust_debug_str(name)}), "min": Number(3)}}]'
        )


def _rust_debug_str(text: str) -> str:
    """Render ``text`` as Rust's ``{:?}`` does for a ``str`` (quoted, escapes for controls)."""
    escapes = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}
    out = []
    for char in text:
        if char in escapes:
            out.append(escapes[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _require_str_argument(value: object, name: str) -> None:
    if not isinstance(value, str):
        raise TypeError(
            f"argument '{name}': '{type(value).__name__}' object cannot be converted to 'PyString'"
        )


def _raise_validation_errors(problems: Sequence[tuple[str, str | None]]) -> None:
    """Raise Chroma's "Validation error: field: message" for every field that has a problem.

    Chroma joins several failing fields with newlines, in HashMap order (so its order varies
    between runs); we keep the order given, which is one of the orders it can produce.
    """
    found = [f"{field}: {problem}" for field, problem in problems if problem is not None]
    if found:
        raise InvalidArgumentError("Validation error: " + "\n".join(found))
