"""Fixtures for the partner API tests: a small world with every kind of resource, and clients.

The world (built with the shared personas of tests/conftest.py):

- ``commitment`` TST-001, led by the SPB (``board``), under the MoU and a theme, concerning a
  pilot; obligations of party A (``obligation``, overdue, with two actions) and party B
  (``other_obligation``);
- ``second`` TST-002 (no lead board, due far ahead, assessed green by the secretariat);
- a borough (also a party) in the pilot, a meeting of the SPB with a built report, and history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from commitments import services
from commitments.models import Commitment, CommitmentPilot, Report, StatusUpdate

from ..conftest import token_client
from ..factories import (
    ActionFactory,
    AgreementFactory,
    BoroughFactory,
    CommitmentFactory,
    MeetingFactory,
    ObligationFactory,
    PilotFactory,
    ThemeFactory,
    UserFactory,
)


@dataclass
class World:
    commitment: Any
    second: Any
    obligation: Any
    other_obligation: Any
    action: Any
    late_action: Any
    board: Any
    theme: Any
    agreement: Any
    pilot: Any
    borough: Any
    meeting: Any
    report: Any
    update: Any


@pytest.fixture
def world(commitment: Any, obligation: Any, other_obligation: Any, board: Any, secretary: Any, officer: Any) -> World:
    today = timezone.localdate()
    agreement = AgreementFactory()
    theme = ThemeFactory(slug="capital-and-estates", name="Capital and estates", ref_prefix="EST", order=1)
    Commitment.objects.filter(pk=commitment.pk).update(theme=theme, agreement=agreement, target_date=today + dt.timedelta(days=200))
    commitment.refresh_from_db()
    second = CommitmentFactory(ref="TST-002", theme=theme, agreement=agreement, target_date=today + dt.timedelta(days=400))
    pilot = PilotFactory(slug="hackney", name="Hackney prevention pilot")
    borough = BoroughFactory(slug="hackney", name="Hackney")
    pilot.boroughs.add(borough)
    CommitmentPilot.objects.create(commitment=commitment, pilot=pilot)
    # Party A's obligation is overdue (due yesterday, London time) and has two actions.
    obligation.due_date = today - dt.timedelta(days=1)
    obligation.owner = officer
    obligation.save()
    action = ActionFactory(obligation=obligation, description="Publish the estates plan", due_date=today + dt.timedelta(days=10))
    late_action = ActionFactory(obligation=obligation, description="Agree the business case", due_date=today - dt.timedelta(days=3))
    # History: party A's officer records progress; the secretariat assesses TST-002 as green.
    update = services.record_update(
        obligation,
        by=officer,
        version=obligation.version,
        data=services.UpdateInput(status="in_progress", rag="amber", progress=40, reason="Work started"),
    )
    obligation.refresh_from_db()
    ObligationFactory(commitment=second, party=obligation.party, due_date=today + dt.timedelta(days=300))
    second.lead_board = board
    second.save()
    services.record_update(
        second, by=secretary, version=second.version, data=services.UpdateInput(rag="green", progress=10, reason="On track")
    )
    Commitment.objects.filter(pk=second.pk).update(lead_board=None)
    second.refresh_from_db()
    commitment.refresh_from_db()
    meeting = MeetingFactory(board=board, title="Strategic Partnership Board", date=today + dt.timedelta(days=20))
    report = Report.objects.create(
        meeting=meeting,
        kind=Report.Kind.BOARD_PAPER,
        state=Report.State.READY,
        title="Outstanding actions",
        html="<html><body><h1>Outstanding actions</h1></body></html>",
        built_at=timezone.now(),
    )
    return World(
        commitment=commitment,
        second=second,
        obligation=obligation,
        other_obligation=other_obligation,
        action=action,
        late_action=late_action,
        board=board,
        theme=theme,
        agreement=agreement,
        pilot=pilot,
        borough=borough,
        meeting=meeting,
        report=report,
        update=StatusUpdate.objects.get(pk=update.pk),
    )


@pytest.fixture
def reader(read_token: str) -> APIClient:
    """A partner system with a read-only token."""
    return token_client(read_token)


@pytest.fixture
def writer(write_token: str) -> APIClient:
    """A partner system with a write token acting for party A (an officer of party A)."""
    return token_client(write_token)


@pytest.fixture
def other_writer(other_officer: Any) -> APIClient:
    """A write token of party B's officer."""
    from boards.models import ApiToken

    return token_client(ApiToken.issue(user=other_officer, scope=ApiToken.Scope.WRITE)[1])


@pytest.fixture
def secretary_writer(secretary: Any) -> APIClient:
    """A write token of the SPB secretariat (which leads TST-001)."""
    from boards.models import ApiToken

    return token_client(ApiToken.issue(user=secretary, scope=ApiToken.Scope.WRITE)[1])


@pytest.fixture
def viewer_client(viewer: Any) -> APIClient:
    from boards.models import ApiToken

    return token_client(ApiToken.issue(user=viewer, scope=ApiToken.Scope.WRITE)[1])


def make_user(username: str) -> Any:
    return UserFactory(username=username)
