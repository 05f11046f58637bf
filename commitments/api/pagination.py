"""Page-number pagination with ``page_size`` (default 50, larger values clamped to 500).

Two things make a page cheap at 100,000 commitments and 1,000,000 actions (issue 7):

- **Cached counts.** ``count`` is the one figure of a page that needs every matching row. It is
  cached per filter (the COUNT query's SQL and parameters, which hold the London day that
  "overdue" is reckoned on), keyed by the version of the data (``mixins.change_head``: the
  PostgreSQL snapshot, which any commit changes), so a cached count is only ever served to a
  request that sees exactly the rows it was counted from. ``COUNT_CACHE_SECONDS`` only keeps the
  cache from filling with versions nobody asks for any more.
- **The page's rows from the view.** A view may define ``fetch_page(queryset, bottom, top)`` to
  fetch rows ``bottom``..``top`` its own way (the commitments list does, see
  ``CommitmentQuerySet.page``); otherwise the queryset is sliced as usual.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.utils.functional import cached_property
from rest_framework import pagination

from .mixins import change_head

logger = logging.getLogger(__name__)

COUNT_CACHE_SECONDS = 300

Fetch = Callable[[Any, int, int], Sequence[Any]]


class FastPaginator(Paginator):
    """A Django paginator with a cached count and a pluggable way to fetch a page's rows."""

    def __init__(self, object_list: Any, per_page: int, *, fetch: Fetch | None = None, count_key: str | None = None) -> None:
        super().__init__(object_list, per_page)
        self._fetch = fetch
        self._count_key = count_key

    @cached_property
    def count(self) -> int:
        if self._count_key is None:
            return super().count
        # The cache is a shortcut, never a dependency: with Redis stopped the list still answers,
        # counted in the database (issue 8, fault drills).
        try:
            value = cache.get(self._count_key)
        except Exception as exc:
            logger.warning("count cache unavailable", extra={"fields": {"error": type(exc).__name__}})
            return int(super().count)
        if value is None:
            value = super().count
            try:
                cache.set(self._count_key, value, COUNT_CACHE_SECONDS)
            except Exception as exc:
                logger.warning("count cache unavailable", extra={"fields": {"error": type(exc).__name__}})
        return int(value)

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if self._fetch is not None:
            return self._get_page(self._fetch(self.object_list, bottom, top), number, self)  # type: ignore[attr-defined]
        return self._get_page(self.object_list[bottom:top], number, self)  # type: ignore[attr-defined]


def count_cache_key(queryset: Any, request: Any) -> str | None:
    """The cache key of a filtered list's count, or None when it must not be cached."""
    version = change_head(request)[2]
    if version is None:
        return None
    try:
        sql, params = queryset.order_by().query.sql_with_params()
    except Exception:  # an empty result set (EmptyResultSet) and the like: count it as usual
        return None
    digest = hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()[:32]
    return f"api-count:{hashlib.sha256(str(version).encode()).hexdigest()[:16]}:{digest}"


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = settings.API_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        self._fetch: Fetch | None = getattr(view, "fetch_page", None)
        self._count_key = count_cache_key(queryset, request) if hasattr(queryset, "query") else None
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, object_list: Any, per_page: int) -> FastPaginator:  # type: ignore[override]
        return FastPaginator(object_list, per_page, fetch=self._fetch, count_key=self._count_key)
