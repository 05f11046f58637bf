"""What every notification e-mail shares: items as an e-mail shows them, links, rendering, and
sending one message with a stable ``Message-ID`` (a resend after a crash carries the same id, so
mail clients fold the copy)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.urls import reverse

from devotracker.people import name_of

from ..lifecycle import days_overdue
from ..models import Action, Escalation, Obligation, OutboxMessage

# --- links and text -------------------------------------------------------------------------


def absolute(path: str) -> str:
    """A link for an e-mail: e-mails have no request, so the base is ``SITE_URL``."""
    return f"{settings.SITE_URL}{path}"


def one_line(text: str, limit: int = 90) -> str:
    """Text fit for a subject line: control characters and line breaks (header injection) become
    spaces, runs of whitespace collapse, and long text is cut with an ellipsis."""
    flat = re.sub(r"\s+", " ", "".join(ch if ch.isprintable() else " " for ch in text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _person(user: Any) -> str:
    if user is None:
        return "No owner"
    return name_of(user)


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
    # What the item waits on (issue 15): an action its own prerequisites, an obligation its
    # commitment's; filled by the escalation notices (commitments.dependencies.waiting_on_texts).
    waiting_on: str = ""
    node: tuple[str, int] = ("", 0)
    # Issue 16: the code of the default board (the SPB) the item's escalation fell to because no
    # board leads its commitment, set by the notices that say so; and where to give it a lead board.
    fell_to_default: str = ""
    lead_board_url: str = ""

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
        node=("c", commitment.pk),
        lead_board_url="" if commitment.lead_board_id else absolute(reverse("commitments:lead-board", kwargs={"ref": commitment.ref})),
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
        node=("a", action.pk),
        lead_board_url="" if commitment.lead_board_id else absolute(reverse("commitments:lead-board", kwargs={"ref": commitment.ref})),
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


def send(message: OutboxMessage, mail: BaseEmailBackend, *, to: list[str], subject: str, text: str, html: str) -> None:
    email = EmailMultiAlternatives(
        subject=one_line(subject, 200),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        connection=mail,
        headers={"Message-ID": _message_id(message), "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    email.attach_alternative(html, "text/html")
    email.send()
