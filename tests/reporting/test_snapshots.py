"""The daily snapshot (issue 13): one row per item with the state pages show and the one overdue rule,
idempotent, whole or absent, kept daily then weekly, and frozen snapshots untouchable."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commitments.lifecycle import london_today
from commitments.models import Commitment, Status
from reporting import snapshots
from reporting.models import ActionState, CommitmentState, FrozenError, ObligationState, Snapshot
from reporting.snapshots import kept_days, prune_snapshots, take_snapshot

from ..factories import ActionFactory, CommitmentFactory, ObligationFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 10)


@pytest.fixture
def items() -> dict[str, Any]:
    commitment = CommitmentFactory(target_date=TODAY - dt.timedelta(days=3), rollup_status=Status.IN_PROGRESS, rollup_rag="amber")
    late = ObligationFactory(commitment=commitment, due_date=TODAY - dt.timedelta(days=1), status=Status.IN_PROGRESS, rag="red")
    done = ObligationFactory(commitment=commitment, due_date=TODAY - dt.timedelta(days=5), status=Status.COMPLETE, rag="green")
    due_today = ActionFactory(obligation=late, due_date=TODAY, status=Status.NOT_STARTED, progress=0)
    overdue = ActionFactory(obligation=late, due_date=TODAY - dt.timedelta(days=20), status=Status.IN_PROGRESS, progress=40)
    dropped = ActionFactory(obligation=done, due_date=TODAY - dt.timedelta(days=20), status=Status.NOT_PURSUED)
    Commitment.objects.filter(pk=commitment.pk).update(escalation_level=2, overdue_since=TODAY - dt.timedelta(days=3))
    return {"commitment": commitment, "late": late, "done": done, "due_today": due_today, "overdue": overdue, "dropped": dropped}


def test_a_snapshot_records_each_item_as_the_pages_show_it(items: dict[str, Any]) -> None:
    snapshot, written = take_snapshot(day=TODAY)

    assert written and snapshot.complete and not snapshot.frozen
    assert (snapshot.commitments, snapshot.obligations, snapshot.actions) == (1, 2, 3)
    c = CommitmentState.objects.get(snapshot=snapshot)
    # Not assessed: the shown state is the roll-up, and the target date passed while it is open.
    assert (c.commitment_id, c.assessed, c.status, c.rag, c.overdue, c.escalation_level) == (
        items["commitment"].pk,
        False,
        Status.IN_PROGRESS,
        "amber",
        True,
        2,
    )
    assert c.overdue_since == TODAY - dt.timedelta(days=3)
    obligations = {o.obligation_id: o for o in ObligationState.objects.filter(snapshot=snapshot)}
    assert obligations[items["late"].pk].overdue is True
    assert obligations[items["late"].pk].rag == "red"
    assert obligations[items["done"].pk].overdue is False  # complete closes it
    actions = {a.action_id: a for a in ActionState.objects.filter(snapshot=snapshot)}
    assert actions[items["due_today"].pk].overdue is False  # due today is not overdue
    assert actions[items["overdue"].pk].overdue is True
    assert actions[items["overdue"].pk].progress == 40
    assert actions[items["dropped"].pk].overdue is False  # not pursued closes it too
    assert {a.party_id for a in actions.values()} == {items["late"].party_id, items["done"].party_id}
    assert {a.commitment_id for a in actions.values()} == {items["commitment"].pk}


def test_an_assessed_commitment_is_recorded_with_its_assessed_state(items: dict[str, Any]) -> None:
    Commitment.objects.filter(pk=items["commitment"].pk).update(
        assessed_at=timezone.now(), status=Status.COMPLETE, rag="green", progress=100
    )
    snapshot, _ = take_snapshot(day=TODAY)
    c = CommitmentState.objects.get(snapshot=snapshot)
    assert (c.assessed, c.status, c.rag, c.progress, c.overdue) == (True, Status.COMPLETE, "green", 100, False)
    assert (c.rollup_status, c.rollup_rag) == (Status.IN_PROGRESS, "amber")


def test_a_second_run_the_same_day_changes_nothing(items: dict[str, Any]) -> None:
    first, _ = take_snapshot(day=TODAY)
    ActionFactory(obligation=items["late"])  # a later write does not reach a snapshot already taken

    with CaptureQueriesContext(connection) as queries:
        again, written = take_snapshot(day=TODAY)

    assert (again.pk, written) == (first.pk, False)
    assert len(queries) == 1
    assert ActionState.objects.filter(snapshot=first).count() == 3
    assert Snapshot.objects.count() == 1


def test_the_snapshot_is_three_inserts_whatever_the_number_of_rows(items: dict[str, Any]) -> None:
    def inserts() -> int:
        with CaptureQueriesContext(connection) as queries:
            take_snapshot(day=TODAY + dt.timedelta(days=len(Snapshot.objects.all())))
        return sum(q["sql"].startswith("INSERT INTO") and "state" in q["sql"] for q in queries)

    few = inserts()
    for _ in range(5):
        ActionFactory(obligation=items["late"])
    assert inserts() == few == 3


def test_a_run_that_dies_half_way_leaves_nothing_and_the_next_run_completes(items: dict[str, Any], monkeypatch: Any) -> None:
    real = snapshots._insert_from
    calls = {"n": 0}

    def dies_on_the_actions(model: Any, columns: Any, source: Any) -> int:
        calls["n"] += 1
        if model is ActionState:
            raise RuntimeError("worker killed")
        return real(model, columns, source)

    monkeypatch.setattr(snapshots, "_insert_from", dies_on_the_actions)
    with pytest.raises(RuntimeError):
        take_snapshot(day=TODAY)
    assert calls["n"] == 3
    assert not Snapshot.objects.exists()
    assert not CommitmentState.objects.exists() and not ObligationState.objects.exists()

    monkeypatch.setattr(snapshots, "_insert_from", real)
    snapshot, written = take_snapshot(day=TODAY)
    assert written and snapshot.complete and snapshot.actions == 3


def test_retention_keeps_ninety_days_then_the_last_snapshot_of_each_week() -> None:
    today = dt.date(2027, 6, 30)
    days = [today - dt.timedelta(days=n) for n in range(200)]
    kept = kept_days(days, today, daily_days=90)

    cutoff = today - dt.timedelta(days=90)
    assert {d for d in days if d >= cutoff} <= kept
    older = sorted(d for d in kept if d < cutoff)
    last_of_each_week = {
        max(d for d in days if d < cutoff and d.isocalendar()[:2] == week) for week in {d.isocalendar()[:2] for d in days if d < cutoff}
    }
    assert set(older) == last_of_each_week  # one a week, none missing
    assert sum(d.weekday() == 6 for d in older) == len(older) - 1  # Sundays end ISO weeks (but the cut one)


def test_prune_deletes_what_retention_drops_but_never_a_frozen_snapshot(items: dict[str, Any], settings: Any) -> None:
    settings.SNAPSHOT_DAILY_DAYS = 2
    monday = dt.date(2027, 3, 1)
    for n in range(5):  # Monday to Friday of one week
        take_snapshot(day=monday + dt.timedelta(days=n))
    Snapshot.objects.filter(day=monday).update(frozen=True)

    pruned = prune_snapshots(today=monday + dt.timedelta(days=6))

    # Kept: the frozen Monday, the week's last (Friday), and the two days inside the window (Thu, Fri).
    assert sorted(Snapshot.objects.values_list("day", flat=True)) == [monday, monday + dt.timedelta(days=3), monday + dt.timedelta(days=4)]
    assert pruned == 2
    counts = dict(ActionState.objects.values_list("snapshot__day").annotate(n=Count("pk")))
    assert set(counts) == {monday, monday + dt.timedelta(days=3), monday + dt.timedelta(days=4)}


def test_a_frozen_snapshot_and_its_rows_refuse_every_change(items: dict[str, Any]) -> None:
    snapshot, _ = take_snapshot(day=TODAY)
    Snapshot.objects.filter(pk=snapshot.pk).update(frozen=True)
    snapshot.refresh_from_db()
    row = ActionState.objects.filter(snapshot=snapshot).first()
    assert row is not None

    for attempt in (
        lambda: snapshot.save(),
        lambda: snapshot.delete(),
        lambda: Snapshot.objects.filter(pk=snapshot.pk).update(day=TODAY),
        lambda: Snapshot.objects.filter(pk=snapshot.pk).delete(),
        lambda: row.save(),
        lambda: row.delete(),
        lambda: ActionState.objects.filter(snapshot=snapshot).update(progress=0),
        lambda: ActionState.objects.filter(snapshot=snapshot).delete(),
    ):
        with pytest.raises(FrozenError):
            attempt()
    assert ActionState.objects.filter(snapshot=snapshot).count() == 3


@pytest.mark.postgresql(reason="the database's own triggers exist on PostgreSQL only")
def test_on_postgresql_the_database_refuses_too(items: dict[str, Any]) -> None:
    snapshot, _ = take_snapshot(day=TODAY)
    Snapshot.objects.filter(pk=snapshot.pk).update(frozen=True)
    for sql in (
        "UPDATE reporting_snapshot SET actions = 0 WHERE id = %s",
        "DELETE FROM reporting_snapshot WHERE id = %s",
        "UPDATE reporting_actionstate SET progress = 0 WHERE snapshot_id = %s",
        "DELETE FROM reporting_obligationstate WHERE snapshot_id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [snapshot.pk])
    assert ActionState.objects.filter(snapshot=snapshot).count() == 3
    # An unfrozen snapshot is pruned as usual.
    other, _ = take_snapshot(day=TODAY + dt.timedelta(days=1))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reporting_actionstate WHERE snapshot_id = %s", [other.pk])
        assert cursor.rowcount == 3


def test_the_daily_job_takes_today_and_prunes(items: dict[str, Any]) -> None:
    result = snapshots.daily_snapshot()
    assert result == {"written": 1, "commitments": 1, "obligations": 2, "actions": 3, "pruned": 0}
    assert Snapshot.objects.get().day == london_today()
    assert snapshots.daily_snapshot()["written"] == 0


def test_the_command_takes_a_snapshot_once_and_refuses_a_bad_date(items: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("take_snapshot", "--date", "2027-03-10", stdout=out)
    call_command("take_snapshot", "--date", "2027-03-10", "--no-prune", stdout=out)
    text = out.getvalue()
    assert "Snapshot taken for 2027-03-10: 1 commitments, 2 obligations, 3 actions." in text
    assert "Snapshot already taken for 2027-03-10" in text
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("take_snapshot", "--date", "10/03/2027")
    assert Snapshot.objects.count() == 1


def test_the_daily_job_is_scheduled_after_the_overdue_pass(settings: Any) -> None:
    from reporting.tasks import daily_snapshot_task

    entry = settings.CELERY_BEAT_SCHEDULE["daily-snapshot"]
    assert entry["task"] == daily_snapshot_task.name
    overdue = settings.CELERY_BEAT_SCHEDULE["flag-overdue"]["schedule"]
    when = lambda schedule: (min(schedule.hour), min(schedule.minute))  # noqa: E731
    assert when(entry["schedule"]) == (6, 30) and when(entry["schedule"]) > when(overdue)
    assert daily_snapshot_task.acks_late and daily_snapshot_task.max_retries == 5
