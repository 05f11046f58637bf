"""A Redis cache that can go away without taking the service with it.

Everything DevoTracker keeps in the cache (the API's rate-limit counters, cached list counts, the
dashboards' figures and rendered tables) can be recomputed from the database. So when Redis is
stopped or unreachable, a read is a miss and a write is skipped, and the request goes on: an outage
of the cache must not become an outage of the service (issue 8, Redis fault drill). Each process
logs the outage at most once every ``LOG_EVERY`` seconds rather than once per request.

Selected by settings when ``CACHE_URL`` is a ``redis://`` URL; the OPTIONS there keep Redis's
connect and read timeouts short, so a Redis that hangs costs a request at most a second.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

LOG_EVERY = 30.0
T = TypeVar("T")


class FailSafeRedisCache(RedisCache):
    """Django's Redis cache, with every failure to reach Redis answered as a miss or a no-op."""

    _last_logged = 0.0

    def _safely(self, operation: str, call: Callable[[], T], fallback: T) -> T:
        try:
            return call()
        except (RedisError, OSError) as exc:
            now = time.monotonic()
            if now - FailSafeRedisCache._last_logged > LOG_EVERY:
                FailSafeRedisCache._last_logged = now
                logger.warning(
                    "cache unavailable: carrying on without it", extra={"fields": {"operation": operation, "error": type(exc).__name__}}
                )
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._safely("get", lambda: super(FailSafeRedisCache, self).get(key, default, version), default)

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        return self._safely("get_many", lambda: super(FailSafeRedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._safely("has_key", lambda: super(FailSafeRedisCache, self).has_key(key, version), False)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._safely("set", lambda: super(FailSafeRedisCache, self).set(key, value, timeout, version), None)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._safely("add", lambda: super(FailSafeRedisCache, self).add(key, value, timeout, version), False)

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[Any]:
        return self._safely("set_many", lambda: super(FailSafeRedisCache, self).set_many(data, timeout, version), list(data))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._safely("touch", lambda: super(FailSafeRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._safely("delete", lambda: super(FailSafeRedisCache, self).delete(key, version), False)

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        self._safely("delete_many", lambda: super(FailSafeRedisCache, self).delete_many(keys, version), None)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        # Django's contract for a key it cannot find: ValueError, which callers already handle.
        missing = object()
        value = self._safely("incr", lambda: super(FailSafeRedisCache, self).incr(key, delta, version), missing)
        if value is missing:
            raise ValueError(f"Key {key!r} not found (the cache is unavailable)")
        return value  # type: ignore[return-value]

    def clear(self) -> None:
        self._safely("clear", lambda: super(FailSafeRedisCache, self).clear(), None)
