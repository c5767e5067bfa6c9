"""Client rules on ``where`` and ``where_document``: the client's grammar, stricter than the
server's."""

from __future__ import annotations

from typing import Any

_WHERE_OPERATORS = (
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$ne",
    "$eq",
    "$in",
    "$nin",
    "$contains",
    "$not_contains",
)
_WHERE_DOCUMENT_OPERATORS = ("$contains", "$not_contains", "$regex", "$not_regex", "$and", "$or")
_NUMERIC_OPERATORS = ("$gt", "$gte", "$lt", "$lte")


def validate_where(where: Any) -> None:
    """Check a metadata filter against Chroma's client-side grammar.

    Example:
        >>> validate_where({"$and": [{"a": 1}, {"b": {"$in": ["x", "y"]}}]})
        >>> validate_where({"a": {"$gt": "x"}})
        Traceback (most recent call last):
        ...
        ValueError: Expected operand value to be an int or a float for operator $gt, got x
    """
    if not isinstance(where, dict):
        raise ValueError(f"Expected where to be a dict, got {where}")
    if len(where) != 1:
        raise ValueError(f"Expected where to have exactly one operator, got {where}")
    for key, value in where.items():
        _validate_where_entry(key, value)


def _validate_where_entry(key: object, value: object) -> None:
    if not isinstance(key, str):
        raise ValueError(f"Expected where key to be a str, got {key}")
    if key in ("$contains", "$not_contains"):
        # These operators only make sense inside a field expression.
        raise ValueError(
            "Expected where key to be a metadata field name or a logical operator ($and, $or), "
            f"got {key}"
        )
    if key not in ("$and", "$or", "$in", "$nin") and not isinstance(value, (str, int, float, dict)):
        raise ValueError(
            f"Expected where value to be a str, int, float, or operator expression, got {value}"
        )
    if key in ("$and", "$or"):
        _validate_where_logical(value)
    if isinstance(value, dict):
        _validate_operator_expression(key, value)


def _validate_where_logical(value: object) -> None:
    if not isinstance(value, list):
        raise ValueError(
            f"Expected where value for $and or $or to be a list of where expressions, got {value}"
        )
    if len(value) <= 1:
        raise ValueError(
            "Expected where value for $and or $or to be a list with at least two where "
            f"expressions, got {value}"
        )
    for child in value:
        validate_where(child)


def _validate_operator_expression(key: str, expression: dict[Any, Any]) -> None:
    if len(expression) != 1:
        raise ValueError(
            f"Expected operator expression to have exactly one operator, got {expression}"
        )
    for op, operand in expression.items():
        _validate_operand_for_operator(key, op, operand)
        if op not in _WHERE_OPERATORS:
            raise ValueError(
                "Expected where operator to be one of $gt, $gte, $lt, $lte, $ne, $eq, $in, $nin, "
                f"$contains, $not_contains, got {op}"
            )
        _validate_operand_type(operand)


def _validate_operand_for_operator(key: str, op: object, operand: object) -> None:
    """Operator-specific operand rules, checked before the operator name itself."""
    if op in _NUMERIC_OPERATORS and not isinstance(operand, (int, float)):
        raise ValueError(
            f"Expected operand value to be an int or a float for operator {op}, got {operand}"
        )
    if op in ("$in", "$nin") and not isinstance(operand, list):
        raise ValueError(f"Expected operand value to be an list for operator {op}, got {operand}")
    if op in ("$contains", "$not_contains"):
        if key == "#document" and not isinstance(operand, str):
            raise ValueError(
                f"Expected operand value to be a str for operator {op} on #document, got {operand}"
            )
        if not isinstance(operand, (str, int, float, bool)):
            raise ValueError(
                "Expected operand value to be a str, int, float, or bool for operator "
                f"{op}, got {operand}"
            )


def _validate_operand_type(operand: object) -> None:
    if not isinstance(operand, (str, int, float, bool, list)):
        raise ValueError(
            "Expected where operand value to be a str, int, float, bool, or list of those type, "
            f"got {operand}"
        )
    # Chroma tests isinstance against the first element's type, so [1, True] passes (a bool is
    # an int) while [True, 1] does not; the server then rejects the former.
    if isinstance(operand, list) and (
        len(operand) == 0 or not all(isinstance(x, type(operand[0])) for x in operand)
    ):
        raise ValueError(
            "Expected where operand value to be a non-empty list, and all values to be of the "
            f"same type got {operand}"
        )


def validate_where_document(where_document: Any) -> None:
    """Check a document filter against Chroma's client-side grammar.

    Example:
        >>> validate_where_document({"$or": [{"$contains": "a"}, {"$regex": "b+"}]})
    """
    if not isinstance(where_document, dict):
        raise ValueError(f"Expected where document to be a dictionary, got {where_document}")
    if len(where_document) != 1:
        raise ValueError(
            f"Expected where document to have exactly one operator, got {where_document}"
        )
    for op, operand in where_document.items():
        if op not in _WHERE_DOCUMENT_OPERATORS:
            raise ValueError(
                "Expected where document operator to be one of $contains, $not_contains, "
                f"$regex, $not_regex, $and, $or, got {op}"
            )
        if op in ("$and", "$or"):
            _validate_where_document_logical(operand)
        elif not isinstance(operand, str):
            raise ValueError(
                f"Expected where document operand value for operator {op} to be a str, "
                f"got {operand}"
            )
        elif len(operand) == 0:
            raise ValueError(
                f"Expected where document operand value for operator {op} to be a non-empty str"
            )


def _validate_where_document_logical(operand: object) -> None:
    if not isinstance(operand, list):
        raise ValueError(
            "Expected document value for $and or $or to be a list of where document "
            f"expressions, got {operand}"
        )
    if len(operand) <= 1:
        raise ValueError(
            "Expected document value for $and or $or to be a list with at least two where "
            f"document expressions, got {operand}"
        )
    for child in operand:
        validate_where_document(child)


def validate_filters(where: Any, where_document: Any) -> None:
    """Validate whichever of ``where`` / ``where_document`` is given."""
    if where is not None:
        validate_where(where)
    if where_document is not None:
        validate_where_document(where_document)
