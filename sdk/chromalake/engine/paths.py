"""Where a collection's dataset lives: ``<root>/<tenant>/<database>/<collection id>.lance``.

Tenant and database names may hold any character (Chroma refuses few), and the layout must
be injective on every backend: no name may reach into another tenant's directory, and no
directory may look like a dataset. Percent-encoding is not enough: Lance decodes ``%2F`` back
to ``/`` on S3 (so tenant ``org/team`` landed inside tenant ``org``), while a local directory
keeps it. So a name becomes one segment of letters, digits, ``-``, ``_`` and ``~``:

* letters, digits, ``-`` and ``_`` stay as they are (so ``default_tenant`` keeps its place);
* every other UTF-8 byte is ``~`` and two upper-case hex digits (``.`` is ``~2E``, so no
  segment is ``..`` or ends in ``.lance``);
* a segment longer than :data:`MAX_SEGMENT` keeps its first characters and ends with ``~~``
  and the name's SHA-256: local file systems take 255 bytes a directory name, S3 1,024 a
  key. ``~~`` never occurs in a short segment (each ``~`` there is followed by hex digits),
  so a long name never meets a short one.
"""

from __future__ import annotations

import hashlib
import uuid
from urllib.parse import quote

MAX_SEGMENT = 120
_KEPT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_HASHED = "~~"
DATASET_SUFFIX = ".lance"  # lancedb keeps table <id> in the directory <id>.lance


def path_segment(name: str) -> str:
    """A tenant or database name as one directory name, the same on disk and on S3.

    Example:
        >>> path_segment("default_tenant"), path_segment("org/team"), path_segment("a.lance")
        ('default_tenant', 'org~2Fteam', 'a~2Elance')
        >>> long = path_segment("x" * 300)
        >>> len(long), long[-66:-64]
        (120, '~~')
    """
    encoded = "".join(
        char if char in _KEPT else "".join(f"~{byte:02X}" for byte in char.encode())
        for char in name
    )
    if len(encoded) <= MAX_SEGMENT:
        return encoded
    digest = hashlib.sha256(name.encode()).hexdigest()
    return encoded[: MAX_SEGMENT - len(_HASHED) - len(digest)] + _HASHED + digest


def legacy_segment(name: str) -> str:
    """The segment chromalake 0.1 gave this name (percent-encoding, ``.`` as ``%2E``).

    Its collections are still found there: ``LanceStore`` looks when a dataset is not at its
    ``path_segment`` place, and Lance resolves the old URI as it did then. Names of letters,
    digits, ``-`` and ``_`` have the same segment both ways.

    Example:
        >>> legacy_segment("prod.v2"), legacy_segment("default_database")
        ('prod%2Ev2', 'default_database')
    """
    return quote(name, safe="-_").replace(".", "%2E")


def dataset_collection_id(directory: str) -> str | None:
    """The collection id of a dataset directory's name, None if it is not one of ours.

    Example:
        >>> dataset_collection_id("0b8c7e6a-1c55-4d34-9d5e-5bd0e7ac3c11.lance")
        '0b8c7e6a-1c55-4d34-9d5e-5bd0e7ac3c11'
        >>> dataset_collection_id("prod.lance") is None  # a name, not a collection
        True
    """
    if not directory.endswith(DATASET_SUFFIX):
        return None
    candidate = directory.removesuffix(DATASET_SUFFIX)
    try:
        return candidate if str(uuid.UUID(candidate)) == candidate else None
    except ValueError:
        return None
