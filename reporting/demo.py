"""The demo's papers (issue 11): what a newcomer can open on first sign-in to the quick start.

The demo data itself is loaded by :mod:`commitments.demo`; its papers are built here, above it,
with the same task as any paper (``manage.py build_demo_papers``, run by scripts/run.sh).
"""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model

from boards.models import Meeting
from commitments import changes
from commitments.models import Change, Report

from .papers import report_kind_for, report_title
from .tasks import build_report_task

# The papers a newcomer can open on first sign-in (issue 11): the Leaders' Committee report and
# the Strategic Partnership Board's paper, for the latest demo meeting of each.
DEMO_PAPER_BOARDS = ("LC", "SPB")


def build_demo_papers() -> list[tuple[Meeting, Report, bool]]:
    """Build, once, the paper of the latest demo meeting of Leaders' Committee and of the SPB,
    so the demo viewer (who may read papers but not build them) has a report and a board paper
    to open.

    Each is built as any paper is: a ``pending`` Report row asked for by the demo secretariat,
    then the same Celery task the worker runs (:func:`reporting.tasks.build_report_task`),
    here run in this process so the paper is ready before the site starts. A meeting that already
    has a paper (built, or being built) is left alone, so re-running the quick start adds nothing;
    one whose only builds failed is built again. Run it after the overdue pass, so the report
    shows what that pass escalated. Returns (meeting, report, built now) for each meeting found.
    """
    builder = get_user_model().objects.filter(username="secretariat").first()
    done: list[tuple[Meeting, Report, bool]] = []
    for code in DEMO_PAPER_BOARDS:
        meeting = Meeting.objects.filter(board__code=code, is_demo=True).select_related("board").order_by("-date", "-pk").first()
        if meeting is None:
            continue
        existing = meeting.reports.exclude(state=Report.State.FAILED).defer("html").order_by("-requested_at", "-pk").first()
        if existing is not None:
            done.append((meeting, existing, False))
            continue
        kind = report_kind_for(meeting)
        report = Report.objects.create(
            meeting=meeting,
            kind=kind,
            state=Report.State.PENDING,
            title=report_title(meeting, kind),
            requested_by=builder,
            task_id=str(uuid.uuid4()),
        )
        changes.record(report, Change.Op.CREATE)
        build_report_task.apply(args=[report.pk], task_id=report.task_id)
        report.refresh_from_db()
        done.append((meeting, report, True))
    return done
