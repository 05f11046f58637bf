"""The escalation ladder's one home (commitments/escalation.py): its defaults, and the
environment's overrides through settings."""

from __future__ import annotations

from typing import Any

from commitments import escalation


def test_the_defaults_live_in_the_ladder_module(settings: Any) -> None:
    settings.ESCALATE_TO_SECRETARIAT_AFTER_DAYS = None  # unset in the environment
    settings.ESCALATE_TO_COMMITTEE_AFTER_DAYS = None
    assert escalation.ladder() == [(1, 0), (2, escalation.SECRETARIAT_AFTER_DAYS_DEFAULT), (3, escalation.COMMITTEE_AFTER_DAYS_DEFAULT)]
    assert (escalation.secretariat_after_days(), escalation.committee_after_days()) == (14, 28)


def test_the_environment_overrides_the_days(settings: Any) -> None:
    settings.ESCALATE_TO_SECRETARIAT_AFTER_DAYS = 0
    settings.ESCALATE_TO_COMMITTEE_AFTER_DAYS = 7
    assert escalation.ladder() == [(1, 0), (2, 0), (3, 7)]


def test_the_fallback_board_is_the_spb() -> None:
    assert escalation.is_fallback_board("spb") and not escalation.is_fallback_board("LEB")
