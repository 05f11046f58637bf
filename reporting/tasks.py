"""Celery tasks of the reporting app: building the papers (issue 6), the daily snapshot (issue 13) and
the open data package (issue 14).

Thin by design: an id in, the service (:func:`reporting.papers.build_report`) does the work and
records success or failure on the Report row. ``acks_late`` with the project's
``task_reject_on_worker_lost`` means a worker killed mid-build leaves the message on the broker and
another worker builds the report; the service is idempotent, so a redelivered message for a
report already built does nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task

from devotracker.celery import reliable_job

from .opendata import OPEN_DATA_TASK, build_package
from .papers import build_report
from .snapshots import daily_snapshot


# The task keeps the name it had before the reporting app existed, so messages already queued
# under that name are still understood by workers after an upgrade.
@shared_task(name="commitments.report_tasks.build_report_task", acks_late=True, ignore_result=False)
def build_report_task(report_id: int) -> dict[str, Any]:
    """Build Report ``report_id``; returns its id and final state (``ready``, ``failed``, or
    ``missing`` when the row no longer exists)."""
    report = build_report(int(report_id))
    return {"report": report_id, "state": report.state if report is not None else "missing"}


@shared_task(name="reporting.tasks.daily_snapshot_task", **reliable_job())
def daily_snapshot_task(self: Any, today: str | None = None) -> dict[str, int]:
    """The daily snapshot (06:30 London, after the overdue pass has recorded the day's escalations),
    then retention. ``today``: an ISO date to run for a fixed London day. Idempotent."""
    return daily_snapshot(today=dt.date.fromisoformat(today) if today else None)


@shared_task(name=OPEN_DATA_TASK, **reliable_job())
def build_open_data_task(self: Any) -> dict[str, str]:
    """Build and publish the open data package (daily at 06:45 London, after the snapshot, and
    after a reporting period is closed). Idempotent: a rerun publishes the same figures afresh."""
    return {"directory": build_package().name}
