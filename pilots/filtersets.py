"""The FilterSets of the pilots app's models, shared by its pages and the API (DESIGN.md §6)."""

from __future__ import annotations

import django_filters as filters

from devotracker.filters import AwareDateTimeFilter, FilterSet, OrderingFilter, SortKey, TextFilter

from .models import Borough, Pilot


class PilotFilterSet(FilterSet):
    focus = filters.MultipleChoiceFilter(choices=Pilot.Focus.choices, label="Focus")
    status = filters.MultipleChoiceFilter(choices=Pilot.Status.choices, label="Status")
    borough = TextFilter(field_name="boroughs__slug", label="Member borough (slug)", max_length=80, distinct=True)
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    ordering = OrderingFilter(
        keys={"name": SortKey(("name",)), "slug": SortKey(("slug",)), "updated_at": SortKey(("updated_at",))}, default=("status", "name")
    )

    class Meta:
        model = Pilot
        fields: list[str] = []


class BoroughFilterSet(FilterSet):
    pilot = TextFilter(field_name="pilots__slug", label="Pilot (slug)", max_length=80, distinct=True)
    sub_region = TextFilter(field_name="sub_region__slug", label="Sub-region (slug)", max_length=80)
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    ordering = OrderingFilter(
        keys={"name": SortKey(("name",)), "slug": SortKey(("slug",)), "updated_at": SortKey(("updated_at",))}, default=("name",)
    )

    class Meta:
        model = Borough
        fields: list[str] = []
