"""services.record_update: permission, version, validation, history, roll-up and overdue clearing."""

from __future__ import annotations

import datetime as dt

import pytest

from commitments.models import Commitment, Escalation, Obligation, StatusUpdate
from commitments.services import InvalidUpdate, NotAllowed, UpdateInput, VersionConflict, add_action, record_update

from ..factories import ActionFactory

pytestmark = pytest.mark.django_db


def test_an_officer_records_an_update_with_history(obligation, officer):
    update = record_update(
        obligation,
        by=officer,
        version=1,
        data=UpdateInput(status="in_progress", rag="amber", progress=30, reason="Kick-off held", note="Met partners"),
    )
    obligation.refresh_from_db()
    assert (obligation.status, obligation.rag, obligation.progress, obligation.version) == ("in_progress", "amber", 30, 2)
    assert (update.from_status, update.to_status, update.from_rag, update.to_rag) == ("not_started", "in_progress", "", "amber")
    assert (update.author, update.party, update.commitment, update.version) == (officer, obligation.party, obligation.commitment, 2)
    assert StatusUpdate.objects.filter(obligation=obligation).count() == 1
    commitment = Commitment.objects.get(pk=obligation.commitment_id)
    assert (commitment.rollup_status, commitment.rollup_rag, commitment.rollup_progress) == ("in_progress", "amber", 30)


def test_another_partys_officer_is_refused_and_nothing_changes(obligation, other_officer):
    with pytest.raises(NotAllowed):
        record_update(obligation, by=other_officer, version=1, data=UpdateInput(note="Not mine"))
    obligation.refresh_from_db()
    assert obligation.version == 1 and not StatusUpdate.objects.exists()


def test_viewers_may_not_write(obligation, viewer):
    with pytest.raises(NotAllowed):
        record_update(obligation, by=viewer, version=1, data=UpdateInput(note="hello"))


def test_a_stale_version_is_refused_with_the_current_state(obligation, officer):
    record_update(obligation, by=officer, version=1, data=UpdateInput(progress=10))
    with pytest.raises(VersionConflict) as exc:
        record_update(obligation, by=officer, version=1, data=UpdateInput(progress=20))
    assert exc.value.current.version == 2 and exc.value.current.progress == 10
    assert StatusUpdate.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (UpdateInput(status="in_progress"), "reason"),
        (UpdateInput(rag="red"), "reason"),
        (UpdateInput(revised_due_date=dt.date(2030, 1, 1)), "reason"),
        (UpdateInput(status="complete", reason="Done"), "evidence"),
        (UpdateInput(progress=150), "progress"),
        (UpdateInput(status="finished", reason="x"), "status"),
        (UpdateInput(rag="blue", reason="x"), "rag"),
        (UpdateInput(), "__all__"),
        (UpdateInput(note="x" * 5001), "note"),
    ],
)
def test_bad_updates_name_the_field_and_save_nothing(obligation, officer, data, field):
    with pytest.raises(InvalidUpdate) as exc:
        record_update(obligation, by=officer, version=1, data=data)
    assert field in exc.value.errors
    obligation.refresh_from_db()
    assert obligation.version == 1 and not StatusUpdate.objects.exists()


def test_completing_with_evidence_sets_progress_and_completion_date(officer, obligation):
    action = ActionFactory(obligation=obligation)
    record_update(
        action, by=officer, version=1, data=UpdateInput(status="complete", reason="Delivered", evidence=["https://example.org/minutes"])
    )
    action.refresh_from_db()
    assert (action.status, action.progress, action.completed_date is not None) == ("complete", 100, True)


def test_redating_an_overdue_item_clears_its_overdue_record(officer, obligation):
    today = dt.date.today()
    action = ActionFactory(
        obligation=obligation, due_date=today - dt.timedelta(days=20), overdue_since=today - dt.timedelta(days=19), escalation_level=2
    )
    Escalation.objects.create(
        target_type="action",
        action=action,
        obligation=obligation,
        commitment=obligation.commitment,
        step=1,
        overdue_since=action.overdue_since,
    )
    update = record_update(
        action, by=officer, version=1, data=UpdateInput(revised_due_date=today + dt.timedelta(days=30), reason="Replanned with partners")
    )
    action.refresh_from_db()
    assert (action.overdue_since, action.escalation_level) == (None, 0)
    assert Escalation.objects.get().resolved_at is not None
    assert update.from_due_date == today - dt.timedelta(days=20)
    assert update.to_due_date == today + dt.timedelta(days=30)


def test_control_characters_are_stripped_from_notes(officer, obligation):
    update = record_update(obligation, by=officer, version=1, data=UpdateInput(note="ok\x00\x07 done\ttab"))
    assert update.note == "ok done\ttab"


def test_the_secretariat_records_the_assessed_state(secretary, commitment, obligation):
    record_update(commitment, by=secretary, version=1, data=UpdateInput(status="in_progress", rag="amber", reason="Assurance review"))
    commitment.refresh_from_db()
    assert commitment.assessed_at is not None and commitment.assessed_by == secretary
    assert (commitment.shown_status, commitment.shown_rag) == ("in_progress", "amber")


def test_an_officer_may_not_assess_a_commitment(officer, commitment):
    with pytest.raises(NotAllowed):
        record_update(commitment, by=officer, version=1, data=UpdateInput(rag="green", reason="x"))


def test_add_action_writes_a_history_row(officer, obligation, other_officer):
    action = add_action(obligation, by=officer, description="Agree terms of reference", due_date=dt.date(2027, 3, 31))
    assert action.original_due_date == dt.date(2027, 3, 31)
    assert StatusUpdate.objects.filter(action=action, note="Action added.").exists()
    with pytest.raises(NotAllowed):
        add_action(obligation, by=other_officer, description="x", due_date=dt.date(2027, 1, 1))
    with pytest.raises(InvalidUpdate) as exc:
        add_action(obligation, by=officer, description="  ", due_date=dt.date(1900, 1, 1))
    assert set(exc.value.errors) == {"description", "due_date"}


def test_every_change_is_in_the_change_log(officer, obligation):
    from commitments.models import Change

    start = Change.objects.count()
    record_update(obligation, by=officer, version=1, data=UpdateInput(progress=5))
    resources = list(Change.objects.order_by("id")[start:].values_list("resource", "op"))
    assert ("obligations", "update") in resources and ("status-updates", "create") in resources
    assert Obligation.objects.get(pk=obligation.pk).version == 2
