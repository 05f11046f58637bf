"""Nothing without an owner (issue 16, point 4): who answers for each item, who may say so, and the
two writes that do.

A commitment is answered for by its *lead board*; an obligation and an action by an *owner*, an
active officer of the party that owes it. An open commitment with no lead board, or an open
obligation or action with no owner, is *unowned*: it is on the secretariats' worklist
(``/worklist/``), counted on the dashboards and in the papers, and found by ``unowned=true`` on the
lists and in the API (:func:`unowned_q`, the one rule). An action always has a due date (the column
is NOT NULL), so "an action with no date" cannot occur and is not a state here.

Who may assign (docs/decisions/0027):

- a lead board: London Councils' Leaders' Committee secretariat and administrators, any board, to
  any commitment; a board's secretariat may take a commitment no board leads for its own board;
- an owner: the secretariat of the lead board of the item's commitment (Leaders' Committee's where
  no board leads it, as for the assurance rating), the owing party's officers, administrators.

Each assignment is written as the services write everything, with their helpers
(:mod:`commitments.services`): the permission first, the row locked, the version the writer saw
compared, the input checked (a reason is required; the owner must be an active officer of the
owing party; the board must exist), then in one transaction the item's new owner or lead board
(version + 1), a :class:`~commitments.models.StatusUpdate` whose ``from_owner``/``to_owner`` or
``from_lead_board``/``to_lead_board`` say what changed (the item's state repeated on both sides, so
replays read it as changing nothing else) and the change log. An assignment is an organisational
fact, not a progress update: it publishes at once, also under a board that requires approval.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from boards.models import Board, Membership, Party

from .assurance import UNLED_ASSURANCE_BOARD_CODE
from .lifecycle import open_q
from .models import Action, Commitment, Obligation, StatusUpdate
from .querysets import _board_ids_for, _party_ids_for
from .services import InvalidUpdate, NotAllowed, lock_at_version, record_item_fact, required_reason

Owned = Obligation | Action

# The board whose secretariat assigns lead boards to any commitment and owners under commitments
# no board leads: London Councils' Leaders' Committee (the assurance rating's same board).
COMMITTEE_BOARD_CODE = UNLED_ASSURANCE_BOARD_CODE

KINDS = ("commitment", "obligation", "action")


# --- the one rule: what is unowned --------------------------------------------------------------


def unowned_q(kind: str, *, prefix: str = "") -> Q:
    """Open items that nobody answers for: a commitment (shown status open, so the queryset needs
    ``with_shown_state``) with no lead board; an obligation or an action with no owner."""
    if kind == "commitment":
        return Q(**{f"{prefix}lead_board__isnull": True}) & open_q(status_field=f"{prefix}shown_status_db")
    # The key's own column name (``owner_id``), so the rule reads a snapshot's state rows too.
    return Q(**{f"{prefix}owner_id__isnull": True}) & open_q(status_field=f"{prefix}status")


# --- who may ------------------------------------------------------------------------------------


def _active(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)


def is_committee_secretariat(user: Any) -> bool:
    """Whether ``user`` is on Leaders' Committee's secretariat: one query, remembered on the user."""
    if not _active(user):
        return False
    cached = getattr(user, "_committee_secretariat", None)
    if cached is None:
        boards = _board_ids_for(user)
        cached = bool(boards) and Board.objects.filter(pk__in=boards, code__iexact=COMMITTEE_BOARD_CODE).exists()
        user._committee_secretariat = cached
    return bool(cached)


def sees_everything(user: Any) -> bool:
    """Administrators and Leaders' Committee's secretariat: the whole worklist, any lead board."""
    return _active(user) and (bool(user.is_superuser) or is_committee_secretariat(user))


def may_use_worklist(user: Any) -> bool:
    """Secretariats (of any board) and administrators."""
    return _active(user) and (bool(user.is_superuser) or bool(_board_ids_for(user)))


def worklist_commitments_q(user: Any, *, prefix: str = "") -> Q | None:
    """The commitments whose unowned items ``user``'s worklist shows, as a condition (``prefix``
    reaches the commitment through a relation), or None when the user has no worklist: everything
    for administrators and Leaders' Committee's secretariat; for a board's secretariat, those its
    board leads and every commitment no board leads."""
    if not may_use_worklist(user):
        return None
    if sees_everything(user):
        return Q()
    return Q(**{f"{prefix}lead_board_id__in": _board_ids_for(user)}) | Q(**{f"{prefix}lead_board__isnull": True})


def can_assign_lead_board(user: Any, commitment: Commitment) -> bool:
    """Whether ``user`` may give ``commitment`` a lead board: administrators and Leaders' Committee's
    secretariat always; a board's secretariat when no board leads it (for its own board)."""
    if not _active(user):
        return False
    if sees_everything(user):
        return True
    return commitment.lead_board_id is None and bool(_board_ids_for(user))


def lead_board_choices(user: Any) -> QuerySet[Board]:
    """The boards ``user`` may make a lead board: any for administrators and Leaders' Committee's
    secretariat, their own boards for a board's secretariat."""
    boards = Board.objects.order_by("name")
    return boards if sees_everything(user) else boards.filter(pk__in=_board_ids_for(user))


def _commitment_of(item: Owned) -> Commitment:
    return item.obligation.commitment if isinstance(item, Action) else item.commitment


def _party_of(item: Owned) -> Party:
    return item.obligation.party if isinstance(item, Action) else item.party


def _party_id_of(item: Owned) -> int:
    return item.obligation.party_id if isinstance(item, Action) else item.party_id


def can_assign_owner(user: Any, item: Owned) -> bool:
    """Whether ``user`` may give ``item`` an owner: the owing party's officers, the secretariat of
    the lead board of its commitment (Leaders' Committee's where no board leads it), administrators."""
    if not _active(user):
        return False
    if user.is_superuser or _party_id_of(item) in _party_ids_for(user):
        return True
    lead_board_id = _commitment_of(item).lead_board_id
    if lead_board_id is not None:
        return lead_board_id in _board_ids_for(user)
    return is_committee_secretariat(user)


def owner_assigner_label(item: Owned) -> str:
    """Who may give ``item`` an owner, as the pages say it."""
    commitment = _commitment_of(item)
    board = (
        f"the {commitment.lead_board.code} secretariat (the lead board)"
        if commitment.lead_board is not None
        else "London Councils' Leaders' Committee secretariat (no board leads this commitment)"
    )
    return f"{_party_of(item).name}'s officers, {board} or an administrator"


def owner_candidates(party_id: int) -> QuerySet[Any]:
    """The active officers of the party: whom an obligation or an action of it may be given to."""
    officers = Membership.objects.filter(role=Membership.Role.OFFICER, party_id=party_id).values("user_id")
    return get_user_model().objects.filter(is_active=True, pk__in=officers).order_by("first_name", "last_name", "username")


# --- the writes ---------------------------------------------------------------------------------


MISSING_REASON = "Give a reason for the assignment."


def _assign(item: Any, locked: Any, name: str, chosen: Any, *, by: Any, now: dt.datetime, source: str, reason: str) -> StatusUpdate:
    """Write an assignment checked on ``locked``: ``name`` (``lead_board`` or ``owner``) becomes
    ``chosen``, the history row's ``from_<name>``/``to_<name>`` saying what it was."""
    before = getattr(locked, name)
    return record_item_fact(
        item,
        locked,
        by=by,
        now=now,
        source=source,
        reason=reason,
        fields={name: chosen},
        history={f"from_{name}": before, f"to_{name}": chosen},
    )


def _resolve_board(board: Any, errors: dict[str, list[str]]) -> Board | None:
    if isinstance(board, Board):
        return board
    code = board.strip() if isinstance(board, str) else ""
    if not code:
        errors["board"] = ["Choose the board that will lead this commitment."]
        return None
    found = Board.objects.filter(code__iexact=code).first()
    if found is None:
        errors["board"] = [f"There is no board with the code “{code[:16]}”: choose one of the boards."]
    return found


def assign_lead_board(
    commitment: Commitment,
    *,
    by: Any,
    version: int | None,
    board: Board | str | None,
    reason: Any,
    source: str = StatusUpdate.Source.WEB,
    now: dt.datetime | None = None,
) -> StatusUpdate:
    """Give ``commitment`` a lead board (a :class:`Board` or its code, any case), with a reason.

    Raises NotAllowed (not allowed to assign its lead board), InvalidUpdate (no or an unknown board,
    a board the user may not choose, the board it already has, no reason, no version) or
    VersionConflict; nothing is written when it raises. Returns the history row.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if not can_assign_lead_board(by, commitment):
            raise NotAllowed(
                "Only London Councils' Leaders' Committee secretariat or an administrator may change the lead board of a commitment "
                "a board already leads; a board's secretariat may take one that no board leads."
            )
        locked = lock_at_version(commitment, version)
        errors: dict[str, list[str]] = {}
        chosen = _resolve_board(board, errors)
        if chosen is not None:
            if locked.lead_board_id is not None and not sees_everything(by):
                raise NotAllowed(
                    "Another board took this commitment after you opened it; only Leaders' Committee's secretariat may change it now."
                )
            if not sees_everything(by) and chosen.pk not in _board_ids_for(by):
                errors["board"] = ["Your secretariat may take this commitment for its own board only: choose your board."]
            elif chosen.pk == locked.lead_board_id:
                errors["board"] = [f"The {chosen.code} already leads this commitment: choose a different board."]
        reason_text = required_reason(reason, errors, missing=MISSING_REASON)
        if errors:
            raise InvalidUpdate("Check the lead board: some fields need attention.", errors)
        assert chosen is not None
        return _assign(commitment, locked, "lead_board", chosen, by=by, now=now, source=source, reason=reason_text)


def _resolve_owner(owner: Any, party_id: int, party_name: str, errors: dict[str, list[str]]) -> Any:
    user_model = get_user_model()
    if isinstance(owner, user_model):
        found: Any = owner
    else:
        username = owner.strip() if isinstance(owner, str) else ""
        if not username:
            errors["owner"] = ["Choose the officer who will own this."]
            return None
        found = user_model.objects.filter(username__iexact=username).first()
        if found is None:
            errors["owner"] = [f"There is no user “{username[:150]}”: choose one of {party_name}'s officers."]
            return None
    if not owner_candidates(party_id).filter(pk=found.pk).exists():
        errors["owner"] = [f"{found.get_username()} is not an active officer of {party_name}: choose one of its officers."]
        return None
    return found


def assign_owner(
    item: Owned,
    *,
    by: Any,
    version: int | None,
    owner: Any,
    reason: Any,
    source: str = StatusUpdate.Source.WEB,
    now: dt.datetime | None = None,
) -> StatusUpdate:
    """Give an obligation or an action an owner (a user or a username), with a reason.

    Raises NotAllowed, InvalidUpdate (no owner, an unknown user, someone who is not an active
    officer of the owing party, the owner it already has, no reason, no version) or
    VersionConflict; nothing is written when it raises. Returns the history row.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if not can_assign_owner(by, item):
            raise NotAllowed(f"Only {owner_assigner_label(item)} may give this an owner.")
        locked = lock_at_version(item, version)
        errors: dict[str, list[str]] = {}
        party = _party_of(item)
        chosen = _resolve_owner(owner, party.pk, party.name, errors)
        if chosen is not None and chosen.pk == locked.owner_id:
            errors["owner"] = [f"{chosen.get_username()} already owns this: choose a different officer."]
        reason_text = required_reason(reason, errors, missing=MISSING_REASON)
        if errors:
            raise InvalidUpdate("Check the owner: some fields need attention.", errors)
        return _assign(item, locked, "owner", chosen, by=by, now=now, source=source, reason=reason_text)


__all__ = [
    "COMMITTEE_BOARD_CODE",
    "KINDS",
    "assign_lead_board",
    "assign_owner",
    "can_assign_lead_board",
    "can_assign_owner",
    "is_committee_secretariat",
    "lead_board_choices",
    "may_use_worklist",
    "owner_assigner_label",
    "owner_candidates",
    "sees_everything",
    "unowned_q",
    "worklist_commitments_q",
]
