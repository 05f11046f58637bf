"""The assurance rating (issue 15, "two ratings"): who may give it, and the one write that does.

Every obligation and commitment carries the owner's *self-assessed* RAG (an obligation's ``rag``;
a commitment's shown RAG, DESIGN.md §10) and an *assurance* RAG given by the secretariat of the
lead board of its commitment, or, where no board leads, by London Councils' Leaders' Committee
secretariat (:data:`UNLED_ASSURANCE_BOARD_CODE`); administrators may give it too. Officers and
viewers may not.

:func:`record_assurance` writes it as the services write everything (the same helpers from
:mod:`commitments.services`): the permission first, the row locked, the version the writer saw
compared, the input checked, then in one transaction the item's new rating with who, when and why
(version + 1), a :class:`~commitments.models.StatusUpdate` whose ``from_assurance_rag`` /
``to_assurance_rag`` say what changed, the change log (so the API feed and webhooks see it) and,
for an obligation, its commitment's roll-up, which counts each obligation's rating used
(:func:`commitments.querysets.rating_used_expr`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from boards.models import Board

from .models import RAG_VALUES, Commitment, Obligation, Rag, StatusUpdate
from .querysets import _board_ids_for
from .services import InvalidUpdate, NotAllowed, lock_at_version, record_item_fact, refresh_rollup, required_reason

# The board whose secretariat gives the assurance rating of items under commitments no board
# leads: London Councils' Leaders' Committee (the loaded data's board of kind "committee" with
# this code; reporting.models.LEADERS_COMMITTEE_CODE names the same board).
UNLED_ASSURANCE_BOARD_CODE = "LC"

Assurable = Commitment | Obligation


def _commitment_of(item: Assurable) -> Commitment:
    return item if isinstance(item, Commitment) else item.commitment


def can_assure(user: Any, item: Assurable) -> bool:
    """Whether ``user`` may give ``item``'s assurance rating: from the user's secretariat boards
    (read once per request, shared with the write checks), plus, for an item no board leads and a
    user who is some board's secretariat, one query for Leaders' Committee's code."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    boards = _board_ids_for(user)
    if not boards:
        return False
    commitment = _commitment_of(item)
    if commitment.lead_board_id is not None:
        return commitment.lead_board_id in boards
    return Board.objects.filter(pk__in=boards, code__iexact=UNLED_ASSURANCE_BOARD_CODE).exists()


def assurer_label(item: Assurable) -> str:
    """Who gives ``item``'s assurance rating, as the pages say it."""
    commitment = _commitment_of(item)
    if commitment.lead_board is not None:
        return f"the {commitment.lead_board.code} secretariat (the lead board)"
    return "London Councils' Leaders' Committee secretariat (no board leads this commitment)"


def validate_assurance(rag: Any, reason: Any) -> tuple[str, str, dict[str, list[str]]]:
    """The rating and reason cleaned, and any field errors: the rating is red, amber, green or
    empty (clearing it); a reason is required."""
    errors: dict[str, list[str]] = {}
    if not isinstance(rag, str) or rag not in ("", *RAG_VALUES):
        errors["rag"] = [f"Choose an assurance rating from: {', '.join(RAG_VALUES)}, or leave it empty to clear it."]
        rag = ""
    text = required_reason(reason, errors, missing="Give a reason for the assurance rating.")
    return rag, text, errors


def _label(rag: str) -> str:
    return Rag(rag).label if rag else "not assessed"


def record_assurance(
    item: Assurable,
    *,
    by: Any,
    version: int | None,
    rag: Any,
    reason: Any,
    source: str = StatusUpdate.Source.WEB,
    now: dt.datetime | None = None,
) -> StatusUpdate:
    """Give (or clear, with ``rag=""``) the assurance rating of a commitment or an obligation.

    Raises NotAllowed (not its assurer), InvalidUpdate (a bad rating, no reason, the rating it
    already has, no version) or VersionConflict (``version`` is not the item's current version);
    nothing is written when it raises. Returns the history row.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if not can_assure(by, item):
            raise NotAllowed(f"Only {assurer_label(item)} or an administrator may give this assurance rating.")
        locked = lock_at_version(item, version)
        rag, reason, errors = validate_assurance(rag, reason)
        if not errors and rag == locked.assurance_rag:
            errors["rag"] = [f"The assurance rating is already {_label(rag)}: choose a different one."]
        if errors:
            raise InvalidUpdate("Check the assurance rating: some fields need attention.", errors)
        update = record_item_fact(
            item,
            locked,
            by=by,
            now=now,
            source=source,
            reason=reason,
            fields={
                "assurance_rag": rag,
                "assurance_at": now,
                "assurance_by": by if getattr(by, "is_authenticated", False) else None,
                "assurance_reason": reason,
            },
            history={"from_assurance_rag": locked.assurance_rag, "to_assurance_rag": rag},
        )
        if isinstance(locked, Obligation):
            refresh_rollup(locked.commitment_id)
        return update


__all__ = [
    "UNLED_ASSURANCE_BOARD_CODE",
    "assurer_label",
    "can_assure",
    "record_assurance",
    "validate_assurance",
]
