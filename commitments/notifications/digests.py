"""The e-mail digests (DESIGN.md §10, Schedule) and the preference that turns them off.

The officers' digest, weekdays 07:00, of what a person owns or their parties owe that is overdue
or due within ``DIGEST_DUE_WITHIN_DAYS`` days (one per person per day); the secretariat digest,
Mondays 07:00, of the overdue and escalated items under the commitments each board leads (one per
board per ISO week). Users can turn digests off (``Profile.digests_enabled``); escalation notices
are always sent. Each digest is rendered when queued and sent as it is by :mod:`.delivery`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from boards.models import Board, Membership, Profile
from devotracker.people import name_of

from .. import escalation
from ..lifecycle import open_q, overdue_q
from ..models import Action, Escalation, JobRun, Obligation, OutboxMessage
from ..services import queue_message
from . import outbox
from .emails import Item, absolute, item_for_action, item_for_obligation, render_email, send
from .outbox import DAILY_DIGEST_KIND, WEEKLY_DIGEST_KIND, setting

logger = logging.getLogger("commitments.jobs")

# Items listed per section of a digest; the rest are counted and linked, so one e-mail (and the
# memory building it) stays bounded whatever a party owes.
DIGEST_SECTION_LIMIT = 50


def due_within_days() -> int:
    """How far ahead the officers' digest looks (``DIGEST_DUE_WITHIN_DAYS``)."""
    return setting("DIGEST_DUE_WITHIN_DAYS", 14)


# --- preferences ----------------------------------------------------------------------------


def digests_enabled(user: Any) -> bool:
    """Whether ``user`` receives digests (a user with no profile yet has the default: yes)."""
    return not Profile.objects.filter(user=user, digests_enabled=False).exists()


def set_digests_enabled(user: Any, *, enabled: bool) -> Profile:
    """Turn a user's own digests on or off, creating their profile on first use. Returns it."""
    with transaction.atomic():
        profile, _ = Profile.objects.select_for_update().get_or_create(user=user, defaults={"digests_enabled": enabled})
        if profile.digests_enabled != enabled:
            profile.digests_enabled = enabled
            profile.save(update_fields=["digests_enabled"])
    logger.info("digest preference saved", extra={"fields": {"user": user.pk, "digests_enabled": enabled}})
    return profile


def _opted_out(users: QuerySet[Any]) -> QuerySet[Any]:
    return users.filter(profile__digests_enabled=False)


# --- the officers' daily digest -------------------------------------------------------------


def _open_due_by(horizon: dt.date) -> Q:
    return Q(due_date__lte=horizon) & open_q()


def daily_digest_key(user_id: int, today: dt.date) -> str:
    return f"digest:daily:{user_id}:{today.isoformat()}"


def officer_digest_candidates(today: dt.date) -> QuerySet[Any]:
    """Active users with an e-mail address who own, or whose parties owe, an open obligation or
    action that is overdue or due within ``DIGEST_DUE_WITHIN_DAYS`` days (one query)."""
    horizon = today + dt.timedelta(days=due_within_days())
    due = _open_due_by(horizon)
    party_owes = Membership.objects.filter(user=OuterRef("pk"), role=Membership.Role.OFFICER).filter(
        Exists(Obligation.objects.filter(due, party=OuterRef("party_id")))
        | Exists(Action.objects.filter(due, obligation__party=OuterRef("party_id")))
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(
            Exists(Obligation.objects.filter(due, owner=OuterRef("pk")))
            | Exists(Action.objects.filter(due, owner=OuterRef("pk")))
            | Exists(party_owes)
        )
        .order_by("pk")
    )


def officer_digest(user: Any, today: dt.date) -> dict[str, Any] | None:
    """What one person's daily digest says: overdue and due-soon items they own or their parties
    owe, or None when there is nothing. A fixed number of queries per person."""
    horizon = today + dt.timedelta(days=due_within_days())
    party_ids = list(Membership.objects.filter(user=user, role=Membership.Role.OFFICER).values_list("party_id", flat=True))
    due = _open_due_by(horizon)
    obligations = Obligation.objects.filter(due).filter(Q(owner=user) | Q(party_id__in=party_ids))
    actions = Action.objects.filter(due).filter(Q(owner=user) | Q(obligation__party_id__in=party_ids))
    tally = {"overdue": Count("pk", filter=overdue_q(today)), "soon": Count("pk", filter=Q(due_date__gte=today))}
    o_counts, a_counts = obligations.aggregate(**tally), actions.aggregate(**tally)
    overdue_total = o_counts["overdue"] + a_counts["overdue"]
    soon_total = o_counts["soon"] + a_counts["soon"]
    if not overdue_total and not soon_total:
        return None

    def section(when: Q) -> list[Item]:
        items = [
            item_for_obligation(o, today)
            for o in obligations.filter(when)
            .select_related("commitment", "party", "owner")
            .order_by("due_date", "pk")[:DIGEST_SECTION_LIMIT]
        ]
        items += [
            item_for_action(a, today)
            for a in actions.filter(when)
            .select_related("obligation__commitment", "obligation__party", "owner")
            .order_by("due_date", "pk")[:DIGEST_SECTION_LIMIT]
        ]
        items.sort(key=lambda i: (i.due_date or today, i.ref, i.kind))
        return items[:DIGEST_SECTION_LIMIT]

    overdue, soon = section(overdue_q(today)), section(Q(due_date__gte=today))
    context = {
        "user": user,
        "name": name_of(user),
        "today": today,
        "horizon": horizon,
        "days": due_within_days(),
        "overdue": overdue,
        "soon": soon,
        "overdue_total": overdue_total,
        "soon_total": soon_total,
        "overdue_more": overdue_total - len(overdue),
        "soon_more": soon_total - len(soon),
        "my_work_url": absolute(reverse("commitments:my-work")),
    }
    subject = f"DevoTracker: {overdue_total} overdue, {soon_total} due within {context['days']} days ({today:%a} {today.day} {today:%b %Y})"
    text, html = render_email("officer_digest", context)
    return {"recipients": [[user.pk, user.email]], "subject": subject, "text": text, "html": html}


def send_officer_digests(*, today: dt.date | None = None) -> dict[str, int]:
    """Queue today's officers' digest for every person with something overdue or due soon.

    One outbox message per person per London day (``digest:daily:<user>:<date>``), so re-running
    queues nothing new. Writes OutboxMessage rows; returns ``candidates``, ``queued``,
    ``already_queued``, ``opted_out``, ``empty``.
    """
    today = today or timezone.localdate()
    candidates = officer_digest_candidates(today)
    counts = {"candidates": 0, "queued": 0, "already_queued": 0, "opted_out": _opted_out(candidates).count(), "empty": 0}
    for user in candidates.exclude(profile__digests_enabled=False).iterator(chunk_size=200):
        counts["candidates"] += 1
        key = daily_digest_key(user.pk, today)
        if OutboxMessage.objects.filter(dedupe_key=key).exists():
            counts["already_queued"] += 1
            continue
        payload = officer_digest(user, today)
        if payload is None:
            counts["empty"] += 1
            continue
        if queue_message(kind=DAILY_DIGEST_KIND, dedupe_key=key, payload=payload):
            counts["queued"] += 1
        else:  # another run queued it between our check and our insert
            counts["already_queued"] += 1
    if counts["queued"]:
        outbox.schedule_delivery()
    return counts


# --- the secretariat's weekly digest --------------------------------------------------------


def weekly_digest_key(board: Board, today: dt.date) -> str:
    year, week, _ = today.isocalendar()
    return f"digest:weekly:{board.code.upper()}:{year}-W{week:02d}"


def _led_by(board: Board, prefix: str) -> Q:
    """Items under commitments ``board`` leads; the SPB also takes those with no lead board (the
    same fallback as the escalation ladder)."""
    led = Q(**{f"{prefix}commitment__lead_board": board})
    if escalation.is_fallback_board(board.code):
        led |= Q(**{f"{prefix}commitment__lead_board__isnull": True})
    return led


def secretariat_digest(board: Board, today: dt.date) -> dict[str, Any] | None:
    """What a board's weekly digest says: the overdue items under the commitments it leads, most
    escalated first, or None when nothing is overdue. A fixed number of queries per board."""
    overdue = overdue_q(today)
    obligations = Obligation.objects.filter(overdue, _led_by(board, ""))
    actions = Action.objects.filter(overdue, _led_by(board, "obligation__"))
    tally = {
        "total": Count("pk"),
        "committee": Count("pk", filter=Q(escalation_level__gte=Escalation.Step.COMMITTEE)),
        "secretariat": Count("pk", filter=Q(escalation_level=Escalation.Step.SECRETARIAT)),
    }
    o_counts, a_counts = obligations.aggregate(**tally), actions.aggregate(**tally)
    totals = {key: o_counts[key] + a_counts[key] for key in tally}
    if not totals["total"]:
        return None
    order = ("-escalation_level", "overdue_since", "due_date", "pk")
    items = [
        item_for_obligation(o, today)
        for o in obligations.select_related("commitment", "party", "owner").order_by(*order)[:DIGEST_SECTION_LIMIT]
    ]
    items += [
        item_for_action(a, today)
        for a in actions.select_related("obligation__commitment", "obligation__party", "owner").order_by(*order)[:DIGEST_SECTION_LIMIT]
    ]
    items.sort(key=lambda i: (-i.escalation_level, -(i.days_overdue or 0), i.ref, i.kind))
    items = items[:DIGEST_SECTION_LIMIT]
    if escalation.is_fallback_board(board.code):
        # Issue 16: say which items are this board's only because no board leads their commitment.
        for item in items:
            if item.lead_board_url and item.escalation_level >= Escalation.Step.SECRETARIAT:
                item.fell_to_default = board.code
    year, week, _ = today.isocalendar()
    context = {
        "board": board,
        "today": today,
        "week": f"{year}-W{week:02d}",
        "committee": [i for i in items if i.escalation_level >= Escalation.Step.COMMITTEE],
        "secretariat": [i for i in items if i.escalation_level == Escalation.Step.SECRETARIAT],
        "other": [i for i in items if i.escalation_level < Escalation.Step.SECRETARIAT],
        "totals": totals,
        "more": totals["total"] - len(items),
        "includes_unled": escalation.is_fallback_board(board.code),
        "board_url": absolute(reverse("boards:detail", kwargs={"code": board.code})),
        "committee_after": escalation.committee_after_days(),
        "secretariat_after": escalation.secretariat_after_days(),
    }
    subject = f"DevoTracker weekly digest for {board.code}: {totals['total']} overdue, {totals['committee']} for Leaders' Committee ({context['week']})"
    text, html = render_email("secretariat_digest", context)
    return {"subject": subject, "text": text, "html": html}


def send_secretariat_digests(*, today: dt.date | None = None) -> dict[str, int]:
    """Queue this ISO week's digest for each board's secretariat (``digest:weekly:<code>:<week>``).

    Recipients are the board's secretariat members who are active, have an e-mail address and
    have not turned digests off. Writes OutboxMessage rows; returns ``boards``, ``queued``,
    ``already_queued``, ``empty``, ``no_recipients``.
    """
    today = today or timezone.localdate()
    counts = {"boards": 0, "queued": 0, "already_queued": 0, "empty": 0, "no_recipients": 0}
    boards = Board.objects.filter(memberships__role=Membership.Role.SECRETARIAT).distinct().order_by("code")
    for board in boards:
        counts["boards"] += 1
        key = weekly_digest_key(board, today)
        if OutboxMessage.objects.filter(dedupe_key=key).exists():
            counts["already_queued"] += 1
            continue
        recipients = [
            [user_id, email]
            for user_id, email in Membership.objects.filter(board=board, role=Membership.Role.SECRETARIAT, user__is_active=True)
            .exclude(user__email="")
            .exclude(user__profile__digests_enabled=False)
            .order_by("user__email")
            .values_list("user_id", "user__email")
        ]
        if not recipients:
            counts["no_recipients"] += 1
            continue
        payload = secretariat_digest(board, today)
        if payload is None:
            counts["empty"] += 1
            continue
        if queue_message(kind=WEEKLY_DIGEST_KIND, dedupe_key=key, payload={**payload, "recipients": recipients}):
            counts["queued"] += 1
        else:
            counts["already_queued"] += 1
    if counts["queued"]:
        outbox.schedule_delivery()
    return counts


def run_digests(kind: str, *, triggered_by: str, today: dt.date | None = None, task_id: str = "") -> JobRun:
    """Build one kind of digest (``daily`` or ``weekly``) as a recorded job: a JobRun named
    ``officer_digests`` / ``secretariat_digests`` with the counts, and a structured log line.
    Exceptions are recorded on the JobRun and re-raised (the task retries)."""
    name, build = {"daily": ("officer_digests", send_officer_digests), "weekly": ("secretariat_digests", send_secretariat_digests)}[kind]
    started = time.monotonic()
    run = JobRun.objects.create(name=name, task_id=task_id[:64], counts={"triggered_by": triggered_by})
    try:
        counts: dict[str, Any] = dict(build(today=today))
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(
            outcome=JobRun.Outcome.FAILURE, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:4000]
        )
        logger.error(f"{name} failed", exc_info=True, extra={"fields": {"job": name, "run": run.pk, "error": type(exc).__name__}})
        raise
    counts.update(
        duration_ms=round((time.monotonic() - started) * 1000), today=(today or timezone.localdate()).isoformat(), triggered_by=triggered_by
    )
    run.counts, run.outcome, run.finished_at = counts, JobRun.Outcome.SUCCESS, timezone.now()
    run.save(update_fields=["counts", "outcome", "finished_at"])
    logger.info(f"{name} finished", extra={"fields": {"job": name, "run": run.pk, **counts}})
    return run


def deliver_digest(message: OutboxMessage, mail: BaseEmailBackend) -> str | None:
    p = message.payload
    recipients: Iterable[tuple[int, str]] = [(int(uid), email) for uid, email in p["recipients"]]
    # Somebody who turned digests off after the digest was queued does not get it.
    off = set(Profile.objects.filter(user_id__in=[uid for uid, _ in recipients], digests_enabled=False).values_list("user_id", flat=True))
    to = [email for uid, email in recipients if uid not in off]
    if not to:
        return "Not sent: every recipient turned digests off after it was queued."
    send(message, mail, to=to, subject=p["subject"], text=p["text"], html=p["html"])
    return None
