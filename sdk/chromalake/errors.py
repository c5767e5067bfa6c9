"""The Chroma error hierarchy, defined once.

Each class carries the name Chroma puts in the ``error`` field of an HTTP error body and the
HTTP status it maps to. The server turns exceptions into responses with :func:`to_wire`; the
HTTP clients turn responses back into exceptions with :func:`from_wire`. None of these classes is
a ``ValueError``: as in Chroma, ``ValueError`` is reserved for client-side validation.
"""

from __future__ import annotations

from typing import ClassVar


class ChromaError(Exception):
    """Base class of every error the engine or the server raises.

    Example:
        >>> try:
        ...     raise NotFoundError("Collection [x] does not exist")
        ... except ChromaError as e:
        ...     (e.name(), e.code(), e.message())
        ('NotFoundError', 404, 'Collection [x] does not exist')
    """

    wire_name: ClassVar[str] = "ChromaError"
    status: ClassVar[int] = 400
    trace_id: str | None = None

    def code(self) -> int:
        """The HTTP status this error maps to."""
        return self.status

    def message(self) -> str:
        """The human-readable text, as Chroma's ``message`` field."""
        return ", ".join(str(a) for a in self.args)

    @classmethod
    def name(cls) -> str:
        """Chroma's name for this class (its ``name()``)."""
        return cls.wire_name


class InvalidDimensionException(ChromaError):
    wire_name = "InvalidDimension"


class IDAlreadyExistsError(ChromaError):
    wire_name = "IDAlreadyExists"
    status = 409


class ChromaAuthError(ChromaError):
    wire_name = "AuthError"
    status = 403

    def message(self) -> str:
        return "Forbidden"


class DuplicateIDError(ChromaError):
    wire_name = "DuplicateID"


class InvalidArgumentError(ChromaError):
    wire_name = "InvalidArgumentError"

    @classmethod
    def name(cls) -> str:
        # Chroma's one irregular class: name() differs from the wire key.
        return "InvalidArgument"


class InvalidUUIDError(ChromaError):
    wire_name = "InvalidUUID"


class InvalidHTTPVersion(ChromaError):
    wire_name = "InvalidHTTPVersion"


class AuthorizationError(ChromaError):
    wire_name = "AuthorizationError"
    status = 401


class NotFoundError(ChromaError):
    wire_name = "NotFoundError"
    status = 404


class UniqueConstraintError(ChromaError):
    wire_name = "UniqueConstraintError"
    status = 409


class BatchSizeExceededError(ChromaError):
    wire_name = "BatchSizeExceededError"
    status = 413


class VersionMismatchError(ChromaError):
    wire_name = "VersionMismatchError"
    status = 500


class InternalError(ChromaError):
    wire_name = "InternalError"
    status = 500


class RateLimitError(ChromaError):
    wire_name = "RateLimitError"
    status = 429


class QuotaError(ChromaError):
    wire_name = "QuotaError"


class ForbiddenError(ChromaError):
    """Chroma's PermissionDenied code: 403 with the generic name (e.g. reset disabled)."""

    status = 403


class UnimplementedError(ChromaError):
    """Chroma's Unimplemented code: 501 with the generic name ``ChromaError``."""

    status = 501


class UnavailableError(ChromaError):
    """Chroma's Unavailable code: 503 with the generic name ``ChromaError``.

    Raised when a write lost its commit to concurrent writers more often than the engine
    retries: nothing was committed, so the request may be sent again as it is (the HTTP
    clients resend a 503 by themselves, see ``http/endpoint.py``).
    """

    status = 503


class UnsupportedMediaTypeError(ChromaError):
    """A body sent with a Content-Type other than JSON (Chroma's 415)."""

    status = 415


class UnprocessableEntityError(ChromaError):
    """A JSON body of the wrong shape (Chroma's 422 ChromaError)."""

    status = 422


class AlreadyExistsError(ChromaError):
    """A tenant, database or collection name is taken.

    Chroma's server sends this as a 409 with the generic name ``ChromaError``, so clients
    receive a plain ChromaError; chromadb's embedded client reports it as an InternalError.
    """

    wire_name = "ChromaError"
    status = 409


ERROR_TYPES: dict[str, type[ChromaError]] = {
    cls.wire_name: cls
    for cls in (
        ChromaError,
        InvalidDimensionException,
        IDAlreadyExistsError,
        ChromaAuthError,
        DuplicateIDError,
        InvalidArgumentError,
        InvalidUUIDError,
        InvalidHTTPVersion,
        AuthorizationError,
        NotFoundError,
        UniqueConstraintError,
        BatchSizeExceededError,
        VersionMismatchError,
        InternalError,
        RateLimitError,
        QuotaError,
    )
}  # AlreadyExistsError shares ChromaError's wire name, so the name maps to the base class.

#: chromadb's own table of its error classes, by the names its older servers sent.
error_types: dict[str, type[ChromaError]] = {
    "InvalidDimension": InvalidDimensionException,
    "InvalidArgumentError": InvalidArgumentError,
    "IDAlreadyExists": IDAlreadyExistsError,
    "DuplicateID": DuplicateIDError,
    "InvalidUUID": InvalidUUIDError,
    "InvalidHTTPVersion": InvalidHTTPVersion,
    "AuthorizationError": AuthorizationError,
    "NotFoundError": NotFoundError,
    "BatchSizeExceededError": BatchSizeExceededError,
    "VersionMismatchError": VersionMismatchError,
    "RateLimitError": RateLimitError,
    "AuthError": ChromaAuthError,
    "UniqueConstraintError": UniqueConstraintError,
    "QuotaError": QuotaError,
}


def to_wire(error: ChromaError) -> dict[str, str]:
    """The JSON body Chroma sends for ``error``.

    Example:
        >>> to_wire(InvalidArgumentError("bad"))
        {'error': 'InvalidArgumentError', 'message': 'bad'}
    """
    return {"error": error.wire_name, "message": error.message()}


def from_wire(body: dict[str, object]) -> ChromaError | None:
    """The exception for a Chroma error body, or None when the name is unknown.

    Example:
        >>> type(from_wire({"error": "NotFoundError", "message": "gone"})).__name__
        'NotFoundError'
    """
    cls = ERROR_TYPES.get(str(body.get("error")))
    if cls is None:
        return None
    return cls(str(body.get("message", "")))
