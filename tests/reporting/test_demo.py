"""What a newcomer sees on first sign-in (issue 11): the quick start's data steps (``load_mou``,
``load_demo``, ``load_finance_demo``, ``flag_overdue``, ``build_demo_papers``, as scripts/run.sh runs them) leave the
latest Leaders' Committee report and a board paper built, through the same task as any build, so
the demo viewer, who may not build papers, can open both from /meetings/; running them again adds
no build."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from boards.models import Meeting
from commitments.models import JobRun, Report

from .test_papers import pages_before

pytestmark = pytest.mark.django_db


def quick_start_data() -> None:
    """The data steps of scripts/run.sh, in its order."""
    call_command("load_mou", verbosity=0)
    call_command("load_demo")
    call_command("load_finance_demo")
    call_command("flag_overdue")
    call_command("build_demo_papers")


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "paper.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(out.split())


def test_the_viewer_opens_the_demo_report_and_board_paper_and_a_rerun_adds_nothing(settings: Any, tmp_path: Path) -> None:
    settings.DEMO_PASSWORD = "a-demo-password-1"
    quick_start_data()

    reports = list(Report.objects.select_related("meeting__board").order_by("pk"))
    assert [(r.meeting.board.code, r.kind, r.state) for r in reports] == [
        ("LC", Report.Kind.LEADERS_COMMITTEE, Report.State.READY),
        ("SPB", Report.Kind.BOARD_PAPER, Report.State.READY),
    ]
    for r in reports:
        latest = Meeting.objects.filter(board=r.meeting.board, is_demo=True).order_by("-date").first()
        assert r.meeting == latest, "the paper of the latest demo meeting of the board"
        assert r.requested_by is not None and r.requested_by.username == "secretariat"
        assert r.built_at and r.as_of and r.pdf
    # Built by the paper-building task, as a worker would (it records its run).
    assert JobRun.objects.filter(name="build_report", outcome=JobRun.Outcome.SUCCESS).count() == 2

    viewer = Client()
    viewer.force_login(get_user_model().objects.get(username="viewer"))
    meetings = viewer.get("/meetings/").content.decode()
    for r in reports:
        # /meetings/ lists the meeting with its paper ready; the meeting's page links the paper.
        row = meetings[meetings.index(f'href="/meetings/{r.meeting.pk}/"') :].split("</tr>")[0]
        assert "Ready" in row
        detail = viewer.get(f"/meetings/{r.meeting.pk}/").content.decode()
        assert f'href="/meetings/reports/{r.pk}/"' in detail and f'href="/meetings/reports/{r.pk}/pdf/"' in detail
        html = viewer.get(f"/meetings/reports/{r.pk}/")
        assert html.status_code == 200
        pdf = viewer.get(f"/meetings/reports/{r.pk}/pdf/")
        assert pdf.status_code == 200
        content = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
        assert content.startswith(b"%PDF")
        text = pdf_text(content, tmp_path)
        if r.kind == Report.Kind.LEADERS_COMMITTEE:
            page = html.content.decode()
            assert "Appendix A: progress by theme" in page and "Capital and estates" in page and "Appendix E: source documents" in page
            assert "Escalated to this committee" in page and "No item has been escalated" not in page, "built after the overdue pass"
            assert "Appendix A: progress by theme" in text and "Local Government Chronicle (LGC)" in text
            # On the MoU's real data and the demo's history, the front of the report is two pages at most.
            assert pages_before("Appendix A: progress by theme", content, tmp_path) <= 2
        else:
            assert "outstanding actions" in html.content.decode().lower() and "Strategic Partnership Board" in text
        # No file name, line number or document code in the printed paper either.
        assert not re.search(r"\.txt\b|\blines? \d+|\bF\d{3}\b", text)

    # The quick start again (its loads are idempotent): no new build.
    call_command("load_mou", verbosity=0)
    call_command("load_demo")
    call_command("flag_overdue")
    call_command("build_demo_papers")
    assert Report.objects.count() == 2


def test_a_failed_demo_build_is_built_again_and_nothing_is_built_without_demo_meetings(settings: Any) -> None:
    call_command("load_mou", verbosity=0)
    call_command("build_demo_papers")
    assert not Report.objects.exists(), "no demo meeting, no paper"

    settings.DEMO_PASSWORD = "a-demo-password-1"
    call_command("load_demo")
    meeting = Meeting.objects.filter(board__code="SPB", is_demo=True).order_by("-date").first()
    assert meeting is not None
    Report.objects.create(meeting=meeting, kind=Report.Kind.BOARD_PAPER, state=Report.State.FAILED, error="worker lost")
    # Only the board paper is asked for here, to keep the test quick: the LC meeting has a paper.
    lc = Meeting.objects.filter(board__code="LC", is_demo=True).order_by("-date").first()
    Report.objects.create(meeting=lc, kind=Report.Kind.LEADERS_COMMITTEE, state=Report.State.READY)
    call_command("build_demo_papers")
    assert meeting.reports.filter(state=Report.State.READY).count() == 1
    assert lc.reports.count() == 1
