"""Which files one version of a Lance dataset reads: its manifest, decoded.

A warm process keeps local copies of a collection's files (engine/mirror.py). Lance's files are
immutable, so to follow a new version it needs only that version's manifest and the files the
manifest names that it does not hold yet. lancedb does not expose the list, so it is read from
the manifest itself: a Lance manifest file ends with a 16-byte footer (the manifest's offset,
a format version and ``LANC``); at that offset is a length-prefixed ``lance.table.Manifest``
protobuf message, and an ``IndexSection`` message at the offset the manifest gives. Only the
few fields that name files are decoded (field numbers from Lance's ``protos/table.proto``);
the rest is skipped as protobuf allows.

| message | fields read |
| --- | --- |
| Manifest | 2 fragments, 6 index_section, 18 base_paths |
| DataFragment | 1 id, 2 files, 3 deletion_file, 6 external_row_ids |
| DataFile (``data/<path>``) | 1 path, 6 file_size_bytes, 7 base_id |
| DeletionFile (``_deletions/<fragment>-<read_version>-<id>.<ext>``) | 1, 2, 3 (those), 7 base |
| IndexSection | 1 indices |
| IndexMetadata (``_indices/<uuid>/<file>``) | 1 uuid, 9 base_id, 10 files |
| IndexFile | 1 path, 2 size_bytes |
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

_MAGIC = b"LANC"
_FOOTER = 16  # i64 manifest offset, u16 major, u16 minor, "LANC"
_U64_MAX = 2**64 - 1

_VARINT, _I64, _BYTES, _I32 = 0, 1, 2, 5


class ManifestError(ValueError):
    """The bytes are not a Lance manifest this module can read."""


def manifest_name(version: int, v2_paths: bool) -> str:
    """The manifest's path inside the dataset, in either of Lance's naming schemes.

    Example:
        >>> manifest_name(4, v2_paths=True), manifest_name(4, v2_paths=False)
        ('_versions/18446744073709551611.manifest', '_versions/4.manifest')
    """
    number = _U64_MAX - version if v2_paths else version
    return f"_versions/{number:020d}.manifest" if v2_paths else f"_versions/{number}.manifest"


@dataclass(frozen=True)
class DatasetFiles:
    """The files (relative to the dataset's root) one version reads, and whether they all
    live under that root: a shallow clone (a fork) also reads its source's files."""

    files: frozenset[str]
    self_contained: bool
    # Index directories whose manifest entry names no files (an older index format): their
    # files are found by listing the directory.
    unlisted_index_dirs: frozenset[str] = frozenset()
    # Sizes in bytes where the manifest records them (data and index files).
    sizes: dict[str, int] = field(default_factory=dict)


def dataset_files(manifest: bytes) -> DatasetFiles:
    """The files one version of a dataset reads, from its manifest file's bytes.

    Raises ManifestError for anything else.
    """
    if len(manifest) < _FOOTER or manifest[-4:] != _MAGIC:
        raise ManifestError("not a Lance manifest (no LANC footer)")
    (offset,) = struct.unpack("<q", manifest[-_FOOTER : -_FOOTER + 8])
    body = _message_at(manifest, offset)
    files: dict[str, int] = {}
    unlisted: set[str] = set()
    self_contained = True
    index_section: int | None = None
    for number, value in _fields(body):
        if number == 2 and isinstance(value, bytes):
            contained = _fragment_files(value, files)
            self_contained = self_contained and contained
        elif number == 6 and isinstance(value, int):
            index_section = value
        elif number == 18:
            self_contained = False  # base paths: files of other datasets (a shallow clone)
    if index_section is not None:
        for number, value in _fields(_message_at(manifest, index_section)):
            if number == 1 and isinstance(value, bytes):
                contained = _index_files(value, files, unlisted)
                self_contained = self_contained and contained
    sizes = {path: size for path, size in files.items() if size}
    return DatasetFiles(frozenset(files), self_contained, frozenset(unlisted), sizes)


def _fragment_files(fragment: bytes, files: dict[str, int]) -> bool:
    """Add a fragment's data and deletion files; False if any lives in another dataset."""
    fragment_id = 0
    deletion: bytes | None = None
    contained = True
    for number, value in _fields(fragment):
        if number == 1 and isinstance(value, int):
            fragment_id = value
        elif number == 2 and isinstance(value, bytes):
            path, size, base = "", 0, False
            for number_in_file, item in _fields(value):
                if number_in_file == 1 and isinstance(item, bytes):
                    path = item.decode()
                elif number_in_file == 6 and isinstance(item, int):
                    size = item
                elif number_in_file == 7:
                    base = True
            files[f"data/{path}"] = size
            contained = contained and not base
        elif number == 3 and isinstance(value, bytes):
            deletion = value
        elif number == 6:
            contained = False  # row ids in an external file: not followed here
    if deletion is not None:
        kind = read_version = file_id = 0
        for number, item in _fields(deletion):
            if number == 1 and isinstance(item, int):
                kind = item
            elif number == 2 and isinstance(item, int):
                read_version = item
            elif number == 3 and isinstance(item, int):
                file_id = item
            elif number == 7:
                contained = False
        extension = "bin" if kind == 1 else "arrow"
        files[f"_deletions/{fragment_id}-{read_version}-{file_id}.{extension}"] = 0
    return contained


def _index_files(index: bytes, files: dict[str, int], unlisted: set[str]) -> bool:
    """Add an index's files; False if it lives in another dataset."""
    directory, named, contained = "", {}, True
    for number, value in _fields(index):
        if number == 1 and isinstance(value, bytes):
            raw = next((v for f, v in _fields(value) if f == 1 and isinstance(v, bytes)), b"")
            directory = f"_indices/{uuid.UUID(bytes=raw)}"
        elif number == 9:
            contained = False
        elif number == 10 and isinstance(value, bytes):
            entry = dict(_fields(value))
            name, size = entry.get(1), entry.get(2)
            if isinstance(name, bytes):
                named[name.decode()] = size if isinstance(size, int) else 0
    if named:
        files.update({f"{directory}/{name}": size for name, size in named.items()})
    else:
        unlisted.add(directory)
    return contained


def _message_at(data: bytes, offset: int) -> bytes:
    """The length-prefixed (u32) protobuf message at ``offset``."""
    if not 0 <= offset <= len(data) - 4:
        raise ManifestError(f"message offset {offset} outside the file")
    (length,) = struct.unpack("<I", data[offset : offset + 4])
    end = offset + 4 + length
    if end > len(data):
        raise ManifestError("message runs past the end of the file")
    return data[offset + 4 : end]


def _fields(message: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of each field: an int for varints, bytes for the rest."""
    at = 0
    while at < len(message):
        key, at = _varint(message, at)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, at = _varint(message, at)
            yield number, value
        elif wire == _BYTES:
            length, at = _varint(message, at)
            yield number, message[at : at + length]
            at += length
        elif wire in (_I64, _I32):
            width = 8 if wire == _I64 else 4
            yield number, message[at : at + width]
            at += width
        else:
            raise ManifestError(f"unsupported protobuf wire type {wire}")


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data):
            raise ManifestError("truncated varint")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at
