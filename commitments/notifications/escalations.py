"""The escalation notices the overdue pass queues: one e-mail per person per pass listing every
step they are told of (``email.escalations``), and the one-step notices queued before issue 11
(``email.escalation``), still delivered so nothing queued before an upgrade is lost. A step whose
item stopped being overdue before delivery is not chased."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from boards.models import Board
from devotracker.people import name_of

from .. import dependencies
from .. import escalation as ladder
from ..models import Escalation, OutboxMessage
from .emails import Item, absolute, item_for_action, item_for_obligation, one_line, render_email, send

# Items listed per section of an escalation notice. Every item is counted; past this many (a
# backlog of hundreds owed by one party) the rest are linked rather than listed.
ESCALATION_SECTION_LIMIT = 200


def escalation_email(escalation: Escalation, today: dt.date) -> dict[str, str]:
    """Subject and bodies of the notice for one escalation step."""
    if escalation.action is not None:
        item = item_for_action(escalation.action, today)
    else:
        item = item_for_obligation(escalation.obligation, today)  # type: ignore[arg-type]
    with_waiting_on([item], today)
    mark_fallback(item, escalation)
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
        "secretariat_after": ladder.secretariat_after_days(),
        "committee_after": ladder.committee_after_days(),
    }
    text, html = render_email("escalation", context)
    return {"subject": f"{prefix}: {item.ref} {one_line(item.what, 70)}", "text": text, "html": html}


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


def mark_fallback(item: Item, escalation: Escalation) -> None:
    """Say on the item that its escalation fell to the default board (issue 16): recorded on the
    escalation by the overdue pass when no board leads the commitment."""
    if escalation.fell_to_default_board:
        item.fell_to_default = escalation.board.code if escalation.board is not None else ladder.FALLBACK_BOARD_CODE


def with_waiting_on(items: list[Item], today: dt.date) -> None:
    """Fill each item's ``waiting_on`` (issue 15): one query for all of them."""
    texts = dependencies.waiting_on_texts((item.node for item in items), today)
    for item in items:
        item.waiting_on = texts.get(item.node, "")


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
    committee_after = ladder.committee_after_days()
    secretariat_after = ladder.secretariat_after_days()
    sections: dict[int, list[tuple[Item, Escalation]]] = {step: [] for step in (3, 2, 1)}
    for escalation in highest.values():
        if escalation.action is not None:
            item = item_for_action(escalation.action, today)
        else:
            item = item_for_obligation(escalation.obligation, today)  # type: ignore[arg-type]
        mark_fallback(item, escalation)
        sections[min(max(escalation.step, 1), 3)].append((item, escalation))
    with_waiting_on([item for entries in sections.values() for item, _ in entries], today)
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
        subject = f"{prefix}: {item.ref} {one_line(item.what, 70)}"
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
        "name": name_of(user) if user is not None else "",
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


def deliver_escalations(message: OutboxMessage, mail: BaseEmailBackend) -> str | None:
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
    send(message, mail, to=[recipient], **content)
    return None


def deliver_escalation(message: OutboxMessage, mail: BaseEmailBackend) -> str | None:
    escalation = Escalation.objects.select_related(*_ESCALATION_RELATED).filter(pk=message.payload.get("escalation_id")).first()
    if escalation is None:
        return "Not sent: the escalation no longer exists."
    if escalation.resolved_at is not None:
        # Completed or re-dated between the pass and delivery: chasing it now would be wrong.
        return "Not sent: the item stopped being overdue before delivery."
    if not escalation.notified:
        return "Not sent: nobody to tell."
    content = escalation_email(escalation, timezone.localdate())
    send(message, mail, to=list(escalation.notified), **content)
    return None
