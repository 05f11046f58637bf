"""Page-number pagination with ``page_size`` (default 50, larger values clamped to 500).

``page`` and ``page_size`` are whole numbers of at least 1: anything else (``abc``, ``0``, ``-1``,
``1.5``, an empty value) is a 400 naming the parameter, like a bad filter, rather than a quiet
fall-back to the default (issue 11). A ``page`` past the last one is a 404.

Two things make a page cheap at 100,000 commitments and 1,000,000 actions (issue 7):

- **Cached counts.** ``count`` is the one figure of a page that needs every matching row. It is
  cached per filter (the COUNT query's SQL and parameters, which hold the London day that
  "overdue" is reckoned on), keyed by the version of the data (``mixins.data_head``: the
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
import re
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.utils.functional import cached_property
from rest_framework import exceptions, pagination

from .mixins import data_head

logger = logging.getLogger(__name__)

COUNT_CACHE_SECONDS = 300
# More digits than this is past any page and any clamp, whatever they are (and int() of thousands
# of digits is refused by Python).
_MAX_DIGITS = 18

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
    version = data_head(request)[2]
    if version is None:
        return None
    try:
        sql, params = queryset.order_by().query.sql_with_params()
    except Exception:  # an empty result set (EmptyResultSet) and the like: count it as usual
        return None
    digest = hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()[:32]
    return f"api-count:{hashlib.sha256(str(version).encode()).hexdigest()[:16]}:{digest}"


def _whole_number(request: Any, name: str, message: str) -> int | None:
    """The query parameter ``name`` as a whole number of at least 1, None when it is not given, or
    a 400 with ``message`` under the parameter's name."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    text = raw.strip().lstrip("0") if re.fullmatch(r"[0-9]+", raw.strip()) else ""
    if not text:  # not plain digits, empty, or zero
        raise exceptions.ValidationError({name: [message]})
    return int(text) if len(text) <= _MAX_DIGITS else 10**_MAX_DIGITS


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = settings.API_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request: Any) -> int:
        """``page_size`` as asked, clamped to ``max_page_size``; a bad value is a 400."""
        message = f"Give a whole number of at least 1 (larger than {self.max_page_size} is treated as {self.max_page_size})."
        size = _whole_number(request, self.page_size_query_param, message)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request: Any, paginator: Any) -> int | str:
        """``page`` (1 when not given; DRF's ``last`` still works); a bad value is a 400."""
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw.strip() in self.last_page_strings:
            return int(paginator.num_pages)
        number = _whole_number(request, self.page_query_param, "Give a page number: a whole number of at least 1.")
        return 1 if number is None else number

    def check_query(self, request: Any) -> None:
        """Refuse a bad ``page`` or ``page_size`` where no page is cut (a CSV export is the whole
        list): the schema documents both on every list, so they are read the same way there."""
        self.get_page_size(request)
        self.get_page_number(request, Paginator([], 1))

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """What the two parameters take, exactly as :meth:`get_page_size` and
        :meth:`get_page_number` read them."""
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "A page number, from 1. A page past the last one is a 404.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Items per page (default {self.page_size}). Values above {self.max_page_size} are clamped to {self.max_page_size}."
                ),
                "schema": {"type": "integer", "minimum": 1},
            },
        ]

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        self._fetch: Fetch | None = getattr(view, "fetch_page", None)
        self._count_key = count_cache_key(queryset, request) if hasattr(queryset, "query") else None
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, object_list: Any, per_page: int) -> FastPaginator:  # type: ignore[override]
        return FastPaginator(object_list, per_page, fetch=self._fetch, count_key=self._count_key)
