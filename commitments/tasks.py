"""Celery tasks for the overdue pass, the digests and the outbox (issue 5).

Thin by design (STYLE.md §4): plain values in, one service call, and only the concerns of a
task here: retries for transient database or broker errors (exponential back-off with jitter),
time limits, and late acknowledgement. Every service they call is idempotent (conditional
UPDATEs, unique escalation steps, outbox dedupe keys, ``sent_at`` set in the claiming
transaction), so ``acks_late`` is safe: a worker killed mid-run leaves its transaction
uncommitted, the broker redelivers the message, and the rerun does exactly what is left.

The beat schedule that runs them is ``CELERY_BEAT_SCHEDULE`` in settings (DESIGN.md §10).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task

from devotracker.celery import reliable_job

from . import notifications, overdue

# Delivery runs every minute: it stops claiming after DELIVERY_BUDGET seconds, well inside its limits.
DELIVERY_BUDGET = 40


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@shared_task(name="commitments.tasks.flag_overdue_task", **reliable_job())
def flag_overdue_task(self: Any, today: str | None = None, triggered_by: str = "beat") -> dict[str, Any]:
    """The daily overdue pass (06:00 London). ``today``: an ISO date to run for a fixed London day.
    Returns the JobRun's id and counts."""
    run = overdue.run_flag_overdue(triggered_by, today=_day(today), task_id=self.request.id or "", reraise=True)
    return {"job_run": run.pk, **run.counts}


@shared_task(name="commitments.tasks.send_officer_digests_task", **reliable_job())
def send_officer_digests_task(self: Any, today: str | None = None) -> dict[str, Any]:
    """Queue the officers' daily digests (weekdays 07:00 London); delivery follows via the outbox."""
    run = notifications.run_digests("daily", triggered_by="beat", today=_day(today), task_id=self.request.id or "")
    return {"job_run": run.pk, **run.counts}


@shared_task(name="commitments.tasks.send_secretariat_digests_task", **reliable_job())
def send_secretariat_digests_task(self: Any, today: str | None = None) -> dict[str, Any]:
    """Queue the secretariats' weekly digests (Mondays 07:00 London)."""
    run = notifications.run_digests("weekly", triggered_by="beat", today=_day(today), task_id=self.request.id or "")
    return {"job_run": run.pk, **run.counts}


@shared_task(name="commitments.tasks.deliver_outbox_task", **reliable_job(soft_time_limit=55, time_limit=60))
def deliver_outbox_task(self: Any, limit: int | None = None) -> dict[str, int]:
    """Send what the outbox holds (every minute, and after a commit that queued messages)."""
    return notifications.deliver_outbox(limit=limit, budget_seconds=DELIVERY_BUDGET)
