"""Papers of a closed reporting period are built from its frozen snapshot: rebuilding one after
later writes gives the same content, only the build stamp differs (issue 13)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from commitments.models import Action, Escalation, Obligation, Report, StatusUpdate
from commitments.overdue import flag_overdue
from commitments.services import UpdateInput, record_update
from reporting.papers import build_report, paper_snapshot
from reporting.periods import close_period, open_period

from ..factories import ActionFactory, MeetingFactory, UserFactory
from .conftest import Dataset

pytestmark = pytest.mark.django_db

BUILD_STAMP = re.compile(r"built \d{1,2} \w+ \d{4} \d\d:\d\d|Built by DevoTracker on \d{1,2} \w+ \d{4} at \d\d:\d\d")


def built(meeting: Any, kind: str) -> Report:
    report = Report.objects.create(meeting=meeting, kind=kind, task_id=f"t-{Report.objects.count()}")
    built_report = build_report(report.pk)
    assert built_report is not None and built_report.state == Report.State.READY, built_report and built_report.error
    return built_report


def later_writes(ds: Dataset, admin: Any) -> None:
    """Everything a busy day after the close can change: RAG, status, dates, owners, new items,
    new history, escalations raised and resolved, the overdue pass."""
    late = Obligation.objects.get(pk=ds.obligations["late"].pk)
    record_update(
        late,
        by=admin,
        version=late.version,
        data=UpdateInput(rag="green", status="complete", progress=100, reason="Done", evidence=["https://example.org/done"]),
    )
    today = Obligation.objects.get(pk=ds.obligations["today"].pk)
    record_update(
        today,
        by=admin,
        version=today.version,
        data=UpdateInput(rag="red", revised_due_date=ds.today + dt.timedelta(days=60), reason="Slipped"),
    )
    action = Action.objects.get(pk=ds.actions["20"].pk)
    record_update(
        action, by=admin, version=action.version, data=UpdateInput(status="in_progress", progress=50, rag="amber", reason="Started")
    )
    ActionFactory(obligation=ds.obligations["45"], description="A new action after the close", due_date=ds.today - dt.timedelta(days=3))
    Escalation.objects.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
    flag_overdue(today=ds.today + dt.timedelta(days=2))


@pytest.mark.parametrize("board_code", ["LC", "SPB"])
def test_rebuilding_a_closed_period_s_paper_after_later_writes_gives_the_same_content(
    dataset: Dataset, lc_meeting: Any, escalated: Escalation, board_code: str
) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    board = lc_meeting.board if board_code == "LC" else dataset.spb
    meeting = lc_meeting if board_code == "LC" else MeetingFactory(board=board, date=dataset.today + dt.timedelta(days=14))
    kind = Report.Kind.LEADERS_COMMITTEE if board_code == "LC" else Report.Kind.BOARD_PAPER
    earlier = open_period(
        board=board,
        name="Last quarter",
        starts_on=dataset.today - dt.timedelta(days=120),
        ends_on=dataset.today - dt.timedelta(days=60),
        by=admin,
    )
    with time_machine.travel(timezone.now() - dt.timedelta(days=60), tick=False):
        close_period(earlier, by=admin)
    period = open_period(
        board=board,
        name="This quarter",
        starts_on=dataset.today - dt.timedelta(days=59),
        ends_on=dataset.today + dt.timedelta(days=30),
        by=admin,
    )
    period = close_period(period, by=admin)
    assert paper_snapshot(meeting) == period.snapshot

    first = built(meeting, kind)
    later_writes(dataset, admin)
    assert StatusUpdate.objects.filter(created_at__gt=period.snapshot.taken_at).exists()
    second = built(meeting, kind)

    assert first.as_of == second.as_of == period.snapshot.day
    assert BUILD_STAMP.search(first.html)
    assert BUILD_STAMP.sub("", first.html) == BUILD_STAMP.sub("", second.html)
    # The content is the frozen one, not merely the same twice: the late obligation was still
    # overdue and the escalated action was on the list when the period closed.
    assert "Publish the estates strategy" in first.html
    assert "A new action after the close" not in second.html


def test_a_paper_of_an_open_period_reads_today(dataset: Dataset, lc_meeting: Any) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    open_period(
        board=lc_meeting.board,
        name="This quarter",
        starts_on=dataset.today - dt.timedelta(days=10),
        ends_on=dataset.today + dt.timedelta(days=30),
        by=admin,
    )
    assert paper_snapshot(lc_meeting) is None
    first = built(lc_meeting, Report.Kind.LEADERS_COMMITTEE)
    ActionFactory(obligation=dataset.obligations["45"], description="A new action today", due_date=dataset.today - dt.timedelta(days=3))
    second = built(lc_meeting, Report.Kind.LEADERS_COMMITTEE)
    assert "A new action today" not in first.html and "A new action today" in second.html
