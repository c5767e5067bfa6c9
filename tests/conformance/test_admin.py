"""AdminClient behaviour: tenants, databases, listing, deletion and switching between them."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from .harness import Raised, Side, attempt, conform, conform_raises, steps


def _database(db: Any) -> Any:
    """A database dict without its random id (whose type is kept, and the default's value)."""
    if not isinstance(db, dict):
        return db
    out = {k: v for k, v in db.items() if k != "id"}
    out["id_type"] = type(db.get("id")).__name__
    if db.get("name") == "default_database":
        out["id"] = db.get("id")
    return out


def _databases(dbs: Any) -> Any:
    return [_database(d) for d in dbs] if isinstance(dbs, list) else dbs


def _up_to_bracket(outcome: Any) -> Any:
    """Chroma's length-validation messages embed a hash map in random order: keep the head."""
    if isinstance(outcome, Raised):
        return Raised(outcome.kind, outcome.message.split("[", 1)[0], outcome.builtins)
    return outcome


def test_default_tenant_and_database_exist(oracle: Side, subject: Side) -> None:
    """default_tenant and default_database (id 00000000-...) exist from the start."""

    def scenario(side: Side) -> Any:
        admin = side.admin()
        return (
            admin.get_tenant("default_tenant"),
            _database(admin.get_database("default_database")),
            _databases(admin.list_databases()),
        )

    conform(oracle, subject, scenario)


def test_create_and_get_tenant(oracle: Side, subject: Side) -> None:
    """create_tenant returns None; get_tenant returns {"name": ...}."""

    def scenario(side: Side) -> Any:
        admin = side.admin()
        return steps(
            create=lambda: admin.create_tenant("tenant-a"),
            get=lambda: admin.get_tenant("tenant-a"),
        )

    conform(oracle, subject, scenario)


def test_create_existing_tenant(oracle: Side, subject: Side) -> None:
    """Creating a tenant twice raises."""

    def scenario(side: Side) -> Any:
        side.admin().create_tenant("twice")
        return side.admin().create_tenant("twice")

    conform(oracle, subject, scenario)


def test_get_missing_tenant(oracle: Side, subject: Side) -> None:
    """get_tenant of an unknown name raises NotFoundError."""
    conform_raises(oracle, subject, lambda s: s.admin().get_tenant("nobody"), "NotFoundError")


def test_tenant_name_too_short(oracle: Side, subject: Side) -> None:
    """Tenant names need at least 3 characters."""

    def scenario(side: Side) -> Any:
        return {
            name: _up_to_bracket(attempt(partial(side.admin().create_tenant, name)))
            for name in ("", "ab")
        }

    conform(oracle, subject, scenario)


def test_create_and_get_database(oracle: Side, subject: Side) -> None:
    """create_database returns None; get_database returns {id (UUID), name, tenant}."""

    def scenario(side: Side) -> Any:
        admin = side.admin()
        created = admin.create_database("db-one")
        fetched = admin.get_database("db-one")
        return created, _database(fetched), isinstance(fetched["id"], uuid.UUID)

    conform(oracle, subject, scenario)


def test_create_existing_database(oracle: Side, subject: Side) -> None:
    """Creating a database twice in one tenant raises."""

    def scenario(side: Side) -> Any:
        side.admin().create_database("db-dup")
        return side.admin().create_database("db-dup")

    conform(oracle, subject, scenario)


def test_same_database_name_in_two_tenants(oracle: Side, subject: Side) -> None:
    """Database names are per tenant."""

    def scenario(side: Side) -> Any:
        admin = side.admin()
        admin.create_tenant("tenant-one")
        admin.create_tenant("tenant-two")
        admin.create_database("shared-name", tenant="tenant-one")
        admin.create_database("shared-name", tenant="tenant-two")
        return (
            _database(admin.get_database("shared-name", tenant="tenant-one")),
            _database(admin.get_database("shared-name", tenant="tenant-two")),
        )

    conform(oracle, subject, scenario)


def test_bad_database_names(oracle: Side, subject: Side) -> None:
    """Database names are validated on create as in Chroma."""

    def scenario(side: Side) -> Any:
        names = ["", "ab", "a..b", "-bad", "has space", "x" * 600, "192.168.0.1", "ok-name"]
        return {
            name[:30]: _up_to_bracket(attempt(partial(side.admin().create_database, name)))
            for name in names
        }

    conform(oracle, subject, scenario)


def test_get_missing_database(oracle: Side, subject: Side) -> None:
    """get_database of an unknown name raises NotFoundError."""

    def scenario(side: Side) -> Any:
        side.admin().create_tenant("has-tenant")
        return steps(
            default_tenant=lambda: side.admin().get_database("nope"),
            other_tenant=lambda: side.admin().get_database("nope", tenant="has-tenant"),
            missing_tenant=lambda: side.admin().get_database("nope", tenant="no-tenant"),
        )

    conform(oracle, subject, scenario)


def test_list_databases_pagination(oracle: Side, subject: Side) -> None:
    """list_databases orders by name and honours limit/offset."""

    def scenario(side: Side) -> Any:
        admin = side.admin()
        for name in ("db-c", "db-a", "db-b", "db-e", "db-d"):
            admin.create_database(name)
        return {
            "all": _databases(admin.list_databases()),
            "limit": _databases(admin.list_databases(limit=2)),
            "offset": _databases(admin.list_databases(offset=4)),
            "page": _databases(admin.list_databases(limit=2, offset=1)),
            "zero": _databases(admin.list_databases(limit=0)),
            "past_end": _databases(admin.list_databases(offset=99)),
        }

    conform(oracle, subject, scenario)


def test_list_databases_per_tenant(oracle: Side, subject: Side) -> None:
    """list_databases(tenant=...) lists only that tenant's; an unknown tenant lists nothing."""

    def scenario(side: Side) -> Any:
        admin = side.admin()
        admin.create_tenant("lister")
        admin.create_database("mine", tenant="lister")
        return steps(
            lister=lambda: _databases(admin.list_databases(tenant="lister")),
            default=lambda: _databases(admin.list_databases()),
            unknown=lambda: _databases(admin.list_databases(tenant="unknown-tenant")),
        )

    conform(oracle, subject, scenario)


def test_delete_database(oracle: Side, subject: Side) -> None:
    """delete_database removes it (and its collections); deleting again raises."""

    def scenario(side: Side) -> Any:
        admin = side.admin()
        admin.create_database("temp-db")
        client = side.new_client(database="temp-db")
        client.create_collection("inside", embedding_function=None).add(
            ids=["a"], embeddings=[[1.0, 2.0]]
        )
        return steps(
            delete=lambda: admin.delete_database("temp-db"),
            get=lambda: admin.get_database("temp-db"),
            listed=lambda: _databases(admin.list_databases()),
            again=lambda: admin.delete_database("temp-db"),
            recreate=lambda: admin.create_database("temp-db"),
            empty=lambda: side.new_client(database="temp-db").list_collections(),
        )

    conform(oracle, subject, scenario)


def test_delete_missing_database(oracle: Side, subject: Side) -> None:
    """Deleting an unknown database raises NotFoundError."""
    conform_raises(
        oracle, subject, lambda s: s.admin().delete_database("never-was"), "NotFoundError"
    )


def test_collections_are_scoped_by_database(oracle: Side, subject: Side) -> None:
    """The same collection name lives independently in two databases."""

    def scenario(side: Side) -> Any:
        side.admin().create_database("second-db")
        other = side.new_client(database="second-db")
        side.collection("same", metadata={"db": "default"}).add(ids=["a"], embeddings=[[1.0]])
        other.create_collection("same", metadata={"db": "second"}, embedding_function=None)
        return (
            side.client.get_collection("same"),
            other.get_collection("same"),
            other.get_collection("same").count(),
            side.client.count_collections(),
            other.count_collections(),
        )

    conform(oracle, subject, scenario)


def test_collections_are_scoped_by_tenant(oracle: Side, subject: Side) -> None:
    """A client on another tenant sees only that tenant's collections."""

    def scenario(side: Side) -> Any:
        admin = side.admin()
        admin.create_tenant("tenant-x")
        admin.create_database("db-x", tenant="tenant-x")
        side.collection("in-default")
        other = side.new_client(tenant="tenant-x", database="db-x")
        other.create_collection("in-x", embedding_function=None)
        return (
            [c.name for c in side.client.list_collections()],
            [c.name for c in other.list_collections()],
            other.get_collection("in-x"),
            attempt(lambda: other.get_collection("in-default")),
        )

    conform(oracle, subject, scenario)


def test_set_tenant_and_database(oracle: Side, subject: Side) -> None:
    """set_tenant/set_database switch an existing client; tenant/database follow."""

    def scenario(side: Side) -> Any:
        admin = side.admin()
        admin.create_tenant("switch-t")
        admin.create_database("switch-d", tenant="switch-t")
        admin.create_database("switch-e", tenant="switch-t")
        client = side.new_client()
        client.set_tenant("switch-t", database="switch-d")
        first = (client.tenant, client.database)
        client.create_collection("here", embedding_function=None)
        client.set_database("switch-e")
        second = (client.tenant, client.database, client.list_collections())
        client.set_database("switch-d")
        return first, second, [c.name for c in client.list_collections()]

    conform(oracle, subject, scenario)


def test_switching_to_missing_tenant_or_database(oracle: Side, subject: Side) -> None:
    """Switching to, or opening a client on, a missing tenant/database raises; state stays."""

    def scenario(side: Side) -> Any:
        client = side.new_client()
        return steps(
            set_tenant=lambda: client.set_tenant("no-such-tenant"),
            set_database=lambda: client.set_database("no-such-db"),
            still=lambda: (client.tenant, client.database),
            new_tenant=lambda: side.new_client(tenant="no-such-tenant"),
            new_database=lambda: side.new_client(database="no-such-db"),
        )

    conform(oracle, subject, scenario)


def test_create_database_in_missing_tenant(oracle: Side, subject: Side) -> None:
    """Creating a database under a tenant that does not exist behaves as in Chroma."""

    def scenario(side: Side) -> Any:
        admin = side.admin()
        return steps(
            create=lambda: admin.create_database("orphan-db", tenant="ghost-tenant"),
            get=lambda: _database(admin.get_database("orphan-db", tenant="ghost-tenant")),
        )

    conform(oracle, subject, scenario)


def test_create_collection_in_deleted_database(oracle: Side, subject: Side) -> None:
    """A client whose database was deleted cannot create collections there."""

    def scenario(side: Side) -> Any:
        side.admin().create_database("vanishing")
        client = side.new_client(database="vanishing")
        side.admin().delete_database("vanishing")
        return steps(
            create=lambda: client.create_collection("late", embedding_function=None),
            listed=lambda: client.list_collections(),
        )

    conform(oracle, subject, scenario)
