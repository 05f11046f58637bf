"""Overdue is derived from dates in the Europe/London calendar (DESIGN.md §10): due before today and
still open (not complete, not pursued); due today is not overdue. The day turns at London midnight,
in GMT and in BST. The rule itself, status by status: test_lifecycle.py."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from commitments.models import Action, Commitment

from ..factories import ActionFactory, CommitmentFactory

pytestmark = pytest.mark.django_db


def overdue_ids() -> set[int]:
    return set(Action.objects.overdue().values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("due", "before_midnight_utc", "after_midnight_utc"),
    [
        # GMT (winter): London midnight is 00:00 UTC.
        (dt.date(2026, 1, 14), "2026-01-14T23:59:59+00:00", "2026-01-15T00:00:00+00:00"),
        # BST (summer): London midnight is 23:00 UTC the evening before.
        (dt.date(2026, 7, 1), "2026-07-01T22:59:59+00:00", "2026-07-01T23:00:00+00:00"),
        # The spring change: 29 March 2026 01:00 GMT becomes 02:00 BST; the day still turns at midnight.
        (dt.date(2026, 3, 28), "2026-03-28T23:59:59+00:00", "2026-03-29T00:00:00+00:00"),
        # The autumn change: 25 October 2026; London midnight of the 25th is 23:00 UTC on the 24th.
        (dt.date(2026, 10, 24), "2026-10-24T22:59:59+00:00", "2026-10-24T23:00:00+00:00"),
    ],
)
def test_an_item_becomes_overdue_at_london_midnight(due, before_midnight_utc, after_midnight_utc):
    action = ActionFactory(due_date=due)
    with time_machine.travel(dt.datetime.fromisoformat(before_midnight_utc), tick=False):
        assert action.pk not in overdue_ids()  # still its due day in London
    with time_machine.travel(dt.datetime.fromisoformat(after_midnight_utc), tick=False):
        assert action.pk in overdue_ids()


def test_due_today_is_not_overdue_and_complete_never_is():
    today = dt.date(2026, 5, 10)
    due_today = ActionFactory(due_date=today)
    done = ActionFactory(due_date=today - dt.timedelta(days=5), status="complete", completed_date=today, progress=100)
    late = ActionFactory(due_date=today - dt.timedelta(days=1))
    flags = dict(Action.objects.with_overdue(on=today).values_list("pk", "is_overdue"))
    assert flags == {due_today.pk: False, done.pk: False, late.pk: True}
    assert list(Action.objects.not_overdue(on=today).order_by("pk").values_list("pk", flat=True)) == sorted([due_today.pk, done.pk])


def test_a_commitment_is_overdue_by_its_target_date_and_shown_status():
    today = dt.date(2026, 5, 10)
    past = CommitmentFactory(target_date=dt.date(2025, 12, 31))
    done = CommitmentFactory(target_date=dt.date(2025, 12, 31), rollup_status="complete")
    undated = CommitmentFactory(target_date=None)
    overdue = set(Commitment.objects.overdue(on=today).values_list("pk", flat=True))
    assert overdue == {past.pk}
    assert done.pk not in overdue and undated.pk not in overdue


def test_due_within_counts_from_today():
    today = dt.date(2026, 5, 10)
    soon = ActionFactory(due_date=today + dt.timedelta(days=14))
    later = ActionFactory(due_date=today + dt.timedelta(days=15))
    ActionFactory(due_date=today - dt.timedelta(days=1))
    assert list(Action.objects.due_within(14, on=today)) == [soon]
    assert later not in Action.objects.due_within(14, on=today)


@pytest.mark.django_db
def test_the_newest_updates_of_some_commitments_are_the_same_by_either_plan() -> None:
    """``newest`` with the commitments named (a LATERAL join per commitment on PostgreSQL) gives
    what ordering the whole filtered history gives, ties on the same instant broken by id."""
    from django.utils import timezone

    from commitments.models import StatusUpdate

    from ..factories import ObligationFactory

    start = timezone.now() - dt.timedelta(days=30)
    commitments = [CommitmentFactory(ref=f"NEW-{i:02d}") for i in range(4)]
    for i, commitment in enumerate(commitments):
        obligation = ObligationFactory(commitment=commitment)
        for k in range(6):
            StatusUpdate.objects.create(
                target_type="obligation",
                commitment=commitment,
                obligation=obligation,
                party=obligation.party,
                version=k + 1,
                from_status="not_started",
                to_status="in_progress",
                # Interleaved in time across commitments, with some rows at the same instant.
                created_at=start + dt.timedelta(hours=(k * 3 + i) // 2),
            )
    some = Commitment.objects.filter(ref__in=["NEW-01", "NEW-03"])
    updates = StatusUpdate.objects.filter(commitment__in=some)

    expected = list(updates.order_by("-created_at", "-id")[:5])
    assert [u.pk for u in updates.newest(5, commitments=some)] == [u.pk for u in expected]
    assert [u.pk for u in updates.newest(5)] == [u.pk for u in expected]
    assert {u.commitment.ref for u in expected} == {"NEW-01", "NEW-03"}
