"""What changed since the last report (issue 13): each item's previous state beside today's, and the
lists a committee reads (improved, worsened, newly overdue, completed, re-dated with reasons)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.lifecycle import london_today
from commitments.models import Obligation, Status, StatusUpdate
from commitments.services import UpdateInput, record_update
from reporting.comparisons import movement_counts, movements, with_previous
from reporting.snapshots import take_snapshot

from ..factories import CommitmentFactory, MembershipFactory, ObligationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    today = london_today()
    commitment = CommitmentFactory()
    make = lambda **kw: ObligationFactory(commitment=commitment, **kw)  # noqa: E731
    items = {
        "better": make(rag="red", status=Status.IN_PROGRESS, due_date=today + dt.timedelta(days=40)),
        "worse": make(rag="green", status=Status.IN_PROGRESS, due_date=today + dt.timedelta(days=40)),
        "late": make(rag="amber", status=Status.IN_PROGRESS, due_date=today + dt.timedelta(days=3)),
        "done": make(rag="amber", status=Status.IN_PROGRESS, due_date=today + dt.timedelta(days=40)),
        "moved": make(rag="amber", status=Status.IN_PROGRESS, due_date=today + dt.timedelta(days=10)),
        "still": make(rag="amber", status=Status.IN_PROGRESS, due_date=today + dt.timedelta(days=40)),
    }
    officer = UserFactory()
    for obligation in items.values():
        MembershipFactory(user=officer, party=obligation.party)
    return {"items": items, "officer": officer, "commitment": commitment}


def _update(world: dict[str, Any], name: str, **data: Any) -> None:
    target = Obligation.objects.get(pk=world["items"][name].pk)
    record_update(target, by=world["officer"], version=target.version, data=UpdateInput(**data))


def test_movements_since_a_snapshot(world: dict[str, Any]) -> None:
    snapshot, _ = take_snapshot(day=london_today() - dt.timedelta(days=30))
    items = world["items"]
    _update(world, "better", rag="green", reason="Funding agreed")
    _update(world, "worse", rag="amber", reason="Recruitment paused")
    _update(world, "done", status=Status.COMPLETE, progress=100, reason="Delivered", evidence=["https://example.org/report"])
    _update(world, "moved", revised_due_date=london_today() + dt.timedelta(days=90), reason="Waiting for the estates review")
    later = london_today() + dt.timedelta(days=5)  # "late" (due in 3 days) is overdue by then

    found = movements(snapshot, "obligations", on=later)

    ids = {name: [m.pk for m in found.lists[name]] for name in found.lists}
    assert ids["improved"] == [items["better"].pk]
    assert ids["worsened"] == [items["worse"].pk]
    assert ids["newly_overdue"] == [items["late"].pk]
    assert ids["completed"] == [items["done"].pk]
    assert ids["redated"] == [items["moved"].pk]
    moved = found.lists["redated"][0]
    assert moved.before["due_date"] == items["moved"].due_date
    assert moved.now["due_date"] == london_today() + dt.timedelta(days=90)
    assert moved.reasons == ["Waiting for the estates review"]
    assert items["still"].pk not in {m.pk for lst in found.lists.values() for m in lst}
    assert found.counts() == {"improved": 1, "worsened": 1, "newly_overdue": 1, "completed": 1, "redated": 1}
    cut = movements(snapshot, "obligations", on=later, limit=0)
    assert cut.counts() == found.counts() and not any(cut.lists.values())  # lists cut, counts whole


def test_only_the_listed_re_dated_items_have_their_reasons_read(world: dict[str, Any]) -> None:
    snapshot, _ = take_snapshot(day=london_today() - dt.timedelta(days=1))
    for name in ("moved", "better", "still"):
        _update(world, name, revised_due_date=london_today() + dt.timedelta(days=70), reason=f"Later: {name}")
    whole = movements(snapshot, "obligations")
    assert whole.counts()["redated"] == 3 and all(m.reasons for m in whole.lists["redated"])
    with CaptureQueriesContext(connection) as queries:
        cut = movements(snapshot, "obligations", limit=1)
    assert cut.counts()["redated"] == 3 and len(cut.lists["redated"]) == 1
    assert cut.lists["redated"][0].reasons == whole.lists["redated"][0].reasons
    # The reasons query names the one listed item, not all three.
    assert f"IN ({cut.lists['redated'][0].pk})" in queries.captured_queries[-1]["sql"]


def test_items_created_after_the_snapshot_are_not_movements(world: dict[str, Any]) -> None:
    snapshot, _ = take_snapshot()
    ObligationFactory(commitment=world["commitment"], rag="red", due_date=london_today() - dt.timedelta(days=1))
    found = movements(snapshot, "obligations")
    assert found.counts() == dict.fromkeys(found.lists, 0)


def test_the_comparison_is_two_queries_whatever_the_number_of_items(world: dict[str, Any]) -> None:
    snapshot, _ = take_snapshot(day=london_today() - dt.timedelta(days=1))
    for name in ("moved", "better"):
        _update(world, name, revised_due_date=london_today() + dt.timedelta(days=70), reason="Later")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            movements(snapshot, "obligations")
        return len(queries)

    few = count()
    for _ in range(5):
        ObligationFactory(commitment=world["commitment"])
    assert count() == few == 2


def test_with_previous_puts_the_snapshot_s_values_beside_each_row(world: dict[str, Any]) -> None:
    snapshot, _ = take_snapshot(day=london_today() - dt.timedelta(days=1))
    _update(world, "better", rag="green", reason="Funding agreed")
    rows = {o.pk: o for o in with_previous(Obligation.objects.all(), snapshot, "obligations")}
    better = rows[world["items"]["better"].pk]
    assert (better.previous_rag, better.rag, better.previous_status) == ("red", "green", Status.IN_PROGRESS)
    assert better.previous_overdue is False
    assert StatusUpdate.objects.filter(obligation=better).exists()


@pytest.mark.parametrize("one_pass_rows", [500, 0], ids=["few moved: one pass", "many moved: a query per list"])
def test_the_counts_are_the_whole_lists_and_a_cut_list_is_the_first_of_the_whole(
    world: dict[str, Any], monkeypatch: Any, one_pass_rows: int
) -> None:
    """The lists and the counts come from one rule evaluated in the database: the counts (one
    query, no row read) equal the whole lists' lengths, and a list cut to ``limit`` is the whole
    list's first rows, for commitments and obligations alike."""
    snapshot, _ = take_snapshot(day=london_today() - dt.timedelta(days=30))
    for name in ("moved", "better", "still"):
        _update(world, name, revised_due_date=london_today() + dt.timedelta(days=70), reason=f"Later: {name}")
    _update(world, "worse", rag="red", reason="Recruitment paused")
    _update(world, "done", status=Status.COMPLETE, progress=100, reason="Delivered", evidence=["https://example.org/report"])
    later = london_today() + dt.timedelta(days=5)
    for kind in ("obligations", "commitments"):
        whole = movements(snapshot, kind, on=later)
        with CaptureQueriesContext(connection) as queries:
            counted = movement_counts(snapshot, kind, on=later)
        assert len(queries) == 1
        assert counted == {name: len(items) for name, items in whole.lists.items()}
        cut = movements(snapshot, kind, on=later, limit=2)
        assert cut.counts() == counted
        assert {n: [m.pk for m in items] for n, items in cut.lists.items()} == {
            n: [m.pk for m in items][:2] for n, items in whole.lists.items()
        }
    assert movement_counts(snapshot, "obligations", on=later)["redated"] == 3


def test_within_limits_the_comparison_to_a_scope(world: dict[str, Any]) -> None:
    elsewhere = ObligationFactory(rag="red", status=Status.IN_PROGRESS, due_date=london_today() + dt.timedelta(days=40))
    MembershipFactory(user=world["officer"], party=elsewhere.party)
    snapshot, _ = take_snapshot(day=london_today() - dt.timedelta(days=1))
    _update(world, "better", rag="green", reason="Funding agreed")
    record_update(elsewhere, by=world["officer"], version=elsewhere.version, data=UpdateInput(rag="green", reason="Agreed too"))
    everywhere = movement_counts(snapshot, "obligations")
    within = Obligation.objects.filter(commitment=world["commitment"])
    scoped = movements(snapshot, "obligations", within=within, limit=10)
    assert everywhere["improved"] == 2
    assert scoped.counts()["improved"] == 1 and [m.pk for m in scoped.lists["improved"]] == [world["items"]["better"].pk]
    assert movement_counts(snapshot, "obligations", within=within) == scoped.counts()
