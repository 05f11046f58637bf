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

from . import changes as change_log
from .models import RAG_VALUES, Change, Commitment, Obligation, Rag, StatusUpdate
from .querysets import _board_ids_for
from .services import MAX_TEXT, InvalidUpdate, NotAllowed, VersionConflict, _attach_target, _clean_text, _lock, refresh_rollup

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
    text = _clean_text(reason if isinstance(reason, str) else "")
    if not text:
        errors["reason"] = ["Give a reason for the assurance rating."]
    elif len(text) > MAX_TEXT:
        errors["reason"] = [f"The reason must be {MAX_TEXT} characters or fewer."]
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
        locked: Any = _lock(item)
        if version is None:
            raise InvalidUpdate("Send the version you last saw.", {"version": ["This field is required."]})
        if version != locked.version:
            raise VersionConflict(
                f"Someone else saved this after you opened it (you saw version {version}, it is now {locked.version}).",
                current=locked,
            )
        rag, reason, errors = validate_assurance(rag, reason)
        if not errors and rag == locked.assurance_rag:
            errors["rag"] = [f"The assurance rating is already {_label(rag)}: choose a different one."]
        if errors:
            raise InvalidUpdate("Check the assurance rating: some fields need attention.", errors)

        author = by if getattr(by, "is_authenticated", False) else None
        before = locked.assurance_rag
        locked.assurance_rag = rag
        locked.assurance_at = now
        locked.assurance_by = author
        locked.assurance_reason = reason
        locked.version += 1
        locked.save()
        change_log.record(locked)

        due = locked.target_date if isinstance(locked, Commitment) else locked.due_date
        update = StatusUpdate(
            target_type=StatusUpdate.TargetType.COMMITMENT if isinstance(locked, Commitment) else StatusUpdate.TargetType.OBLIGATION,
            author=author,
            created_at=now,
            source=source,
            # The item's own state does not change: both sides carry it, so replays of the history
            # (the trends' backfill) read the row as changing the assurance rating alone.
            from_status=locked.status,
            to_status=locked.status,
            from_rag=locked.rag,
            to_rag=locked.rag,
            from_progress=locked.progress,
            to_progress=locked.progress,
            from_due_date=due,
            to_due_date=due,
            from_assurance_rag=before,
            to_assurance_rag=rag,
            version=locked.version,
            reason=reason,
        )
        _attach_target(update, locked)
        update.save()
        change_log.record(update, Change.Op.CREATE)

        if isinstance(locked, Obligation):
            refresh_rollup(locked.commitment_id)
        item.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
        return update


__all__ = [
    "UNLED_ASSURANCE_BOARD_CODE",
    "assurer_label",
    "can_assure",
    "record_assurance",
    "validate_assurance",
]
