"""The FilterSets of the reporting app's models, for the API (DESIGN.md §6)."""

from __future__ import annotations

import django_filters as filters

from devotracker.filters import DateFilter, OrderingFilter, SortKey

from .models import ReportingPeriod


class PeriodFilterSet(filters.FilterSet):
    board = filters.CharFilter(field_name="board__code", lookup_expr="iexact", label="Board (code)", max_length=16)
    state = filters.MultipleChoiceFilter(choices=ReportingPeriod.State.choices, label="State")
    ends_after = DateFilter(field_name="ends_on", lookup_expr="gt", label="Ends after")
    starts_before = DateFilter(field_name="starts_on", lookup_expr="lt", label="Starts before")

    ordering = OrderingFilter(
        keys={"id": SortKey(("id",)), "starts_on": SortKey(("starts_on",)), "ends_on": SortKey(("ends_on",))},
        default=("-starts_on", "board__code"),
    )

    class Meta:
        model = ReportingPeriod
        fields: list[str] = []
