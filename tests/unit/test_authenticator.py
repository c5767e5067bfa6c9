"""The authenticator: header parsing, caches, the lookup limit, revocation."""

from __future__ import annotations

import threading
from typing import Any

from chromalake.auth.admin import ROOT, KeyAdmin
from chromalake.auth.authenticator import Authenticator, token_from_headers
from chromalake.auth.keys import ApiKey, MemoryKeyStore, generate_key, hash_key, is_well_formed
from chromalake.engine.catalog import MemoryCatalog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingStore(MemoryKeyStore):
    """A memory store that counts hash lookups (what a DynamoDB GetItem would cost)."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0
        self.touches = 0

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        self.lookups += 1
        return super().find_by_hash(key_hash)

    def touch_key(self, key_id: str, when: str) -> None:
        self.touches += 1
        super().touch_key(key_id, when)


def acme() -> MemoryCatalog:
    catalog = MemoryCatalog()
    catalog.create_tenant("acme")
    return catalog


def setup(**options: Any) -> tuple[CountingStore, Authenticator, Clock, str]:
    store, clock, catalog = CountingStore(), Clock(), acme()
    authenticator = Authenticator(store, catalog, clock=clock, **options)
    _, key = KeyAdmin(store, catalog).create_key(ROOT, "acme", None, "read-only", "k")
    return store, authenticator, clock, key


def test_keys_are_random_and_only_hashes_are_stored() -> None:
    keys = {generate_key() for _ in range(100)}
    assert len(keys) == 100 and all(is_well_formed(k) for k in keys)
    store = MemoryKeyStore()
    record, key = KeyAdmin(store, acme(), pepper="p").create_key(ROOT, "acme", None, "admin", "k")
    assert record.key_hash == hash_key(key, "p") != hash_key(key)
    assert key not in repr(store.list_keys())


def test_token_headers() -> None:
    assert token_from_headers({"x-chroma-token": "a", "authorization": "Bearer b"}) == "a"
    assert token_from_headers({"Authorization": "bearer b"}) == "b"
    assert token_from_headers({"authorization": "Bearer "}) is None
    assert token_from_headers({}) is None


def test_accepted_keys_are_cached_and_touched_once() -> None:
    store, authenticator, clock, key = setup(cache_seconds=30, touch_seconds=300)
    for _ in range(5):
        outcome = authenticator.authenticate(key)
        assert outcome.status == "ok" and outcome.scope is not None
        assert outcome.scope.tenant == "acme"
    assert (store.lookups, store.touches) == (1, 1)
    clock.now += 31
    assert authenticator.authenticate(key).status == "ok"
    assert (store.lookups, store.touches) == (2, 1)


def test_refused_keys_are_cached_and_malformed_ones_never_looked_up() -> None:
    store, authenticator, clock, _ = setup(miss_seconds=60)
    unknown = generate_key()
    for _ in range(10):
        assert authenticator.authenticate(unknown).status == "denied"
    assert store.lookups == 1
    for bad in ["x", "clk_short", "Bearer something", "clk_" + "é" * 43]:
        assert authenticator.authenticate(bad).status == "denied"
    assert authenticator.authenticate(None).status == "denied"
    assert store.lookups == 1
    clock.now += 61
    authenticator.authenticate(unknown)
    assert store.lookups == 2


def test_unknown_keys_are_rate_limited_without_saying_which_exist() -> None:
    store, authenticator, clock, key = setup(lookups_per_second=2)
    outcomes = [authenticator.authenticate(generate_key()).status for _ in range(10)]
    assert outcomes[:4] == ["denied"] * 4 and set(outcomes[4:]) == {"throttled"}
    assert store.lookups == 4
    # a valid key not yet cached is throttled alike: the answer tells nothing
    assert authenticator.authenticate(key).status == "throttled"
    clock.now += 1
    assert authenticator.authenticate(key).status == "ok"


def test_revoked_keys_are_refused_and_forgotten_at_once() -> None:
    store, authenticator, _, key = setup()
    admin = KeyAdmin(store, authenticator.tenants, None, authenticator)
    assert authenticator.authenticate(key).status == "ok"
    key_id = store.list_keys("acme")[0].id
    admin.revoke_key(ROOT, key_id)
    assert authenticator.authenticate(key).status == "denied"


def test_authorizer_response_carries_no_key_material() -> None:
    _, authenticator, _, key = setup()
    event = {"headers": {"x-chroma-token": key}}
    answer = authenticator.authorize_event(event)
    assert answer["isAuthorized"] is True
    assert answer["context"]["status"] == "ok" and key not in str(answer)
    assert all(isinstance(v, str) for v in answer["context"].values())
    refused = authenticator.authorize_event({"headers": {"x-chroma-token": generate_key()}})
    assert refused == {"isAuthorized": True, "context": {"status": "denied"}}


def test_a_flood_from_one_client_spends_that_clients_budget() -> None:
    store, authenticator, _, key = setup(lookups_per_second=20, client_lookups_per_second=5)
    flood = [authenticator.authenticate(generate_key(), "203.0.113.9").status for _ in range(100)]
    assert flood[:10] == ["denied"] * 10 and set(flood[10:]) == {"throttled"}
    assert store.lookups == 10  # the rest never reached the store
    assert authenticator.authenticate(key, "198.51.100.7").status == "ok"  # another client
    # an IPv6 host commonly holds a whole /64: its addresses share one budget
    v6 = [authenticator.authenticate(generate_key(), f"2001:db8::{i:x}").status for i in range(12)]
    assert v6.count("denied") == 10 and v6[10:] == ["throttled"] * 2


def test_a_key_in_use_is_checked_again_without_a_budget() -> None:
    store, authenticator, clock, key = setup(cache_seconds=30, lookups_per_second=2)
    assert authenticator.authenticate(key, "198.51.100.7").status == "ok"
    clock.now += 31  # the key is due for a check with the store
    clients = (f"203.0.113.{i}" for i in range(100))  # a flood from many addresses
    while authenticator.authenticate(generate_key(), next(clients)).status != "throttled":
        pass  # until no budget is left
    lookups = store.lookups
    assert authenticator.authenticate(key, "203.0.113.1").status == "ok"
    assert store.lookups == lookups + 1
    assert authenticator.authenticate(generate_key(), "198.51.100.8").status == "throttled"


def test_a_revoke_elsewhere_applies_within_the_cache_time() -> None:
    store, authenticator, clock, key = setup(cache_seconds=30)
    assert authenticator.authenticate(key).status == "ok"
    store.revoke_key(store.list_keys("acme")[0].id)  # by another process: nothing forgotten
    clock.now += 29
    assert authenticator.authenticate(key).status == "ok"
    clock.now += 2
    assert authenticator.authenticate(key).status == "denied"


def test_a_key_of_a_tenant_since_reset_is_refused() -> None:
    store, authenticator, clock, key = setup(cache_seconds=30)
    assert authenticator.authenticate(key).status == "ok"
    catalog = authenticator.tenants
    assert isinstance(catalog, MemoryCatalog)
    catalog.reset()
    catalog.create_tenant("acme")  # the same name, another tenant
    fresh = Authenticator(store, catalog, clock=clock)
    assert fresh.authenticate(key).status == "denied"  # a process that had not cached it
    assert authenticator.authenticate(key).status == "ok"  # cached: until its check is due
    authenticator.forget()  # the reset went through this process
    assert authenticator.authenticate(key).status == "denied"
    admin = KeyAdmin(store, catalog)
    assert admin.list_keys(ROOT, "acme") == []  # not the keys of the tenant now named acme
    assert [k.revoked for k in admin.list_keys(ROOT)] == [True]  # root sees them, as dead


def test_uses_of_a_key_due_for_a_check_wait_for_no_lookup() -> None:
    """One request checks a due key with the store; the others go on with the cached scope."""

    class SlowStore(CountingStore):
        def __init__(self) -> None:
            super().__init__()
            self.entered, self.release = threading.Event(), threading.Event()

        def find_by_hash(self, key_hash: str) -> ApiKey | None:
            if self.lookups:  # the first lookup (the key's first use) is quick
                self.entered.set()
                self.release.wait(10)
            return super().find_by_hash(key_hash)

    store, clock, catalog = SlowStore(), Clock(), acme()
    authenticator = Authenticator(store, catalog, clock=clock, cache_seconds=30)
    _, key = KeyAdmin(store, catalog).create_key(ROOT, "acme", None, "read-only", "k")
    assert authenticator.authenticate(key).status == "ok"
    clock.now += 31
    checking = threading.Thread(target=authenticator.authenticate, args=(key,))
    checking.start()
    assert store.entered.wait(10)
    assert [authenticator.authenticate(key).status for _ in range(5)] == ["ok"] * 5
    store.release.set()
    checking.join()
    assert store.lookups == 2
