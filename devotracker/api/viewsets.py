"""The base of every read collection of the API (each app's ``api/views.py`` builds on it)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets

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
