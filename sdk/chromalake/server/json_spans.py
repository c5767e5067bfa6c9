"""Where a value or a key sits in a JSON text, for serde's "at line L column C".

Chroma's server reports a body of the wrong shape with the position where serde stopped
reading. pydantic reports a path instead; this module turns the path back into an offset of
the raw body, by scanning the text (never by re-serialising it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class Span:
    """Offsets in the text: where the value starts and ends, and where its key ends."""

    start: int
    end: int
    key_end: int | None = None


def _skip(text: str, i: int) -> int:
    match = _SPACE.match(text, i)
    return match.end() if match else i


def _value_end(text: str, i: int) -> int:
    _, end = _DECODER.raw_decode(text, i)
    return int(end)


def _in_object(text: str, i: int, key: str) -> tuple[int, int] | None:
    """(value start, key end) of ``key`` in the object starting at ``i``."""
    i = _skip(text, i + 1)
    while i < len(text) and text[i] != "}":
        found, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        key_end = i
        i = _skip(text, _skip(text, i) + 1)  # past the colon
        if found == key:
            return i, key_end
        i = _skip(text, _value_end(text, i))
        if i < len(text) and text[i] == ",":
            i = _skip(text, i + 1)
    return None


def _in_array(text: str, i: int, index: int) -> int | None:
    """Start of the ``index``-th element of the array starting at ``i``."""
    i = _skip(text, i + 1)
    for _ in range(index):
        if i >= len(text) or text[i] == "]":
            return None
        i = _skip(text, _value_end(text, i))
        if i < len(text) and text[i] == ",":
            i = _skip(text, i + 1)
    return None if i >= len(text) or text[i] == "]" else i


def locate(text: str, path: Sequence[str | int]) -> Span | None:
    """The span of the value at ``path`` in ``text``; None if the path is not there.

    Example:
        >>> text = '{"a": {"b": [10, {"c": null}]}}'
        >>> span = locate(text, ["a", "b", 1, "c"])
        >>> text[span.start:span.end], text[:span.key_end][-3:]
        ('null', '"c"')
    """
    try:
        i, key_end = _skip(text, 0), None
        for step in path:
            if isinstance(step, int) and text[i] == "[":
                start = _in_array(text, i, step)
                if start is None:
                    return None
                i, key_end = start, None
            elif text[i] == "{":
                found = _in_object(text, i, str(step))
                if found is None:
                    return None
                i, key_end = found
            else:
                return None
        return Span(i, _value_end(text, i), key_end)
    except (ValueError, IndexError):
        return None


def position(text: str, offset: int) -> str:
    """serde's " at line L column C" for the character just before ``offset``.

    Example:
        >>> position('{"a":\\n  1}', 9)
        ' at line 2 column 3'
    """
    before = text[:offset]
    line = before.count("\n") + 1
    return f" at line {line} column {offset - (before.rfind(chr(10)) + 1)}"
