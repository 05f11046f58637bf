"""The escalation ladder (DESIGN.md §10): its steps, the days overdue each needs, and who is told.

Step 1 tells the owner (or the party's officers) on the day an item is first seen overdue; step 2
the lead board's secretariat (the SPB's when the commitment has no lead board) after
``ESCALATE_TO_SECRETARIAT_AFTER_DAYS``; step 3 puts the item on the next Leaders' Committee report
after ``ESCALATE_TO_COMMITTEE_AFTER_DAYS``. This module is the ladder's only home: the defaults
live here (settings only carry what the environment overrides), and the overdue pass, the e-mails,
the digests and the committee paper all ask it.

It imports only the models, so anything above them can import it without a cycle.
"""

from __future__ import annotations

from django.conf import settings

from .models import Escalation

Step = Escalation.Step

# Days overdue before each step, unless the environment says otherwise (settings.py).
SECRETARIAT_AFTER_DAYS_DEFAULT = 14
COMMITTEE_AFTER_DAYS_DEFAULT = 28

# The board whose secretariat hears of items under commitments with no lead board, and whose
# weekly digest lists them.
FALLBACK_BOARD_CODE = "SPB"


def _days(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    return default if value is None else int(value)


def secretariat_after_days() -> int:
    """Days overdue before the lead board's secretariat is told (step 2)."""
    return _days("ESCALATE_TO_SECRETARIAT_AFTER_DAYS", SECRETARIAT_AFTER_DAYS_DEFAULT)


def committee_after_days() -> int:
    """Days overdue before an item goes on the next Leaders' Committee report (step 3)."""
    return _days("ESCALATE_TO_COMMITTEE_AFTER_DAYS", COMMITTEE_AFTER_DAYS_DEFAULT)


def ladder() -> list[tuple[int, int]]:
    """The steps in order, each with the days overdue it needs."""
    return [(Step.OWNER, 0), (Step.SECRETARIAT, secretariat_after_days()), (Step.COMMITTEE, committee_after_days())]


def is_fallback_board(code: str) -> bool:
    """Whether the board with ``code`` also takes the items whose commitment has no lead board."""
    return code.upper() == FALLBACK_BOARD_CODE


__all__ = [
    "COMMITTEE_AFTER_DAYS_DEFAULT",
    "FALLBACK_BOARD_CODE",
    "SECRETARIAT_AFTER_DAYS_DEFAULT",
    "Step",
    "committee_after_days",
    "is_fallback_board",
    "ladder",
    "secretariat_after_days",
]
