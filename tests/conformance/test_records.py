"""Record write semantics: add, update, upsert, delete, count and the fixed dimension."""

from __future__ import annotations

from typing import Any

from .harness import ALL_GET_INCLUDE, Side, conform, steps


def _everything(col: Any) -> Any:
    return col.get(include=ALL_GET_INCLUDE)


def _two(side: Side) -> Any:
    col = side.collection("writes")
    col.add(
        ids=["a", "b"],
        embeddings=[[1.0, 2.0], [3.0, 4.0]],
        metadatas=[{"k": 1, "s": "x", "l": [1, 2]}, {"k": 2}],
        documents=["doc a", "doc b"],
        uris=["uri-a", "uri-b"],
    )
    return col


def test_add_and_get_everything(oracle: Side, subject: Side) -> None:
    """add stores ids, embeddings, metadatas, documents and uris; get returns them all."""
    conform(oracle, subject, lambda s: _everything(_two(s)))


def test_add_existing_id_is_ignored(oracle: Side, subject: Side) -> None:
    """Adding an id that exists is a silent no-op: the first write wins; new ids still land."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        col.add(
            ids=["a", "c"],
            embeddings=[[9.0, 9.0], [5.0, 6.0]],
            metadatas=[{"k": 99}, {"k": 3}],
            documents=["changed", "doc c"],
        )
        return _everything(col), col.count()

    conform(oracle, subject, scenario)


def test_add_after_delete_recreates(oracle: Side, subject: Side) -> None:
    """An add after a delete re-creates the record from scratch."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        col.delete(ids=["a"])
        col.add(ids=["a"], embeddings=[[7.0, 7.0]])
        return _everything(col)

    conform(oracle, subject, scenario)


def test_add_without_optional_fields(oracle: Side, subject: Side) -> None:
    """Embeddings alone: documents and metadatas read back as None, uris as None."""

    def scenario(side: Side) -> Any:
        col = side.collection("bare")
        col.add(ids=["x", "y"], embeddings=[[0.5, 0.5], [0.25, 0.75]])
        return _everything(col)

    conform(oracle, subject, scenario)


def test_add_uri_without_metadata_reads_empty_metadata(oracle: Side, subject: Side) -> None:
    """A record with a uri but no metadata reads back metadata {} (Chroma's quirk)."""

    def scenario(side: Side) -> Any:
        col = side.collection("uris")
        col.add(
            ids=["u1", "u2", "u3"],
            embeddings=[[1.0], [2.0], [3.0]],
            uris=["s3://x", None, "s3://z"],
            metadatas=[None, None, {"m": 1}],
        )
        return _everything(col), col.get(include=["uris"]), col.get(include=["metadatas"])

    conform(oracle, subject, scenario)


def test_update_merges_metadata(oracle: Side, subject: Side) -> None:
    """update merges metadata key by key: given keys overwrite, other keys stay."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        col.update(ids=["a"], metadatas=[{"k": 10, "new": True, "l": "scalar now"}])
        return _everything(col)

    conform(oracle, subject, scenario)


def test_update_none_value_deletes_key(oracle: Side, subject: Side) -> None:
    """A None metadata value in update deletes that key; emptied metadata reads back None."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        col.update(ids=["a", "b"], metadatas=[{"s": None, "l": None}, {"k": None}])
        return _everything(col)

    conform(oracle, subject, scenario)


def test_update_partial_fields_keep_the_rest(oracle: Side, subject: Side) -> None:
    """Each update touches only the fields it names; the others keep their values."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        col.update(ids=["a"], metadatas=[{"only": "metadata"}])
        col.update(ids=["b"], embeddings=[[30.0, 40.0]])
        col.update(ids=["a"], embeddings=[[10.0, 20.0]], documents=["new doc a"])
        col.update(ids=["b"], embeddings=[[31.0, 41.0]], uris=["new-uri-b"])
        return _everything(col)

    conform(oracle, subject, scenario)


def test_update_with_none_metadata_entry(oracle: Side, subject: Side) -> None:
    """A None entry in the update's metadatas leaves that record's metadata unchanged."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        col.update(ids=["a", "b"], metadatas=[None, {"k": 20}])
        return _everything(col)

    conform(oracle, subject, scenario)


def test_update_missing_ids_are_ignored(oracle: Side, subject: Side) -> None:
    """Updating ids that do not exist is a silent no-op; existing ids in the batch update."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        col.update(
            ids=["zz", "a"],
            embeddings=[[0.0, 0.0], [1.5, 1.5]],
            documents=["ghost", "a2"],
        )
        return _everything(col), col.count()

    conform(oracle, subject, scenario)


def test_update_of_missing_ids_fixes_dimension(oracle: Side, subject: Side) -> None:
    """The first write carrying embeddings sets the dimension, even an update of missing ids."""

    def scenario(side: Side) -> Any:
        col = side.collection("dimfix")
        return steps(
            update=lambda: col.update(ids=["none"], embeddings=[[1.0, 2.0, 3.0]]),
            count=col.count,
            add2=lambda: col.add(ids=["a"], embeddings=[[1.0, 2.0]]),
            add3=lambda: col.add(ids=["b"], embeddings=[[1.0, 2.0, 3.0]]),
            get=lambda: _everything(col),
        )

    conform(oracle, subject, scenario)


def test_dimension_fixed_by_first_add(oracle: Side, subject: Side) -> None:
    """After the first add, other dimensions are refused on add, update, upsert and query."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        return steps(
            add=lambda: col.add(ids=["c"], embeddings=[[1.0, 2.0, 3.0]]),
            update=lambda: col.update(ids=["a"], embeddings=[[1.0]]),
            update_missing=lambda: col.update(ids=["zz"], embeddings=[[1.0, 2.0, 3.0]]),
            upsert=lambda: col.upsert(ids=["d"], embeddings=[[1.0, 2.0, 3.0, 4.0]]),
            query=lambda: col.query(query_embeddings=[[1.0, 2.0, 3.0]]),
            state=lambda: _everything(col),
        )

    conform(oracle, subject, scenario)


def test_dimension_survives_deleting_everything(oracle: Side, subject: Side) -> None:
    """Deleting every record keeps the collection's dimension."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        col.delete(ids=["a", "b"])
        return steps(
            add3=lambda: col.add(ids=["c"], embeddings=[[1.0, 2.0, 3.0]]),
            add2=lambda: col.add(ids=["d"], embeddings=[[1.0, 2.0]]),
            count=col.count,
        )

    conform(oracle, subject, scenario)


def test_upsert_inserts_and_merges(oracle: Side, subject: Side) -> None:
    """upsert inserts missing ids and updates existing ones with update's merge semantics."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        col.upsert(
            ids=["a", "c"],
            embeddings=[[1.5, 2.5], [5.0, 6.0]],
            metadatas=[{"k": 100, "s": None}, {"k": 3}],
            documents=["upserted a", "doc c"],
        )
        return _everything(col)

    conform(oracle, subject, scenario)


def test_upsert_without_documents_keeps_them(oracle: Side, subject: Side) -> None:
    """Upserting an existing id with embeddings only keeps its document, metadata and uri."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        col.upsert(ids=["b"], embeddings=[[0.0, 1.0]])
        return _everything(col)

    conform(oracle, subject, scenario)


def test_upsert_recreates_deleted_id(oracle: Side, subject: Side) -> None:
    """Upserting a deleted id creates a fresh record: the old document does not come back."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        col.delete(ids=["a"])
        col.upsert(ids=["a"], embeddings=[[8.0, 8.0]], metadatas=[{"fresh": True}])
        return _everything(col)

    conform(oracle, subject, scenario)


def test_get_returns_insertion_order_after_upserts(oracle: Side, subject: Side) -> None:
    """Updates and upserts of existing ids keep their place; new ids go to the end."""

    def scenario(side: Side) -> Any:
        col = side.collection("order")
        col.add(ids=["m", "c", "x"], embeddings=[[1.0], [2.0], [3.0]])
        col.upsert(ids=["x", "b", "m"], embeddings=[[4.0], [5.0], [6.0]])
        col.update(ids=["c"], embeddings=[[7.0]])
        col.delete(ids=["c"])
        col.add(ids=["c"], embeddings=[[8.0]])
        return col.get(include=["embeddings"])

    conform(oracle, subject, scenario)


def test_delete_by_ids_reports_ids_sent(oracle: Side, subject: Side) -> None:
    """delete(ids=...) reports the number of ids sent, existing or not."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        return steps(
            mixed=lambda: col.delete(ids=["a", "nope", "nada"]),
            missing=lambda: col.delete(ids=["zzz"]),
            state=lambda: col.get(),
            count=col.count,
        )

    conform(oracle, subject, scenario)


def test_delete_by_where(oracle: Side, subject: Side) -> None:
    """delete(where=...) deletes what matches and reports that count."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        return steps(
            deleted=lambda: col.delete(where={"k": {"$gte": 2}}),
            none=lambda: col.delete(where={"k": 42}),
            state=lambda: col.get(),
        )

    conform(oracle, subject, scenario)


def test_delete_by_where_document(oracle: Side, subject: Side) -> None:
    """delete(where_document=...) deletes matching documents."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        return steps(
            deleted=lambda: col.delete(where_document={"$contains": "a"}),
            state=lambda: col.get(),
        )

    conform(oracle, subject, scenario)


def test_delete_ids_and_where(oracle: Side, subject: Side) -> None:
    """ids and where together delete the intersection and report how many matched."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        return steps(
            deleted=lambda: col.delete(ids=["a", "b", "zz"], where={"k": 2}),
            state=lambda: col.get(),
        )

    conform(oracle, subject, scenario)


def test_delete_with_limit(oracle: Side, subject: Side) -> None:
    """delete(where, limit) deletes at most ``limit`` matches, in insertion order."""

    def scenario(side: Side) -> Any:
        col = side.collection("limited")
        col.add(
            ids=[f"id{i}" for i in range(6)],
            embeddings=[[float(i)] for i in range(6)],
            metadatas=[{"even": i % 2 == 0} for i in range(6)],
        )
        return steps(
            two=lambda: col.delete(where={"even": True}, limit=2),
            zero=lambda: col.delete(where={"even": False}, limit=0),
            state=lambda: col.get(),
            no_where=lambda: col.delete(ids=["id1"], limit=1),
            negative=lambda: col.delete(where={"even": False}, limit=-1),
            bool_limit=lambda: col.delete(where={"even": False}, limit=True),
            after=lambda: col.get(),
        )

    conform(oracle, subject, scenario)


def test_delete_needs_a_selector(oracle: Side, subject: Side) -> None:
    """delete() with nothing, or with ids=[], is refused as in Chroma."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        return steps(
            nothing=lambda: col.delete(),
            empty_ids=lambda: col.delete(ids=[]),
            empty_where=lambda: col.delete(where={}),
            count=col.count,
        )

    conform(oracle, subject, scenario)


def test_count_follows_writes(oracle: Side, subject: Side) -> None:
    """count() tracks adds, ignored re-adds, upserts and deletes."""

    def scenario(side: Side) -> Any:
        col = side.collection("counter")
        counts = [col.count()]
        col.add(ids=["a", "b", "c"], embeddings=[[1.0], [2.0], [3.0]])
        counts.append(col.count())
        col.add(ids=["a", "d"], embeddings=[[1.0], [4.0]])
        counts.append(col.count())
        col.upsert(ids=["d", "e"], embeddings=[[4.0], [5.0]])
        counts.append(col.count())
        col.delete(ids=["a", "zz"])
        counts.append(col.count())
        return counts

    conform(oracle, subject, scenario)


def test_single_values_instead_of_lists(oracle: Side, subject: Side) -> None:
    """A single id, embedding, metadata and document are accepted in place of lists."""

    def scenario(side: Side) -> Any:
        col = side.collection("singles")
        col.add(ids="one", embeddings=[1.0, 2.0], metadatas={"m": 1}, documents="doc one")
        col.update(ids="one", metadatas={"m": 2})
        col.upsert(ids="two", embeddings=[3.0, 4.0], documents="doc two")
        return _everything(col), col.get(ids="one")

    conform(oracle, subject, scenario)


def test_large_batch(oracle: Side, subject: Side) -> None:
    """A 2000-record add works and reads back in order."""

    def scenario(side: Side) -> Any:
        col = side.collection("large")
        n = 2000
        col.add(
            ids=[f"id-{i:05d}" for i in range(n)],
            embeddings=[[float(i), float(i % 7)] for i in range(n)],
            metadatas=[{"i": i} for i in range(n)],
        )
        got = col.get(include=["metadatas"])
        return col.count(), got["ids"][:5], got["ids"][-5:], got["metadatas"][1234]

    conform(oracle, subject, scenario)


def test_batch_over_max_size_is_refused(oracle: Side, subject: Side) -> None:
    """More records than get_max_batch_size() in one add raises a batch-size error."""

    def scenario(side: Side) -> Any:
        col = side.collection("toolarge")
        n = side.client.get_max_batch_size() + 1
        outcome = steps(
            add=lambda: col.add(ids=[str(i) for i in range(n)], embeddings=[[1.0]] * n),
            count=col.count,
        )
        add = outcome["add"]
        message = str(getattr(add, "message", "")).lower()
        return getattr(add, "kind", None), "batch size" in message, outcome["count"]

    conform(oracle, subject, scenario)


def test_reserved_uri_metadata_key(oracle: Side, subject: Side) -> None:
    """A metadata key ``chroma:uri`` is Chroma's internal uri slot: it reads back as the uri."""

    def scenario(side: Side) -> Any:
        col = side.collection("reserved")
        return steps(
            add=lambda: col.add(ids=["a"], embeddings=[[1.0]], metadatas=[{"chroma:uri": "x"}]),
            get=lambda: _everything(col),
        )

    conform(oracle, subject, scenario)


def _metadata_schema_keys(side: Side) -> dict[str, Any]:
    """The collection's schema keys other than Chroma's own (#document, #embedding)."""
    schema = side.client.get_collection("writes", embedding_function=None).schema
    as_json = schema.serialize_to_json() if hasattr(schema, "serialize_to_json") else schema
    return {k: v for k, v in as_json["keys"].items() if not k.startswith("#")}


def test_written_metadata_keys_join_the_schema(oracle: Side, subject: Side) -> None:
    """Each metadata key a write stores is listed in schema.keys with its type's default
    indexes; keys of ignored records (an add of a stored id, an update of a missing one)
    and keys an update removes are not."""

    def scenario(side: Side) -> Any:
        col = _two(side)
        col.add(ids=["a"], embeddings=[[1.0, 1.0]], metadatas=[{"ignored": 1}])
        col.update(ids=["missing"], metadatas=[{"missing": 1}])
        col.update(ids=["a"], metadatas=[{"u": 1.5, "removed": None}])
        col.upsert(ids=["c"], embeddings=[[2.0, 2.0]], metadatas=[{"up": [True], "s": 3}])
        return _metadata_schema_keys(side)

    conform(oracle, subject, scenario)
