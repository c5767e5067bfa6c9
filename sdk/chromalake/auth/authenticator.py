"""From a request's headers to a key's scope, without letting bad keys hammer the store.

- A presented token is always hashed; a token that is not shaped like a key is refused
  without a store lookup.
- Accepted keys are cached for ``cache_seconds`` (a revoke made by another process takes that
  long to reach this one; revokes through this process's server apply at once).
- Refused hashes are cached for ``miss_seconds`` (bounded in size), and store lookups of
  hashes in neither cache are rate-limited per process by a token bucket: beyond it a request
  is answered "throttled" (429) whatever its key, so the answer never tells a valid key from
  an invalid one.
- ``last_used_at`` is written at most once per ``touch_seconds`` per key and process, so a
  busy key does not cost a store write per request.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chromalake.auth.keys import KeyStore, hash_key, is_well_formed, now
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


class _Expiring:
    """A bounded map whose entries expire (least recently stored dropped first)."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self._seconds, self._clock = seconds, clock
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, key: str) -> Any | None:
        found = self._items.get(key)
        if found is None or found[0] <= self._clock():
            self._items.pop(key, None)
            return None
        return found[1]

    def put(self, key: str, value: Any) -> None:
        self._items[key] = (self._clock() + self._seconds, value)
        self._items.move_to_end(key)
        while len(self._items) > _MAX_CACHED:
            self._items.popitem(last=False)

    def drop_where(self, test: Callable[[Any], bool]) -> None:
        for key in [k for k, (_, v) in self._items.items() if test(v)]:
            del self._items[key]


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


class Authenticator:
    """Checks presented keys against a store, with the caches and limits above.

    Example:
        >>> from chromalake.auth.admin import KeyAdmin
        >>> from chromalake.auth.keys import MemoryKeyStore
        >>> store = MemoryKeyStore()
        >>> _, key = KeyAdmin(store).create_root_key("bootstrap")
        >>> auth = Authenticator(store)
        >>> auth.authenticate(key).scope.tenant, auth.authenticate("clk_wrong").status
        ('*', 'denied')
    """

    def __init__(
        self,
        store: KeyStore,
        *,
        pepper: str | None = None,
        cache_seconds: float = 30.0,
        miss_seconds: float = 60.0,
        lookups_per_second: float = 20.0,
        touch_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self._pepper = store, pepper
        self._hits = _Expiring(cache_seconds, clock)
        self._misses = _Expiring(miss_seconds, clock)
        self._touched = _Expiring(touch_seconds, clock)
        self._bucket = _Bucket(lookups_per_second, clock)
        self._lock = threading.Lock()

    def authenticate(self, token: str | None) -> Outcome:
        """The outcome for a presented token (None: no token was sent)."""
        if token is None:
            return Outcome("denied")
        key_hash = hash_key(token, self._pepper)
        if not is_well_formed(token):
            return Outcome("denied")
        with self._lock:
            scope = self._hits.get(key_hash)
            if scope is None and self._misses.get(key_hash) is not None:
                return Outcome("denied")
            if scope is None and not self._bucket.take():
                return Outcome("throttled")
        if scope is None:
            scope = self._look_up(key_hash)
        if scope is None:
            return Outcome("denied")
        self._touch(scope)
        return Outcome("ok", scope)

    def _look_up(self, key_hash: str) -> Scope | None:
        # The store is asked by hash, so no comparison runs over the secret itself.
        key = self.store.find_by_hash(key_hash)
        with self._lock:
            if key is None or key.revoked:
                self._misses.put(key_hash, True)
                return None
            scope = Scope.of(key)
            self._hits.put(key_hash, scope)
            return scope

    def _touch(self, scope: Scope) -> None:
        with self._lock:
            if self._touched.get(scope.key_id) is not None:
                return
            self._touched.put(scope.key_id, True)
        self.store.touch_key(scope.key_id, now())

    def forget(self, key_id: str) -> None:
        """Stop trusting a cached key at once (its revoke went through this process)."""
        with self._lock:
            self._hits.drop_where(lambda scope: scope.key_id == key_id)

    def authorize_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """A Lambda authorizer's simple response for an API Gateway HTTP API event.

        Every request is let through, carrying its outcome in the context: the API function
        then answers a missing or bad key exactly as Chroma's server does (403 ``AuthError``)
        rather than with API Gateway's own bare 403, and public routes need no key.
        """
        headers = event.get("headers") or {}
        outcome = self.authenticate(token_from_headers(headers))
        return {"isAuthorized": True, "context": outcome.context()}
