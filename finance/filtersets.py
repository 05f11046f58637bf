"""The FilterSets of the finance app's models, shared by its list pages and the API (DESIGN.md §6):
the parameter names are the contract. Bad values are field errors (a 400 in the API, an error
summary on the pages), never a quiet "no filter"."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field

from devotracker.filters import (
    AwareDateTimeFilter,
    BooleanChoiceFilter,
    BooleanFieldFilter,
    ChoiceFilter,
    FilterSet,
    GivenMeansFilledMixin,
    OrderingFilter,
    SortKey,
    TextFilter,
)

from .figures import budget_flagged_q, stream_over_allocated_q, with_line_totals, with_profile
from .models import LINE_FLAGGED, CapitalBudget, Disposal, FundingLine, FundingStream

YEAR_MIN, YEAR_MAX = 2000, 2100


class YearField(GivenMeansFilledMixin, forms.IntegerField):
    """A financial year by the year it starts in, 2000 to 2100, with one message for every way
    of missing it."""

    default_error_messages = dict.fromkeys(
        ("invalid", "min_value", "max_value"), f"Give a year from {YEAR_MIN} to {YEAR_MAX}, for example 2018 for 2018/19."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.update(min_value=YEAR_MIN, max_value=YEAR_MAX)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and value.strip() and not (value.strip().isascii() and value.strip().isdigit()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field({"type": "integer", "minimum": YEAR_MIN, "maximum": YEAR_MAX})
class YearFilter(filters.NumberFilter):
    """A financial year by the year it starts in (2018 is 2018/19), 2000 to 2100."""

    field_class = YearField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Financial year (the year it starts in: 2018 is 2018/19)")
        super().__init__(*args, **kwargs)


def _flagged(rule: Any) -> Any:
    def method(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == "true":
            return queryset.filter(rule())
        if value == "false":
            return queryset.exclude(rule())
        return queryset

    return method


class FundingStreamFilterSet(FilterSet):
    kind = filters.MultipleChoiceFilter(choices=FundingStream.Kind.choices, label="Kind")
    commitment = TextFilter(
        field_name="commitments__ref", lookup_expr="iexact", label="Funds commitment (ref)", max_length=12, distinct=True
    )
    keeper = TextFilter(field_name="keeper__code", lookup_expr="iexact", label="Kept by board (code)", max_length=16)
    flagged = BooleanChoiceFilter(method="filter_flagged", label="Lines allocate more than the stream's allocation")
    is_demo = BooleanFieldFilter(field_name="is_demo", label="Demo data")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    ordering = OrderingFilter(
        keys={
            "name": SortKey(("name",), label="Stream"),
            "kind": SortKey(("kind",), label="Kind", page_terms=("kind", "name")),
            "allocation": SortKey(("allocation_pence",), label="Allocation"),
            "updated_at": SortKey(("updated_at",)),
        },
        default=("name",),
        page_then=("id",),
    )

    class Meta:
        model = FundingStream
        fields: list[str] = []

    def filter_flagged(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        annotated = "lines_allocated" in queryset.query.annotations
        return _flagged(stream_over_allocated_q)(queryset if annotated else with_line_totals(queryset), name, value)


class FundingLineFilterSet(FilterSet):
    stream = TextFilter(field_name="stream__slug", label="Stream (slug)", max_length=80)
    party = TextFilter(field_name="party__slug", label="Party (slug)", max_length=80)
    pilot = TextFilter(field_name="pilot__slug", label="Pilot (slug)", max_length=80)
    sub_region = TextFilter(field_name="sub_region__slug", label="Sub-region (slug)", max_length=80)
    london_wide = BooleanChoiceFilter(method="filter_london_wide", label="London-wide (no sub-region)")
    year = YearFilter(field_name="financial_year")
    quarter = ChoiceFilter(choices=[(str(n), f"Q{n}") for n in range(1, 5)], field_name="quarter", label="Quarter")
    commitment = TextFilter(
        field_name="commitments__ref", lookup_expr="iexact", label="Funds commitment (ref)", max_length=12, distinct=True
    )
    flagged = BooleanChoiceFilter(method=_flagged(lambda: LINE_FLAGGED), label="Does not add up (flagged)")
    is_demo = BooleanFieldFilter(field_name="is_demo", label="Demo data")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    ordering = OrderingFilter(
        keys={
            "id": SortKey(("id",)),
            "stream": SortKey(("stream__name",), label="Stream", page_terms=("stream__name", "financial_year", "quarter")),
            "description": SortKey(("description",), label="Line"),
            "year": SortKey(("financial_year", "quarter"), label="Year"),
            "allocated": SortKey(("allocated_pence",), label="Allocated"),
            "committed": SortKey(("committed_pence",), label="Committed"),
            "spent": SortKey(("spent_pence",), label="Spent"),
            "updated_at": SortKey(("updated_at",), label="Updated", page="updated"),
        },
        default=("stream__name", "financial_year", "quarter"),
        page_then=("id",),
    )

    class Meta:
        model = FundingLine
        fields: list[str] = []

    def filter_london_wide(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(sub_region__isnull=value == "true")


class CapitalBudgetFilterSet(FilterSet):
    year = YearFilter(field_name="financial_year")
    flagged = BooleanChoiceFilter(method="filter_flagged", label="Profile does not add up (flagged)")
    is_demo = BooleanFieldFilter(field_name="is_demo", label="Demo data")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    ordering = OrderingFilter(
        keys={
            "year": SortKey(("financial_year",), label="Year"),
            "amount": SortKey(("amount_pence",), label="Budget"),
            "updated_at": SortKey(("updated_at",)),
        },
        default=("-financial_year",),
        page_then=("id",),
    )

    class Meta:
        model = CapitalBudget
        fields: list[str] = []

    def filter_flagged(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        # The flagged rule reads the profile's totals (annotated once, by the page or here).
        annotated = "profile_planned" in queryset.query.annotations
        return _flagged(budget_flagged_q)(queryset if annotated else with_profile(queryset), name, value)


class DisposalFilterSet(FilterSet):
    status = filters.MultipleChoiceFilter(choices=Disposal.Status.choices, label="Status")
    sub_region = TextFilter(field_name="sub_region__slug", label="Sub-region (slug)", max_length=80)
    borough = TextFilter(field_name="borough__slug", label="Borough (slug)", max_length=80)
    owner = TextFilter(field_name="owner__slug", label="Owner (party slug)", max_length=80)
    recommended_by = TextFilter(field_name="recommended_by__code", lookup_expr="iexact", label="Recommended by (board code)", max_length=16)
    commitment = TextFilter(field_name="commitments__ref", lookup_expr="iexact", label="Commitment (ref)", max_length=12, distinct=True)
    decided = BooleanChoiceFilter(method="filter_decided", label="A decision is recorded")
    is_demo = BooleanFieldFilter(field_name="is_demo", label="Demo data")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    ordering = OrderingFilter(
        keys={
            "id": SortKey(("id",)),
            "site": SortKey(("site",), label="Site"),
            "borough": SortKey(("borough__name",), label="Borough", page_terms=("borough__name", "site")),
            "sub_region": SortKey(("sub_region__name",), label="Sub-region", page_terms=("sub_region__name", "borough__name", "site")),
            "status": SortKey(("status",), label="Status", page_terms=("status", "site")),
            "expected": SortKey(("expected_receipt_pence",), label="Expected"),
            "realised": SortKey(("actual_receipt_pence",), label="Realised"),
            "updated_at": SortKey(("updated_at",), label="Updated", page="updated"),
        },
        default=("sub_region__name", "borough__name", "site"),
        page_then=("id",),
    )

    class Meta:
        model = Disposal
        fields: list[str] = []

    def filter_decided(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.exclude(decision="") if value == "true" else queryset.filter(decision="")
