"""Delivery of the outbox: claim one pending message at a time, send it, and record the outcome
in the claiming transaction.

:func:`deliver_outbox` (a Celery task every minute, and right after a commit that queued something)
claims with ``SELECT … FOR UPDATE SKIP LOCKED``, sends, and marks ``sent_at`` in the same
transaction as the claim, so two workers never send the same message. A failed send is retried
with exponential back-off (``available_at``, ``attempts``) and given up after
``OUTBOX_MAX_ATTEMPTS`` with ``last_error`` kept; a failure never touches the flagging, which
committed long before. The one remaining window (mail accepted by the server, then the worker dies
before the commit) resends that one message, under the same ``Message-ID``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from ..models import OutboxMessage
from .digests import deliver_digest
from .emails import send
from .escalations import deliver_escalation, deliver_escalations
from .outbox import (
    DAILY_DIGEST_KIND,
    EMAIL_KIND,
    ESCALATION_KIND,
    ESCALATIONS_KIND,
    WEEKLY_DIGEST_KIND,
    outbox_max_attempts,
    retry_delay,
    setting,
)

logger = logging.getLogger("commitments.jobs")

# A handler sends one message and returns None, or returns why it deliberately sent nothing.
Handler = Callable[[OutboxMessage, BaseEmailBackend], "str | None"]


def _deliver_prepared(message: OutboxMessage, mail: BaseEmailBackend) -> str | None:
    p = message.payload
    send(message, mail, to=list(p["to"]), subject=p["subject"], text=p["text"], html=p["html"])
    return None


HANDLERS: dict[str, Handler] = {
    EMAIL_KIND: _deliver_prepared,
    DAILY_DIGEST_KIND: deliver_digest,
    WEEKLY_DIGEST_KIND: deliver_digest,
    ESCALATIONS_KIND: deliver_escalations,
    ESCALATION_KIND: deliver_escalation,
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
    limit = limit or setting("OUTBOX_BATCH_SIZE", 200)
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
