"""The overdue pass (commitments.overdue.flag_overdue): the London day boundary, flagging,
clearing with a history row, idempotence, and every step of the escalation ladder."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from boards.models import Membership
from commitments import changes, escalation, overdue
from commitments.models import Action, Change, Escalation, JobRun, Obligation, OutboxMessage, Status, StatusUpdate
from commitments.services import UpdateInput, record_update

from ..factories import ActionFactory, BoardFactory, MembershipFactory, ObligationFactory, PartyFactory, UserFactory
from .conftest import TODAY, action_under, overdue_action

pytestmark = pytest.mark.django_db


def run(today: dt.date = TODAY) -> dict[str, int]:
    return overdue.flag_overdue(today=today)


def snapshot() -> dict[str, Any]:
    """Everything the pass could write, to show a run changed nothing."""
    return {
        "actions": sorted(Action.objects.values_list("pk", "version", "overdue_since", "escalation_level", "updated_at")),
        "obligations": sorted(Obligation.objects.values_list("pk", "version", "overdue_since", "escalation_level", "updated_at")),
        "history": StatusUpdate.objects.count(),
        "escalations": sorted(Escalation.objects.values_list("pk", "resolved_at")),
        "outbox": OutboxMessage.objects.count(),
        "changes": Change.objects.count(),
    }


# --- the London day boundary (DESIGN.md §10) --------------------------------------------------


@pytest.mark.parametrize(
    ("due", "before", "at", "flagged_on"),
    [
        # Winter (GMT): London midnight is midnight UTC. 2026-03-29 is also the day BST starts, at 01:00 UTC.
        (dt.date(2026, 3, 28), "2026-03-28T23:59:59Z", "2026-03-29T00:00:00Z", dt.date(2026, 3, 29)),
        # Summer (BST): London midnight is 23:00 UTC the evening before.
        (dt.date(2026, 7, 1), "2026-07-01T22:59:59Z", "2026-07-01T23:00:00Z", dt.date(2026, 7, 2)),
    ],
    ids=["gmt", "bst"],
)
def test_an_item_becomes_overdue_at_london_midnight_after_its_due_date(
    obligation: Any, due: dt.date, before: str, at: str, flagged_on: dt.date
) -> None:
    action = ActionFactory(obligation=obligation, due_date=due, original_due_date=due)
    with time_machine.travel(before, tick=False):
        assert timezone.localdate() == due  # still the due day in London: due today is not overdue
        assert overdue.flag_overdue()["newly_overdue"] == 0
    action.refresh_from_db()
    assert action.overdue_since is None
    with time_machine.travel(at, tick=False):
        counts = overdue.flag_overdue()
    action.refresh_from_db()
    assert counts["newly_overdue"] == 1
    assert action.overdue_since == flagged_on


def test_an_item_due_today_is_not_overdue_and_one_due_yesterday_is(obligation: Any) -> None:
    due_today = ActionFactory(obligation=obligation, due_date=TODAY, original_due_date=TODAY)
    due_yesterday = overdue_action(obligation, days_late=1)
    assert run()["newly_overdue"] == 1
    due_today.refresh_from_db()
    due_yesterday.refresh_from_db()
    assert due_today.overdue_since is None
    assert due_yesterday.overdue_since == TODAY


def test_closed_items_and_items_without_a_due_date_are_never_flagged(obligation: Any) -> None:
    overdue_action(obligation, days_late=10, status=Status.COMPLETE, completed_date=TODAY, progress=100)
    overdue_action(obligation, days_late=10, status=Status.NOT_PURSUED)
    Obligation.objects.filter(pk=obligation.pk).update(due_date=None)
    assert run()["newly_overdue"] == 0
    assert not Action.objects.filter(overdue_since__isnull=False).exists()
    assert not Obligation.objects.filter(overdue_since__isnull=False).exists()


# --- flagging ---------------------------------------------------------------------------------


def test_flagging_bumps_the_version_and_tells_the_sync_feed(obligation: Any) -> None:
    action = overdue_action(obligation)
    version = action.version
    changes_before = Change.objects.count()
    run()
    action.refresh_from_db()
    assert action.version == version + 1
    assert action.escalation_level == Escalation.Step.OWNER
    feed = list(Change.objects.order_by("id")[changes_before:].values_list("resource", "key", "op", "version"))
    assert ("actions", str(action.pk), "update", action.version) in feed
    # No history row for flagging: nothing the owner recorded changed, only the dates spoke.
    assert not StatusUpdate.objects.filter(action=action, source=StatusUpdate.Source.SYSTEM).exists()


def test_overdue_obligations_are_flagged_and_escalated_like_actions(obligation: Any, officer: Any) -> None:
    Obligation.objects.filter(pk=obligation.pk).update(due_date=TODAY - dt.timedelta(days=3))
    counts = run()
    obligation.refresh_from_db()
    assert counts["newly_overdue"] == 1
    assert obligation.overdue_since == TODAY
    escalation = Escalation.objects.get()
    assert (escalation.target_type, escalation.obligation_id, escalation.action_id, escalation.step) == (
        "obligation",
        obligation.pk,
        None,
        1,
    )
    # No owner on the obligation: its party's officers are told.
    assert escalation.notified == [officer.email]


# --- clearing ---------------------------------------------------------------------------------


def test_an_item_completed_behind_the_write_path_is_cleared_with_a_history_row(obligation: Any, owner: Any) -> None:
    action = overdue_action(obligation, days_late=20, owner=owner)
    run(TODAY - dt.timedelta(days=15))  # flagged 15 days ago …
    run()  # … and escalated to the secretariat today
    action.refresh_from_db()
    assert action.escalation_level == 2
    # Completed by something that is not record_update (a data fix, an old import): overdue_since stays.
    Action.objects.filter(pk=action.pk).update(status=Status.COMPLETE, completed_date=TODAY, progress=100)
    version = Action.objects.get(pk=action.pk).version
    changes_before = Change.objects.count()

    counts = run(TODAY + dt.timedelta(days=1))

    action.refresh_from_db()
    assert counts["cleared"] == 1
    assert counts["escalations_resolved"] == 2
    assert (action.overdue_since, action.escalation_level, action.version) == (None, 0, version + 1)
    history = StatusUpdate.objects.get(action=action, source=StatusUpdate.Source.SYSTEM)
    assert history.reason == "No longer overdue: completed"
    assert history.author is None
    assert history.version == action.version
    assert (history.target_type, history.obligation_id, history.commitment_id, history.party_id) == (
        "action",
        obligation.pk,
        obligation.commitment_id,
        obligation.party_id,
    )
    assert not Escalation.objects.filter(action=action, resolved_at__isnull=True).exists()
    feed = set(Change.objects.order_by("id")[changes_before:].values_list("resource", "key", "op"))
    assert feed == {("actions", str(action.pk), "update"), ("status-updates", str(history.pk), "create")}


def test_an_item_marked_not_pursued_behind_the_write_path_is_cleared_like_a_completed_one(obligation: Any, owner: Any) -> None:
    """DESIGN.md §10: not_pursued closes an item, so its overdue record is cleared with a history row."""
    action = overdue_action(obligation, days_late=20, owner=owner)
    run(TODAY - dt.timedelta(days=15))
    run()
    Action.objects.filter(pk=action.pk).update(status=Status.NOT_PURSUED)
    version = Action.objects.get(pk=action.pk).version
    changes_before = Change.objects.count()

    counts = run(TODAY + dt.timedelta(days=1))

    action.refresh_from_db()
    assert (counts["cleared"], counts["escalations_resolved"], counts["newly_overdue"]) == (1, 2, 0)
    assert (action.overdue_since, action.escalation_level, action.version) == (None, 0, version + 1)
    history = StatusUpdate.objects.get(action=action, source=StatusUpdate.Source.SYSTEM)
    assert history.reason == "No longer overdue: not pursued"
    assert (history.from_status, history.to_status, history.version) == (Status.NOT_PURSUED, Status.NOT_PURSUED, action.version)
    assert not Escalation.objects.filter(action=action, resolved_at__isnull=True).exists()
    feed = set(Change.objects.order_by("id")[changes_before:].values_list("resource", "key", "op"))
    assert feed == {("actions", str(action.pk), "update"), ("status-updates", str(history.pk), "create")}
    # Closed, it is not flagged again or escalated further.
    before = snapshot()
    run(TODAY + dt.timedelta(days=40))
    assert snapshot() == before


def test_marking_not_pursued_through_record_update_clears_it_there(obligation: Any, officer: Any) -> None:
    action = overdue_action(obligation, days_late=3)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False):
        run()
        action.refresh_from_db()
        record_update(
            action, by=officer, version=action.version, data=UpdateInput(status=Status.NOT_PURSUED, reason="Dropped by the board")
        )
    action.refresh_from_db()
    assert (action.status, action.overdue_since, action.escalation_level) == (Status.NOT_PURSUED, None, 0)
    assert Escalation.objects.get(action=action).resolved_at is not None
    history_before = StatusUpdate.objects.count()
    assert run(TODAY + dt.timedelta(days=1))["cleared"] == 0
    assert StatusUpdate.objects.count() == history_before


def test_an_item_re_dated_into_the_future_is_cleared_and_the_reason_names_the_new_date(obligation: Any) -> None:
    action = overdue_action(obligation, days_late=2)
    run()
    Action.objects.filter(pk=action.pk).update(due_date=dt.date(2026, 5, 1))
    assert run(TODAY + dt.timedelta(days=1))["cleared"] == 1
    history = StatusUpdate.objects.get(action=action, source=StatusUpdate.Source.SYSTEM)
    assert history.reason == "No longer overdue: re-dated to 2026-05-01"
    assert (history.from_due_date, history.to_due_date) == (dt.date(2026, 5, 1), dt.date(2026, 5, 1))


def test_an_obligation_whose_due_date_was_removed_is_cleared(obligation: Any) -> None:
    Obligation.objects.filter(pk=obligation.pk).update(due_date=TODAY - dt.timedelta(days=1))
    run()
    Obligation.objects.filter(pk=obligation.pk).update(due_date=None)
    assert run()["cleared"] == 1
    assert StatusUpdate.objects.get(obligation=obligation, action=None, source="system").reason == "No longer overdue: due date removed"


def test_completing_through_record_update_clears_it_there_and_the_pass_adds_nothing(obligation: Any, officer: Any) -> None:
    action = overdue_action(obligation, days_late=3)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False):
        run()
        action.refresh_from_db()
        record_update(
            action, by=officer, version=action.version, data=UpdateInput(status=Status.COMPLETE, reason="Done", evidence=["minutes"])
        )
    action.refresh_from_db()
    assert action.overdue_since is None
    assert Escalation.objects.get(action=action).resolved_at is not None
    history_before = StatusUpdate.objects.count()
    counts = run(TODAY + dt.timedelta(days=1))
    assert (counts["cleared"], counts["escalations_resolved"]) == (0, 0)
    assert StatusUpdate.objects.count() == history_before


def test_a_new_overdue_spell_starts_a_fresh_ladder(obligation: Any, owner: Any) -> None:
    action = overdue_action(obligation, days_late=1, owner=owner)
    run()
    Action.objects.filter(pk=action.pk).update(due_date=TODAY + dt.timedelta(days=5))
    run(TODAY + dt.timedelta(days=1))  # cleared
    later = TODAY + dt.timedelta(days=7)  # due date passed again
    counts = run(later)
    assert counts["newly_overdue"] == 1
    assert counts["escalated_step_1"] == 1
    spells = sorted(Escalation.objects.filter(action=action).values_list("overdue_since", "resolved_at"))
    assert spells[0][0] == TODAY and spells[0][1] is not None
    assert spells[1] == (later, None)


# --- idempotence ------------------------------------------------------------------------------


def test_a_second_run_the_same_day_changes_nothing_and_queues_nothing(obligation: Any, officer: Any, secretary: Any, owner: Any) -> None:
    overdue_action(obligation, days_late=1, owner=owner)
    long_overdue = overdue_action(obligation, days_late=40)
    Action.objects.filter(pk=long_overdue.pk).update(overdue_since=TODAY - dt.timedelta(days=30))
    done = overdue_action(obligation, days_late=5)
    Action.objects.filter(pk=done.pk).update(overdue_since=TODAY - dt.timedelta(days=4), status=Status.COMPLETE, completed_date=TODAY)
    # A frozen clock makes both runs stamp the same instant: the pass must not rely on time moving.
    with time_machine.travel(dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC), tick=False):
        first = overdue.flag_overdue()
        # Four steps, three people told (the owner; the party's officer of steps 1 and 3 and the
        # secretariat of steps 2 and 3 of the long-overdue one): one e-mail each.
        assert (first["newly_overdue"], first["cleared"], first["escalated_step_3"], first["messages_queued"]) == (1, 1, 1, 3)
        before = snapshot()
        with CaptureQueriesContext(connection) as asked:
            second = overdue.flag_overdue()
    assert all(value == 0 for value in second.values()), second
    assert snapshot() == before
    # A pass with nothing to do asks one question per kind of item (obligations, actions) and
    # writes nothing: no UPDATE, INSERT or DELETE is even planned (issue 12).
    statements = [q["sql"] for q in asked.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    questions = [sql for sql in statements if "IS NOT NULL" in sql and sql.startswith("SELECT (SELECT")]
    assert len(questions) == 2
    assert not [sql for sql in statements if sql.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
    assert len(statements) == 2 + (connection.vendor == "postgresql")  # + the pass's advisory lock


# --- the escalation ladder --------------------------------------------------------------------


def test_the_ladder_tells_the_owner_then_the_secretariat_then_puts_it_on_the_committee_report(
    obligation: Any, owner: Any, secretary: Any, officer: Any, settings: Any
) -> None:
    action = overdue_action(obligation, days_late=1, owner=owner)
    day0 = TODAY

    assert run(day0)["escalated_step_1"] == 1
    step1 = Escalation.objects.get(action=action, step=1)
    assert step1.notified == [owner.email]  # the owner, not the party's officers
    assert step1.board is None and step1.overdue_since == day0
    assert step1.commitment_id == obligation.commitment_id and step1.obligation_id == obligation.pk

    counts = run(day0 + dt.timedelta(days=escalation.secretariat_after_days() - 1))
    assert (counts["escalated_step_1"], counts["escalated_step_2"]) == (0, 0)

    assert run(day0 + dt.timedelta(days=escalation.secretariat_after_days()))["escalated_step_2"] == 1
    step2 = Escalation.objects.get(action=action, step=2)
    assert step2.board == obligation.commitment.lead_board
    assert step2.notified == [secretary.email]

    assert run(day0 + dt.timedelta(days=escalation.committee_after_days() - 1))["escalated_step_3"] == 0
    assert run(day0 + dt.timedelta(days=escalation.committee_after_days()))["escalated_step_3"] == 1
    step3 = Escalation.objects.get(action=action, step=3)
    assert sorted(step3.notified) == sorted([secretary.email, owner.email])
    action.refresh_from_db()
    assert action.escalation_level == 3
    # One message per person told in each pass, listing the steps they were told of.
    told = sorted((m.payload["to"], tuple(m.payload["escalation_ids"])) for m in OutboxMessage.objects.all())
    assert told == sorted(
        [(owner.email, (step1.pk,)), (secretary.email, (step2.pk,)), (secretary.email, (step3.pk,)), (owner.email, (step3.pk,))]
    )
    assert OutboxMessage.objects.filter(kind="email.escalations").count() == 4
    assert Escalation.objects.filter(action=action).count() == 3


def test_an_item_found_long_overdue_takes_every_step_it_has_reached_at_once(obligation: Any, owner: Any, secretary: Any) -> None:
    action = overdue_action(obligation, days_late=60, owner=owner)
    Action.objects.filter(pk=action.pk).update(overdue_since=TODAY - dt.timedelta(days=29))
    counts = run()
    assert (counts["escalated_step_1"], counts["escalated_step_2"], counts["escalated_step_3"]) == (1, 1, 1)
    action.refresh_from_db()
    assert action.escalation_level == 3


def test_without_an_owner_every_officer_of_the_owing_party_is_told(obligation: Any, officer: Any, party_a: Any) -> None:
    colleague = UserFactory(username="carol", email="carol@example.org")
    MembershipFactory(user=colleague, party=party_a, role=Membership.Role.OFFICER)
    UserFactory(username="nomail", email="")  # no address: cannot be told
    MembershipFactory(
        user=UserFactory(username="gone", email="gone@example.org", is_active=False), party=party_a, role=Membership.Role.OFFICER
    )
    overdue_action(obligation)
    run()
    assert Escalation.objects.get().notified == ["alice@example.org", "carol@example.org"]


def test_an_owner_who_cannot_be_reached_falls_back_to_the_party_officers(obligation: Any, officer: Any) -> None:
    left = UserFactory(username="left", email="left@example.org", is_active=False)
    overdue_action(obligation, owner=left)
    run()
    assert Escalation.objects.get().notified == [officer.email]


def test_a_commitment_with_no_lead_board_escalates_to_the_spb_secretariat(party_a: Any, secretary: Any, lhb_secretary: Any) -> None:
    # `secretary` is the SPB's secretariat (conftest's `board` has code SPB).
    action = action_under(None, party_a, days_late=1)
    Action.objects.filter(pk=action.pk).update(overdue_since=TODAY - dt.timedelta(days=14))
    run()
    step2 = Escalation.objects.get(action=action, step=2)
    assert step2.board is not None and step2.board.code == "SPB"
    assert step2.notified == [secretary.email]


def test_a_commitment_led_by_another_board_escalates_to_that_board(party_a: Any, lhb: Any, lhb_secretary: Any, secretary: Any) -> None:
    action = action_under(lhb, party_a, days_late=1)
    Action.objects.filter(pk=action.pk).update(overdue_since=TODAY - dt.timedelta(days=14))
    run()
    step2 = Escalation.objects.get(action=action, step=2)
    assert step2.board == lhb
    assert step2.notified == [lhb_secretary.email]


def test_a_step_with_nobody_to_tell_is_recorded_but_queues_no_message(db: Any) -> None:
    lonely = ObligationFactory(party=PartyFactory(slug="nobody-home"), commitment__lead_board=BoardFactory(code="XYZ"))
    overdue_action(lonely)
    counts = run()
    assert counts["escalated_step_1"] == 1
    assert Escalation.objects.get().notified == []
    assert counts["messages_queued"] == 0
    assert not OutboxMessage.objects.exists()


def test_the_ladder_thresholds_are_settings(obligation: Any, owner: Any, secretary: Any, settings: Any) -> None:
    settings.ESCALATE_TO_SECRETARIAT_AFTER_DAYS = 3
    settings.ESCALATE_TO_COMMITTEE_AFTER_DAYS = 5
    action = overdue_action(obligation, owner=owner)
    Action.objects.filter(pk=action.pk).update(overdue_since=TODAY - dt.timedelta(days=3))
    counts = run()
    assert (counts["escalated_step_2"], counts["escalated_step_3"]) == (1, 0)
    assert run(TODAY + dt.timedelta(days=2))["escalated_step_3"] == 1


def test_messages_are_delivered_only_after_commit(obligation: Any, owner: Any, django_capture_on_commit_callbacks: Any) -> None:
    overdue_action(obligation, owner=owner)
    with django_capture_on_commit_callbacks() as callbacks:
        run()
    # schedule_delivery's enqueue, run only once the pass has committed (besides the change log's
    # after-commit nudge of its followers, the webhooks).
    assert [c for c in callbacks if c is not changes._after_commit] and len(callbacks) == 2
    assert sum(1 for c in callbacks if c is changes._after_commit) == 1


# --- the statement count does not grow with the data -----------------------------------------


def _bulk_items(obligation: Any, owner: Any, n: int) -> None:
    """n actions overdue and never flagged, n/10 flagged 30 days ago (steps 2 and 3 due), n/10
    completed but still marked (to clear); half of them owned."""
    yesterday = TODAY - dt.timedelta(days=1)
    rows = [
        Action(
            obligation=obligation,
            description=f"Milestone {i}",
            due_date=yesterday,
            original_due_date=yesterday,
            owner=owner if i % 2 else None,
        )
        for i in range(n)
    ]
    rows += [
        Action(
            obligation=obligation,
            description=f"Late {i}",
            due_date=yesterday,
            original_due_date=yesterday,
            overdue_since=TODAY - dt.timedelta(days=30),
        )
        for i in range(n // 10)
    ]
    rows += [
        Action(
            obligation=obligation,
            description=f"Done {i}",
            due_date=yesterday,
            original_due_date=yesterday,
            overdue_since=TODAY - dt.timedelta(days=3),
            status=Status.COMPLETE,
            completed_date=TODAY,
        )
        for i in range(n // 10)
    ]
    Action.objects.bulk_create(rows, batch_size=2000)


def _reset_and_fill(obligation: Any, owner: Any, n: int) -> None:
    Action.objects.all().delete()
    Escalation.objects.all().delete()
    OutboxMessage.objects.all().delete()
    _bulk_items(obligation, owner, n)


@pytest.mark.slow
def test_the_pass_issues_the_same_statements_at_1000_and_10000_actions(
    obligation: Any, owner: Any, secretary: Any, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _reset_and_fill(obligation, owner, 1_000)
    with CaptureQueriesContext(connection) as at_1000:
        small = run()
    _reset_and_fill(obligation, owner, 10_000)
    # The same number of statements at ten times the rows: set-based, no per-row queries.
    with django_assert_num_queries(len(at_1000.captured_queries)):
        large = run()
    # The work itself was real and ten times larger.
    assert (small["newly_overdue"], large["newly_overdue"]) == (1_000, 10_000)
    assert (small["cleared"], large["cleared"]) == (100, 1_000)
    assert (small["escalated_step_3"], large["escalated_step_3"]) == (100, 1_000)
    # Party A has no officers here: the owned half is told at step 1, and the secretariat is told of
    # each long-overdue item at steps 2 and 3; unowned step-1 items have nobody to tell. That is two
    # people, so two e-mails, listing all 7,000 steps between them.
    assert large["messages_queued"] == 2
    listed = {m.payload["to"]: m.payload["escalation_ids"] for m in OutboxMessage.objects.all()}
    assert {address: len(ids) for address, ids in listed.items()} == {owner.email: 5_000, secretary.email: 2 * 1_000}
    assert len(set(listed[owner.email]) | set(listed[secretary.email])) == Escalation.objects.exclude(notified=[]).count() == 7_000
    assert Action.objects.filter(overdue_since=TODAY).count() == 10_000
    assert len(at_1000.captured_queries) <= 40


# --- the job record, the log line and /health/ ------------------------------------------------


def test_run_flag_overdue_records_a_job_run_and_a_structured_log_line(obligation: Any, owner: Any, caplog: Any) -> None:
    overdue_action(obligation, owner=owner)
    caplog.set_level(logging.INFO, logger="commitments.jobs")
    run_ = overdue.run_flag_overdue("test", today=TODAY)
    assert run_.name == "flag_overdue" and run_.outcome == JobRun.Outcome.SUCCESS and run_.finished_at is not None
    assert run_.counts["newly_overdue"] == 1
    assert run_.counts["escalated_step_1"] == 1
    assert run_.counts["today"] == TODAY.isoformat()
    assert run_.counts["triggered_by"] == "test"
    assert isinstance(run_.counts["duration_ms"], int)
    record = next(r for r in caplog.records if r.getMessage() == "flag_overdue finished")
    assert record.fields["newly_overdue"] == 1 and record.fields["run"] == run_.pk  # type: ignore[attr-defined]
    from devotracker.logging import KeyValueFormatter

    line = KeyValueFormatter().format(record)
    assert "newly_overdue=1" in line and "escalated_step_1=1" in line and "duration_ms=" in line


def test_a_failed_pass_is_recorded_with_its_error_and_nothing_is_kept(obligation: Any, monkeypatch: Any) -> None:
    action = overdue_action(obligation)

    def broken_ladder() -> list[tuple[int, int]]:
        raise RuntimeError("ladder misconfigured")

    monkeypatch.setattr(escalation, "ladder", broken_ladder)
    run_ = overdue.run_flag_overdue("test", today=TODAY)
    assert run_.outcome == JobRun.Outcome.FAILURE
    assert "RuntimeError: ladder misconfigured" in run_.error
    action.refresh_from_db()
    assert action.overdue_since is None
    with pytest.raises(RuntimeError):
        overdue.run_flag_overdue("test", today=TODAY, reraise=True)


def test_a_redelivered_task_marks_its_abandoned_first_attempt(db: Any) -> None:
    JobRun.objects.create(name="flag_overdue", task_id="task-1")
    other = JobRun.objects.create(name="flag_overdue", task_id="task-2")
    run_ = overdue.run_flag_overdue("beat", today=TODAY, task_id="task-1")
    assert run_.outcome == JobRun.Outcome.SUCCESS
    abandoned = JobRun.objects.get(task_id="task-1", outcome=JobRun.Outcome.FAILURE)
    assert abandoned.error.startswith("Abandoned")
    other.refresh_from_db()
    assert other.outcome == JobRun.Outcome.RUNNING  # a different task may still be running


def test_health_reports_the_age_of_the_last_successful_pass(client: Any, db: Any) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC), tick=False):
        overdue.run_flag_overdue("test")
    JobRun.objects.create(name="flag_overdue", outcome=JobRun.Outcome.FAILURE, finished_at=dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC))
    with time_machine.travel(dt.datetime(2026, 3, 2, 7, 30, tzinfo=dt.UTC), tick=False):
        body = client.get("/health/").json()
    assert body["last_overdue_run"] == "2026-03-02T06:00:00Z"
    assert body["last_overdue_run_age_seconds"] == 90 * 60


# --- two passes at once ---------------------------------------------------------------------


@pytest.mark.postgresql(reason="two passes at once need concurrent writers; SQLite serialises them")
@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_do_the_work_exactly_once(obligation: Any, owner: Any, secretary: Any, monkeypatch: Any) -> None:
    import threading

    from django.db import connection

    from commitments import notifications

    monkeypatch.setattr(notifications.outbox, "schedule_delivery", lambda: None)  # no broker in this test
    for _ in range(20):
        overdue_action(obligation, owner=owner)
    late = overdue_action(obligation, owner=owner, days_late=40)
    Action.objects.filter(pk=late.pk).update(overdue_since=TODAY - dt.timedelta(days=30))
    start = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def one_pass() -> None:
        try:
            start.wait()
            results.append(overdue.flag_overdue(today=TODAY))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(r["newly_overdue"] for r in results) == [0, 20]
    # 20 step-1 notices, and steps 1, 2, 3 for the late one: to the owner and the secretariat, an
    # e-mail each, queued by whichever pass did the work.
    assert sorted(r["messages_queued"] for r in results) == [0, 2]
    assert Escalation.objects.count() == 23
    listed = {m.payload["to"]: m.payload["escalation_ids"] for m in OutboxMessage.objects.all()}
    assert {address: len(ids) for address, ids in listed.items()} == {owner.email: 20 + 2, secretary.email: 2}
