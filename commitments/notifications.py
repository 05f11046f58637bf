"""Telling the right people: e-mail digests, escalation notices, and delivery through the outbox.

Nothing here sends mail while a change is being written. Writers (the overdue pass, the digest
builders, ``record_update``'s follow-ups) put an :class:`OutboxMessage` in the same transaction
as the change that causes it, keyed by a ``dedupe_key`` that cannot be queued twice. Then
:func:`deliver_outbox` (a Celery task every minute, and right after a commit that queued
something) claims one pending message at a time with ``SELECT … FOR UPDATE SKIP LOCKED``, sends
it, and marks ``sent_at`` in the same transaction as the claim, so two workers never send the
same message. A failed send is retried with exponential back-off (``available_at``, ``attempts``)
and given up after ``OUTBOX_MAX_ATTEMPTS`` with ``last_error`` kept; a failure never touches the
flagging, which committed long before.

The one remaining window (mail accepted by the server, then the worker dies before the commit)
resends that one message; each carries a stable ``Message-ID`` so mail clients fold the copy.

Digests (DESIGN.md §10, Schedule): the officers' digest, weekdays 07:00, of what a person owns or
their parties owe that is overdue or due within ``DIGEST_DUE_WITHIN_DAYS`` days (one per person
per day); the secretariat digest, Mondays 07:00, of the overdue and escalated items under the
commitments each board leads (one per board per ISO week). Users can turn digests off
(``Profile.digests_enabled``); escalation notices are always sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from boards.models import Board, Membership, Profile

from .lifecycle import days_overdue, open_q, overdue_q
from .models import Action, Escalation, JobRun, Obligation, OutboxMessage
from .services import queue_message

logger = logging.getLogger("commitments.jobs")

DAILY_DIGEST_KIND = "email.digest.daily"
WEEKLY_DIGEST_KIND = "email.digest.weekly"
# The overdue pass's notices: one e-mail per recipient per pass listing every step they are told
# of, payload {"to": address, "escalation_ids": [...]} (commitments.overdue queues them).
ESCALATIONS_KIND = "email.escalations"
# One e-mail per escalation step, payload {"escalation_id"}: what passes queued before issue 11;
# still delivered, so nothing queued before an upgrade is lost.
ESCALATION_KIND = "email.escalation"
EMAIL_KIND = "email"  # a ready-made e-mail: payload {"to", "subject", "text", "html"}

# Items listed per section of a digest; the rest are counted and linked, so one e-mail (and the
# memory building it) stays bounded whatever a party owes.
DIGEST_SECTION_LIMIT = 50
# Items listed per section of an escalation notice. Every item is counted; past this many (a
# backlog of hundreds owed by one party) the rest are linked rather than listed.
ESCALATION_SECTION_LIMIT = 200


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def outbox_max_attempts() -> int:
    return _setting("OUTBOX_MAX_ATTEMPTS", 8)


def retry_delay(attempts: int) -> dt.timedelta:
    """Back-off after the ``attempts``-th failed try: base × 2^(attempts-1), capped (1 min, 2 min,
    4 min … 6 h by default)."""
    base = _setting("OUTBOX_RETRY_BASE_SECONDS", 60)
    cap = _setting("OUTBOX_RETRY_MAX_SECONDS", 6 * 60 * 60)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


# --- links and text -------------------------------------------------------------------------


def absolute(path: str) -> str:
    """A link for an e-mail: e-mails have no request, so the base is ``SITE_URL``."""
    return f"{settings.SITE_URL}{path}"


def _one_line(text: str, limit: int = 90) -> str:
    """Text fit for a subject line: control characters and line breaks (header injection) become
    spaces, runs of whitespace collapse, and long text is cut with an ellipsis."""
    flat = re.sub(r"\s+", " ", "".join(ch if ch.isprintable() else " " for ch in text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _person(user: Any) -> str:
    if user is None:
        return "No owner"
    return user.get_full_name() or user.get_username()


@dataclass
class Item:
    """One obligation or action as an e-mail shows it."""

    kind: str  # "Action" or "Obligation"
    ref: str
    commitment_title: str
    what: str
    party: str
    owner: str
    due_date: dt.date | None
    days_overdue: int | None
    overdue_since: dt.date | None
    escalation_level: int
    commitment_url: str
    update_url: str

    @property
    def escalation_label(self) -> str:
        if self.escalation_level >= Escalation.Step.COMMITTEE:
            return "On the next Leaders' Committee report"
        if self.escalation_level == Escalation.Step.SECRETARIAT:
            return "Escalated to the lead board's secretariat"
        if self.escalation_level == Escalation.Step.OWNER:
            return "Owner told"
        return ""


def _days_overdue(due: dt.date | None, status: str, today: dt.date) -> int | None:
    return days_overdue(due, status, today) or None


def item_for_obligation(obligation: Obligation, today: dt.date) -> Item:
    commitment = obligation.commitment
    return Item(
        kind="Obligation",
        ref=commitment.ref,
        commitment_title=commitment.title,
        what=f"What {obligation.party.name} owes under {commitment.ref}",
        party=obligation.party.name,
        owner=_person(obligation.owner),
        due_date=obligation.due_date,
        days_overdue=_days_overdue(obligation.due_date, obligation.status, today),
        overdue_since=obligation.overdue_since,
        escalation_level=obligation.escalation_level,
        commitment_url=absolute(reverse("commitments:detail", kwargs={"ref": commitment.ref})),
        update_url=absolute(reverse("commitments:obligation-update", kwargs={"pk": obligation.pk})),
    )


def item_for_action(action: Action, today: dt.date) -> Item:
    obligation = action.obligation
    commitment = obligation.commitment
    return Item(
        kind="Action",
        ref=commitment.ref,
        commitment_title=commitment.title,
        what=action.description,
        party=obligation.party.name,
        owner=_person(action.owner),
        due_date=action.due_date,
        days_overdue=_days_overdue(action.due_date, action.status, today),
        overdue_since=action.overdue_since,
        escalation_level=action.escalation_level,
        commitment_url=absolute(reverse("commitments:detail", kwargs={"ref": commitment.ref})),
        update_url=absolute(reverse("commitments:action-update", kwargs={"pk": action.pk})),
    )


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """The plain-text and HTML bodies of ``emails/<template>.txt|.html``. The HTML is
    autoescaped (hostile text stays text); the plain text is not escaped, it is text already."""
    base = {
        "site_url": settings.SITE_URL,
        "preferences_url": absolute(reverse("notifications:preferences")),
        "service_name": "DevoTracker",
    }
    ctx = {**base, **context}
    return render_to_string(f"emails/{template}.txt", ctx), render_to_string(f"emails/{template}.html", ctx)


def _message_id(message: OutboxMessage) -> str:
    # Stable per outbox row: a resend after a crash carries the same id, so clients fold it.
    domain = urlsplit(settings.SITE_URL).hostname or "devotracker.invalid"
    return f"<outbox.{message.pk}@{domain}>"


def _send(message: OutboxMessage, mail: BaseEmailBackend, *, to: list[str], subject: str, text: str, html: str) -> None:
    email = EmailMultiAlternatives(
        subject=_one_line(subject, 200),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        connection=mail,
        headers={"Message-ID": _message_id(message), "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    email.attach_alternative(html, "text/html")
    email.send()


# --- queueing -------------------------------------------------------------------------------


def schedule_delivery() -> None:
    """Ask a worker to deliver the outbox once the current transaction commits.

    Best effort by design: if the broker is unreachable the messages wait in the outbox for beat's
    every-minute delivery, so a broker outage never fails the write that queued them. Nor does it
    slow it down: :func:`devotracker.celery.hand_off` makes one bounded connection attempt and no
    retries (issue 11), so the commit costs milliseconds more while Redis is down, not seconds.
    """

    def enqueue() -> None:
        try:
            from devotracker.celery import hand_off

            from .tasks import deliver_outbox_task

            hand_off(deliver_outbox_task)
        except Exception as exc:  # see the docstring
            logger.warning("could not enqueue outbox delivery", extra={"fields": {"error": type(exc).__name__}})

    transaction.on_commit(enqueue)


def queue_email(*, dedupe_key: str, to: list[str], subject: str, text: str, html: str) -> bool:
    """Queue a ready-made e-mail (for follow-ups of a write) in the caller's transaction and
    schedule its delivery. Returns False when this key was queued before."""
    created = queue_message(kind=EMAIL_KIND, dedupe_key=dedupe_key, payload={"to": to, "subject": subject, "text": text, "html": html})
    if created:
        schedule_delivery()
    return created


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
    horizon = today + dt.timedelta(days=_setting("DIGEST_DUE_WITHIN_DAYS", 14))
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
    horizon = today + dt.timedelta(days=_setting("DIGEST_DUE_WITHIN_DAYS", 14))
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
        "name": user.get_full_name() or user.get_username(),
        "today": today,
        "horizon": horizon,
        "days": _setting("DIGEST_DUE_WITHIN_DAYS", 14),
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
        schedule_delivery()
    return counts


# --- the secretariat's weekly digest --------------------------------------------------------


def weekly_digest_key(board: Board, today: dt.date) -> str:
    year, week, _ = today.isocalendar()
    return f"digest:weekly:{board.code.upper()}:{year}-W{week:02d}"


def _led_by(board: Board, prefix: str) -> Q:
    """Items under commitments ``board`` leads; the SPB also takes those with no lead board (the
    same fallback as the escalation ladder)."""
    led = Q(**{f"{prefix}commitment__lead_board": board})
    if board.code.upper() == "SPB":
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
        "includes_unled": board.code.upper() == "SPB",
        "board_url": absolute(reverse("boards:detail", kwargs={"code": board.code})),
        "committee_after": _setting("ESCALATE_TO_COMMITTEE_AFTER_DAYS", 28),
        "secretariat_after": _setting("ESCALATE_TO_SECRETARIAT_AFTER_DAYS", 14),
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
        schedule_delivery()
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


# --- delivery -------------------------------------------------------------------------------

# A handler sends one message and returns None, or returns why it deliberately sent nothing.
Handler = Callable[[OutboxMessage, BaseEmailBackend], "str | None"]


def _deliver_prepared(message: OutboxMessage, mail: BaseEmailBackend) -> str | None:
    p = message.payload
    _send(message, mail, to=list(p["to"]), subject=p["subject"], text=p["text"], html=p["html"])
    return None


def _deliver_digest(message: OutboxMessage, mail: BaseEmailBackend) -> str | None:
    p = message.payload
    recipients: Iterable[tuple[int, str]] = [(int(uid), email) for uid, email in p["recipients"]]
    # Somebody who turned digests off after the digest was queued does not get it.
    off = set(Profile.objects.filter(user_id__in=[uid for uid, _ in recipients], digests_enabled=False).values_list("user_id", flat=True))
    to = [email for uid, email in recipients if uid not in off]
    if not to:
        return "Not sent: every recipient turned digests off after it was queued."
    _send(message, mail, to=to, subject=p["subject"], text=p["text"], html=p["html"])
    return None


def escalation_email(escalation: Escalation, today: dt.date) -> dict[str, str]:
    """Subject and bodies of the notice for one escalation step."""
    if escalation.action is not None:
        item = item_for_action(escalation.action, today)
    else:
        item = item_for_obligation(escalation.obligation, today)  # type: ignore[arg-type]
    days = (today - escalation.overdue_since).days
    board = escalation.board
    prefix = {
        Escalation.Step.OWNER: "Overdue",
        Escalation.Step.SECRETARIAT: f"Overdue {days} days, escalated to the {board.code + ' ' if board else ''}secretariat",
        Escalation.Step.COMMITTEE: "For the next Leaders' Committee report",
    }[Escalation.Step(escalation.step)]
    context = {
        "escalation": escalation,
        "step": escalation.step,
        "item": item,
        "days": days,
        "board": board,
        "secretariat_after": _setting("ESCALATE_TO_SECRETARIAT_AFTER_DAYS", 14),
        "committee_after": _setting("ESCALATE_TO_COMMITTEE_AFTER_DAYS", 28),
    }
    text, html = render_email("escalation", context)
    return {"subject": f"{prefix}: {item.ref} {_one_line(item.what, 70)}", "text": text, "html": html}


_ESCALATION_RELATED = (
    "board",
    "commitment",
    "obligation__party",
    "obligation__owner",
    "obligation__commitment",
    "action__owner",
    "action__obligation__party",
    "action__obligation__commitment",
)


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _secretariat_phrase(boards: list[Board]) -> str:
    """``the SPB secretariat`` / ``the LEB and SPB secretariats`` / ``the lead board's secretariat``."""
    codes = sorted({board.code for board in boards})
    if not codes:
        return "the lead board's secretariat"
    return f"the {_and(codes)} secretariat{'s' if len(codes) > 1 else ''}"


def escalations_email(escalations: list[Escalation], *, recipient: str, today: dt.date) -> dict[str, str]:
    """Subject and bodies of one person's notice of the steps one overdue pass told them of.

    Each item is listed once, in the section of the highest step this person is told of (an item
    first found long overdue takes several steps at once): for the next Leaders' Committee report,
    escalated to the secretariat, newly overdue. Counts cover every item; a section lists up to
    ``ESCALATION_SECTION_LIMIT`` and links the rest. One item keeps the one-item subject.
    """
    highest: dict[tuple[str, int], Escalation] = {}
    for escalation in escalations:
        key = ("action", escalation.action_id) if escalation.action_id else ("obligation", escalation.obligation_id or 0)
        if key not in highest or escalation.step > highest[key].step:
            highest[key] = escalation
    committee_after = _setting("ESCALATE_TO_COMMITTEE_AFTER_DAYS", 28)
    secretariat_after = _setting("ESCALATE_TO_SECRETARIAT_AFTER_DAYS", 14)
    sections: dict[int, list[tuple[Item, Escalation]]] = {step: [] for step in (3, 2, 1)}
    for escalation in highest.values():
        if escalation.action is not None:
            item = item_for_action(escalation.action, today)
        else:
            item = item_for_obligation(escalation.obligation, today)  # type: ignore[arg-type]
        sections[min(max(escalation.step, 1), 3)].append((item, escalation))
    for entries in sections.values():
        entries.sort(key=lambda pair: (pair[1].overdue_since, pair[0].ref, pair[0].what))  # longest overdue first
    boards = [e.board for _, e in sections[2] if e.board is not None]
    secretariat_of = _secretariat_phrase(boards)
    first_board = boards[0] if boards else next((e.board for _, e in sections[3] if e.board is not None), None)
    more_url = (
        absolute(reverse("boards:detail", kwargs={"code": first_board.code}))
        if first_board is not None
        else absolute(reverse("commitments:my-work"))
    )
    counts = {step: len(entries) for step, entries in sections.items()}
    total = sum(counts.values())
    parts = {
        3: f"{counts[3]} going on the next Leaders' Committee report",
        2: f"{counts[2]} newly escalated to you as {secretariat_of}",
        1: f"{counts[1]} newly overdue",
    }
    short = {
        3: f"{counts[3]} for the next Leaders' Committee report",
        2: f"{counts[2]} escalated to {secretariat_of}",
        1: f"{counts[1]} newly overdue",
    }
    present = [step for step in (3, 2, 1) if counts[step]]
    summary = f"{total} item{'s are' if total != 1 else ' is'} overdue: {_and([parts[step] for step in present])}."
    if total == 1:
        (step,) = present
        item, escalation = sections[step][0]
        days = (today - escalation.overdue_since).days
        prefix = {
            1: "Overdue",
            2: f"Overdue {days} days, escalated to {secretariat_of}",
            3: "For the next Leaders' Committee report",
        }[step]
        subject = f"{prefix}: {item.ref} {_one_line(item.what, 70)}"
    elif len(present) == 1:
        subject = {
            3: f"{total} overdue items for the next Leaders' Committee report",
            2: f"{total} overdue items escalated to {secretariat_of}",
            1: f"{total} items newly overdue",
        }[present[0]]
    else:
        subject = f"{total} overdue items: {_and([short[step] for step in present])}"
    user = get_user_model().objects.filter(email__iexact=recipient, is_active=True).order_by("pk").first()
    context = {
        "name": (user.get_full_name() or user.get_username()) if user is not None else "",
        "today": today,
        "total": total,
        "summary": summary,
        "sections": [
            {
                "step": step,
                "count": counts[step],
                "items": [item for item, _ in sections[step][:ESCALATION_SECTION_LIMIT]],
                "more": max(counts[step] - ESCALATION_SECTION_LIMIT, 0),
                "more_url": absolute(reverse("commitments:my-work")) if step == 1 else more_url,
            }
            for step in present
        ],
        "secretariat_of": secretariat_of,
        "secretariat_after": secretariat_after,
        "committee_after": committee_after,
        "my_work_url": absolute(reverse("commitments:my-work")),
    }
    text, html = render_email("escalations", context)
    return {"subject": subject, "text": text, "html": html}


def _deliver_escalations(message: OutboxMessage, mail: BaseEmailBackend) -> str | None:
    recipient = str(message.payload.get("to") or "")
    ids = [int(pk) for pk in message.payload.get("escalation_ids") or []]
    escalations = list(Escalation.objects.select_related(*_ESCALATION_RELATED).filter(pk__in=ids).order_by("pk"))
    if not recipient or not escalations:
        return "Not sent: nobody to tell, or the escalations no longer exist."
    # Completed or re-dated between the pass and delivery: chasing those now would be wrong.
    live = [escalation for escalation in escalations if escalation.resolved_at is None]
    if not live:
        return "Not sent: every item stopped being overdue before delivery."
    content = escalations_email(live, recipient=recipient, today=timezone.localdate())
    _send(message, mail, to=[recipient], **content)
    return None


def _deliver_escalation(message: OutboxMessage, mail: BaseEmailBackend) -> str | None:
    escalation = Escalation.objects.select_related(*_ESCALATION_RELATED).filter(pk=message.payload.get("escalation_id")).first()
    if escalation is None:
        return "Not sent: the escalation no longer exists."
    if escalation.resolved_at is not None:
        # Completed or re-dated between the pass and delivery: chasing it now would be wrong.
        return "Not sent: the item stopped being overdue before delivery."
    if not escalation.notified:
        return "Not sent: nobody to tell."
    content = escalation_email(escalation, timezone.localdate())
    _send(message, mail, to=list(escalation.notified), **content)
    return None


HANDLERS: dict[str, Handler] = {
    EMAIL_KIND: _deliver_prepared,
    DAILY_DIGEST_KIND: _deliver_digest,
    WEEKLY_DIGEST_KIND: _deliver_digest,
    ESCALATIONS_KIND: _deliver_escalations,
    ESCALATION_KIND: _deliver_escalation,
}


def _claim(now: dt.datetime) -> OutboxMessage | None:
    qs = OutboxMessage.objects.filter(
        sent_at__isnull=True, available_at__lte=now, attempts__lt=outbox_max_attempts(), kind__in=list(HANDLERS)
    ).order_by("available_at", "pk")
    if db_connection.features.has_select_for_update_skip_locked:
        # Another worker's claimed row is skipped, not waited for: workers share the queue.
        qs = qs.select_for_update(skip_locked=True)
    return qs.first()


def deliver_outbox(*, now: dt.datetime | None = None, limit: int | None = None, budget_seconds: float | None = None) -> dict[str, int]:
    """Send pending outbox messages, one claimed row per transaction, up to ``limit``.

    For each: claim it (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises writers), run
    its kind's handler, and in the same transaction set ``sent_at`` (or, on failure, ``attempts``,
    ``last_error`` and ``available_at`` = now + back-off; after ``OUTBOX_MAX_ATTEMPTS`` tries the
    row is left unsent with its last error, and no longer picked). ``now`` fixes the clock for
    tests; ``budget_seconds`` stops claiming new messages after that long (the task's time limit
    then never cuts a send in half). Returns ``sent``, ``skipped``, ``failed`` (will retry) and
    ``gave_up``.
    """
    limit = limit or _setting("OUTBOX_BATCH_SIZE", 200)
    counts = {"sent": 0, "skipped": 0, "failed": 0, "gave_up": 0}
    started = time.monotonic()
    mail: BaseEmailBackend | None = None
    try:
        for _ in range(limit):
            if budget_seconds is not None and time.monotonic() - started > budget_seconds:
                break
            current = now or timezone.now()
            with transaction.atomic():
                message = _claim(current)
                if message is None:
                    break
                message.attempts += 1
                try:
                    # A savepoint, so a database error inside a handler still lets us record it.
                    with transaction.atomic():
                        if mail is None:
                            # A timeout, so a hung mail server fails this try instead of the task.
                            mail = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 20)
                            mail.open()
                        skipped = HANDLERS[message.kind](message, mail)
                except SoftTimeLimitExceeded:
                    raise  # the task is out of time: roll this claim back untouched, it is retried
                except Exception as exc:  # any failure of one message is retried, never fatal
                    message.last_error = f"{type(exc).__name__}: {exc}"[:4000]
                    if message.attempts >= outbox_max_attempts():
                        counts["gave_up"] += 1
                        logger.error(
                            "outbox message given up",
                            extra={
                                "fields": {
                                    "message": message.pk,
                                    "kind": message.kind,
                                    "attempts": message.attempts,
                                    "error": type(exc).__name__,
                                }
                            },
                        )
                    else:
                        counts["failed"] += 1
                        message.available_at = current + retry_delay(message.attempts)
                    message.save(update_fields=["attempts", "last_error", "available_at"])
                    if mail is not None:
                        # The connection may be what broke: the next message opens a fresh one.
                        try:
                            mail.close()
                        finally:
                            mail = None
                    continue
                message.sent_at = current
                message.last_error = skipped or ""
                message.save(update_fields=["attempts", "sent_at", "last_error"])
                counts["skipped" if skipped else "sent"] += 1
    finally:
        if mail is not None:
            mail.close()
    logger.info(
        "deliver_outbox finished",
        extra={"fields": {"job": "deliver_outbox", **counts, "duration_ms": round((time.monotonic() - started) * 1000)}},
    )
    return counts


__all__ = [
    "DAILY_DIGEST_KIND",
    "ESCALATIONS_KIND",
    "ESCALATION_KIND",
    "WEEKLY_DIGEST_KIND",
    "deliver_outbox",
    "digests_enabled",
    "escalation_email",
    "escalations_email",
    "officer_digest",
    "queue_email",
    "retry_delay",
    "run_digests",
    "schedule_delivery",
    "secretariat_digest",
    "send_officer_digests",
    "send_secretariat_digests",
    "set_digests_enabled",
]
