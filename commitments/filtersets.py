"""One FilterSet per model, shared by the browser's list pages and the API (DESIGN.md §6).

Parameter names and semantics are part of the partner contract: ``theme`` (slug), ``board`` (code,
any case), ``pilot`` / ``party`` (slug), ``status``, ``rag``, ``overdue`` (true/false),
``due_before`` / ``due_after`` (strict), ``updated_since`` (ISO 8601 *with* an offset), ``q``.
Bad values are field errors (HTTP 400 in the API, an error summary on pages), never a 500. So is a
typed filter (an id, a date, a date-time, true/false, a choice) given with no value, which would
otherwise be read as "no filter" and answer the whole list (issue 11).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_filters.fields import ChoiceField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from boards.models import Board, Meeting, Party
from pilots.models import Borough, Pilot

from .models import Action, Agreement, Commitment, Obligation, Rag, Report, Status, StatusUpdate, Theme

RAG_CHOICES = [("red", "Red"), ("amber", "Amber"), ("green", "Green"), ("none", "Not assessed")]
BOOL_CHOICES = [("true", "Yes"), ("false", "No")]
# Ids are PostgreSQL bigints (and SQLite's 64-bit integers): a larger number is not an id, and
# SQLite cannot even compare with one (OverflowError, a 500 before issue 11).
MAX_ID = 2**63 - 1


class GivenMeansFilledMixin:
    """A form field for a filter that, when its parameter is given, must have a value.

    ``?updated_since=`` would otherwise clean to None and the filter be skipped: the whole list,
    unfiltered, in answer to a filter that was asked for. The list pages never send one: a GET
    form's empty boxes are removed from the URL before filtering (``views._tidy_query``).
    """

    empty_message = "Give a value, or leave this parameter out."

    def clean(self, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValidationError(self.empty_message, code="empty")
        return super().clean(value)  # type: ignore[misc]


@extend_schema_field(OpenApiTypes.STR)
class SlugMultipleChoiceFilter(filters.ModelMultipleChoiceFilter):
    """One or more slugs (``?theme=a&theme=b``); an unknown slug is a field error."""


class AwareDateTimeField(GivenMeansFilledMixin, forms.Field):
    """An ISO 8601 date-time that must carry a UTC offset (``Z`` or ``+01:00``)."""

    default_error_messages = {
        "invalid": "Enter an ISO 8601 date and time, for example 2026-01-31T09:00:00Z.",
        "naive": "Give the time zone offset too, for example 2026-01-31T09:00:00Z or 2026-01-31T09:00:00+00:00.",
    }

    def to_python(self, value: Any) -> dt.datetime | None:
        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            parsed: dt.datetime | None = value
        else:
            text = str(value).strip()
            if "T" in text and " " in text:
                # An unencoded "+01:00" in a query string arrives as " 01:00".
                text = text.replace(" ", "+")
            try:
                parsed = parse_datetime(text)
            except ValueError:
                parsed = None
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if timezone.is_naive(parsed):
            raise forms.ValidationError(self.error_messages["naive"], code="naive")
        # The same instant in UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts
        # (a 500 before; found by schemathesis, issue 4), and the first or last day of year 1 or
        # 9999 can fall outside the calendar once shifted.
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class AwareDateTimeFilter(filters.Filter):
    field_class = AwareDateTimeField


class FilledChoiceField(GivenMeansFilledMixin, ChoiceField):
    pass


class ChoiceFilter(filters.ChoiceFilter):
    """One of the choices; an empty value is a field error, like any other value not listed."""

    field_class = FilledChoiceField


class BooleanChoiceFilter(ChoiceFilter):
    """``true`` / ``false`` only: anything else is a field error rather than silently ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", BOOL_CHOICES)
        super().__init__(*args, **kwargs)


class FilledDateField(GivenMeansFilledMixin, forms.DateField):
    pass


class DateFilter(filters.DateFilter):
    """A date in ``YYYY-MM-DD``; other forms (and an empty value) are field errors."""

    field_class = FilledDateField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(*args, **kwargs)


class IdField(GivenMeansFilledMixin, forms.IntegerField):
    """A whole number from 1 to :data:`MAX_ID`, with one message for every way of missing it."""

    default_error_messages = {
        "invalid": f"Give a whole-number id from 1 to {MAX_ID}.",
        "min_value": f"Give a whole-number id from 1 to {MAX_ID}.",
        "max_value": f"Give a whole-number id from 1 to {MAX_ID}.",
    }

    def to_python(self, value: Any) -> int | None:
        # Django's IntegerField would read "1.0" as 1 and call int() on 5,000 digits (a ValueError
        # past Python's digit limit): an id is plain digits, and one with more digits than MAX_ID
        # is out of range whatever they are.
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if not (text.isascii() and text.isdigit()):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            if len(text.lstrip("0")) > len(str(MAX_ID)):
                raise ValidationError(self.error_messages["max_value"], code="max_value")
        return super().to_python(value)  # type: ignore[no-any-return]


class IdFilter(filters.NumberFilter):
    """An id: a whole number from 1 to 2^63 − 1 (``1.5``, ``1e3``, ``-1``, an empty value and
    anything larger are field errors, not silently rounded, ignored or sent to the database).
    The OpenAPI schema says so (an integer with ``minimum`` and ``maximum``)."""

    field_class = IdField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
        # This filter's own schema (drf-spectacular reads the override from the instance, so each
        # id filter keeps its label as the parameter's description).
        schema = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
        extend_schema_field({**schema, "description": f"{self.label or 'An id'}: a whole number from 1 to {MAX_ID}."})(self)


class BooleanFieldFilter(BooleanChoiceFilter):
    """``true`` / ``false`` on a boolean model field."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value in ("true", "false"):
            return qs.filter(**{self.field_name: value == "true"})
        return qs


def filter_rag_values(queryset: QuerySet[Any], field: str, value: list[str]) -> QuerySet[Any]:
    """RAG filter values, where ``none`` stands for "not assessed" (stored as empty)."""
    if not value:
        return queryset
    return queryset.filter(**{f"{field}__in": ["" if v == "none" else v for v in value]})


def filter_in_dashboards(queryset: QuerySet[Any], agreement_path: str, value: str) -> QuerySet[Any]:
    """``in_dashboards=true``: only items of the agreements dashboards show by default."""
    if value in ("true", "false"):
        return queryset.filter(**{f"{agreement_path}__in_dashboards_by_default": value == "true"})
    return queryset


class CommitmentFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Search", max_length=200)
    theme = SlugMultipleChoiceFilter(field_name="theme__slug", to_field_name="slug", queryset=Theme.objects.all(), label="Theme")
    board = filters.CharFilter(method="filter_board", label="Lead board (code)", max_length=16)
    pilot = SlugMultipleChoiceFilter(
        field_name="pilot_links__pilot__slug", to_field_name="slug", queryset=Pilot.objects.all(), label="Pilot", distinct=True
    )
    party = SlugMultipleChoiceFilter(
        field_name="obligations__party__slug", to_field_name="slug", queryset=Party.objects.all(), label="Party", distinct=True
    )
    agreement = filters.CharFilter(field_name="agreement__slug", label="Agreement", max_length=80)
    # The dashboards' default set of agreements (the MoU and the 2015 Agreement), so a figure on a
    # dashboard drills down to exactly the rows it counts (issue 6).
    in_dashboards = BooleanChoiceFilter(method="filter_in_dashboards", label="In the dashboards' default agreements")
    kind = filters.MultipleChoiceFilter(choices=Commitment.Kind.choices, label="Kind")
    status = filters.MultipleChoiceFilter(field_name="shown_status_db", choices=Status.choices, label="Status")
    rag = filters.MultipleChoiceFilter(choices=RAG_CHOICES, method="filter_rag", label="RAG")
    overdue = BooleanChoiceFilter(method="filter_overdue", label="Overdue")
    due_before = DateFilter(field_name="target_date", lookup_expr="lt", label="Due before")
    due_after = DateFilter(field_name="target_date", lookup_expr="gt", label="Due after")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    class Meta:
        model = Commitment
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if "shown_status_db" not in queryset.query.annotations:
            queryset = queryset.with_shown_state()  # type: ignore[attr-defined]
        return super().filter_queryset(queryset)

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(ref__icontains=value) | Q(title__icontains=value) | Q(summary__icontains=value))

    def filter_board(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        # "none" (like rag=none) stands for "no lead board stated", a row of the dashboard.
        if value.strip().lower() == "none":
            return queryset.filter(lead_board__isnull=True)
        return queryset.filter(lead_board__code__iexact=value.strip()) if value.strip() else queryset

    def filter_in_dashboards(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return filter_in_dashboards(queryset, "agreement", value)

    def filter_rag(self, queryset: QuerySet[Any], name: str, value: list[str]) -> QuerySet[Any]:
        return filter_rag_values(queryset, "shown_rag_db", value)

    def filter_overdue(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == "true":
            return queryset.overdue()  # type: ignore[attr-defined]
        if value == "false":
            return queryset.not_overdue()  # type: ignore[attr-defined]
        return queryset


class _TrackedFilterSet(filters.FilterSet):
    """Filters shared by obligations and actions."""

    status = filters.MultipleChoiceFilter(choices=Status.choices, label="Status")
    rag = filters.MultipleChoiceFilter(choices=RAG_CHOICES, method="filter_rag", label="RAG")
    overdue = BooleanChoiceFilter(method="filter_overdue", label="Overdue")
    due_before = DateFilter(field_name="due_date", lookup_expr="lt", label="Due before")
    due_after = DateFilter(field_name="due_date", lookup_expr="gt", label="Due after")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")
    owner = filters.CharFilter(field_name="owner__username", label="Owner (username)", max_length=150)

    def filter_rag(self, queryset: QuerySet[Any], name: str, value: list[str]) -> QuerySet[Any]:
        return filter_rag_values(queryset, "rag", value)

    def filter_overdue(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == "true":
            return queryset.overdue()  # type: ignore[attr-defined]
        if value == "false":
            return queryset.not_overdue()  # type: ignore[attr-defined]
        return queryset


class ObligationFilterSet(_TrackedFilterSet):
    commitment = filters.CharFilter(field_name="commitment__ref", lookup_expr="iexact", label="Commitment (ref)", max_length=12)
    party = filters.CharFilter(field_name="party__slug", label="Party (slug)", max_length=80)
    theme = filters.CharFilter(field_name="commitment__theme__slug", label="Theme (slug)", max_length=80)
    board = filters.CharFilter(field_name="commitment__lead_board__code", lookup_expr="iexact", label="Lead board (code)", max_length=16)
    # Added for the dashboards' drill-downs (issue 6): a pilot's and the default agreements' items.
    pilot = filters.CharFilter(field_name="commitment__pilot_links__pilot__slug", label="Pilot (slug)", max_length=80, distinct=True)
    in_dashboards = BooleanChoiceFilter(method="filter_in_dashboards", label="In the dashboards' default agreements")

    def filter_in_dashboards(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return filter_in_dashboards(queryset, "commitment__agreement", value)

    class Meta:
        model = Obligation
        fields: list[str] = []


class ActionFilterSet(_TrackedFilterSet):
    commitment = filters.CharFilter(field_name="obligation__commitment__ref", lookup_expr="iexact", label="Commitment (ref)", max_length=12)
    obligation = IdFilter(field_name="obligation_id", label="Obligation (id)")
    party = filters.CharFilter(field_name="obligation__party__slug", label="Party (slug)", max_length=80)
    theme = filters.CharFilter(field_name="obligation__commitment__theme__slug", label="Theme (slug)", max_length=80)
    board = filters.CharFilter(
        field_name="obligation__commitment__lead_board__code", lookup_expr="iexact", label="Lead board (code)", max_length=16
    )
    # Added for the dashboards' drill-downs (issue 6): a pilot's and the default agreements' items.
    pilot = filters.CharFilter(
        field_name="obligation__commitment__pilot_links__pilot__slug", label="Pilot (slug)", max_length=80, distinct=True
    )
    in_dashboards = BooleanChoiceFilter(method="filter_in_dashboards", label="In the dashboards' default agreements")

    def filter_in_dashboards(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return filter_in_dashboards(queryset, "obligation__commitment__agreement", value)

    class Meta:
        model = Action
        fields: list[str] = []


class StatusUpdateFilterSet(filters.FilterSet):
    target_type = ChoiceFilter(choices=StatusUpdate.TargetType.choices, label="Target type")
    commitment = filters.CharFilter(field_name="commitment__ref", lookup_expr="iexact", label="Commitment (ref)", max_length=12)
    party = filters.CharFilter(field_name="party__slug", label="Party (slug)", max_length=80)
    author = filters.CharFilter(field_name="author__username", label="Author (username)", max_length=150)
    since = AwareDateTimeFilter(field_name="created_at", lookup_expr="gte", label="Since")
    updated_since = AwareDateTimeFilter(field_name="created_at", lookup_expr="gte", label="Updated since")
    # Added for the partner API (issue 4): the history of one obligation or action, which the
    # obligation and action representations link to.
    obligation = IdFilter(field_name="obligation_id", label="Obligation (id)")
    action = IdFilter(field_name="action_id", label="Action (id)")

    class Meta:
        model = StatusUpdate
        fields: list[str] = []


# --- reference data (added for the partner API, issue 4: ``updated_since`` on every list) -------


class AgreementFilterSet(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=Agreement.Kind.choices, label="Kind")
    in_dashboards = BooleanFieldFilter(field_name="in_dashboards_by_default", label="In the dashboards' default agreements")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    class Meta:
        model = Agreement
        fields: list[str] = []


class ThemeFilterSet(filters.FilterSet):
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    class Meta:
        model = Theme
        fields: list[str] = []


class PartyFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains", max_length=200)
    type = filters.MultipleChoiceFilter(choices=Party.Type.choices, label="Type")
    collective = BooleanFieldFilter(field_name="collective", label="Collective")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    class Meta:
        model = Party
        fields: list[str] = []


class BoardFilterSet(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=Board.Kind.choices, label="Kind")
    is_mou_board = BooleanFieldFilter(field_name="is_mou_board", label="One of the MoU's boards")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    class Meta:
        model = Board
        fields: list[str] = []


class PilotFilterSet(filters.FilterSet):
    focus = filters.MultipleChoiceFilter(choices=Pilot.Focus.choices, label="Focus")
    status = filters.MultipleChoiceFilter(choices=Pilot.Status.choices, label="Status")
    borough = filters.CharFilter(field_name="boroughs__slug", label="Member borough (slug)", max_length=80, distinct=True)
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    class Meta:
        model = Pilot
        fields: list[str] = []


class BoroughFilterSet(filters.FilterSet):
    pilot = filters.CharFilter(field_name="pilots__slug", label="Pilot (slug)", max_length=80, distinct=True)
    sub_region = filters.CharFilter(field_name="sub_region__slug", label="Sub-region (slug)", max_length=80)
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    class Meta:
        model = Borough
        fields: list[str] = []


class MeetingFilterSet(filters.FilterSet):
    board = filters.CharFilter(field_name="board__code", lookup_expr="iexact", label="Board (code)", max_length=16)
    date_before = DateFilter(field_name="date", lookup_expr="lt", label="Before")
    date_after = DateFilter(field_name="date", lookup_expr="gt", label="After")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    class Meta:
        model = Meeting
        fields: list[str] = []


class ReportFilterSet(filters.FilterSet):
    meeting = IdFilter(field_name="meeting_id", label="Meeting (id)")
    kind = filters.MultipleChoiceFilter(choices=Report.Kind.choices, label="Kind")
    state = filters.MultipleChoiceFilter(choices=Report.State.choices, label="State")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    class Meta:
        model = Report
        fields: list[str] = []


__all__ = [
    "ActionFilterSet",
    "AgreementFilterSet",
    "BoardFilterSet",
    "BoroughFilterSet",
    "CommitmentFilterSet",
    "MeetingFilterSet",
    "ObligationFilterSet",
    "PartyFilterSet",
    "PilotFilterSet",
    "Rag",
    "ReportFilterSet",
    "StatusUpdateFilterSet",
    "ThemeFilterSet",
]
