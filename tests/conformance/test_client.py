"""Client-level behaviour: heartbeat, version, collection lifecycle, names, metadata, config."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest

from .harness import Side, conform, conform_raises, steps


def _names(collections: Any) -> list[str]:
    return sorted(c.name for c in collections)


def test_heartbeat_is_recent_nanosecond_int(oracle: Side, subject: Side) -> None:
    """heartbeat() returns an int: nanoseconds since the epoch, within 10 s of now."""

    def scenario(side: Side) -> Any:
        beat = side.client.heartbeat()
        return type(beat).__name__, abs(beat - time.time_ns()) < 10_000_000_000

    conform(oracle, subject, scenario)


def test_get_version_is_semver_string(oracle: Side, subject: Side) -> None:
    """get_version() returns a str matching \\d+.\\d+.\\d+."""

    def scenario(side: Side) -> Any:
        version = side.client.get_version()
        return type(version).__name__, bool(re.fullmatch(r"\d+\.\d+\.\d+", version))

    conform(oracle, subject, scenario)


def test_max_batch_size_is_a_large_int(oracle: Side, subject: Side) -> None:
    """get_max_batch_size() is an int of at least 2000 (Chroma's tests add 2000 at once)."""

    def scenario(side: Side) -> Any:
        size = side.client.get_max_batch_size()
        return type(size).__name__, size >= 2000

    conform(oracle, subject, scenario)


def test_client_tenant_and_database_defaults(oracle: Side, subject: Side) -> None:
    """A client starts on default_tenant/default_database."""
    conform(oracle, subject, lambda s: (s.client.tenant, s.client.database))


def test_create_collection_returns_collection(oracle: Side, subject: Side) -> None:
    """create_collection returns a Collection with name, metadata, tenant, database, config."""
    conform(oracle, subject, lambda s: s.collection("first", metadata={"a": 1, "b": "x"}))


def test_create_collection_without_metadata(oracle: Side, subject: Side) -> None:
    """Without metadata the collection's metadata is None; the default config is l2."""
    conform(oracle, subject, lambda s: s.collection("plain"))


def test_collection_repr_and_id_type(oracle: Side, subject: Side) -> None:
    """repr is Collection(name=...) and id is a uuid.UUID."""

    def scenario(side: Side) -> Any:
        col = side.collection("reprs")
        return repr(col), isinstance(col.id, uuid.UUID)

    conform(oracle, subject, scenario)


def test_create_existing_collection_fails(oracle: Side, subject: Side) -> None:
    """Creating a name twice raises, and the first collection is untouched."""

    def scenario(side: Side) -> Any:
        side.collection("dup", metadata={"v": 1})
        return steps(
            again=lambda: side.collection("dup", metadata={"v": 2}),
            stored=lambda: side.client.get_collection("dup"),
        )

    conform(oracle, subject, scenario)


def test_get_or_create_ignores_new_metadata(oracle: Side, subject: Side) -> None:
    """get_or_create on an existing name returns it unchanged, ignoring the new metadata."""

    def scenario(side: Side) -> Any:
        first = side.client.get_or_create_collection(
            "goc", metadata={"v": 1}, embedding_function=None
        )
        second = side.client.get_or_create_collection(
            "goc", metadata={"v": 2, "w": 3}, embedding_function=None
        )
        return first, second, first.id == second.id, side.client.count_collections()

    conform(oracle, subject, scenario)


def test_create_with_get_or_create_flag(oracle: Side, subject: Side) -> None:
    """create_collection(get_or_create=True) behaves like get_or_create_collection."""

    def scenario(side: Side) -> Any:
        first = side.collection("flag", metadata={"v": 1})
        again = side.collection("flag", metadata={"v": 9}, get_or_create=True)
        return again, first.id == again.id

    conform(oracle, subject, scenario)


def test_get_collection(oracle: Side, subject: Side) -> None:
    """get_collection returns the stored collection with the same id."""

    def scenario(side: Side) -> Any:
        created = side.collection("fetch", metadata={"k": "v"})
        fetched = side.client.get_collection("fetch")
        return fetched, fetched.id == created.id

    conform(oracle, subject, scenario)


def test_get_missing_collection(oracle: Side, subject: Side) -> None:
    """get_collection of an unknown name raises NotFoundError."""
    conform_raises(oracle, subject, lambda s: s.client.get_collection("missing"), "NotFoundError")


def test_get_collection_by_id(oracle: Side, subject: Side) -> None:
    """get_collection_by_id finds a collection by UUID; an unknown UUID raises."""

    def scenario(side: Side) -> Any:
        created = side.collection("byid", metadata={"x": 1.5})
        unknown = uuid.UUID("00000000-0000-4000-8000-000000000001")
        return steps(
            found=lambda: side.client.get_collection_by_id(created.id),
            same=lambda: side.client.get_collection_by_id(created.id).id == created.id,
            missing=lambda: side.client.get_collection_by_id(unknown),
        )

    conform(oracle, subject, scenario)


def test_delete_collection(oracle: Side, subject: Side) -> None:
    """delete_collection removes it; getting or deleting it again raises NotFoundError."""

    def scenario(side: Side) -> Any:
        side.collection("gone").add(ids=["a"], embeddings=[[1.0, 2.0]])
        return steps(
            delete=lambda: side.client.delete_collection("gone"),
            get=lambda: side.client.get_collection("gone"),
            delete_again=lambda: side.client.delete_collection("gone"),
            count=lambda: side.client.count_collections(),
        )

    conform(oracle, subject, scenario)


def test_recreated_collection_is_empty(oracle: Side, subject: Side) -> None:
    """A collection re-created under a deleted name starts empty, with no fixed dimension."""

    def scenario(side: Side) -> Any:
        side.collection("again").add(ids=["a"], embeddings=[[1.0, 2.0]])
        side.client.delete_collection("again")
        col = side.collection("again")
        return steps(
            count=col.count,
            add3=lambda: col.add(ids=["b"], embeddings=[[1.0, 2.0, 3.0]]),
            get=lambda: col.get(include=["embeddings"]),
        )

    conform(oracle, subject, scenario)


def test_list_and_count_collections(oracle: Side, subject: Side) -> None:
    """list_collections lists every collection (compared as a set); count agrees."""

    def scenario(side: Side) -> Any:
        for i in range(5):
            side.collection(f"listed-{i}", metadata={"i": i})
        listed = side.client.list_collections()
        return sorted(listed, key=lambda c: c.name), side.client.count_collections()

    conform(oracle, subject, scenario)


def test_list_collections_pagination(oracle: Side, subject: Side) -> None:
    """limit/offset page through one stable order; pages partition the full listing."""

    def scenario(side: Side) -> Any:
        for i in range(7):
            side.collection(f"page-{i}")
        full = [c.name for c in side.client.list_collections()]
        again = [c.name for c in side.client.list_collections()]
        pages = [
            [c.name for c in side.client.list_collections(limit=3, offset=o)] for o in (0, 3, 6)
        ]
        return {
            "stable": full == again,
            "partition": [n for page in pages for n in page] == full,
            "page_sizes": [len(p) for p in pages],
            "limit_only": len(side.client.list_collections(limit=4)),
            "offset_only": len(side.client.list_collections(offset=5)),
            "limit_zero": len(side.client.list_collections(limit=0)),
            "offset_past_end": len(side.client.list_collections(offset=50)),
        }

    conform(oracle, subject, scenario)


def test_list_collections_negative_paging(oracle: Side, subject: Side) -> None:
    """Negative limit or offset is refused with the same error as Chroma's."""

    def scenario(side: Side) -> Any:
        side.collection("neg")
        return steps(
            limit=lambda: side.client.list_collections(limit=-1),
            offset=lambda: side.client.list_collections(offset=-1),
        )

    conform(oracle, subject, scenario)


def test_empty_database_lists_nothing(oracle: Side, subject: Side) -> None:
    """A fresh client has no collections and a count of 0."""
    conform(oracle, subject, lambda s: (s.client.list_collections(), s.client.count_collections()))


VALID_NAMES = [
    "abc",
    "a" * 512,
    "A1.b_c-D",
    "0-0",
    "my.collection.v2",
    "a_b",
]

INVALID_NAMES = [
    "",
    "ab",
    "a" * 513,
    "-abc",
    "abc-",
    "_abc",
    "abc.",
    "a..b",
    "192.168.1.1",
    "has space",
    "slash/name",
    "colon:name",
    "unicodé",
    "x+y+z",
]


@pytest.mark.parametrize("name", VALID_NAMES, ids=lambda n: n[:20])
def test_valid_collection_names(oracle: Side, subject: Side, name: str) -> None:
    """Names of 3-512 of [a-zA-Z0-9._-], alphanumeric at both ends, are accepted."""
    conform(oracle, subject, lambda s: s.collection(name).name == name)


@pytest.mark.parametrize("name", INVALID_NAMES, ids=lambda n: repr(n[:20]))
def test_invalid_collection_names(oracle: Side, subject: Side, name: str) -> None:
    """Bad names are rejected on create with Chroma's error and message."""
    conform(oracle, subject, lambda s: s.collection(name))


def test_collection_name_with_topology_prefix(oracle: Side, subject: Side) -> None:
    """A single ``topo+name`` prefix behaves as in Chroma."""
    conform(oracle, subject, lambda s: steps(create=lambda: s.collection("topo+name")))


def test_collection_names_are_case_sensitive(oracle: Side, subject: Side) -> None:
    """'Case' and 'case' are different collections."""

    def scenario(side: Side) -> Any:
        side.collection("Case", metadata={"which": "upper"})
        side.collection("case", metadata={"which": "lower"})
        return side.client.get_collection("Case").metadata, side.client.count_collections()

    conform(oracle, subject, scenario)


COLLECTION_METADATA = [
    {"str": "x", "int": 1, "float": 1.5, "bool": True},
    {"neg": -7, "zero": 0, "big": 2**40, "tiny": 1e-30},
    {"unicode": "żółw 🐢", "empty_string": ""},
    {"hnsw:space": "cosine"},
    {"hnsw:space": "ip", "hnsw:construction_ef": 50, "hnsw:search_ef": 20, "hnsw:M": 8},
    {"hnsw:num_threads": 2, "hnsw:resize_factor": 1.5, "hnsw:sync_threshold": 500},
    {"hnsw:batch_size": 50, "hnsw:space": "l2", "other": "kept"},
]


@pytest.mark.parametrize("metadata", COLLECTION_METADATA, ids=lambda m: ",".join(m)[:40])
def test_collection_metadata_round_trip(
    oracle: Side, subject: Side, metadata: dict[str, Any]
) -> None:
    """Collection metadata (incl. hnsw:* keys) is kept verbatim; hnsw:* keys drive the config."""

    def scenario(side: Side) -> Any:
        created = side.collection("meta", metadata=metadata)
        return created, side.client.get_collection("meta")

    conform(oracle, subject, scenario)


BAD_COLLECTION_METADATA: list[Any] = [
    {},
    {"": 1},
    {"$dollar": 1},
    {"#hash": 1},
    {"none": None},
    {"nested": {"a": 1}},
    {"empty_list": []},
    {"hnsw:space": "foobar"},
    {"hnsw:unknown": 1},
    {"hnsw:M": "sixteen"},
    {"hnsw:sync_threshold": 1},
    {"hnsw:batch_size": 1},
    {"hnsw:construction_ef": -1},
]


@pytest.mark.parametrize("metadata", BAD_COLLECTION_METADATA, ids=repr)
def test_bad_collection_metadata(oracle: Side, subject: Side, metadata: Any) -> None:
    """Invalid collection metadata is refused (or accepted) exactly as Chroma does."""

    def scenario(side: Side) -> Any:
        return steps(
            create=lambda: side.collection("badmeta", metadata=metadata),
            count=side.client.count_collections,
        )

    conform(oracle, subject, scenario)


CONFIGURATIONS: list[Any] = [
    {"hnsw": {"space": "cosine"}},
    {"hnsw": {"space": "ip", "ef_construction": 64, "ef_search": 32, "max_neighbors": 12}},
    {"hnsw": {"resize_factor": 1.5, "sync_threshold": 200, "batch_size": 20, "num_threads": 2}},
    {"hnsw": {}},
    {"spann": {"space": "cosine"}},
]


@pytest.mark.parametrize("configuration", CONFIGURATIONS, ids=repr)
def test_configuration_round_trip(oracle: Side, subject: Side, configuration: Any) -> None:
    """configuration={"hnsw": ...} round-trips through configuration_json (spann -> hnsw)."""

    def scenario(side: Side) -> Any:
        created = side.collection("conf", configuration=configuration)
        fetched = side.client.get_collection("conf")
        return created, fetched, created.configuration_json == fetched.configuration_json

    conform(oracle, subject, scenario)


BAD_CONFIGURATIONS: list[Any] = [
    {"hnsw": {"space": "manhattan"}},
    {"hnsw": {"unknown_key": 1}},
    {"hnsw": {"sync_threshold": 1}},
    {"hnsw": {"space": "l2"}, "spann": {"space": "l2"}},
]


@pytest.mark.parametrize("configuration", BAD_CONFIGURATIONS, ids=repr)
def test_bad_configuration(oracle: Side, subject: Side, configuration: Any) -> None:
    """Invalid configurations are refused with Chroma's error."""
    conform(oracle, subject, lambda s: s.collection("badconf", configuration=configuration))


def test_configuration_and_hnsw_metadata_together(oracle: Side, subject: Side) -> None:
    """Giving both an hnsw configuration and hnsw:* metadata behaves as in Chroma."""

    def scenario(side: Side) -> Any:
        return steps(
            create=lambda: side.collection(
                "both",
                configuration={"hnsw": {"space": "ip"}},
                metadata={"hnsw:space": "cosine", "x": 1},
            )
        )

    conform(oracle, subject, scenario)


def test_modify_name(oracle: Side, subject: Side) -> None:
    """modify(name=...) renames; the old name is gone, the id and records stay."""

    def scenario(side: Side) -> Any:
        col = side.collection("before", metadata={"m": 1})
        col.add(ids=["a"], embeddings=[[1.0, 0.0]])
        col.modify(name="after")
        return steps(
            local=lambda: col,
            fetched=lambda: side.client.get_collection("after"),
            same_id=lambda: side.client.get_collection("after").id == col.id,
            old=lambda: side.client.get_collection("before"),
            records=lambda: side.client.get_collection("after").get(include=["embeddings"]),
        )

    conform(oracle, subject, scenario)


def test_modify_metadata_replaces(oracle: Side, subject: Side) -> None:
    """modify(metadata=...) replaces the whole map (no merge); the local object follows."""

    def scenario(side: Side) -> Any:
        col = side.collection("replace", metadata={"a": 1, "b": 2})
        col.modify(metadata={"c": 3})
        return col.metadata, side.client.get_collection("replace").metadata

    conform(oracle, subject, scenario)


def test_modify_metadata_of_collection_without_metadata(oracle: Side, subject: Side) -> None:
    """Metadata can be added to a collection created without any."""

    def scenario(side: Side) -> Any:
        col = side.collection("nometa")
        col.modify(metadata={"new": True})
        return side.client.get_collection("nometa")

    conform(oracle, subject, scenario)


def test_modify_hnsw_space_is_refused(oracle: Side, subject: Side) -> None:
    """Changing hnsw:space through modify is a ValueError."""

    def scenario(side: Side) -> Any:
        col = side.collection("space", metadata={"hnsw:space": "l2"})
        return steps(
            modify=lambda: col.modify(metadata={"hnsw:space": "cosine"}),
            stored=lambda: side.client.get_collection("space"),
        )

    conform(oracle, subject, scenario)


def test_modify_to_existing_name_fails(oracle: Side, subject: Side) -> None:
    """Renaming onto an existing name raises and changes nothing."""

    def scenario(side: Side) -> Any:
        side.collection("taken")
        col = side.collection("mover")
        return steps(
            rename=lambda: col.modify(name="taken"),
            names=lambda: _names(side.client.list_collections()),
        )

    conform(oracle, subject, scenario)


def test_modify_invalid_inputs(oracle: Side, subject: Side) -> None:
    """Invalid new names and empty new metadata are refused as in Chroma."""

    def scenario(side: Side) -> Any:
        col = side.collection("modinv", metadata={"a": 1})
        return steps(
            bad_name=lambda: col.modify(name="x"),
            empty_metadata=lambda: col.modify(metadata={}),
            bad_key=lambda: col.modify(metadata={"$bad": 1}),
            stored=lambda: side.client.get_collection("modinv"),
        )

    conform(oracle, subject, scenario)


def test_modify_configuration(oracle: Side, subject: Side) -> None:
    """modify(configuration={"hnsw": {...}}) updates mutable HNSW parameters."""

    def scenario(side: Side) -> Any:
        col = side.collection("tune")
        return steps(
            modify=lambda: col.modify(configuration={"hnsw": {"ef_search": 42}}),
            local=lambda: col.configuration_json,
            stored=lambda: side.client.get_collection("tune").configuration_json,
        )

    conform(oracle, subject, scenario)


def test_reset_clears_everything(oracle: Side, subject: Side) -> None:
    """reset() returns True, deletes collections, and the default tenant/database remain."""

    def scenario(side: Side) -> Any:
        side.collection("doomed").add(ids=["a"], embeddings=[[1.0]])
        return steps(
            reset=side.client.reset,
            listed=side.client.list_collections,
            create_again=lambda: side.collection("doomed").count(),
            tenant=lambda: side.admin().get_tenant("default_tenant"),
            database=lambda: side.admin().get_database("default_database")["name"],
        )

    conform(oracle, subject, scenario)


def test_reset_refused_without_allow_reset(oracle: Side, subject: Side, tmp_path: Any) -> None:
    """Without allow_reset, reset() raises and keeps the data."""

    def scenario(side: Side) -> Any:
        path = tmp_path / side.label
        client = side.module.PersistentClient(
            path=str(path), settings=side.settings(allow_reset=False)
        )
        client.create_collection("kept", embedding_function=None)
        return steps(reset=client.reset, names=lambda: _names(client.list_collections()))

    conform(oracle, subject, scenario)


def test_second_client_sees_same_data(oracle: Side, subject: Side) -> None:
    """Another client built the same way shares the same store."""

    def scenario(side: Side) -> Any:
        side.collection("shared").add(ids=["a"], embeddings=[[1.0, 2.0]])
        other = side.new_client()
        return _names(other.list_collections()), other.get_collection("shared").count()

    conform(oracle, subject, scenario)


def test_collection_handle_after_delete(oracle: Side, subject: Side) -> None:
    """Using a Collection object after its collection was deleted raises as in Chroma."""

    def scenario(side: Side) -> Any:
        col = side.collection("stale")
        col.add(ids=["a"], embeddings=[[1.0, 2.0]])
        side.client.delete_collection("stale")
        return steps(
            count=col.count,
            get=lambda: col.get(),
            add=lambda: col.add(ids=["b"], embeddings=[[1.0, 2.0]]),
            query=lambda: col.query(query_embeddings=[[1.0, 2.0]]),
        )

    conform(oracle, subject, scenario)


def test_collection_configuration_property(oracle: Side, subject: Side) -> None:
    """Collection.configuration (parsed) matches Chroma's for a collection without an EF."""

    def scenario(side: Side) -> Any:
        plain = side.collection("parsed", metadata={"hnsw:space": "ip"})
        tuned = side.collection("tuned", configuration={"hnsw": {"ef_search": 30}})
        return plain.configuration, tuned.configuration

    conform(oracle, subject, scenario)


def test_get_settings_reports_allow_reset(oracle: Side, subject: Side) -> None:
    """get_settings() returns the client's settings."""
    conform(oracle, subject, lambda s: s.client.get_settings().allow_reset)
