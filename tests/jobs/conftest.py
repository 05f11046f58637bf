"""Fixtures for the jobs tests: a second board with its secretariat, people with e-mail
addresses, and helpers to make overdue items at a fixed London day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from boards.models import Membership
from commitments.models import Action

from ..factories import ActionFactory, BoardFactory, CommitmentFactory, MembershipFactory, ObligationFactory, UserFactory

# A Monday in GMT, so the weekly digest's ISO week and the daily digest's weekday are plain.
TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def lhb(db: Any) -> Any:
    return BoardFactory(code="LHB", slug="london-health-board", name="London Health Board", is_mou_board=True)


@pytest.fixture
def lhb_secretary(lhb: Any) -> Any:
    user = UserFactory(username="lena", first_name="Lena", last_name="Secretariat", email="lena@lhb.example.org")
    MembershipFactory(user=user, party=None, board=lhb, role=Membership.Role.SECRETARIAT)
    return user


@pytest.fixture
def owner(db: Any) -> Any:
    return UserFactory(username="olive", first_name="Olive", last_name="Owner", email="olive@example.org")


def overdue_action(obligation: Any, *, days_late: int = 1, today: dt.date = TODAY, **kwargs: Any) -> Action:
    """An open action whose due date is ``days_late`` days before ``today``."""
    due = today - dt.timedelta(days=days_late)
    return ActionFactory(obligation=obligation, due_date=due, original_due_date=due, **kwargs)


def action_under(board: Any | None, party: Any, **kwargs: Any) -> Action:
    """An action under a new commitment led by ``board`` (None: no lead board), owed by ``party``."""
    commitment = CommitmentFactory(lead_board=board)
    obligation = ObligationFactory(commitment=commitment, party=party)
    return overdue_action(obligation, **kwargs)
