"""The outbox's queueing side: message kinds, queueing a ready-made e-mail, and asking a worker
to deliver once the writing transaction commits; the retry policy delivery follows.

Writers put an :class:`~commitments.models.OutboxMessage` in the same transaction as the change
that causes it, keyed by a ``dedupe_key`` that cannot be queued twice; :mod:`.delivery` sends it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction

from devotracker.celery import hand_off_by_name

from ..services import queue_message

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

# The task that delivers the outbox (commitments.tasks), scheduled by name: this package sits
# below the tasks module, which calls into it.
DELIVER_TASK = "commitments.tasks.deliver_outbox_task"


def setting(name: str, default: int) -> int:
    """A whole-number setting of the notifications, with its default."""
    return int(getattr(settings, name, default))


def outbox_max_attempts() -> int:
    return setting("OUTBOX_MAX_ATTEMPTS", 8)


def retry_delay(attempts: int) -> dt.timedelta:
    """Back-off after the ``attempts``-th failed try: base × 2^(attempts-1), capped (1 min, 2 min,
    4 min … 6 h by default)."""
    base = setting("OUTBOX_RETRY_BASE_SECONDS", 60)
    cap = setting("OUTBOX_RETRY_MAX_SECONDS", 6 * 60 * 60)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def schedule_delivery() -> None:
    """Ask a worker to deliver the outbox once the current transaction commits.

    Best effort by design: if the broker is unreachable the messages wait in the outbox for beat's
    every-minute delivery, so a broker outage never fails the write that queued them. Nor does it
    slow it down: :func:`devotracker.celery.hand_off` makes one bounded connection attempt and no
    retries (issue 11), so the commit costs milliseconds more while Redis is down, not seconds.
    """

    def enqueue() -> None:
        try:
            hand_off_by_name(DELIVER_TASK)
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


__all__ = [
    "DAILY_DIGEST_KIND",
    "EMAIL_KIND",
    "ESCALATIONS_KIND",
    "ESCALATION_KIND",
    "WEEKLY_DIGEST_KIND",
    "outbox_max_attempts",
    "queue_email",
    "retry_delay",
    "schedule_delivery",
    "setting",
]
