"""One FilterSet per model, shared by the browser's list pages and the API (DESIGN.md §6).

Parameter names and semantics are part of the partner contract: ``theme`` (slug), ``board`` (code,
any case), ``pilot`` / ``party`` (slug), ``status``, ``rag``, ``overdue`` (true/false),
``due_before`` / ``due_after`` (strict), ``updated_since`` (ISO 8601 *with* an offset), ``q``.
Bad values are field errors (HTTP 400 in the API, an error summary on pages), never a 500. So is a
typed filter (an id, a date, a date-time, true/false, a choice) given with no value, which would
otherwise be read as "no filter" and answer the whole list (issue 11).
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from boards.models import Party
from devotracker.filters import (
    AwareDateTimeFilter,
    BooleanChoiceFilter,
    BooleanFieldFilter,
    ChoiceFilter,
    DateFilter,
    FilterSet,
    IdFilter,
    OrderingFilter,
    SlugMultipleChoiceFilter,
    SortKey,
    TextFilter,
)
from pilots.models import Pilot

from .models import Action, Agreement, Commitment, Dependency, Obligation, PendingUpdate, Report, Status, StatusUpdate, Theme

# ``?compare_to=<period>`` selects no rows: the API's views annotate each item's state in that
# closed period (commitments.comparisons) before filtering; the filter checks and documents the id.
COMPARE_TO_LABEL = "A closed reporting period (id): each item's state then, as `previous`"


def keep_rows(queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
    return queryset


# The pages sort RAG by severity (red first when descending), the API by name.
RAG_ORDER = Case(
    When(rag="red", then=Value(3)),
    When(rag="amber", then=Value(2)),
    When(rag="green", then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)
SHOWN_RAG_ORDER = Case(
    When(shown_rag_db="red", then=Value(3)),
    When(shown_rag_db="amber", then=Value(2)),
    When(shown_rag_db="green", then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)

RAG_CHOICES = [("red", "Red"), ("amber", "Amber"), ("green", "Green"), ("none", "Not assessed")]


def filter_rag_values(queryset: QuerySet[Any], field: str, value: list[str]) -> QuerySet[Any]:
    """RAG filter values, where ``none`` stands for "not assessed" (stored as empty)."""
    if not value:
        return queryset
    return queryset.filter(**{f"{field}__in": ["" if v == "none" else v for v in value]})


def filter_ratings_disagree(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    """``ratings_disagree=true`` / ``false``: items whose assurance rating differs from the
    owner's (``ratings_disagree`` of the model's queryset), or not."""
    if value in ("true", "false"):
        return queryset.ratings_disagree(value == "true")  # type: ignore[attr-defined]
    return queryset


def filter_overdue(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    """``overdue=true`` / ``false``: the items overdue today in London, or the rest (``overdue()`` /
    ``not_overdue()`` of the model's queryset)."""
    if value == "true":
        return queryset.overdue()  # type: ignore[attr-defined]
    if value == "false":
        return queryset.not_overdue()  # type: ignore[attr-defined]
    return queryset


def filter_at_risk(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    """``at_risk=true`` / ``false`` (issue 15): open items waiting on something overdue, not pursued
    or rated red (``with_at_risk`` of the model's queryset), or not."""
    if value in ("true", "false"):
        return queryset.at_risk(value == "true")  # type: ignore[attr-defined]
    return queryset


UNOWNED_LABELS = {
    "commitment": "Unowned (open, with no lead board)",
    "obligation": "Unowned (open, with no owner)",
    "action": "Unowned (open, with no owner)",
}


def filter_unowned(kind: str) -> Any:
    """``unowned=true`` / ``false`` (issue 16): the open items nobody answers for (a commitment with
    no lead board, an obligation or action with no owner: the worklist's rows and the dashboards'
    counts, by :func:`commitments.ownership.unowned_q`), or the rest."""

    def method(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        from .ownership import unowned_q

        if value in ("true", "false"):
            condition = unowned_q(kind)
            return queryset.filter(condition) if value == "true" else queryset.exclude(condition)
        return queryset

    return method


def filter_in_dashboards(agreement_path: str) -> Any:
    """``in_dashboards=true``: only items of the agreements dashboards show by default (the item's
    agreement reached by ``agreement_path``)."""

    def method(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value in ("true", "false"):
            return queryset.filter(**{f"{agreement_path}__in_dashboards_by_default": value == "true"})
        return queryset

    return method


def state_sorts(status: str, rag: str, rag_order: Any, progress: str) -> dict[str, SortKey]:
    """The sort keys every tracked list has last (status, RAG by severity on the pages, progress,
    updated), on the fields that hold its shown state."""
    return {
        "status": SortKey((status,), label="Status"),
        # The API sorts RAG by name (amber, green, red), the page by severity.
        "rag": SortKey((rag,), label="RAG", page_terms=(rag_order,)),
        "progress": SortKey((progress,)),
        "updated_at": SortKey(("updated_at",), label="Updated", page="updated"),
    }


class CommitmentFilterSet(FilterSet):
    q = TextFilter(method="search", label="Search", max_length=200)
    theme = SlugMultipleChoiceFilter(field_name="theme__slug", to_field_name="slug", queryset=Theme.objects.all(), label="Theme")
    board = TextFilter(method="filter_board", label="Lead board (code)", max_length=16)
    pilot = SlugMultipleChoiceFilter(
        field_name="pilot_links__pilot__slug", to_field_name="slug", queryset=Pilot.objects.all(), label="Pilot", distinct=True
    )
    party = SlugMultipleChoiceFilter(
        field_name="obligations__party__slug", to_field_name="slug", queryset=Party.objects.all(), label="Party", distinct=True
    )
    agreement = TextFilter(field_name="agreement__slug", label="Agreement", max_length=80)
    # The dashboards' default set of agreements (the MoU and the 2015 Agreement), so a figure on a
    # dashboard drills down to exactly the rows it counts (issue 6).
    in_dashboards = BooleanChoiceFilter(method=filter_in_dashboards("agreement"), label="In the dashboards' default agreements")
    kind = filters.MultipleChoiceFilter(choices=Commitment.Kind.choices, label="Kind")
    status = filters.MultipleChoiceFilter(field_name="shown_status_db", choices=Status.choices, label="Status")
    rag = filters.MultipleChoiceFilter(choices=RAG_CHOICES, method="filter_rag", label="RAG")
    # The two ratings (issue 15): the rating used (the assurance rating where one is given, else
    # the shown RAG: what the dashboards count, so their figures drill down to it), and whether the
    # two ratings differ.
    rating_used = filters.MultipleChoiceFilter(choices=RAG_CHOICES, method="filter_rating_used", label="Rating used")
    ratings_disagree = BooleanChoiceFilter(method=filter_ratings_disagree, label="Ratings differ")
    overdue = BooleanChoiceFilter(method=filter_overdue, label="Overdue")
    at_risk = BooleanChoiceFilter(method=filter_at_risk, label="At risk (waiting on something overdue, not pursued or red)")
    unowned = BooleanChoiceFilter(method=filter_unowned("commitment"), label=UNOWNED_LABELS["commitment"])
    due_before = DateFilter(field_name="target_date", lookup_expr="lt", label="Due before")
    due_after = DateFilter(field_name="target_date", lookup_expr="gt", label="Due after")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")
    compare_to = IdFilter(method=keep_rows, label=COMPARE_TO_LABEL)

    ordering = OrderingFilter(
        keys={
            "ref": SortKey(("ref",), label="Ref"),
            "title": SortKey(("title",), label="Title"),
            "theme": SortKey(("theme__order",), label="Theme"),
            "target_date": SortKey(("target_date",)),
            "due_date": SortKey(("target_date",), label="Due", page="due"),
            **state_sorts("shown_status_db", "shown_rag_db", SHOWN_RAG_ORDER, "shown_progress_db"),
        },
        default=("theme__order", "ref"),
        page_then=("ref",),
    )

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

    def filter_rag(self, queryset: QuerySet[Any], name: str, value: list[str]) -> QuerySet[Any]:
        return filter_rag_values(queryset, "shown_rag_db", value)

    def filter_rating_used(self, queryset: QuerySet[Any], name: str, value: list[str]) -> QuerySet[Any]:
        return filter_rag_values(queryset, "rating_used_db", value)


class _TrackedFilterSet(FilterSet):
    """Filters shared by obligations and actions."""

    status = filters.MultipleChoiceFilter(choices=Status.choices, label="Status")
    rag = filters.MultipleChoiceFilter(choices=RAG_CHOICES, method="filter_rag", label="RAG")
    overdue = BooleanChoiceFilter(method=filter_overdue, label="Overdue")
    due_before = DateFilter(field_name="due_date", lookup_expr="lt", label="Due before")
    due_after = DateFilter(field_name="due_date", lookup_expr="gt", label="Due after")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")
    owner = TextFilter(field_name="owner__username", label="Owner (username)", max_length=150)

    def filter_rag(self, queryset: QuerySet[Any], name: str, value: list[str]) -> QuerySet[Any]:
        return filter_rag_values(queryset, "rag", value)


class ObligationFilterSet(_TrackedFilterSet):
    unowned = BooleanChoiceFilter(method=filter_unowned("obligation"), label=UNOWNED_LABELS["obligation"])
    commitment = TextFilter(field_name="commitment__ref", lookup_expr="iexact", label="Commitment (ref)", max_length=12)
    party = TextFilter(field_name="party__slug", label="Party (slug)", max_length=80)
    theme = TextFilter(field_name="commitment__theme__slug", label="Theme (slug)", max_length=80)
    board = TextFilter(field_name="commitment__lead_board__code", lookup_expr="iexact", label="Lead board (code)", max_length=16)
    # Added for the dashboards' drill-downs (issue 6): a pilot's and the default agreements' items.
    pilot = TextFilter(field_name="commitment__pilot_links__pilot__slug", label="Pilot (slug)", max_length=80, distinct=True)
    in_dashboards = BooleanChoiceFilter(method=filter_in_dashboards("commitment__agreement"), label="In the dashboards' default agreements")
    compare_to = IdFilter(method=keep_rows, label=COMPARE_TO_LABEL)
    # The two ratings (issue 15), as on commitments.
    rating_used = filters.MultipleChoiceFilter(choices=RAG_CHOICES, method="filter_rating_used", label="Rating used")
    ratings_disagree = BooleanChoiceFilter(method=filter_ratings_disagree, label="Ratings differ")

    def filter_rating_used(self, queryset: QuerySet[Any], name: str, value: list[str]) -> QuerySet[Any]:
        return filter_rag_values(queryset.with_rating(), "rating_used_db", value)  # type: ignore[attr-defined]

    ordering = OrderingFilter(
        keys={
            "id": SortKey(("id",)),
            "commitment": SortKey(("commitment__ref",), label="Commitment", page_terms=("commitment__ref", "party__name")),
            "party": SortKey(("party__name",), label="Party", page_terms=("party__name", "commitment__ref")),
            "due_date": SortKey(("due_date",), label="Due", page="due"),
            **state_sorts("status", "rag", RAG_ORDER, "progress"),
        },
        default=("commitment__ref", "party__name"),
        page_then=("id",),
    )

    class Meta:
        model = Obligation
        fields: list[str] = []


class ActionFilterSet(_TrackedFilterSet):
    unowned = BooleanChoiceFilter(method=filter_unowned("action"), label=UNOWNED_LABELS["action"])
    commitment = TextFilter(field_name="obligation__commitment__ref", lookup_expr="iexact", label="Commitment (ref)", max_length=12)
    obligation = IdFilter(field_name="obligation_id", label="Obligation (id)")
    party = TextFilter(field_name="obligation__party__slug", label="Party (slug)", max_length=80)
    theme = TextFilter(field_name="obligation__commitment__theme__slug", label="Theme (slug)", max_length=80)
    board = TextFilter(
        field_name="obligation__commitment__lead_board__code", lookup_expr="iexact", label="Lead board (code)", max_length=16
    )
    # Added for the dashboards' drill-downs (issue 6): a pilot's and the default agreements' items.
    pilot = TextFilter(field_name="obligation__commitment__pilot_links__pilot__slug", label="Pilot (slug)", max_length=80, distinct=True)
    at_risk = BooleanChoiceFilter(method=filter_at_risk, label="At risk (waiting on something overdue, not pursued or red)")
    in_dashboards = BooleanChoiceFilter(
        method=filter_in_dashboards("obligation__commitment__agreement"), label="In the dashboards' default agreements"
    )

    ordering = OrderingFilter(
        keys={
            "id": SortKey(("id",)),
            "commitment": SortKey((), label="Commitment", page_terms=("obligation__commitment__ref", "due_date"), api=False),
            "party": SortKey((), label="Party", page_terms=("obligation__party__name", "due_date"), api=False),
            "due_date": SortKey(("due_date",), label="Due", page="due"),
            "original_due_date": SortKey(("original_due_date",)),
            **state_sorts("status", "rag", RAG_ORDER, "progress"),
        },
        default=("due_date", "id"),
        page_then=("id",),
    )

    class Meta:
        model = Action
        fields: list[str] = []


class StatusUpdateFilterSet(FilterSet):
    target_type = ChoiceFilter(choices=StatusUpdate.TargetType.choices, label="Target type")
    commitment = TextFilter(field_name="commitment__ref", lookup_expr="iexact", label="Commitment (ref)", max_length=12)
    party = TextFilter(field_name="party__slug", label="Party (slug)", max_length=80)
    author = TextFilter(field_name="author__username", label="Author (username)", max_length=150)
    since = AwareDateTimeFilter(field_name="created_at", lookup_expr="gte", label="Since")
    updated_since = AwareDateTimeFilter(field_name="created_at", lookup_expr="gte", label="Updated since")
    # Added for the partner API (issue 4): the history of one obligation or action, which the
    # obligation and action representations link to.
    obligation = IdFilter(field_name="obligation_id", label="Obligation (id)")
    action = IdFilter(field_name="action_id", label="Action (id)")

    ordering = OrderingFilter(keys={"id": SortKey(("id",)), "created_at": SortKey(("created_at",))}, default=("-created_at", "-id"))

    class Meta:
        model = StatusUpdate
        fields: list[str] = []


# --- reference data (added for the partner API, issue 4: ``updated_since`` on every list) -------


class AgreementFilterSet(FilterSet):
    kind = filters.MultipleChoiceFilter(choices=Agreement.Kind.choices, label="Kind")
    in_dashboards = BooleanFieldFilter(field_name="in_dashboards_by_default", label="In the dashboards' default agreements")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    ordering = OrderingFilter(
        keys={"date": SortKey(("date",)), "slug": SortKey(("slug",)), "updated_at": SortKey(("updated_at",))}, default=("date", "slug")
    )

    class Meta:
        model = Agreement
        fields: list[str] = []


class ThemeFilterSet(FilterSet):
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    ordering = OrderingFilter(
        keys={"order": SortKey(("order",)), "name": SortKey(("name",)), "slug": SortKey(("slug",)), "updated_at": SortKey(("updated_at",))},
        default=("order", "name"),
    )

    class Meta:
        model = Theme
        fields: list[str] = []


class DependencyFilterSet(FilterSet):
    """``/api/v1/dependencies/`` (issue 15): by the item that waits (``commitment`` ref or
    ``action`` id), by what it waits on (``prerequisite_commitment`` / ``prerequisite_action``),
    by ``basis``, or by a commitment at either end (``involving``)."""

    commitment = TextFilter(field_name="commitment__ref", lookup_expr="iexact", label="The waiting commitment (ref)", max_length=12)
    action = IdFilter(field_name="action_id", label="The waiting action (id)")
    prerequisite_commitment = TextFilter(
        field_name="prerequisite_commitment__ref", lookup_expr="iexact", label="The commitment waited on (ref)", max_length=12
    )
    prerequisite_action = IdFilter(field_name="prerequisite_action_id", label="The action waited on (id)")
    involving = TextFilter(method="filter_involving", label="A commitment at either end (ref)", max_length=12)
    basis = ChoiceFilter(choices=Dependency.Basis.choices, label="Basis")
    ordering = OrderingFilter(
        keys={"id": SortKey(("id",)), "created_at": SortKey(("created_at",))},
        default=("id",),
        page_then=("id",),
    )

    class Meta:
        model = Dependency
        fields: list[str] = []

    def filter_involving(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        ref = value.strip()
        if not ref:
            return queryset
        return queryset.filter(Q(commitment__ref__iexact=ref) | Q(prerequisite_commitment__ref__iexact=ref))


class ReportFilterSet(FilterSet):
    meeting = IdFilter(field_name="meeting_id", label="Meeting (id)")
    kind = filters.MultipleChoiceFilter(choices=Report.Kind.choices, label="Kind")
    state = filters.MultipleChoiceFilter(choices=Report.State.choices, label="State")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    ordering = OrderingFilter(
        keys={
            "id": SortKey(("id",)),
            "requested_at": SortKey(("requested_at",)),
            "built_at": SortKey(("built_at",)),
            "updated_at": SortKey(("updated_at",)),
        },
        default=("-requested_at",),
    )

    class Meta:
        model = Report
        fields: list[str] = []


class PendingUpdateFilterSet(FilterSet):
    """Updates awaiting approval (issue 15), for those who may see them."""

    state = filters.MultipleChoiceFilter(choices=PendingUpdate.State.choices, label="State")
    board = TextFilter(field_name="board__code", lookup_expr="iexact", label="Deciding board (code)", max_length=16)
    commitment = TextFilter(field_name="commitment__ref", lookup_expr="iexact", label="Commitment (ref)", max_length=12)
    party = TextFilter(field_name="party__slug", label="Party (slug)", max_length=80)
    target_type = ChoiceFilter(choices=StatusUpdate.TargetType.choices, label="Target type")

    ordering = OrderingFilter(
        keys={"id": SortKey(("id",)), "created_at": SortKey(("created_at", "id"))},
        default=("-created_at", "-id"),
    )

    class Meta:
        model = PendingUpdate
        fields: list[str] = []
