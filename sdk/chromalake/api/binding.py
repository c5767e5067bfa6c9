"""How chromadb's embedded client words the engine's errors.

chromadb's embedded client talks to Chroma through Rust bindings, which report some errors
differently from Chroma's HTTP server: a taken name is an InternalError (not a 409), and a
write or query on a missing collection says "Error getting collection: ...". The engine speaks
the server's language; the embedded clients translate here, in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from chromalake.errors import AlreadyExistsError, InternalError, NotFoundError


@contextmanager
def embedded_errors(write: bool = False) -> Iterator[None]:
    """Re-raise engine errors as chromadb's embedded client raises them.

    ``write`` marks add/update/upsert/query, whose missing-collection message is prefixed.
    """
    try:
        yield
    except AlreadyExistsError as e:
        raise InternalError(e.message()) from None
    except NotFoundError as e:
        if write and e.message().startswith("Collection ["):
            raise NotFoundError(f"Error getting collection: {e.message()}") from None
        raise
