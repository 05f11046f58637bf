"""Model invariants and database constraints."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from boards.models import Board, Membership
from commitments.models import Commitment, Obligation, StatusUpdate
from commitments.services import rollup_of

from ..factories import ActionFactory, BoardFactory, CommitmentFactory, ObligationFactory, PartyFactory, UserFactory

pytestmark = pytest.mark.django_db


def _violates(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except IntegrityError:
        return True
    return False


def test_progress_must_be_between_0_and_100(obligation):
    assert _violates(lambda: Obligation.objects.filter(pk=obligation.pk).update(progress=101))
    assert not _violates(lambda: Obligation.objects.filter(pk=obligation.pk).update(progress=100))


def test_status_and_rag_must_come_from_the_vocabularies(obligation):
    assert _violates(lambda: Obligation.objects.filter(pk=obligation.pk).update(status="done"))
    assert _violates(lambda: Obligation.objects.filter(pk=obligation.pk).update(rag="pink"))
    assert not _violates(lambda: Obligation.objects.filter(pk=obligation.pk).update(rag=""))


def test_one_obligation_per_party_per_commitment(obligation):
    assert _violates(lambda: Obligation.objects.create(commitment=obligation.commitment, party=obligation.party))


def test_commitment_refs_are_unique(commitment):
    assert _violates(
        lambda: CommitmentFactory._meta.model.objects.create(
            ref=commitment.ref,
            key="other",
            title="x",
            summary="x",
            agreement=commitment.agreement,
            theme=commitment.theme,
            kind="commitment",
        )
    )


def test_board_codes_are_unique_whatever_the_case(board):
    assert _violates(lambda: Board.objects.create(code=board.code.lower(), slug="other", name="Other"))


def test_a_membership_matches_its_role(party_a, board):
    user = UserFactory()
    assert _violates(lambda: Membership.objects.create(user=user, role="officer", board=board))
    assert _violates(lambda: Membership.objects.create(user=user, role="secretariat", party=party_a))
    assert _violates(lambda: Membership.objects.create(user=user, role="officer", party=party_a, board=board))
    Membership.objects.create(user=user, role="officer", party=party_a)
    assert _violates(lambda: Membership.objects.create(user=user, role="officer", party=party_a))


def test_a_status_update_has_exactly_one_target(obligation):
    base = {"commitment": obligation.commitment, "version": 2}
    assert _violates(lambda: StatusUpdate.objects.create(target_type="obligation", **base))
    assert _violates(lambda: StatusUpdate.objects.create(target_type="commitment", obligation=obligation, **base))
    assert not _violates(lambda: StatusUpdate.objects.create(target_type="obligation", obligation=obligation, **base))


def test_a_complete_action_has_a_completion_date():
    action = ActionFactory()
    assert _violates(lambda: type(action).objects.filter(pk=action.pk).update(status="complete"))
    assert not _violates(lambda: type(action).objects.filter(pk=action.pk).update(status="complete", completed_date=dt.date(2026, 1, 5)))


def test_a_board_cannot_report_to_itself():
    b = BoardFactory()
    assert _violates(lambda: Board.objects.filter(pk=b.pk).update(reports_to=b))


def test_the_reporting_chain_stops_at_a_cycle():
    a, b, c = BoardFactory(code="A1"), BoardFactory(code="B1"), BoardFactory(code="C1")
    a.reports_to, b.reports_to, c.reports_to = b, c, a
    for x in (a, b, c):
        x.save()
    assert [x.code for x in a.reporting_chain()] == ["B1", "C1"]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([], ("not_started", "", 0)),
        ([("complete", "green", 100), ("complete", "amber", 100)], ("complete", "amber", 100)),
        ([("not_started", "", 0), ("not_started", "", 0)], ("not_started", "", 0)),
        ([("not_started", "", 0), ("complete", "green", 100)], ("in_progress", "green", 50)),
        ([("in_progress", "red", 20), ("in_progress", "green", 61), ("not_started", "amber", 0)], ("in_progress", "red", 27)),
    ],
)
def test_rollup_rules(rows, expected):
    assert rollup_of(rows) == expected


def test_a_commitment_shows_the_assessment_when_recorded_else_the_rollup():
    c = CommitmentFactory(rollup_status="in_progress", rollup_rag="red", rollup_progress=40)
    assert (c.shown_status, c.shown_rag, c.shown_progress, c.assessment_differs) == ("in_progress", "red", 40, False)
    c.status, c.rag, c.progress, c.assessed_at = "in_progress", "amber", 50, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert (c.shown_status, c.shown_rag, c.shown_progress, c.assessment_differs) == ("in_progress", "amber", 50, True)
    c.save()
    annotated = Commitment.objects.with_shown_state().get(pk=c.pk)
    assert (annotated.shown_status_db, annotated.shown_rag_db) == ("in_progress", "amber")


def test_obligation_querysets_scope_writes_by_role(obligation, other_obligation, officer, secretary, viewer, admin_user):
    assert list(Obligation.objects.writable_by(officer)) == [obligation]
    assert set(Obligation.objects.writable_by(secretary)) == {obligation, other_obligation}
    assert not Obligation.objects.writable_by(viewer).exists()
    assert Obligation.objects.writable_by(admin_user).count() == 2


def test_collective_party_officers_may_write_its_obligations():
    collective = PartyFactory(slug="london-partners", collective=True)
    ob = ObligationFactory(party=collective)
    user = UserFactory()
    Membership.objects.create(user=user, role="officer", party=collective)
    assert list(Obligation.objects.writable_by(user)) == [ob]
