"""``/api/v1/periods/`` (issue 13): reporting periods for partners, read-only, filterable like every
collection, and their opening and closing in the sync feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from boards.models import Board
from commitments.models import Change
from reporting.periods import close_period, open_period

from ..conftest import token_client
from ..factories import ActionFactory, BoardFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def periods() -> dict[str, Any]:
    admin = UserFactory(is_staff=True)
    lc: Board = BoardFactory(code="LC", name="Leaders' Committee")
    spb: Board = BoardFactory(code="SPB", name="Strategic Partnership Board")
    ActionFactory()
    january = open_period(board=lc, name="LC, January 2027", starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2027, 1, 31), by=admin)
    march = open_period(board=lc, name="LC, March 2027", starts_on=dt.date(2027, 2, 1), ends_on=dt.date(2027, 3, 31), by=admin)
    spb_march = open_period(board=spb, name="SPB, March 2027", starts_on=dt.date(2027, 2, 1), ends_on=dt.date(2027, 3, 31), by=admin)
    close_period(january, by=admin)
    return {"january": january, "march": march, "spb": spb_march, "admin": admin}


def test_periods_are_listed_latest_first_with_their_frozen_figures(periods: dict[str, Any], read_token: str) -> None:
    response = token_client(read_token).get("/api/v1/periods/")
    assert response.status_code == 200
    body = response.json()
    names = [p["name"] for p in body["results"]]
    assert names == ["LC, March 2027", "SPB, March 2027", "LC, January 2027"]
    january = body["results"][2]
    assert january["state"] == "closed" and january["board"]["code"] == "LC"
    assert january["snapshot"]["actions"] == 1 and january["closed_at"].endswith("Z")
    assert january["closed_by"]["username"] == periods["admin"].username
    assert body["results"][0]["snapshot"] is None and body["results"][0]["state"] == "open"
    detail = token_client(read_token).get(january["url"])
    assert detail.status_code == 200 and detail.json() == january


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("board=lc", ["LC, March 2027", "LC, January 2027"]),
        ("state=closed", ["LC, January 2027"]),
        ("state=open&board=SPB", ["SPB, March 2027"]),
        ("ends_after=2027-02-01", ["LC, March 2027", "SPB, March 2027"]),
        ("ordering=starts_on,id", ["LC, January 2027", "LC, March 2027", "SPB, March 2027"]),
    ],
)
def test_periods_filter_and_sort(periods: dict[str, Any], read_token: str, query: str, names: list[str]) -> None:
    response = token_client(read_token).get(f"/api/v1/periods/?{query}")
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["results"]] == names


@pytest.mark.parametrize("query", ["state=frozen", "ordering=name", "ends_after=31-01-2027", "board=" + "x" * 40])
def test_bad_filters_are_a_400_naming_the_field(periods: dict[str, Any], read_token: str, query: str) -> None:
    response = token_client(read_token).get(f"/api/v1/periods/?{query}")
    assert response.status_code == 400
    assert response.json()["errors"].keys() == {query.split("=")[0]}


def test_periods_are_read_only_and_an_unknown_one_is_a_404(periods: dict[str, Any], write_token: str) -> None:
    client = token_client(write_token)
    assert client.post("/api/v1/periods/", {}, format="json").status_code == 405
    assert client.delete(f"/api/v1/periods/{periods['march'].pk}/").status_code == 405
    assert client.get("/api/v1/periods/999999/").status_code == 404
    assert client.get("/api/v1/periods/board/").status_code == 404  # not an id: no such address


def test_opening_and_closing_are_in_the_sync_feed(periods: dict[str, Any], read_token: str) -> None:
    rows = list(Change.objects.filter(resource="periods").order_by("id").values_list("key", "op"))
    january, march = str(periods["january"].pk), str(periods["march"].pk)
    assert (january, Change.Op.CREATE) in rows and (march, Change.Op.CREATE) in rows
    assert rows[-1] == (january, Change.Op.UPDATE)  # closed last
    csv = token_client(read_token).get("/api/v1/periods/?format=csv")
    assert csv.status_code == 200 and b"LC, January 2027" in b"".join(csv.streaming_content)
