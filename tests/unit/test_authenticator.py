"""The authenticator: header parsing, caches, the lookup limit, revocation."""

from __future__ import annotations

from typing import Any

from chromalake.auth.admin import ROOT, KeyAdmin
from chromalake.auth.authenticator import Authenticator, token_from_headers
from chromalake.auth.keys import ApiKey, MemoryKeyStore, generate_key, hash_key, is_well_formed


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


def setup(**options: Any) -> tuple[CountingStore, Authenticator, Clock, str]:
    store, clock = CountingStore(), Clock()
    authenticator = Authenticator(store, clock=clock, **options)
    _, key = KeyAdmin(store).create_key(ROOT, "acme", None, "read-only", "k")
    return store, authenticator, clock, key


def test_keys_are_random_and_only_hashes_are_stored() -> None:
    keys = {generate_key() for _ in range(100)}
    assert len(keys) == 100 and all(is_well_formed(k) for k in keys)
    store = MemoryKeyStore()
    record, key = KeyAdmin(store, pepper="p").create_key(ROOT, "acme", None, "admin", "k")
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
    admin = KeyAdmin(store, None, authenticator)
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
