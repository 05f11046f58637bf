"""All of London's obligation and action figures from the day's snapshot plus what changed since
(issue 13, decision 0030): the same figures as counting the live tables, after writes through every
writer, read from the changed items only, and counted whole when there is no snapshot of the day or
too much has changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.assurance import record_assurance
from commitments.lifecycle import london_today
from commitments.models import Action, Obligation, Status
from commitments.overdue import flag_overdue
from commitments.ownership import assign_owner
from commitments.services import UpdateInput, add_action, record_update
from reporting.dashboards import Scope, build_dashboard
from reporting.dashboards import windows as windows_module
from reporting.dashboards.windows import count_windows, london_windows
from reporting.models import WindowCounts
from reporting.snapshots import take_snapshot

from ..factories import ActionFactory, AgreementFactory, CommitmentFactory, MembershipFactory, ObligationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    """Items of a default agreement and of one shown only on request, in every state the figures
    tell apart; an officer of every party owing them, and an administrator."""
    today = london_today()
    other = AgreementFactory(slug="other-2019", name="Another agreement", short_name="Other", in_dashboards_by_default=False)
    officer = UserFactory()
    items: dict[str, Any] = {}
    for prefix, agreement in (("mou", AgreementFactory()), ("other", other)):
        commitment = CommitmentFactory(agreement=agreement)
        late = ObligationFactory(commitment=commitment, status=Status.IN_PROGRESS, rag="amber", due_date=today - dt.timedelta(days=4))
        soon = ObligationFactory(commitment=commitment, status=Status.NOT_STARTED, due_date=today + dt.timedelta(days=20))
        ObligationFactory(commitment=commitment, status=Status.COMPLETE, rag="green", due_date=today - dt.timedelta(days=40))
        items[f"{prefix}_late"], items[f"{prefix}_soon"] = late, soon
        items[f"{prefix}_action"] = ActionFactory(obligation=late, status=Status.IN_PROGRESS, due_date=today + dt.timedelta(days=50))
        items[f"{prefix}_overdue_action"] = ActionFactory(obligation=soon, due_date=today - dt.timedelta(days=2))
        ActionFactory(obligation=soon, status=Status.NOT_PURSUED, due_date=today - dt.timedelta(days=9))
        for obligation in (late, soon):
            MembershipFactory(user=officer, party=obligation.party)
    admin = UserFactory(is_superuser=True, is_staff=True)
    return {"items": items, "officer": officer, "admin": admin, "today": today}


def _scope(**kwargs: Any) -> Scope:
    scope = Scope(**kwargs)
    assert scope.default_agreements  # read once per scope, as a dashboard does before its figures
    return scope


def _live(scope: Scope) -> dict[str, Any]:
    return {"obligations": scope.obligations(), "actions": scope.actions()}


def _counted_whole(scope: Scope, on: dt.date) -> dict[str, dict[str, int]]:
    return {key: count_windows(qs, on, ratings=key == "obligations") for key, qs in _live(scope).items()}


def _write_through_every_writer(world: dict[str, Any]) -> None:
    """A status change, a re-dating, a new action, an owner, an assurance rating and the overdue
    pass, in both agreements."""
    officer, admin, today = world["officer"], world["admin"], world["today"]
    for prefix in ("mou", "other"):
        items = world["items"]
        late = Obligation.objects.get(pk=items[f"{prefix}_late"].pk)
        record_update(
            late,
            by=officer,
            version=late.version,
            data=UpdateInput(status=Status.COMPLETE, progress=100, reason="Done", evidence=["https://example.org/done"]),
        )
        action = Action.objects.get(pk=items[f"{prefix}_action"].pk)
        record_update(
            action,
            by=officer,
            version=action.version,
            data=UpdateInput(revised_due_date=today + dt.timedelta(days=10), reason="Brought forward"),
        )
        soon = Obligation.objects.get(pk=items[f"{prefix}_soon"].pk)
        add_action(soon, by=officer, description="A new step", due_date=today - dt.timedelta(days=1))
        assign_owner(soon, by=admin, version=soon.version, owner=officer, reason="Leads the work")
        soon.refresh_from_db()
        record_assurance(soon, by=admin, version=soon.version, rag="red", reason="No plan yet")
    flag_overdue(today=today)


@pytest.mark.parametrize("all_agreements", [False, True])
def test_after_writes_through_every_writer_the_figures_are_a_full_counts(world: dict[str, Any], all_agreements: bool) -> None:
    today = world["today"]
    scope = Scope(all_agreements=all_agreements)
    take_snapshot(day=today)
    before = _counted_whole(scope, today)
    assert london_windows(scope, today, _live(scope)) == before  # nothing changed yet

    _write_through_every_writer(world)

    after = _counted_whole(scope, today)
    assert after != before  # the writes moved the figures, so the delta is tested
    assert after["obligations"]["unowned"] < before["obligations"]["unowned"]
    assert after["obligations"]["disagree"] > before["obligations"]["disagree"]
    assert after["actions"]["total"] > before["actions"]["total"]
    assert london_windows(scope, today, _live(scope)) == after
    assert build_dashboard(scope, on=today).windows == after


def test_only_the_changed_items_are_read(world: dict[str, Any]) -> None:
    today = world["today"]
    scope = _scope()
    take_snapshot(day=today)
    with CaptureQueriesContext(connection) as nothing_changed:
        london_windows(scope, today, _live(scope))
    assert len(nothing_changed) == 2  # the snapshot's counts, the changed ids (none)

    late = Obligation.objects.get(pk=world["items"]["mou_late"].pk)
    record_update(
        late,
        by=world["officer"],
        version=late.version,
        data=UpdateInput(status=Status.COMPLETE, progress=100, reason="Done", evidence=["https://example.org/done"]),
    )
    with CaptureQueriesContext(connection) as one_changed:
        figures = london_windows(scope, today, _live(scope))
    # Obligations changed (the live and the recorded figures of the changed one); actions did not.
    assert len(one_changed) == 4
    assert all("COUNT" not in q["sql"] or "IN (" in q["sql"] for q in one_changed.captured_queries)
    assert figures == _counted_whole(scope, today)


def test_without_a_snapshot_of_the_day_the_live_rows_are_counted(world: dict[str, Any]) -> None:
    today = world["today"]
    scope = _scope()
    take_snapshot(day=today - dt.timedelta(days=1))  # yesterday's figures are not today's
    with CaptureQueriesContext(connection) as queries:
        figures = london_windows(scope, today, _live(scope))
    assert figures == _counted_whole(scope, today)
    assert len(queries) == 3  # no counts of the day; then each kind counted whole


def test_past_the_limit_the_live_rows_are_counted(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    today = world["today"]
    scope = _scope()
    take_snapshot(day=today)
    _write_through_every_writer(world)
    monkeypatch.setattr(windows_module, "DELTA_LIMIT", 2)
    with CaptureQueriesContext(connection) as queries:
        figures = london_windows(scope, today, _live(scope))
    assert figures == _counted_whole(scope, today)
    assert len(queries) == 4  # the counts of the day, the changed ids (too many), each kind whole


def test_the_snapshot_records_the_counts_of_its_own_rows(world: dict[str, Any]) -> None:
    today = world["today"]
    snapshot, _ = take_snapshot(day=today)
    stored = {(row.kind, row.agreement_id): row.counts for row in WindowCounts.objects.filter(snapshot=snapshot)}
    mou = world["items"]["mou_late"].commitment.agreement_id
    assert stored[("obligation", mou)] == count_windows(Obligation.objects.filter(commitment__agreement_id=mou), today, ratings=True)
    assert stored[("action", mou)] == count_windows(Action.objects.filter(obligation__commitment__agreement_id=mou), today)
    assert snapshot.log_mark


@pytest.mark.django_db(transaction=True)
def test_changes_committed_after_the_snapshot_are_counted_once(world: dict[str, Any]) -> None:
    """Across committed transactions (the snapshot's, then each write's), as the daily job and
    officers' requests run: each change after the snapshot's mark is in the delta once."""
    today = world["today"]
    scope = _scope()
    take_snapshot(day=today)
    _write_through_every_writer(world)
    assert london_windows(scope, today, _live(scope)) == _counted_whole(scope, today)
