"""The boards app's API (boards/api/, boards/filtersets.py): /api/v1/boards/ served by its own
viewset, with its FilterSet and ordering, the representation DESIGN.md §6 promises."""

from __future__ import annotations

from typing import Any

import pytest

from boards.api.views import BoardViewSet
from boards.filtersets import BoardFilterSet, MeetingFilterSet, PartyFilterSet
from boards.models import Board

from ..conftest import token_client
from ..factories import BoardFactory

pytestmark = pytest.mark.django_db


def test_boards_are_served_by_the_boards_app(read_token: str, board: Any) -> None:
    from django.urls import resolve

    assert resolve("/api/v1/boards/").func.cls is BoardViewSet
    body = token_client(read_token).get("/api/v1/boards/spb/").json()
    assert body["code"] == "SPB" and body["url"] == "http://testserver/api/v1/boards/SPB/"
    assert body["commitments_url"] == "http://testserver/api/v1/commitments/?board=SPB"
    assert list(body) == [
        "url", "code", "slug", "name", "kind", "role", "is_mou_board", "chair", "chair_basis", "owner", "reports_to",
        "reports_to_basis", "supports", "supports_basis", "status_at_mou", "notes", "requires_approval", "commitments_url", "updated_at",
    ]  # fmt: skip


def test_the_board_filters_and_ordering(read_token: str, board: Any) -> None:
    BoardFactory(code="ZZZ", slug="zzz", name="Another board", is_mou_board=False)
    client = token_client(read_token)
    assert [b["code"] for b in client.get("/api/v1/boards/?is_mou_board=true").json()["results"]] == ["SPB"]
    assert [b["code"] for b in client.get("/api/v1/boards/?ordering=-code").json()["results"]] == ["ZZZ", "SPB"]
    refused = client.get("/api/v1/boards/?ordering=nope")
    assert refused.status_code == 400 and "ordering" in refused.json()["errors"]
    assert client.get("/api/v1/boards/?is_mou_board=maybe").status_code == 400


def test_the_boards_filtersets_refuse_bad_values(board: Any) -> None:
    assert not BoardFilterSet({"updated_since": "2026-01-01T00:00:00"}, queryset=Board.objects.all()).is_valid()
    assert not MeetingFilterSet({"date_before": "01/02/2026"}).is_valid()
    assert not PartyFilterSet({"collective": ""}).is_valid()
    assert BoardFilterSet({"kind": [board.kind]}, queryset=Board.objects.all()).qs.get() == board
