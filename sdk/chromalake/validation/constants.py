"""The words several rules share: reserved keys, ``include``'s items, the fields an
embedding function fills, and Chroma's messages that more than one caller raises."""

from __future__ import annotations

RESERVED_DOCUMENT_KEY = "chroma:document"
SPARSE_VECTOR_TYPE_KEY = "#type"
SPARSE_VECTOR_TYPE_VALUE = "sparse_vector"

#: Every value ``include`` accepts, in the order Chroma lists them in its error message.
INCLUDE_ITEMS: tuple[str, ...] = (
    "documents",
    "embeddings",
    "metadatas",
    "distances",
    "uris",
    "data",
)

#: Fields an ``add`` or ``query`` can embed, in a fixed order (Chroma iterates a ``set`` here,
#: so its own order changes with the hash seed; a fixed order is one of its possible outputs).
EMBEDDABLE_FIELDS: tuple[str, ...] = ("documents", "images", "uris")
#: ``update``/``upsert`` never embed URIs.
UPDATE_EMBEDDABLE_FIELDS: tuple[str, ...] = ("documents", "images")

MISSING_EMBEDDING_FUNCTION_MESSAGE = (
    # Chroma concatenates these two literals without a space; keep it byte-identical.
    "You must provide an embedding function to compute embeddings."
    "https://docs.trychroma.com/guides/embeddings"
)
MISSING_DATA_LOADER_MESSAGE = "You must set a data loader on the collection if loading from URIs."
CHANGE_DISTANCE_MESSAGE = (
    "Changing the distance function of a collection once it is created is not supported currently."
)
