"""The FilterSets of the boards app's models, shared by its pages and the API (DESIGN.md §6)."""

from __future__ import annotations

import django_filters as filters

from devotracker.filters import AwareDateTimeFilter, BooleanFieldFilter, DateFilter, FilterSet, OrderingFilter, SortKey, TextFilter

from .models import Board, Meeting, Party


class PartyFilterSet(FilterSet):
    q = TextFilter(field_name="name", lookup_expr="icontains", label="Name contains", max_length=200)
    type = filters.MultipleChoiceFilter(choices=Party.Type.choices, label="Type")
    collective = BooleanFieldFilter(field_name="collective", label="Collective")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    ordering = OrderingFilter(
        keys={"name": SortKey(("name",)), "slug": SortKey(("slug",)), "type": SortKey(("type",)), "updated_at": SortKey(("updated_at",))},
        default=("name",),
    )

    class Meta:
        model = Party
        fields: list[str] = []


class BoardFilterSet(FilterSet):
    kind = filters.MultipleChoiceFilter(choices=Board.Kind.choices, label="Kind")
    is_mou_board = BooleanFieldFilter(field_name="is_mou_board", label="One of the MoU's boards")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    ordering = OrderingFilter(
        keys={"code": SortKey(("code",)), "name": SortKey(("name",)), "updated_at": SortKey(("updated_at",))},
        default=("-is_mou_board", "name"),
    )

    class Meta:
        model = Board
        fields: list[str] = []


class MeetingFilterSet(FilterSet):
    board = TextFilter(field_name="board__code", lookup_expr="iexact", label="Board (code)", max_length=16)
    date_before = DateFilter(field_name="date", lookup_expr="lt", label="Before")
    date_after = DateFilter(field_name="date", lookup_expr="gt", label="After")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte", label="Updated since")

    ordering = OrderingFilter(
        keys={"id": SortKey(("id",)), "date": SortKey(("date",)), "updated_at": SortKey(("updated_at",))}, default=("-date", "board__code")
    )

    class Meta:
        model = Meeting
        fields: list[str] = []
