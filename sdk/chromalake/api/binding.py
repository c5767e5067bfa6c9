"""How chromadb's embedded client words the engine's errors.

chromadb's embedded client talks to Chroma through Rust bindings, which report some errors
differently from Chroma's HTTP server: a taken name is an InternalError (not a 409), reset
refused is an AuthorizationError (not a 403), and a missing collection is worded per
operation. The engine speaks the server's language; the embedded clients translate here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from chromalake.errors import (
    AlreadyExistsError,
    AuthorizationError,
    ForbiddenError,
    InternalError,
    NotFoundError,
)


def same(message: str) -> str:
    return message


def prefixed(message: str) -> str:
    """Writes and queries: "Error getting collection: Collection [id] does not exist."."""
    return f"Error getting collection: {message}"


def unterminated(message: str) -> str:
    """``modify``: "Collection [id] does not exist", without the server's period."""
    return message.removesuffix(".")


@contextmanager
def embedded_errors(missing_collection: Callable[[str], str] = same) -> Iterator[None]:
    """Re-raise engine errors as chromadb's embedded client raises them.

    Example:
        >>> with embedded_errors(prefixed):
        ...     raise NotFoundError("Collection [x] does not exist.")
        Traceback (most recent call last):
        ...
        chromalake.errors.NotFoundError: Error getting collection: Collection [x] does not exist.
    """
    try:
        yield
    except AlreadyExistsError as e:
        raise InternalError(e.message()) from None
    except ForbiddenError as e:
        raise AuthorizationError(e.message()) from None
    except NotFoundError as e:
        if not e.message().startswith("Collection ["):
            raise
        raise NotFoundError(missing_collection(e.message())) from None
