"""From a request's headers to a key's scope, without letting bad keys hammer the store or
lock good keys out.

- A presented token is always hashed; a token that is not shaped like a key is refused
  without a store lookup.
- An accepted key is trusted for ``cache_seconds``. Its first use after that checks it with
  the store again (one request does; the others meanwhile go on with what was cached), and
  that check is never throttled: a key this process accepted is not an unknown key. So a
  key in use keeps working through any flood, and a revoke, or a reset of the key's tenant,
  made through another process reaches this one within ``cache_seconds`` (and one lookup);
  one made through this process applies at once. Up to 10,000 keys are remembered this way
  (the least recently used goes first).
- A refused hash is remembered for ``miss_seconds`` (up to 10,000 of them).
- Store lookups of hashes in neither cache (unknown keys) have two budgets, token buckets
  allowing bursts of twice their rate: ``client_lookups_per_second`` per client (its source
  address; an IPv6 address by its /64, which one host commonly holds whole) and
  ``lookups_per_second`` for the whole process. A flood of bad keys from one client spends
  its own budget, and at most that much of the process's, so the first use of another
  client's key is still looked up. Beyond a budget a request is answered "throttled" (429)
  whatever its key, so the answer never tells a valid key from an invalid one. (Floods
  from many addresses at once can still spend the process's budget: then a key's first use
  waits for it, a key in use does not.)
- ``last_used_at`` is written at most once per ``touch_seconds`` per key and process, so a
  busy key does not cost a store write per request.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from chromalake.auth.keys import KeyStore, Tenants, hash_key, is_current, is_well_formed, now
from chromalake.auth.scope import Scope, Status, refused_context

TOKEN_HEADER = "x-chroma-token"
BEARER = "bearer "
_MAX_CACHED = 10_000


def token_from_headers(headers: Mapping[str, str]) -> str | None:
    """The key a request presents: ``X-Chroma-Token``, else ``Authorization: Bearer``.

    Example:
        >>> token_from_headers({"authorization": "Bearer clk_abc"})
        'clk_abc'
        >>> token_from_headers({"X-Chroma-Token": " clk_abc "})
        'clk_abc'
        >>> token_from_headers({"authorization": "Basic xyz"}) is None
        True
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    token = lowered.get(TOKEN_HEADER)
    if token is None:
        auth = lowered.get("authorization", "")
        token = auth[len(BEARER) :] if auth.lower().startswith(BEARER) else None
    token = token.strip() if token is not None else None
    return token or None


@dataclass(frozen=True)
class Outcome:
    """What the authenticator decided: ``ok`` with a scope, ``denied`` or ``throttled``."""

    status: Status
    scope: Scope | None = None

    def context(self) -> dict[str, str]:
        return self.scope.context() if self.scope is not None else refused_context(self.status)


V = TypeVar("V")


class _Lru(Generic[V]):
    """A bounded map: beyond ``size`` entries the least recently used one is dropped."""

    def __init__(self, size: int = _MAX_CACHED) -> None:
        self._size = size
        self._items: OrderedDict[str, V] = OrderedDict()

    def get(self, key: str) -> V | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: str, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def pop(self, key: str) -> None:
        self._items.pop(key, None)

    def drop_where(self, test: Callable[[V], bool]) -> None:
        for key in [k for k, v in self._items.items() if test(v)]:
            del self._items[key]

    def clear(self) -> None:
        self._items.clear()


class _Expiring:
    """A bounded set whose entries expire ``seconds`` after they were put."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self._seconds, self._clock = seconds, clock
        self._deadlines: _Lru[float] = _Lru()

    def __contains__(self, key: str) -> bool:
        deadline = self._deadlines.get(key)
        if deadline is None or deadline <= self._clock():
            self._deadlines.pop(key)
            return False
        return True

    def add(self, key: str) -> None:
        self._deadlines.put(key, self._clock() + self._seconds)


class _Bucket:
    """A token bucket: ``rate`` lookups a second, bursts of ``2 * rate``."""

    def __init__(self, rate: float, clock: Callable[[], float]) -> None:
        self._rate, self._clock = rate, clock
        self._capacity = max(1.0, 2 * rate)
        self._tokens, self._at = self._capacity, clock()

    def take(self) -> bool:
        current = self._clock()
        elapsed, self._at = current - self._at, current
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


@dataclass
class _Accepted:
    """A key this process accepted: its scope, when the store last said so, and whether a
    request is asking the store again right now."""

    scope: Scope
    checked_at: float
    checking: bool = False


def client_of(address: str | None) -> str:
    """Whose lookup budget a request spends: its source address (an IPv6 one by its /64
    network; "" when there is none).

    Example:
        >>> client_of("203.0.113.7"), client_of("2001:db8::1"), client_of("2001:db8::9:1")
        ('203.0.113.7', '2001:db8::/64', '2001:db8::/64')
        >>> client_of("::ffff:203.0.113.7"), client_of(None), client_of("not an address")
        ('203.0.113.7', '', '')
    """
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def source_address(event: Mapping[str, Any]) -> str | None:
    """The client address API Gateway (or ``chromalake run``) puts in an HTTP API event."""
    http = (event.get("requestContext") or {}).get("http") or {}
    address = http.get("sourceIp")
    return address if isinstance(address, str) else None


class Authenticator:
    """Checks presented keys against a store, with the caches and budgets above.

    ``tenants`` is the catalog: a key of a tenant that was reset since the key was made is
    refused (:func:`chromalake.auth.keys.is_current`).

    Example:
        >>> from chromalake.auth.admin import KeyAdmin
        >>> from chromalake.auth.keys import MemoryKeyStore
        >>> from chromalake.engine.catalog import MemoryCatalog
        >>> store, catalog = MemoryKeyStore(), MemoryCatalog()
        >>> _, key = KeyAdmin(store, catalog).create_root_key("bootstrap")
        >>> auth = Authenticator(store, catalog)
        >>> auth.authenticate(key).scope.tenant, auth.authenticate("clk_wrong").status
        ('*', 'denied')
    """

    def __init__(
        self,
        store: KeyStore,
        tenants: Tenants,
        *,
        pepper: str | None = None,
        cache_seconds: float = 30.0,
        miss_seconds: float = 60.0,
        lookups_per_second: float = 20.0,
        client_lookups_per_second: float = 5.0,
        touch_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self.tenants, self._pepper = store, tenants, pepper
        self._cache_seconds, self._clock = cache_seconds, clock
        self._accepted: _Lru[_Accepted] = _Lru()
        self._misses = _Expiring(miss_seconds, clock)
        self._touched = _Expiring(touch_seconds, clock)
        self._bucket = _Bucket(lookups_per_second, clock)
        self._client_rate = client_lookups_per_second
        self._clients: _Lru[_Bucket] = _Lru()
        # Bumped by forget(): a check that read the store before a revoke caches nothing.
        self._generation = 0
        self._lock = threading.Lock()

    def authenticate(self, token: str | None, client: str | None = None) -> Outcome:
        """The outcome for a presented token (None: no token was sent) from ``client`` (the
        request's source address; None: unknown)."""
        if token is None:
            return Outcome("denied")
        key_hash = hash_key(token, self._pepper)
        if not is_well_formed(token):
            return Outcome("denied")
        with self._lock:
            accepted = self._accepted.get(key_hash)
            if accepted is not None and not self._due(accepted):
                scope: Scope | None = accepted.scope
            elif accepted is not None:
                accepted.checking, scope = True, None  # this request asks the store again
            elif key_hash in self._misses:
                return Outcome("denied")
            elif not self._may_look_up(client_of(client)):
                return Outcome("throttled")
            else:
                scope = None
        if scope is None:
            scope = self._look_up(key_hash)
        if scope is None:
            return Outcome("denied")
        self._touch(scope)
        return Outcome("ok", scope)

    def _due(self, accepted: _Accepted) -> bool:
        fresh = self._clock() - accepted.checked_at < self._cache_seconds
        return not (fresh or accepted.checking)

    def _may_look_up(self, client: str) -> bool:
        """Spend a lookup of an unknown key: the client's budget first, then the process's."""
        bucket = self._clients.get(client)
        if bucket is None:
            bucket = _Bucket(self._client_rate, self._clock)
            self._clients.put(client, bucket)
        return bucket.take() and self._bucket.take()

    def _look_up(self, key_hash: str) -> Scope | None:
        with self._lock:
            generation = self._generation
        try:
            # The store is asked by hash, so no comparison runs over the secret itself.
            key = self.store.find_by_hash(key_hash)
            valid = key is not None and not key.revoked and is_current(key, self.tenants)
        except BaseException:
            with self._lock:
                accepted = self._accepted.get(key_hash)
                if accepted is not None:
                    accepted.checking = False  # the next request tries again
            raise
        with self._lock:
            if key is None or not valid:
                self._accepted.pop(key_hash)
                self._misses.add(key_hash)
                return None
            scope = Scope.of(key)
            if generation == self._generation:
                self._accepted.put(key_hash, _Accepted(scope, self._clock()))
            elif (kept := self._accepted.get(key_hash)) is not None:
                kept.checking = False  # what was read may predate a revoke: check again
            return scope

    def _touch(self, scope: Scope) -> None:
        with self._lock:
            if scope.key_id in self._touched:
                return
            self._touched.add(scope.key_id)
        self.store.touch_key(scope.key_id, now())

    def forget(self, key_id: str | None = None) -> None:
        """Stop trusting a cached key (None: every key) at once: its revoke, or a reset,
        went through this process."""
        with self._lock:
            self._generation += 1
            if key_id is None:
                self._accepted.clear()
            else:
                self._accepted.drop_where(lambda accepted: accepted.scope.key_id == key_id)

    def authorize_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """A Lambda authorizer's simple response for an API Gateway HTTP API event.

        Every request is let through, carrying its outcome in the context: the API function
        then answers a missing or bad key exactly as Chroma's server does (403 ``AuthError``)
        rather than with API Gateway's own bare 403, and public routes need no key.
        """
        headers = event.get("headers") or {}
        outcome = self.authenticate(token_from_headers(headers), source_address(event))
        return {"isAuthorized": True, "context": outcome.context()}
