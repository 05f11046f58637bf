"""The daily overdue pass: flag, clear and escalate overdue obligations and actions (issue 5).

"Overdue" itself is always computed from dates by the one rule in :mod:`commitments.lifecycle`
(DESIGN.md §10: due before today in Europe/London and still open; ``complete`` and ``not_pursued``
close an item), and this pass's SQL takes it from there (``overdue_q``, ``overdue_sql``). The pass
only *records* what the dates say, so that Leaders' Committee sees the items and owners are chased
first:

(a) ``overdue_since`` = today for items newly seen overdue;
(b) ``overdue_since`` cleared, open escalation steps resolved and a history row written for items
    that stopped being overdue (closed, re-dated or undated) behind the write path's back
    (``record_update`` normally clears them itself);
(c) the escalation ladder by days overdue: step 1 the owner (or the party's officers) on day 0,
    step 2 the lead board's secretariat (the SPB's when the commitment has no lead board) after
    ``ESCALATE_TO_SECRETARIAT_AFTER_DAYS``, step 3 the next Leaders' Committee report after
    ``ESCALATE_TO_COMMITTEE_AFTER_DAYS``. Each step is one :class:`Escalation` row recording who
    was told; the e-mails are queued in the transactional outbox in the same transaction, one per
    person told of anything in this pass, listing all of it (issue 11: a first pass over a backlog
    is one message per person, not one per item).

The writing itself is :func:`commitments.bulk.flag_overdue_items`, the services layer's
set-based writer (docs/decisions/0014): it writes the state, the history rows, the change log, the
escalation steps and the outbox messages with a fixed number of conditional ``UPDATE … WHERE`` and
``INSERT … SELECT … ON CONFLICT DO NOTHING`` statements whatever the number of rows, holds no rows
in memory, and is idempotent: a second run the same day finds nothing to change and queues nothing.
This module is the job around it: one transaction, one pass at a time, the :class:`JobRun` record,
and delivery scheduled after the commit. A worker killed mid-run leaves nothing half done and the
redelivered task simply does the whole pass.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from . import bulk, escalation
from .models import JobRun
from .notifications import outbox

logger = logging.getLogger("commitments.jobs")

JOB_NAME = "flag_overdue"
# The PostgreSQL advisory lock that serialises passes ("DEVTRKOV" as a 64-bit number).
_PASS_LOCK_KEY = int.from_bytes(b"DEVTRKOV", "big") & 0x7FFF_FFFF_FFFF_FFFF


def flag_overdue(*, today: dt.date | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Run the overdue pass over every obligation and action, set-based, in one transaction.

    ``today`` is the London day the rules are applied on (default: today in Europe/London, from
    ``now``); ``now`` stamps history rows, escalations and messages (default: the clock).

    Writes: ``overdue_since``/``version``/``updated_at`` of items newly overdue or no longer
    overdue, a system :class:`StatusUpdate` for each item cleared, :class:`Escalation` rows for
    steps newly reached (with ``notified``), ``escalation_level``, ``resolved_at`` of steps whose
    overdue spell ended, change-log rows for the sync feed, and one :class:`OutboxMessage` per
    person told of any new step, listing every step they are told of (delivery is scheduled after
    commit). Returns the counts: ``newly_overdue``, ``cleared``, ``escalated_step_1..3``,
    ``escalations_resolved``, ``messages_queued`` (e-mails, one per recipient).
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One pass at a time (beat's and an administrator's click, say): the second waits, then
            # finds nothing to do. Without this they would still be correct, but could deadlock on
            # each other's rows and fall back to a retry. SQLite's IMMEDIATE transactions already
            # serialise writers.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PASS_LOCK_KEY])
        counts = bulk.flag_overdue_items(today=today, now=now, steps=escalation.ladder())
        if counts["messages_queued"]:
            outbox.schedule_delivery()
    return counts


# --- the job around it ----------------------------------------------------------------------


def _abandon_stale_runs(task_id: str) -> int:
    """Mark runs that can no longer be running as failed: a run of this very task (the broker
    redelivered it, so the first attempt's worker died) and any run older than the hard limit."""
    limit = dt.timedelta(seconds=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 900)) * 2)
    stale = Q(started_at__lt=timezone.now() - limit)
    if task_id:
        stale |= Q(task_id=task_id)
    return JobRun.objects.filter(stale, name=JOB_NAME, outcome=JobRun.Outcome.RUNNING).update(
        outcome=JobRun.Outcome.FAILURE,
        finished_at=timezone.now(),
        error="Abandoned: the worker stopped before this run finished; nothing it did was kept, and the pass ran again.",
    )


def run_flag_overdue(
    triggered_by: str,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    task_id: str = "",
    reraise: bool = False,
) -> JobRun:
    """Run :func:`flag_overdue` as a recorded job (beat, the admin's "Run the overdue pass now",
    the ``flag_overdue`` command).

    Writes a :class:`JobRun` named ``flag_overdue`` (what /health/ reports the age of) with the
    counts, ``duration_ms``, ``today`` and ``triggered_by``, and one structured log line. On
    failure the JobRun records the error; the exception is re-raised only when ``reraise`` (the
    Celery task, so it can retry), otherwise the failed JobRun is returned. Returns the JobRun.
    """
    started = time.monotonic()
    abandoned = _abandon_stale_runs(task_id)
    run = JobRun.objects.create(name=JOB_NAME, task_id=task_id[:64], counts={"triggered_by": triggered_by})
    fields: dict[str, Any] = {"job": JOB_NAME, "run": run.pk, "triggered_by": triggered_by, "task_id": task_id or "-"}
    if abandoned:
        fields["abandoned_runs"] = abandoned
    try:
        counts: dict[str, Any] = dict(flag_overdue(today=today, now=now))
    except Exception as exc:
        run.outcome = JobRun.Outcome.FAILURE
        run.error = f"{type(exc).__name__}: {exc}"[:4000]
        run.finished_at = timezone.now()
        run.counts = {"triggered_by": triggered_by, "duration_ms": round((time.monotonic() - started) * 1000)}
        try:
            run.save(update_fields=["outcome", "error", "finished_at", "counts"])
        except Exception:  # the database may be what failed; the log line still goes out
            logger.warning("could not record the failed run", extra={"fields": fields})
        logger.error("flag_overdue failed", exc_info=True, extra={"fields": {**fields, "error": type(exc).__name__}})
        if reraise:
            raise
        return run
    counts["duration_ms"] = round((time.monotonic() - started) * 1000)
    counts["today"] = (today or timezone.localdate(now or timezone.now())).isoformat()
    counts["triggered_by"] = triggered_by
    run.counts = counts
    run.outcome = JobRun.Outcome.SUCCESS
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "outcome", "finished_at"])
    logger.info("flag_overdue finished", extra={"fields": {**fields, **counts}})
    return run


# --- for the management commands -----------------------------------------------------------


def parse_london_day(value: str | None) -> dt.date | None:
    """Parse ``--date YYYY-MM-DD`` (a London calendar day); a bad value is a clear CommandError."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be a real date as YYYY-MM-DD, for example 2026-03-29, not {value!r}.") from None


def format_counts(counts: Mapping[str, Any]) -> str:
    """``name: value`` lines in a stable order: what the job commands print."""
    return "\n".join(f"{key}: {counts[key]}" for key in sorted(counts))


__all__ = ["JOB_NAME", "flag_overdue", "format_counts", "parse_london_day", "run_flag_overdue"]
