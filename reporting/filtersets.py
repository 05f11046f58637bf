"""The FilterSets of the reporting app's models, for the API (DESIGN.md §6)."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import QuerySet

from boards.models import Board, Party
from commitments.api.serializers import RAG_CHOICES as SERIALIZER_RAG_CHOICES
from commitments.models import Commitment, Status, Theme
from devotracker.filters import BooleanChoiceFilter, DateFilter, FilterSet, OrderingFilter, SortKey, TextFilter

from .models import ActionState, CommitmentState, ObligationState, ReportingPeriod

# A colour (the live lists' RAG choices, less "not assessed").
RAG_CHOICES = [(value, label) for value, label in SERIALIZER_RAG_CHOICES if value]


class PeriodFilterSet(FilterSet):
    board = TextFilter(field_name="board__code", lookup_expr="iexact", label="Board (code)", max_length=16)
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


# --- a closed period's frozen rows (/api/v1/periods/<id>/commitments/, …) ----------------------
#
# State rows keep their items' ids, not foreign keys (decision 0018), so the filters that name an
# item by its key (a commitment's ref, a party's slug) look the ids up in the live tables.


def _ids(model: Any, **lookup: Any) -> QuerySet[Any]:
    return model.objects.filter(**lookup).values("pk")


class _StateFilterSet(FilterSet):
    status = filters.MultipleChoiceFilter(choices=Status.choices, label="Status")
    rag = filters.MultipleChoiceFilter(choices=RAG_CHOICES, label="RAG")
    overdue = BooleanChoiceFilter(method="filter_overdue", label="Overdue (on the snapshot's day)")
    due_before = DateFilter(field_name="due_date", lookup_expr="lt", label="Due before")
    due_after = DateFilter(field_name="due_date", lookup_expr="gt", label="Due after")
    commitment = TextFilter(method="filter_commitment", label="Commitment (ref)", max_length=12)

    def filter_overdue(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(overdue=value == "true")

    def filter_commitment(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(commitment_id__in=_ids(Commitment, ref__iexact=value))


def _state_ordering(key: str) -> OrderingFilter:
    return OrderingFilter(
        keys={
            "id": SortKey((key,)),
            "due_date": SortKey(("due_date", key)),
            "status": SortKey(("status", key)),
            "rag": SortKey(("rag", key)),
            "progress": SortKey(("progress", key)),
        },
        default=(key,),
    )


class CommitmentStateFilterSet(_StateFilterSet):
    theme = TextFilter(method="filter_theme", label="Theme (slug)", max_length=80)
    board = TextFilter(method="filter_board", label="Lead board (code)", max_length=16)
    ordering = _state_ordering("commitment_id")

    class Meta:
        model = CommitmentState
        fields: list[str] = []

    def filter_theme(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(theme_id__in=_ids(Theme, slug=value))

    def filter_board(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(lead_board_id__in=_ids(Board, code__iexact=value))


class _OwedStateFilterSet(_StateFilterSet):
    """Obligations and actions: what a party owed."""

    party = TextFilter(method="filter_party", label="Party (slug)", max_length=80)

    def filter_party(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(party_id__in=_ids(Party, slug=value))


class ObligationStateFilterSet(_OwedStateFilterSet):
    ordering = _state_ordering("obligation_id")

    class Meta:
        model = ObligationState
        fields: list[str] = []


class ActionStateFilterSet(_OwedStateFilterSet):
    ordering = _state_ordering("action_id")

    class Meta:
        model = ActionState
        fields: list[str] = []
