"""Every write, one function per use case (DESIGN.md §4).

The browser forms, the API, the spreadsheet import, management commands and Celery tasks all call
these functions, so permissions, validation and history are the same whichever door a change comes
through. Each function runs in one transaction, locks the row it changes, checks the version the
writer saw, writes the new state and its :class:`~commitments.models.StatusUpdate` together, and
queues follow-up work in the transactional outbox.

Errors are raised as :class:`ServiceError` subclasses and translated at the edges (a form error,
an HTTP 403/409/400).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from . import changes as change_log
from .lifecycle import is_overdue
from .models import (
    RAG_SEVERITY,
    RAG_VALUES,
    Action,
    Change,
    Commitment,
    Escalation,
    Obligation,
    OutboxMessage,
    PendingUpdate,
    Status,
    StatusUpdate,
    TrackedState,
    london_today,
)
from .querysets import rating_used_expr

MAX_TEXT = 5000
MAX_EVIDENCE_ITEMS = 20
MAX_EVIDENCE_LENGTH = 2000


class ServiceError(Exception):
    """Base of the errors services raise; ``code`` is the API's error code."""

    code = "error"

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotAllowed(ServiceError):
    """The user may not write this target (DESIGN.md §10 roles)."""

    code = "permission_denied"


class InvalidUpdate(ServiceError):
    """The input breaks a rule; ``errors`` maps each field to its messages."""

    code = "invalid"


class VersionConflict(ServiceError):
    """Somebody saved the target after the writer loaded it; ``current`` is the target as it is now
    (a tracked item, or a finance record: :mod:`finance.services` raises it too)."""

    code = "version_conflict"

    def __init__(self, message: str, current: TrackedState | Any) -> None:
        super().__init__(message)
        self.current = current


class PendingExists(ServiceError):
    """The item has an update awaiting approval: a later one is refused until it is decided,
    unless the writer replaces it explicitly (issue 15). ``pending`` is the one waiting."""

    code = "pending_update"

    def __init__(self, message: str, pending: PendingUpdate) -> None:
        super().__init__(message)
        self.pending = pending


class AlreadyDecided(ServiceError):
    """An approval or return of an update that is no longer awaiting a decision."""

    code = "already_decided"


# --- permissions ------------------------------------------------------------------------------


def can_write(user: Any, target: TrackedState) -> bool:
    """Whether ``user`` may change ``target``.

    Officers may write the obligations (and their actions) of their own parties, including
    collective parties they are officers of; a board's secretariat may write everything under the
    commitments the board leads, including the commitment's assessed state; administrators
    (superusers) may write everything; viewers and everyone else may not.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if isinstance(target, Commitment):
        return Commitment.objects.writable_by(user).filter(pk=target.pk).exists()
    if isinstance(target, Obligation):
        return Obligation.objects.writable_by(user).filter(pk=target.pk).exists()
    if isinstance(target, Action):
        return Action.objects.writable_by(user).filter(pk=target.pk).exists()
    return False


def can_add_action(user: Any, obligation: Obligation) -> bool:
    return can_write(user, obligation)


# --- record_update ----------------------------------------------------------------------------


@dataclass
class UpdateInput:
    """What a writer asks to change. ``None`` means "leave as it is"."""

    status: str | None = None
    rag: str | None = None
    progress: int | None = None
    revised_due_date: dt.date | None = None
    reason: str = ""
    note: str = ""
    evidence: list[str] = field(default_factory=list)


def _target_type(target: TrackedState) -> str:
    if isinstance(target, Commitment):
        return StatusUpdate.TargetType.COMMITMENT
    if isinstance(target, Obligation):
        return StatusUpdate.TargetType.OBLIGATION
    return StatusUpdate.TargetType.ACTION


def _due_date(target: TrackedState) -> dt.date | None:
    return target.target_date if isinstance(target, Commitment) else target.due_date  # type: ignore[attr-defined]


def _clean_text(value: str | None) -> str:
    # Control characters (other than newline and tab) have no place in a note; strip them rather
    # than store text that breaks exports and e-mails.
    text = (value or "").replace("\r\n", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32).strip()


def validate_update(target: TrackedState, data: UpdateInput) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check an update against the rules; return the normalised changes and any field errors.

    Rules (issue "Officers update commitments"): at least one change or a note; a change of status,
    RAG or due date needs a reason; marking complete needs evidence (a link or a note saying where
    it is); progress is a whole number from 0 to 100; values come from the vocabularies.
    """
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if data.status is not None and data.status != "":
        if data.status not in Status.values:
            err("status", f"Choose a status from: {', '.join(Status.values)}.")
        elif data.status != target.status:
            changes["status"] = data.status
    if data.rag is not None:
        if data.rag not in ("", *RAG_VALUES):
            err("rag", f"Choose a RAG rating from: {', '.join(RAG_VALUES)}, or leave it empty.")
        elif data.rag != target.rag:
            changes["rag"] = data.rag
    if data.progress is not None:
        if isinstance(data.progress, bool) or not isinstance(data.progress, int) or not 0 <= data.progress <= 100:
            err("progress", "Progress must be a whole number from 0 to 100.")
        elif data.progress != target.progress:
            changes["progress"] = data.progress
    if data.revised_due_date is not None:
        if not isinstance(data.revised_due_date, dt.date):
            err("revised_due_date", "Enter a real date, for example 2026-03-31.")
        elif not dt.date(2000, 1, 1) <= data.revised_due_date <= dt.date(2100, 12, 31):
            err("revised_due_date", "The revised due date must be between 2000 and 2100.")
        elif data.revised_due_date != _due_date(target):
            changes["due_date"] = data.revised_due_date

    reason = _clean_text(data.reason)
    note = _clean_text(data.note)
    evidence = [_clean_text(item) for item in (data.evidence or []) if _clean_text(item)]
    if len(reason) > MAX_TEXT:
        err("reason", f"The reason must be {MAX_TEXT} characters or fewer.")
    if len(note) > MAX_TEXT:
        err("note", f"The note must be {MAX_TEXT} characters or fewer.")
    if len(evidence) > MAX_EVIDENCE_ITEMS:
        err("evidence", f"Give at most {MAX_EVIDENCE_ITEMS} pieces of evidence.")
    if any(len(item) > MAX_EVIDENCE_LENGTH for item in evidence):
        err("evidence", f"Each piece of evidence must be {MAX_EVIDENCE_LENGTH} characters or fewer.")

    new_status = changes.get("status", target.status)
    if new_status == Status.COMPLETE and "status" in changes:
        if "progress" not in changes and target.progress != 100:
            changes["progress"] = 100
        if not evidence:
            err("evidence", "Give evidence that this is complete: a link, or a note saying where the evidence is.")
    if {"status", "rag", "due_date"} & changes.keys() and not reason:
        err("reason", "Give a reason for changing the status, RAG rating or due date.")
    if not changes and not note and not evidence and not errors:
        err("__all__", "Change at least one thing, or add a note or evidence.")

    changes["reason"], changes["note"], changes["evidence"] = reason, note, evidence
    return changes, errors


def _lock(target: TrackedState) -> TrackedState:
    return type(target)._default_manager.select_for_update().get(pk=target.pk)


def lock_at_version(target: TrackedState, version: int | None) -> Any:
    """``target``'s row locked (``SELECT … FOR UPDATE``) at the version the writer saw: InvalidUpdate
    without one, VersionConflict (with the item as it is now) when someone saved it since."""
    locked = _lock(target)
    if version is None:
        raise InvalidUpdate("Send the version you last saw.", {"version": ["This field is required."]})
    if version != locked.version:
        raise VersionConflict(
            f"Someone else saved this after you opened it (you saw version {version}, it is now {locked.version}).",
            current=locked,
        )
    return locked


def required_reason(reason: Any, errors: dict[str, list[str]], *, missing: str) -> str:
    """``reason`` cleaned (:func:`_clean_text`), with an error on ``reason`` in ``errors`` when there
    is none (``missing`` says so) or it is longer than :data:`MAX_TEXT`."""
    text = _clean_text(reason if isinstance(reason, str) else "")
    if not text:
        errors["reason"] = [missing]
    elif len(text) > MAX_TEXT:
        errors["reason"] = [f"The reason must be {MAX_TEXT} characters or fewer."]
    return text


def record_item_fact(
    item: TrackedState,
    locked: Any,
    *,
    by: Any,
    now: dt.datetime,
    source: str,
    reason: str,
    fields: dict[str, Any],
    history: dict[str, Any],
) -> StatusUpdate:
    """Publish a fact about an item that is not a progress update (its assurance rating, lead board
    or owner), ``locked`` being its row locked at the version the writer saw: ``fields`` on the
    item (version + 1) and the change log; then its history row, whose ``history`` (the
    ``from_…``/``to_…`` pair) says what changed, the item's own state on both sides, so replays of
    the history (the trends' backfill) read it as changing nothing else. ``item`` takes the new
    values, ``fields`` as objects too (a related object, not only its id)."""
    update = _history_row(locked, by=by, now=now, source=source, reason=reason, **history)
    for name, value in fields.items():
        setattr(locked, name, value)
    _save_with_history(locked, update)
    item.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    for name, value in fields.items():
        setattr(item, name, value)
    return update


def record_update(
    target: TrackedState,
    *,
    by: Any,
    version: int | None,
    data: UpdateInput,
    source: str = StatusUpdate.Source.WEB,
    now: dt.datetime | None = None,
    check_permission: bool = True,
    replace_pending: bool = False,
) -> StatusUpdate | PendingUpdate:
    """Record an update of a commitment's assessed state, an obligation or an action.

    Checks ``by`` may write the target, that ``version`` is the target's current version (the
    version the writer saw), and the rules of :func:`validate_update`. Then, in one transaction:

    - where the lead board of the item's commitment requires approval and ``by`` is not its
      secretariat (issue 15), keeps the update as a :class:`PendingUpdate` awaiting that
      secretariat and returns it; the item keeps its published state;
    - otherwise publishes it (:func:`_publish`) and returns the history row.

    An item with an update awaiting approval takes no other update until that one is decided,
    unless ``replace_pending`` says the writer replaces it (PendingExists otherwise). Raises
    NotAllowed, VersionConflict, PendingExists or InvalidUpdate; nothing is written when it raises.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if check_permission and not can_write(by, target):
            raise NotAllowed("You do not have permission to update this.")
        locked = lock_at_version(target, version)
        changes, errors = validate_update(locked, data)
        if errors:
            raise InvalidUpdate("Check the update: some fields need attention.", errors)
        waiting = pending_update_for(locked, lock=True)
        if waiting is not None and not replace_pending:
            raise PendingExists(
                f"An update by {_person(waiting.author)} is awaiting approval by the {waiting.board.name} secretariat. "
                "It must be approved or returned first, or you can replace it with yours.",
                pending=waiting,
            )
        if waiting is not None:  # replaced: decided first, as only one may await approval
            _decide(waiting, PendingUpdate.State.REPLACED, by=by, now=now, comment="Replaced by a later update.")
        board = approval_board(by, locked)
        if board is not None:
            result: StatusUpdate | PendingUpdate = _submit(locked, by=by, board=board, changes=changes, source=source, now=now)
            if waiting is not None:
                PendingUpdate.objects.filter(pk=waiting.pk).update(replaced_by=result)
        else:
            result = _publish(locked, by=by, changes=changes, source=source, now=now)
        target.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
        return result


def _publish(
    locked: TrackedState,
    *,
    by: Any,
    changes: dict[str, Any],
    source: str,
    now: dt.datetime,
    approved_by: Any = None,
) -> StatusUpdate:
    """Apply validated ``changes`` to the locked item and write its history row: the one place
    an item's published state changes by hand (an officer's, a secretariat's or an approved
    update). Writes the new state (version + 1), a StatusUpdate with before and after, clears the
    overdue record when the item is completed or re-dated, refreshes the commitment's roll-up."""
    update = _history_row(
        locked,
        by=by,
        now=now,
        source=source,
        reason=changes["reason"],
        note=changes["note"],
        evidence=changes["evidence"],
        approved_by=approved_by,
        approved_at=now if approved_by is not None else None,
    )
    if "status" in changes:
        locked.status = changes["status"]
    if "rag" in changes:
        locked.rag = changes["rag"]
    if "progress" in changes:
        locked.progress = changes["progress"]
    if "due_date" in changes:
        if isinstance(locked, Commitment):
            locked.target_date = changes["due_date"]
            locked.target_date_precision = "day"
        else:
            locked.due_date = changes["due_date"]  # type: ignore[attr-defined]
    if isinstance(locked, Action):
        if locked.status == Status.COMPLETE and locked.completed_date is None:
            locked.completed_date = timezone.localdate(now)
        elif locked.status != Status.COMPLETE:
            locked.completed_date = None
    if isinstance(locked, Commitment):
        locked.assessed_at = now
        locked.assessed_by = by if getattr(by, "is_authenticated", False) else None

    today = timezone.localdate(now)
    _clear_overdue_if_resolved(locked, today, now)
    _save_with_history(locked, update)

    if isinstance(locked, Obligation):
        refresh_rollup(locked.commitment_id)
    return update


def _history_row(locked: TrackedState, *, by: Any, now: dt.datetime, source: str, **values: Any) -> StatusUpdate:
    """The history row of a change ``by`` is about to make to ``locked``: its state before (the
    ``from_…`` side) and ``values``; :func:`_save_with_history` adds the state after."""
    return StatusUpdate(
        target_type=_target_type(locked),
        author=by if getattr(by, "is_authenticated", False) else None,
        created_at=now,
        source=source,
        from_status=locked.status,
        from_rag=locked.rag,
        from_progress=locked.progress,
        from_due_date=_due_date(locked),
        **values,
    )


def _save_with_history(locked: TrackedState, update: StatusUpdate) -> None:
    """Save the changed ``locked`` as its next version, then its history row with the state after
    (the ``to_…`` side) and that version, each in the change log."""
    locked.version += 1
    locked.save()
    change_log.record(locked)

    update.to_status = locked.status
    update.to_rag = locked.rag
    update.to_progress = locked.progress
    update.to_due_date = _due_date(locked)
    update.version = locked.version
    _attach_target(update, locked)
    update.save()
    change_log.record(update, Change.Op.CREATE)


def _attach_target(update: StatusUpdate | PendingUpdate, target: TrackedState) -> None:
    """Name the target on a history row or an update awaiting approval, with its obligation,
    commitment and party beside it (so both can be filtered without joins)."""
    if isinstance(target, Commitment):
        update.commitment = target
    elif isinstance(target, Obligation):
        update.obligation = target
        update.commitment_id = target.commitment_id
        update.party_id = target.party_id
    elif isinstance(target, Action):
        obligation = target.obligation
        update.action = target
        update.obligation = obligation
        update.commitment_id = obligation.commitment_id
        update.party_id = obligation.party_id


def _clear_overdue_if_resolved(target: TrackedState, today: dt.date, now: dt.datetime) -> None:
    """An item closed (complete or not pursued) or re-dated past today is no longer overdue: forget
    its overdue spell and close its open escalation steps (the StatusUpdate being written says why)."""
    if target.overdue_since is None:
        return
    if is_overdue(_due_date(target), target.status, today):
        return
    target.overdue_since = None
    target.escalation_level = 0
    if isinstance(target, Action):
        Escalation.objects.filter(action=target, resolved_at__isnull=True).update(resolved_at=now)
    elif isinstance(target, Obligation):
        Escalation.objects.filter(obligation=target, action__isnull=True, resolved_at__isnull=True).update(resolved_at=now)


# --- roll-up ----------------------------------------------------------------------------------


def rollup_of(obligations: Sequence[tuple[str, str, int]]) -> tuple[str, str, int]:
    """The roll-up of (status, rating used, progress) triples (DESIGN.md §10): RAG the worst, progress the
    mean (rounded), status complete when all are complete, not started when none has started,
    else in progress. No obligations: not started, not assessed, 0."""
    if not obligations:
        return Status.NOT_STARTED, "", 0
    statuses = [s for s, _, _ in obligations]
    rags = [r for _, r, _ in obligations]
    progress = round(sum(p for _, _, p in obligations) / len(obligations))
    if all(s == Status.COMPLETE for s in statuses):
        status = Status.COMPLETE
    elif all(s == Status.NOT_STARTED for s in statuses):
        status = Status.NOT_STARTED
    else:
        status = Status.IN_PROGRESS
    rag = max(rags, key=lambda r: RAG_SEVERITY[r or ""]) if any(rags) else ""
    return status, rag, progress


def refresh_rollup(commitment_id: int) -> None:
    """Recompute and store a commitment's roll-up from its obligations (one read, one write).

    When the roll-up actually changes, the commitment's ``updated_at`` moves and the change log
    records an update of the commitment: what partners see of it (its shown state) changed, and
    ``updated_since`` and the sync feed must say so (issue 4). An unchanged roll-up writes nothing.
    """
    # Each obligation counts with the rating used: its assurance rating where one is given (issue 15).
    rows = list(
        Obligation.objects.filter(commitment_id=commitment_id)
        .annotate(rating=rating_used_expr())
        .values_list("status", "rating", "progress")
    )
    status, rag, progress = rollup_of(rows)
    changed = (
        Commitment.objects.filter(pk=commitment_id)
        .exclude(rollup_status=status, rollup_rag=rag, rollup_progress=progress)
        .update(rollup_status=status, rollup_rag=rag, rollup_progress=progress, updated_at=timezone.now())
    )
    if changed:
        change_log.record_bulk(Commitment, [commitment_id])


def refresh_all_rollups(commitment_ids: Iterable[int] | None = None) -> int:
    """Recompute the roll-up of many commitments; used by loaders and bulk paths."""
    qs = Commitment.objects.all()
    if commitment_ids is not None:
        qs = qs.filter(pk__in=list(commitment_ids))
    grouped: dict[int, list[tuple[str, str, int]]] = {}
    for cid, status, rag, progress in (
        Obligation.objects.filter(commitment__in=qs)
        .annotate(rating=rating_used_expr())
        .values_list("commitment_id", "status", "rating", "progress")
    ):
        grouped.setdefault(cid, []).append((status, rag, progress))
    commitments = list(qs.only("pk", "rollup_status", "rollup_rag", "rollup_progress"))
    changed = []
    for c in commitments:
        new = rollup_of(grouped.get(c.pk, []))
        if (c.rollup_status, c.rollup_rag, c.rollup_progress) != new:
            c.rollup_status, c.rollup_rag, c.rollup_progress = new
            changed.append(c)
    Commitment.objects.bulk_update(changed, ["rollup_status", "rollup_rag", "rollup_progress"])
    change_log.record_bulk(Commitment, [c.pk for c in changed])
    return len(changed)


# --- actions ----------------------------------------------------------------------------------


def add_action(
    obligation: Obligation,
    *,
    by: Any,
    description: str,
    due_date: dt.date,
    owner: Any = None,
    source: str = StatusUpdate.Source.WEB,
) -> Action:
    """Add a dated action under an obligation, with a history row saying who added it."""
    errors: dict[str, list[str]] = {}
    description = _clean_text(description)
    if not description:
        errors["description"] = ["Describe the action."]
    elif len(description) > MAX_TEXT:
        errors["description"] = [f"The description must be {MAX_TEXT} characters or fewer."]
    if not isinstance(due_date, dt.date):
        errors["due_date"] = ["Enter a real date, for example 2026-03-31."]
    elif not dt.date(2000, 1, 1) <= due_date <= dt.date(2100, 12, 31):
        errors["due_date"] = ["The due date must be between 2000 and 2100."]
    with transaction.atomic():
        if not can_add_action(by, obligation):
            raise NotAllowed("You do not have permission to add actions to this obligation.")
        if errors:
            raise InvalidUpdate("Check the action: some fields need attention.", errors)
        action = Action.objects.create(
            obligation=obligation,
            description=description,
            owner=owner,
            due_date=due_date,
            original_due_date=due_date,
            created_by=by,
        )
        change_log.record(action, Change.Op.CREATE)
        history = StatusUpdate.objects.create(
            target_type=StatusUpdate.TargetType.ACTION,
            action=action,
            obligation=obligation,
            commitment_id=obligation.commitment_id,
            party_id=obligation.party_id,
            author=by,
            source=source,
            to_status=action.status,
            to_due_date=due_date,
            version=action.version,
            note="Action added.",
        )
        change_log.record(history, Change.Op.CREATE)
        return action


# --- approval before publishing (issue 15) ------------------------------------------------------


def _person(user: Any) -> str:
    if user is None:
        return "someone"
    return user.get_full_name() or user.get_username()


def _commitment_of(target: TrackedState) -> Commitment:
    if isinstance(target, Commitment):
        return target
    if isinstance(target, Obligation):
        return target.commitment
    return target.obligation.commitment  # type: ignore[attr-defined]


def approval_board(user: Any, target: TrackedState) -> Any:
    """The board whose approval ``user``'s update of ``target`` needs, or None when it publishes
    at once: the lead board of the item's commitment, where that board requires approval and the
    user is neither its secretariat nor an administrator."""
    board = _commitment_of(target).lead_board
    if board is None or not board.requires_approval:
        return None
    if getattr(user, "is_superuser", False) or board.pk in _secretariat_boards(user):
        return None
    return board


def _secretariat_boards(user: Any) -> list[int]:
    from .querysets import _board_ids_for

    return _board_ids_for(user) if getattr(user, "is_authenticated", False) else []


def pending_update_for(target: TrackedState, *, lock: bool = False) -> PendingUpdate | None:
    """The item's update awaiting approval, if any (at most one: a partial unique constraint)."""
    qs = PendingUpdate.objects.submitted().filter(target_type=_target_type(target))
    if lock:
        qs = qs.select_for_update(of=("self",))
    field_name = {Commitment: "commitment_id", Obligation: "obligation_id", Action: "action_id"}[type(target)]
    return qs.select_related("author", "board").filter(**{field_name: target.pk}).first()


def _submit(locked: TrackedState, *, by: Any, board: Any, changes: dict[str, Any], source: str, now: dt.datetime) -> PendingUpdate:
    """Keep a validated update awaiting ``board``'s approval; the item is not touched."""
    pending = PendingUpdate(
        target_type=_target_type(locked),
        board=board,
        author=by if getattr(by, "is_authenticated", False) else None,
        source=source,
        created_at=now,
        base_version=locked.version,
        status=changes.get("status", ""),
        rag=changes.get("rag", ""),
        changes_rag="rag" in changes,
        progress=changes.get("progress"),
        due_date=changes.get("due_date"),
        reason=changes["reason"],
        note=changes["note"],
        evidence=changes["evidence"],
    )
    _attach_target(pending, locked)
    pending.save()
    _tell_secretariat(pending)
    return pending


def _as_input(pending: PendingUpdate) -> UpdateInput:
    return UpdateInput(
        status=pending.status or None,
        rag=pending.rag if pending.changes_rag else None,
        progress=pending.progress,
        revised_due_date=pending.due_date,
        reason=pending.reason,
        note=pending.note,
        evidence=list(pending.evidence or []),
    )


def _decidable(pending: PendingUpdate, by: Any, verb: str) -> PendingUpdate:
    """Lock the pending update and check ``by`` may decide it now; raise otherwise."""
    if not getattr(by, "is_authenticated", False) or not getattr(by, "is_active", False):
        raise NotAllowed(f"You do not have permission to {verb} this update.")
    locked = PendingUpdate.objects.select_for_update(of=("self",)).select_related("board", "author").get(pk=pending.pk)
    if not (getattr(by, "is_superuser", False) or locked.board_id in _secretariat_boards(by)):
        raise NotAllowed(f"Only the {locked.board.name} secretariat may {verb} this update.")
    if locked.author_id is not None and locked.author_id == by.pk:
        raise NotAllowed(f"You cannot {verb} your own update: another member of the secretariat must decide it.")
    if locked.state != PendingUpdate.State.SUBMITTED:
        raise AlreadyDecided(f"This update has already been decided ({locked.get_state_display().lower()}).")
    return locked


def _decide(pending: PendingUpdate, state: str, *, by: Any, now: dt.datetime, comment: str) -> None:
    pending.state, pending.decided_by, pending.decided_at, pending.comment = state, by, now, comment
    pending.save(update_fields=["state", "decided_by", "decided_at", "comment"])


def approve_update(pending: PendingUpdate, *, by: Any, comment: str = "", now: dt.datetime | None = None) -> StatusUpdate:
    """Publish an update awaiting approval: the board's secretariat (not its author) approves it,
    and it is applied to the item as it is now through :func:`_publish`, with the officer as its
    author and ``by`` as its approver. Once only: a decided update is refused (AlreadyDecided).
    Raises InvalidUpdate when it no longer applies (say, the item was closed meanwhile); the
    secretariat can then return it."""
    now = now or timezone.now()
    comment = _clean_text(comment)
    if len(comment) > MAX_TEXT:
        raise InvalidUpdate("Check the comment.", {"comment": [f"The comment must be {MAX_TEXT} characters or fewer."]})
    with transaction.atomic():
        locked_pending = _decidable(pending, by, "approve")
        target = _lock(locked_pending.target)
        changes, errors = validate_update(target, _as_input(locked_pending))
        if errors:
            messages = [m for field_errors in errors.values() for m in field_errors]
            raise InvalidUpdate(
                "This update no longer applies to the item as it is now: " + " ".join(messages) + " Return it to the officer instead.",
                {"__all__": messages},
            )
        update = _publish(target, by=locked_pending.author, changes=changes, source=locked_pending.source, now=now, approved_by=by)
        _decide(locked_pending, PendingUpdate.State.APPROVED, by=by, now=now, comment=comment)
        PendingUpdate.objects.filter(pk=locked_pending.pk).update(published=update)
        _tell_author(locked_pending, approved=True)
        pending.__dict__.update({k: v for k, v in locked_pending.__dict__.items() if not k.startswith("_")})
        pending.published = update
        return update


def return_update(pending: PendingUpdate, *, by: Any, comment: str, now: dt.datetime | None = None) -> PendingUpdate:
    """Return an update awaiting approval to its author with the secretariat's comment (required):
    nothing is published; the officer is told and may submit again."""
    now = now or timezone.now()
    comment = _clean_text(comment)
    errors: dict[str, list[str]] = {}
    if not comment:
        errors["comment"] = ["Say why you are returning the update, so the officer can put it right."]
    elif len(comment) > MAX_TEXT:
        errors["comment"] = [f"The comment must be {MAX_TEXT} characters or fewer."]
    with transaction.atomic():
        locked_pending = _decidable(pending, by, "return")
        if errors:
            raise InvalidUpdate("Check the comment.", errors)
        _decide(locked_pending, PendingUpdate.State.RETURNED, by=by, now=now, comment=comment)
        _tell_author(locked_pending, approved=False)
        pending.__dict__.update({k: v for k, v in locked_pending.__dict__.items() if not k.startswith("_")})
        return pending


def withdraw_update(pending: PendingUpdate, *, by: Any, now: dt.datetime | None = None) -> PendingUpdate:
    """The author takes back an update still awaiting approval."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = PendingUpdate.objects.select_for_update().get(pk=pending.pk)
        if not getattr(by, "is_authenticated", False) or locked.author_id != by.pk:
            raise NotAllowed("Only the author of an update can withdraw it.")
        if locked.state != PendingUpdate.State.SUBMITTED:
            raise AlreadyDecided(f"This update has already been decided ({locked.get_state_display().lower()}).")
        _decide(locked, PendingUpdate.State.WITHDRAWN, by=by, now=now, comment="")
        pending.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
        return pending


def _tell_secretariat(pending: PendingUpdate) -> None:
    from .notifications import approval_emails

    approval_emails.queue_submitted(pending)


def _tell_author(pending: PendingUpdate, *, approved: bool) -> None:
    from .notifications import approval_emails

    approval_emails.queue_decided(pending, approved=approved)


# --- outbox -----------------------------------------------------------------------------------


def queue_message(*, kind: str, dedupe_key: str, payload: dict[str, Any]) -> bool:
    """Queue follow-up work in the outbox, in the caller's transaction. Returns False when a message
    with this key was queued before (so nothing is ever sent twice)."""
    _, created = OutboxMessage.objects.get_or_create(dedupe_key=dedupe_key, defaults={"kind": kind, "payload": payload})
    return created


# --- summaries used by pages and reports ------------------------------------------------------


def rag_counts(qs: Any, field_name: str = "rag") -> dict[str, int]:
    counts = dict.fromkeys(("red", "amber", "green", ""), 0)
    for row in qs.values(field_name).annotate(n=Count("pk")):
        counts[row[field_name] or ""] += row["n"]
    return counts


__all__ = [
    "AlreadyDecided",
    "InvalidUpdate",
    "NotAllowed",
    "PendingExists",
    "ServiceError",
    "UpdateInput",
    "VersionConflict",
    "add_action",
    "approval_board",
    "approve_update",
    "can_write",
    "london_today",
    "pending_update_for",
    "queue_message",
    "rag_counts",
    "record_update",
    "refresh_all_rollups",
    "refresh_rollup",
    "return_update",
    "rollup_of",
    "withdraw_update",
]
