"""Writes on the "who" side that are not part of a web request."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Board, Membership, SignInEvent


def purge_sign_in_events(*, now: dt.datetime | None = None) -> int:
    """Delete sign-in audit rows older than the retention the privacy notice promises
    (``SIGN_IN_LOG_RETENTION_DAYS``, 365 by default). Returns how many were deleted."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.SIGN_IN_LOG_RETENTION_DAYS)
    deleted, _ = SignInEvent.objects.filter(at__lt=cutoff).delete()
    return deleted


class ApprovalNotAllowed(Exception):
    """Only a board's secretariat (or an administrator) may switch its approval step."""


def set_requires_approval(board: Board, *, by: Any, on: bool, now: dt.datetime | None = None) -> Board:
    """Switch approval before publishing on or off for ``board`` (issue 15), recording who and
    when. Only the board's secretariat and administrators may; others get ApprovalNotAllowed.
    Updates already awaiting approval stay so until decided when it is switched off."""
    if not getattr(by, "is_authenticated", False) or not getattr(by, "is_active", False):
        raise ApprovalNotAllowed("Sign in as the board's secretariat.")
    is_secretariat = Membership.objects.filter(user=by, board=board, role=Membership.Role.SECRETARIAT).exists()
    if not (by.is_superuser or is_secretariat):
        raise ApprovalNotAllowed(f"Only the {board.name} secretariat may change whether its updates need approval.")
    with transaction.atomic():
        locked = Board.objects.select_for_update().get(pk=board.pk)
        if locked.requires_approval != on:
            locked.requires_approval = on
            locked.approval_changed_at = now or timezone.now()
            locked.approval_changed_by = by
            locked.save(update_fields=["requires_approval", "approval_changed_at", "approval_changed_by", "updated_at"])
    board.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return board
