"""``/api/v1/periods/`` (issue 13): reporting periods for partners, read-only, filterable like every
collection, and their opening and closing in the sync feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

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


# --- a closed period's frozen rows -----------------------------------------------------------


@pytest.fixture
def frozen(periods: dict[str, Any]) -> dict[str, Any]:
    """A period closed over a few items, which then change: the frozen rows must not."""
    from commitments.models import Action, Commitment, Obligation
    from commitments.services import UpdateInput, record_update
    from reporting.periods import close_period as close

    admin = periods["admin"]
    today = timezone.localdate()
    late = ActionFactory(due_date=today - dt.timedelta(days=3), status="in_progress", rag="red")
    on_time = ActionFactory(due_date=today + dt.timedelta(days=30), status="not_started")
    period = open_period(
        board=periods["march"].board, name="LC, April 2027", starts_on=dt.date(2027, 4, 1), ends_on=dt.date(2027, 4, 30), by=admin
    )
    # Closed "tomorrow": today's snapshot was frozen by January's period before these items existed.
    close(period, by=admin, now=timezone.now() + dt.timedelta(days=1))
    # Later writes: the live rows move, the frozen ones stay.
    record_update(
        on_time,
        by=UserFactory(is_superuser=True),
        version=on_time.version,
        data=UpdateInput(status="complete", progress=100, reason="Done", evidence=["Minutes"]),
    )
    return {
        "period": period,
        "late": late,
        "on_time": Action.objects.get(pk=on_time.pk),
        "commitments": Commitment.objects.count(),
        "obligations": Obligation.objects.count(),
    }


def test_a_closed_period_serves_its_frozen_rows_not_todays(frozen: dict[str, Any], read_token: str) -> None:
    client = token_client(read_token)
    base = f"/api/v1/periods/{frozen['period'].pk}"
    actions = client.get(f"{base}/actions/").json()
    assert actions["count"] == 3  # the fixture's first action and the two above
    by_id = {row["action_id"]: row for row in actions["results"]}
    assert by_id[frozen["on_time"].pk]["status"] == "not_started"  # as frozen, not "complete"
    assert frozen["on_time"].status == "complete"
    late = by_id[frozen["late"].pk]
    assert late["overdue"] is True and late["rag"] == "red"
    assert late["ref"] == frozen["late"].obligation.commitment.ref and late["party"] == frozen["late"].obligation.party.slug
    assert client.get(f"{base}/commitments/").json()["count"] == frozen["commitments"]
    assert client.get(f"{base}/obligations/").json()["count"] == frozen["obligations"]
    one = client.get(f"{base}/actions/{frozen['late'].pk}/")
    assert one.status_code == 200 and one.json() == late


@pytest.mark.parametrize(
    ("query", "expected"),
    [("overdue=true", ["late"]), ("status=in_progress", ["late"]), ("rag=red", ["late"]), ("ordering=-id", None)],
)
def test_frozen_rows_filter_and_sort_like_the_live_lists(frozen: dict[str, Any], read_token: str, query: str, expected: Any) -> None:
    response = token_client(read_token).get(f"/api/v1/periods/{frozen['period'].pk}/actions/?{query}")
    assert response.status_code == 200
    ids = [row["action_id"] for row in response.json()["results"]]
    if expected is None:
        assert ids == sorted(ids, reverse=True)
    else:
        assert ids == [frozen[name].pk for name in expected]
    ref = frozen["late"].obligation.commitment.ref
    by_ref = token_client(read_token).get(f"/api/v1/periods/{frozen['period'].pk}/actions/?commitment={ref.lower()}").json()
    assert [row["action_id"] for row in by_ref["results"]] == [frozen["late"].pk]


def test_frozen_rows_come_as_csv_too(frozen: dict[str, Any], read_token: str) -> None:
    response = token_client(read_token).get(f"/api/v1/periods/{frozen['period'].pk}/commitments/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("commitment_id,ref,status,rag,progress") and len(lines) == 1 + frozen["commitments"]


def test_an_open_or_unknown_period_has_no_frozen_rows(frozen: dict[str, Any], periods: dict[str, Any], read_token: str) -> None:
    client = token_client(read_token)
    open_one = client.get(f"/api/v1/periods/{periods['march'].pk}/actions/")
    assert open_one.status_code == 404 and "open" in open_one.json()["detail"]
    assert client.get("/api/v1/periods/999999/commitments/").status_code == 404
    bad = client.get(f"/api/v1/periods/{frozen['period'].pk}/actions/?overdue=maybe")
    assert bad.status_code == 400 and bad.json()["errors"].keys() == {"overdue"}
    assert client.post(f"/api/v1/periods/{frozen['period'].pk}/actions/", {}, format="json").status_code == 405
    # Not listed at the API's root: a period's rows are reached through the period.
    root = client.get("/api/v1/").json()
    assert "periods" in root and not [name for name in root if name.startswith("periods/")]


def test_two_periods_closed_the_same_day_share_its_frozen_snapshot(periods: dict[str, Any]) -> None:
    spb = close_period(periods["spb"], by=periods["admin"])
    periods["january"].refresh_from_db()
    assert spb.snapshot_id == periods["january"].snapshot_id and spb.snapshot.frozen


# --- ?compare_to=<period> on the live lists ----------------------------------------------------


def test_compare_to_puts_each_items_frozen_state_beside_todays(frozen: dict[str, Any], read_token: str) -> None:
    from commitments.models import Obligation
    from commitments.services import UpdateInput, record_update

    client = token_client(read_token)
    pid = frozen["period"].pk
    moved = frozen["late"].obligation
    record_update(
        moved,
        by=UserFactory(is_superuser=True),
        version=moved.version,
        data=UpdateInput(status="in_progress", rag="amber", reason="Started"),
    )
    newer = ActionFactory().obligation  # created after the period closed: nothing to compare with
    obligations = client.get("/api/v1/obligations/", {"compare_to": pid, "page_size": 500}).json()["results"]
    frozen_rows = {r["obligation_id"]: r for r in client.get(f"/api/v1/periods/{pid}/obligations/", {"page_size": 500}).json()["results"]}
    by_id = {r["id"]: r for r in obligations}
    assert (
        by_id[moved.pk]["status"] == "in_progress"
        and by_id[moved.pk]["previous"]["status"] == frozen_rows[moved.pk]["status"] != "in_progress"
    )
    assert by_id[newer.pk]["previous"] is None
    for pk, row in frozen_rows.items():
        previous = by_id[pk]["previous"]
        assert {k: previous[k] for k in ("status", "rag", "progress", "due_date", "overdue")} == {
            k: row[k] for k in ("status", "rag", "progress", "due_date", "overdue")
        }
    # Commitments (built from plain rows) compare the same way, in JSON and in CSV.
    commitments = client.get("/api/v1/commitments/", {"compare_to": pid, "page_size": 500}).json()["results"]
    frozen_commitments = {r["commitment_id"]: r for r in client.get(f"/api/v1/periods/{pid}/commitments/").json()["results"]}
    assert frozen_commitments
    for row in commitments:
        expected = frozen_commitments.get(
            Obligation.objects.filter(commitment__ref=row["ref"]).values_list("commitment_id", flat=True).first()
        )
        assert (row["previous"] or {}).get("status") == (expected or {}).get("status")
    csv_text = b"".join(client.get("/api/v1/commitments/", {"compare_to": pid, "format": "csv"}).streaming_content).decode()
    assert "previous.status" in csv_text.splitlines()[0]
    # Without it, "previous" is there and null.
    assert all(r["previous"] is None for r in client.get("/api/v1/obligations/").json()["results"])


@pytest.mark.parametrize("value", ["abc", "0", "1.5", ""])
def test_compare_to_that_is_not_an_id_is_a_400_naming_it(frozen: dict[str, Any], read_token: str, value: str) -> None:
    for collection in ("commitments", "obligations"):
        response = token_client(read_token).get(f"/api/v1/{collection}/", {"compare_to": value})
        assert response.status_code == 400, (collection, value, response.content[:200])
        assert list(response.json()["errors"]) == ["compare_to"]


@pytest.mark.parametrize("value", ["open", "999999"])
def test_compare_to_an_open_or_unknown_period_is_a_404_saying_so(
    frozen: dict[str, Any], periods: dict[str, Any], read_token: str, value: str
) -> None:
    value = str(periods["march"].pk) if value == "open" else value
    for collection in ("commitments", "obligations"):
        response = token_client(read_token).get(f"/api/v1/{collection}/", {"compare_to": value})
        assert response.status_code == 404, (collection, value, response.content[:200])
        assert response.json()["detail"].startswith("compare_to: ")
        assert ("open" in response.json()["detail"]) == (value != "999999")
