"""The base of every read collection of the API (each app's ``api/views.py`` builds on it)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets

from . import rows
from .mixins import ApiViewMixin, CSVExportMixin
from .schema import LinkedAutoSchema

# The key pattern of collections keyed by id.
INT_KEY = "[0-9]+"


class ReadViewSet(ApiViewMixin, CSVExportMixin, viewsets.ReadOnlyModelViewSet):
    """Base of the read collections: filters and ordering on lists only, case rules for keys."""

    # Filters and ``?ordering=`` both come from the collection's FilterSet (its ``ordering`` filter,
    # devotracker.filters.OrderingFilter, is the one declaration of the list's sort keys).
    filter_backends = [DjangoFilterBackend]
    schema = LinkedAutoSchema()
    # Any text but a slash or a NUL (which no key can hold): the schema's path pattern says the same,
    # and a key with a NUL is an unknown address (404) rather than a value refused (issue 11).
    lookup_value_regex = r"[^/\x00]+"
    # The lookup applied to the key in the URL; boards use iexact (DESIGN.md §6).
    lookup_expr = "exact"

    # A list whose JSON pages are built from plain rows by a plan derived from its serializer
    # (devotracker.api.rows, ADR 0019): the same representation, without walking the serializer
    # field by field for every row. For the busiest lists.
    plain_rows = False
    _links: rows.Links | None = None
    _base: Any = None

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        json_asked = getattr(request.accepted_renderer, "format", None) == "json"
        self._links = rows.links_for(self.get_serializer_context()) if self.plain_rows and json_asked else None
        if self._links is None:
            return super().list(request, *args, **kwargs)
        self._base = self.get_queryset()
        page = self.paginate_queryset(self.filter_queryset(self._base))
        return self.get_paginated_response(page)

    def row_plan(self) -> rows.RowPlan:
        return rows.RowPlan.of(self.get_serializer_class(), self._base)

    def fetch_page(self, queryset: Any, bottom: int, top: int) -> Sequence[Any]:
        """Rows ``bottom``..``top`` of the filtered list: representations built by the row plan
        when the list is rendered from plain rows, else model instances for the serializer."""
        if self._links is not None:
            return self.row_plan().render(queryset[bottom:top], self._links)
        return list(queryset[bottom:top])

    def csv_representations(self, queryset: Any, serializer: Any, context: dict[str, Any]) -> Iterator[Any]:
        """The CSV of a list built from plain rows comes from the same plan, a chunk of ids at a time."""
        links = rows.links_for(context) if self.plain_rows else None
        if links is None:
            yield from super().csv_representations(queryset, serializer, context)
            return
        self._base = self.get_queryset()
        plan = self.row_plan()
        ids = queryset.values_list("pk", flat=True).iterator(chunk_size=self.csv_chunk_size)
        while chunk := list(itertools.islice(ids, self.csv_chunk_size)):
            yield from plan.render_ids(self._base, chunk, links)

    def filter_queryset(self, queryset: Any) -> Any:
        # Filters describe lists; on a detail URL they would only turn a hit into a puzzling 404.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_object(self) -> Any:
        queryset = self.get_queryset()
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        obj = get_object_or_404(queryset, **{f"{self.lookup_field}__{self.lookup_expr}": value})
        self.check_object_permissions(self.request, obj)
        return obj
