"""Asking for a paper (issue 6): who may, the ``pending`` row, and handing the build to Celery.

The write path follows the services' pattern: :func:`request_report` checks who may ask, creates
the ``pending`` Report row and queues :func:`reporting.tasks.build_report_task` after commit; the
task runs :func:`reporting.papers.build_report`. The dependency runs one way (builds → tasks →
papers), so no import hides inside a function.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from boards.models import Meeting, Membership
from commitments import changes
from commitments.models import Change, Report
from commitments.services import NotAllowed
from devotracker.celery import hand_off

from .papers import report_kind_for, report_title
from .tasks import build_report_task

logger = logging.getLogger(__name__)


def can_build_report(user: Any, meeting: Meeting) -> bool:
    """Whether ``user`` may (re)build the paper for ``meeting``.

    Staff may build any paper. A board's secretariat prepares its board's papers, so the
    secretariat of the meeting's board may build them; the Leaders' Committee report draws on every
    board's work, so any secretariat member may build a committee report. Officers and viewers read
    papers but do not build them (DESIGN.md §10: every signed-in user may read everything).
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff or user.is_superuser:
        return True
    boards = Membership.objects.filter(user=user, role=Membership.Role.SECRETARIAT).values_list("board_id", flat=True)
    board_ids = set(boards)
    if meeting.board_id in board_ids:
        return True
    return bool(board_ids) and report_kind_for(meeting) == Report.Kind.LEADERS_COMMITTEE


def _stale_after() -> dt.timedelta:
    # A build that has not finished within the task's hard time limit never will (its worker
    # died and the broker gave up on it): it no longer blocks a new build.
    return dt.timedelta(seconds=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 900)) + 60)


def request_report(meeting: Meeting, *, by: Any, now: dt.datetime | None = None) -> Report:
    """Ask for a new build of ``meeting``'s paper; return its ``pending`` Report row.

    Raises NotAllowed when ``by`` may not build it (see :func:`can_build_report`). A build already
    waiting or running for the meeting is returned instead of starting a second one (a
    double-click builds once); one that outlived the task time limit is marked failed and a new
    one starts. The task is queued only after the transaction commits, so the worker always finds
    the row. Writes one Report row (and its change-feed row).
    """
    now = now or timezone.now()
    if not can_build_report(by, meeting):
        raise NotAllowed("You do not have permission to build this meeting's paper.")
    kind = report_kind_for(meeting)
    with transaction.atomic():
        # Lock the meeting so two simultaneous requests cannot both decide nothing is in flight.
        Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
        in_flight = list(
            meeting.reports.filter(state__in=[Report.State.PENDING, Report.State.BUILDING]).defer("html").order_by("-requested_at")
        )
        for report in in_flight:
            if now - report.requested_at < _stale_after():
                return report
            report.state = Report.State.FAILED
            report.error = "The build did not finish in time and was abandoned; a new build was started."
            report.save(update_fields=["state", "error", "updated_at"])
            changes.record(report)
        report = Report.objects.create(
            meeting=meeting,
            kind=kind,
            state=Report.State.PENDING,
            title=report_title(meeting, kind),
            requested_by=by if getattr(by, "is_authenticated", False) else None,
            requested_at=now,
            task_id=str(uuid.uuid4()),
        )
        changes.record(report, Change.Op.CREATE)
        transaction.on_commit(lambda: enqueue_build(report.pk, report.task_id))
    return report


def enqueue_build(report_id: int, task_id: str) -> None:
    """Hand the build to Celery. When the broker cannot be reached the row is marked failed with
    a message saying so, rather than left waiting for a task that was never sent."""
    try:
        # Honour the Django setting at call time (tests switch it with the settings fixture, after
        # Celery has read its configuration).
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            build_report_task.apply(args=[report_id], task_id=task_id)
        else:
            # Fail fast (one bounded connection attempt, no retries, no result subscription): the
            # meeting page follows the Report row, not Celery's result, and must not wait for a
            # broker that is down (issue 11).

            hand_off(build_report_task, args=[report_id], task_id=task_id)
    except Exception as exc:  # the broker is down or refuses the message
        logger.exception("report build could not be queued", extra={"fields": {"report": report_id}})
        if Report.objects.filter(pk=report_id, state=Report.State.PENDING).update(
            state=Report.State.FAILED, error=f"The build could not be queued ({type(exc).__name__}). Try again shortly."
        ):
            changes.record_bulk(Report, [report_id])


def reports_for_meeting(meeting: Meeting) -> list[Report]:
    """The meeting's papers, newest first, without their (large) HTML: one query."""
    return list(meeting.reports.defer("html").select_related("requested_by").order_by("-requested_at", "-pk"))


def in_flight(reports: list[Report]) -> bool:
    return any(r.state in (Report.State.PENDING, Report.State.BUILDING) for r in reports)
