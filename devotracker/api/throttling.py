"""Per-token (or per-user) rate limits; past them the API answers 429 with Retry-After.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``token`` for every request,
``token_write`` for writes), which settings read from ``API_RATE_LIMIT`` and
``API_WRITE_RATE_LIMIT``. The counters live in Django's cache: point ``CACHE_URL`` at Redis so that
every web process shares them.

If that cache cannot be reached (Redis stopped), the limits are not applied rather than the API
failing: a request is let through and the outage logged. Reads and writes need only the database,
and an outage of the cache must not become an outage of the API (issue 8, fault drills).
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


class TokenRateThrottle(SimpleRateThrottle):
    """Reads and writes share the ``token`` rate; writes also count against ``token_write``."""

    scope = "token"

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return bool(super().allow_request(request, view))
        except Exception as exc:  # any cache failure (connection refused, timeout): fail open, see above
            logger.warning(
                "rate limit not applied: the cache is unavailable", extra={"fields": {"scope": self.scope, "error": type(exc).__name__}}
            )
            return True

    def get_rate(self) -> str | None:
        # Read the rate on each request rather than once at import (DRF's default), so a changed
        # setting (and a test's override) takes effect without a restart of the class.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return None if rate is None else str(rate)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.auth is not None and hasattr(request.auth, "pk"):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class TokenWriteRateThrottle(TokenRateThrottle):
    scope = "token_write"

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
