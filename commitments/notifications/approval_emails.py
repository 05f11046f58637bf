"""Approval before publishing (issue 15): telling the secretariat an update awaits its decision,
and telling the officer it was approved or returned (with the secretariat's comment)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse

from boards.models import Membership

from ..models import PendingUpdate
from .emails import absolute, render_email
from .outbox import queue_email


def _context(pending: PendingUpdate) -> dict[str, Any]:
    commitment = pending.commitment
    if pending.action_id is not None:
        what = f"Action: {pending.action.description}"  # type: ignore[union-attr]
    elif pending.obligation_id is not None:
        what = f"{pending.obligation.party.name}'s obligation"  # type: ignore[union-attr]
    else:
        what = "The commitment's assessed state"
    return {
        "pending": pending,
        "ref": commitment.ref,
        "title": commitment.title,
        "what": what,
        "changes": pending.changes(),
        "author": pending.author.get_full_name() or pending.author.get_username() if pending.author else "someone",
        "board": pending.board,
        "decision_url": absolute(reverse("commitments:pending-detail", args=[pending.pk])),
        "commitment_url": absolute(reverse("commitments:detail", args=[commitment.ref])),
    }


def queue_submitted(pending: PendingUpdate) -> bool:
    """E-mail the deciding board's secretariat (those with an address) that an update awaits it."""
    users = (
        get_user_model()
        .objects.filter(pk__in=Membership.objects.filter(board_id=pending.board_id, role="secretariat").values("user_id"), is_active=True)
        .exclude(email="")
    )
    to = sorted({u.email for u in users})
    if not to:
        return False
    context = _context(pending)
    text, html = render_email("approval_submitted", context)
    return queue_email(
        dedupe_key=f"pending-update:{pending.pk}:submitted",
        to=to,
        subject=f"For approval: an update to {context['ref']}",
        text=text,
        html=html,
    )


def queue_decided(pending: PendingUpdate, *, approved: bool) -> bool:
    """E-mail the author that their update was approved (published) or returned, with the comment."""
    if pending.author is None or not pending.author.email:
        return False
    context = {**_context(pending), "approved": approved}
    text, html = render_email("approval_decided", context)
    verb = "approved" if approved else "returned"
    return queue_email(
        dedupe_key=f"pending-update:{pending.pk}:{verb}",
        to=[pending.author.email],
        subject=f"Your update to {context['ref']} was {verb}",
        text=text,
        html=html,
    )
