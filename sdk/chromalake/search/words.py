"""serde's words for JSON values, shared by the server's 422 messages and the Search API's
payload parser (which the engine runs too), so both describe a bad value alike."""

from __future__ import annotations

import json
from typing import Any


def unexpected(value: Any) -> str:
    """serde's ``Unexpected`` for a JSON value.

    Example:
        >>> [unexpected(v) for v in ("x", 1, 1.5, True, None, [1], {})]
        ['string "x"', 'integer `1`', 'floating point `1.5`', 'boolean `true`', 'null', 'sequence', 'map']
    """  # noqa: E501
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f"string {json.dumps(value)}"
    return "sequence" if isinstance(value, list) else "map"
