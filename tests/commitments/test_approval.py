"""Approval before publishing (issue 15, point 2): an officer's update to an item under a board
that requires approval is kept as a PendingUpdate; the item, its history and the change log stay
as published until the board's secretariat approves; returned, replaced, withdrawn and decided
updates behave as the officer guide says."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from boards.models import Membership
from boards.services import ApprovalNotAllowed, set_requires_approval
from commitments.models import Change, Obligation, OutboxMessage, PendingUpdate, StatusUpdate
from commitments.services import (
    AlreadyDecided,
    InvalidUpdate,
    NotAllowed,
    PendingExists,
    UpdateInput,
    approve_update,
    record_update,
    return_update,
    withdraw_update,
)

from ..factories import ActionFactory, BoardFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

AMBER = UpdateInput(status="in_progress", rag="amber", progress=40, reason="Started late", note="Private note")


@pytest.fixture
def approving(board: Any, secretary: Any) -> Any:
    set_requires_approval(board, by=secretary, on=True)
    board.refresh_from_db()
    return board


@pytest.fixture
def second_secretary(board: Any) -> Any:
    user = UserFactory(username="sue", first_name="Sue", last_name="Second", email="sue@example.org")
    MembershipFactory(user=user, party=None, board=board, role=Membership.Role.SECRETARIAT)
    return user


def _submit(obligation: Obligation, officer: Any, data: UpdateInput = AMBER, **kwargs: Any) -> Any:
    return record_update(obligation, by=officer, version=obligation.version, data=data, **kwargs)


def test_without_approval_an_officers_update_is_published_at_once(obligation: Any, officer: Any) -> None:
    result = _submit(obligation, officer)
    assert isinstance(result, StatusUpdate)
    obligation.refresh_from_db()
    assert (obligation.status, obligation.rag, obligation.progress, obligation.version) == ("in_progress", "amber", 40, 2)


def test_an_officers_update_under_an_approving_board_waits_and_changes_nothing_published(
    approving: Any, obligation: Any, officer: Any
) -> None:
    changes_before = Change.objects.count()
    history_before = StatusUpdate.objects.count()
    pending = _submit(obligation, officer)
    assert isinstance(pending, PendingUpdate)
    assert (pending.state, pending.board, pending.author, pending.base_version) == ("submitted", approving, officer, 1)
    assert (pending.status, pending.rag, pending.changes_rag, pending.progress) == ("in_progress", "amber", True, 40)
    obligation.refresh_from_db()
    assert (obligation.status, obligation.rag, obligation.progress, obligation.version) == ("not_started", "", 0, 1)
    assert StatusUpdate.objects.count() == history_before
    assert Change.objects.count() == changes_before  # partners, webhooks and open data see nothing yet
    assert [label for label, _, _ in pending.changes()] == ["Status", "RAG", "Progress"]


def test_the_secretariat_publishes_at_once_even_where_approval_is_on(approving: Any, obligation: Any, secretary: Any) -> None:
    result = _submit(obligation, secretary)
    assert isinstance(result, StatusUpdate)


def test_approval_publishes_once_with_the_officer_as_author(approving: Any, obligation: Any, officer: Any, secretary: Any) -> None:
    pending = _submit(obligation, officer)
    update = approve_update(pending, by=secretary, comment="Fine")
    obligation.refresh_from_db()
    assert (obligation.status, obligation.rag, obligation.progress, obligation.version) == ("in_progress", "amber", 40, 2)
    assert (update.author, update.approved_by, update.reason, update.note) == (officer, secretary, "Started late", "Private note")
    assert update.approved_at is not None
    pending.refresh_from_db()
    assert (pending.state, pending.decided_by, pending.published, pending.comment) == ("approved", secretary, update, "Fine")
    assert Change.objects.filter(resource="obligations", object_id=obligation.pk).exists()
    with pytest.raises(AlreadyDecided):
        approve_update(pending, by=secretary)
    assert StatusUpdate.objects.filter(obligation=obligation).count() == 1  # never applied twice


def test_approval_applies_on_top_of_a_later_system_change(approving: Any, obligation: Any, officer: Any, secretary: Any) -> None:
    pending = _submit(obligation, officer)
    Obligation.objects.filter(pk=obligation.pk).update(version=5)  # e.g. the overdue pass flagged it meanwhile
    approve_update(pending, by=secretary)
    obligation.refresh_from_db()
    assert (obligation.rag, obligation.version) == ("amber", 6)


def test_an_update_that_no_longer_applies_is_refused_on_approval(approving: Any, obligation: Any, officer: Any, secretary: Any) -> None:
    pending = _submit(obligation, officer, UpdateInput(rag="red", reason="Slipping"))
    Obligation.objects.filter(pk=obligation.pk).update(rag="red")  # already red: nothing left to change
    with pytest.raises(InvalidUpdate, match="no longer applies"):
        approve_update(pending, by=secretary)
    pending.refresh_from_db()
    assert pending.state == "submitted"


def test_return_needs_a_comment_and_tells_the_officer(approving: Any, obligation: Any, officer: Any, secretary: Any) -> None:
    officer.email = "alice@example.org"
    officer.save()
    pending = _submit(obligation, officer)
    with pytest.raises(InvalidUpdate) as exc:
        return_update(pending, by=secretary, comment="   ")
    assert "comment" in exc.value.errors
    return_update(pending, by=secretary, comment="Give the evidence")
    pending.refresh_from_db()
    assert (pending.state, pending.comment) == ("returned", "Give the evidence")
    obligation.refresh_from_db()
    assert obligation.version == 1
    message = OutboxMessage.objects.get(dedupe_key=f"pending-update:{pending.pk}:returned")
    assert message.payload["to"] == ["alice@example.org"]
    assert "Give the evidence" in message.payload["text"]
    with pytest.raises(AlreadyDecided):
        return_update(pending, by=secretary, comment="Again")


def test_submitting_tells_the_secretariat(approving: Any, obligation: Any, officer: Any, second_secretary: Any) -> None:
    pending = _submit(obligation, officer)
    message = OutboxMessage.objects.get(dedupe_key=f"pending-update:{pending.pk}:submitted")
    assert message.payload["to"] == ["sam@example.org", "sue@example.org"]
    assert "TST-001" in message.payload["subject"]


def test_after_a_return_the_officer_submits_again(approving: Any, obligation: Any, officer: Any, secretary: Any) -> None:
    first = _submit(obligation, officer)
    return_update(first, by=secretary, comment="Add evidence")
    second = _submit(obligation, officer, UpdateInput(status="in_progress", reason="Started", evidence=["https://example.org/minutes"]))
    assert isinstance(second, PendingUpdate) and second.state == "submitted"
    approve_update(second, by=secretary)
    obligation.refresh_from_db()
    assert (obligation.status, obligation.version) == ("in_progress", 2)


def test_a_later_update_is_refused_while_one_waits_unless_it_replaces_it(
    approving: Any, obligation: Any, officer: Any, secretary: Any
) -> None:
    first = _submit(obligation, officer)
    with pytest.raises(PendingExists, match="awaiting approval"):
        _submit(obligation, officer, UpdateInput(progress=60, note="More"))
    with pytest.raises(PendingExists):  # the secretariat too: decide it first, or replace it
        _submit(obligation, secretary, UpdateInput(progress=60, note="More"))
    second = _submit(obligation, officer, UpdateInput(progress=60, note="More"), replace_pending=True)
    first.refresh_from_db()
    assert (first.state, first.replaced_by) == ("replaced", second)
    with pytest.raises(AlreadyDecided):
        approve_update(first, by=secretary)
    approve_update(second, by=secretary)
    obligation.refresh_from_db()
    assert (obligation.progress, obligation.status) == (60, "not_started")


def test_only_one_update_can_wait_per_item_even_bypassing_the_service(approving: Any, obligation: Any, officer: Any) -> None:
    pending = _submit(obligation, officer)
    pending.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        pending.save()


def test_approving_ones_own_update_is_refused(approving: Any, obligation: Any, officer: Any) -> None:
    pending = _submit(obligation, officer)
    # The officer joins the board's secretariat while their update waits: still not theirs to decide.
    MembershipFactory(user=officer, party=None, board=approving, role=Membership.Role.SECRETARIAT)
    officer._secretariat_board_ids = None
    with pytest.raises(NotAllowed, match="your own update"):
        approve_update(pending, by=officer)
    with pytest.raises(NotAllowed, match="your own update"):
        return_update(pending, by=officer, comment="No")
    assert PendingUpdate.objects.get(pk=pending.pk).state == "submitted"


def test_another_boards_secretariat_officers_and_viewers_cannot_decide(
    approving: Any, obligation: Any, officer: Any, other_officer: Any, viewer: Any
) -> None:
    leb = BoardFactory(code="LEB", slug="leb", name="London Estates Board")
    leb_secretary = UserFactory(username="lee")
    MembershipFactory(user=leb_secretary, party=None, board=leb, role=Membership.Role.SECRETARIAT)
    pending = _submit(obligation, officer)
    for user in (leb_secretary, other_officer, viewer):
        with pytest.raises(NotAllowed):
            approve_update(pending, by=user)
        with pytest.raises(NotAllowed):
            return_update(pending, by=user, comment="No")
    pending.refresh_from_db()
    assert pending.state == "submitted"


def test_an_administrator_may_decide(approving: Any, obligation: Any, officer: Any, admin_user: Any) -> None:
    pending = _submit(obligation, officer)
    approve_update(pending, by=admin_user)
    assert PendingUpdate.objects.get(pk=pending.pk).state == "approved"


def test_the_author_may_withdraw_and_nobody_else(approving: Any, obligation: Any, officer: Any, secretary: Any) -> None:
    pending = _submit(obligation, officer)
    with pytest.raises(NotAllowed):
        withdraw_update(pending, by=secretary)
    withdraw_update(pending, by=officer)
    assert PendingUpdate.objects.get(pk=pending.pk).state == "withdrawn"
    with pytest.raises(AlreadyDecided):
        approve_update(pending, by=secretary)


def test_actions_and_commitments_wait_too(approving: Any, obligation: Any, officer: Any, secretary: Any) -> None:
    action = ActionFactory(obligation=obligation, due_date=dt.date(2030, 1, 1))
    pending = record_update(action, by=officer, version=action.version, data=UpdateInput(progress=10, note="Begun"))
    assert isinstance(pending, PendingUpdate)
    assert (pending.target_type, pending.action, pending.obligation, pending.party) == ("action", action, obligation, obligation.party)
    approve_update(pending, by=secretary)
    action.refresh_from_db()
    assert action.progress == 10


def test_only_the_secretariat_switches_approval(board: Any, secretary: Any, officer: Any, viewer: Any) -> None:
    for user in (officer, viewer):
        with pytest.raises(ApprovalNotAllowed):
            set_requires_approval(board, by=user, on=True)
    board.refresh_from_db()
    assert not board.requires_approval
    set_requires_approval(board, by=secretary, on=True)
    board.refresh_from_db()
    assert (board.requires_approval, board.approval_changed_by) == (True, secretary)


def test_switching_approval_off_leaves_waiting_updates_to_be_decided(approving: Any, obligation: Any, officer: Any, secretary: Any) -> None:
    pending = _submit(obligation, officer)
    set_requires_approval(approving, by=secretary, on=False)
    with pytest.raises(PendingExists):
        _submit(obligation, officer, UpdateInput(progress=5, note="x"))
    approve_update(pending, by=secretary)
    assert isinstance(_submit(Obligation.objects.get(pk=obligation.pk), officer, UpdateInput(progress=50, note="y")), StatusUpdate)


def test_mail_is_not_sent_in_the_writing_transaction(approving: Any, obligation: Any, officer: Any) -> None:
    _submit(obligation, officer)
    assert mail.outbox == []
