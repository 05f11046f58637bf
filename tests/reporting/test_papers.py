"""The Leaders' Committee report and the boards' papers: content (HTML and the PDF's text through
pdftotext), escaping, who may build, the build lifecycle through Celery in eager mode, and the
meeting pages that list and serve the papers."""

from __future__ import annotations

import datetime as dt
import subprocess
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from boards.models import Membership
from commitments import changes
from commitments.models import Escalation, JobRun, Obligation, Report, StatusUpdate
from commitments.services import NotAllowed, UpdateInput, record_update
from reporting.builds import can_build_report, request_report
from reporting.papers import build_report, html_to_pdf, render_paper, report_kind_for
from reporting.periods import close_period, open_period
from reporting.tasks import build_report_task

from ..factories import MeetingFactory, MembershipFactory, UserFactory
from .conftest import THEME_NAMES, Dataset, at, client_for

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's text as pdftotext (poppler) reads it, with runs of whitespace made one space."""
    path = tmp_path / "paper.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(out.split())


@pytest.fixture
def eager(settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True


def test_leaders_committee_paper_has_the_committee_paper_shape(
    dataset: Dataset, lc_meeting: Any, escalated: Escalation, tmp_path: Path
) -> None:
    html = render_paper(lc_meeting, report_kind_for(lc_meeting), as_of=dataset.today)
    text = pdf_text(html_to_pdf(html), tmp_path)

    for doc in (unescape(html), text):
        for heading in (
            "Item no",
            "Report by",
            "Contact officer",
            "Summary",
            "Recommendations",
            "Financial implications",
            "Legal implications",
            "Equalities implications",
            "Appendix A",
        ):
            assert heading in doc, heading
        assert "Clive Grimshaw" in doc
        assert "Strategic Lead for Health and Adult Social Care" in doc
        for name in THEME_NAMES:  # every theme by its exact name, empty ones too
            assert name in doc, name
        assert "Publish the estates strategy" in doc  # the overdue action
        assert "Party A's obligation under EST-01" in doc  # the overdue obligation
        assert "Olu Owner" in doc
    assert '<tr><th scope="row">Item no</th><td>8</td></tr>' in html
    assert "Item no 8" in text
    # Escalated to this committee (Escalation step 3): the decision sought up front, the full list in Appendix B.
    assert "Escalated to Leaders' Committee, most overdue first" in html
    assert "Items escalated to Leaders' Committee" in html
    assert "1 has been escalated to this committee" in text
    # Empty themes say so rather than vanish.
    assert html.count("There are no commitments in this theme") == 4


def pages_before(text: str, data: bytes, tmp_path: Path) -> int:
    """How many pages of the PDF come before the first page holding ``text``."""
    path = tmp_path / "paper.pdf"
    path.write_bytes(data)
    page = 1
    while True:
        out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"], capture_output=True, text=True)
        if out.returncode != 0:
            raise AssertionError(f"{text!r} is on no page")
        if text in " ".join(out.stdout.split()):
            return page - 1
        page += 1


def test_the_committee_report_opens_with_at_most_two_pages_then_the_appendices(
    dataset: Dataset, lc_meeting: Any, escalated: Escalation, tmp_path: Path
) -> None:
    html = render_paper(lc_meeting, report_kind_for(lc_meeting), as_of=dataset.today)
    pdf = html_to_pdf(html)
    assert pages_before("Appendix A: progress by theme", pdf, tmp_path) <= 2
    front = unescape(html.split("Appendix A: progress by theme")[0])
    for section in ("1. Headline figures", "2. Decisions sought", "3. Top risks", "Financial implications"):
        assert section in front
    assert "Publish the estates strategy" in unescape(html)
    assert "No earlier reporting period has been closed" in front


def test_paper_shows_what_changed_since_the_last_meeting_of_the_same_board(dataset: Dataset, lc_meeting: Any) -> None:
    MeetingFactory(board=lc_meeting.board, date=dataset.today - dt.timedelta(days=30), item_number="5")
    o = dataset.obligations["late"]
    common = {
        "target_type": "obligation",
        "commitment": o.commitment,
        "obligation": o,
        "party": o.party,
        "version": 2,
        "from_status": "in_progress",
        "to_status": "in_progress",
    }
    StatusUpdate.objects.create(
        **common, from_rag="green", to_rag="amber", reason="Before the last meeting", created_at=at(dataset.today - dt.timedelta(days=40))
    )
    StatusUpdate.objects.create(
        **common,
        from_rag="amber",
        to_rag="red",
        reason="Slipped since the last meeting",
        created_at=at(dataset.today - dt.timedelta(days=2)),
    )

    html = render_paper(lc_meeting, report_kind_for(lc_meeting), as_of=dataset.today)

    assert "Slipped since the last meeting" in html
    assert "RAG Amber → Red" in html
    assert "Before the last meeting" not in html
    assert (
        f"since the last meeting of the London Councils&#x27; Leaders&#x27; Committee on {(dataset.today - dt.timedelta(days=30)):%-d %B %Y}"
        in html
    )


def test_hostile_text_prints_as_text_in_html_and_pdf(dataset: Dataset, lc_meeting: Any, tmp_path: Path) -> None:
    dataset.actions["late"].description = HOSTILE
    dataset.actions["late"].save()
    lc_meeting.contact = "<b>bold</b> & co"
    lc_meeting.save()

    html = render_paper(lc_meeting, report_kind_for(lc_meeting), as_of=dataset.today)
    text = pdf_text(html_to_pdf(html), tmp_path)

    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html
    # The PDF prints the markup as text (a table cell may wrap it, so compare without spaces).
    squashed = text.replace(" ", "")
    assert HOSTILE.replace(" ", "") in squashed
    assert "<b>bold</b>&co" in squashed


def test_board_paper_lists_what_the_board_leads_that_is_overdue_or_due_before_it_next_meets(dataset: Dataset, tmp_path: Path) -> None:
    meeting = MeetingFactory(
        board=dataset.spb, date=dataset.today + dt.timedelta(days=7), item_number="3", title="SPB: outstanding actions"
    )
    MeetingFactory(board=dataset.spb, date=dataset.today + dt.timedelta(days=30))

    assert report_kind_for(meeting) == Report.Kind.BOARD_PAPER
    html = render_paper(meeting, report_kind_for(meeting), as_of=dataset.today)
    text = pdf_text(html_to_pdf(html), tmp_path)

    for doc in (unescape(html), text):
        assert "Publish the estates strategy" in doc  # overdue, under EST-01 (SPB)
        assert "Agree the payment model" in doc  # due in 20 days, before the next meeting in 30
        assert "Olu Owner" in doc and "Party A" in doc
        assert "Sign the agreement" not in doc  # COM-01 is the LEB's
        assert "Hold the workshop" not in doc  # COM-02 has no lead board
    assert f"before the board&#x27;s next meeting on {(dataset.today + dt.timedelta(days=30)):%-d %B %Y}" in html
    assert "Target date" in html and "Responsible officer" in html


# --- who may build ------------------------------------------------------------------------------


def test_who_may_build_which_paper(dataset: Dataset, lc_meeting: Any, secretary: Any, viewer: Any, officer: Any, admin_user: Any) -> None:
    spb_meeting = MeetingFactory(board=dataset.spb)
    leb_meeting = MeetingFactory(board=dataset.leb)
    staff = UserFactory(username="stan", is_staff=True)
    inactive = UserFactory(username="ina", is_active=False)
    MembershipFactory(user=inactive, party=None, board=dataset.spb, role=Membership.Role.SECRETARIAT)

    assert can_build_report(secretary, spb_meeting)  # the board's own secretariat
    assert can_build_report(secretary, lc_meeting)  # any secretariat: the committee report
    assert not can_build_report(secretary, leb_meeting)  # another board's paper
    assert can_build_report(staff, leb_meeting) and can_build_report(admin_user, leb_meeting)
    for user in (viewer, officer, inactive):
        assert not can_build_report(user, lc_meeting)
        with pytest.raises(NotAllowed):
            request_report(lc_meeting, by=user)
    assert Report.objects.count() == 0


# --- the build lifecycle ------------------------------------------------------------------------


def test_request_report_queues_the_build_after_commit_and_each_build_is_kept(
    dataset: Dataset, lc_meeting: Any, secretary: Any, eager: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = request_report(lc_meeting, by=secretary)
        assert Report.objects.get(pk=first.pk).state == Report.State.PENDING  # nothing runs before commit
    assert len([c for c in callbacks if c is not changes._after_commit]) == 1  # the build's hand-off
    first.refresh_from_db()
    assert first.state == Report.State.READY
    assert first.as_of == timezone.localdate()
    assert first.built_at is not None and first.requested_by == secretary
    assert first.kind == Report.Kind.LEADERS_COMMITTEE
    assert first.pdf.read(4) == b"%PDF"
    assert "Capital and estates" in first.html
    assert JobRun.objects.filter(name="build_report", outcome="success", task_id=first.task_id).exists()

    dataset.actions["late"].description = "A new description after the first build"
    dataset.actions["late"].save()
    with django_capture_on_commit_callbacks(execute=True):
        second = request_report(lc_meeting, by=secretary)
    second.refresh_from_db()
    first.refresh_from_db()

    assert second.pk != first.pk and second.state == Report.State.READY
    assert "A new description after the first build" in second.html
    assert "A new description after the first build" not in first.html  # the past paper stays as it was
    assert "Publish the estates strategy" in first.html


def test_a_second_request_while_one_is_in_flight_returns_it(dataset: Dataset, lc_meeting: Any, secretary: Any) -> None:
    first = request_report(lc_meeting, by=secretary)  # on_commit never runs here: it stays pending
    again = request_report(lc_meeting, by=secretary)

    assert again.pk == first.pk
    # One that outlived the task time limit is abandoned and a new build starts.
    Report.objects.filter(pk=first.pk).update(requested_at=timezone.now() - dt.timedelta(hours=2))
    third = request_report(lc_meeting, by=secretary)
    assert third.pk != first.pk
    assert Report.objects.get(pk=first.pk).state == Report.State.FAILED


def test_the_celery_task_builds_once_and_ignores_redelivery(dataset: Dataset, lc_meeting: Any) -> None:
    report = Report.objects.create(meeting=lc_meeting, kind=Report.Kind.LEADERS_COMMITTEE, task_id="t-1")

    result = build_report_task.apply(args=[report.pk])
    assert result.get() == {"report": report.pk, "state": "ready"}
    report.refresh_from_db()
    built_at = report.built_at
    # A redelivered message for a built report changes nothing.
    assert build_report_task.apply(args=[report.pk]).get() == {"report": report.pk, "state": "ready"}
    report.refresh_from_db()
    assert report.built_at == built_at
    assert JobRun.objects.filter(name="build_report").count() == 1
    assert build_report_task.apply(args=[999999]).get() == {"report": 999999, "state": "missing"}


def test_a_failing_build_is_recorded_as_failed(dataset: Dataset, lc_meeting: Any, settings: Any) -> None:
    report = Report.objects.create(meeting=lc_meeting, kind=Report.Kind.LEADERS_COMMITTEE)
    # A real failure inside the build: the paper's templates cannot be found.
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [], "APP_DIRS": False}]

    build_report(report.pk)
    report.refresh_from_db()

    assert report.state == Report.State.FAILED
    assert "TemplateDoesNotExist" in report.error
    assert JobRun.objects.get(name="build_report").outcome == "failure"


# --- the meeting pages ------------------------------------------------------------------------------


def test_meeting_pages_list_papers_and_offer_the_button_only_to_builders(
    dataset: Dataset, lc_meeting: Any, viewer: Any, secretary: Any
) -> None:
    viewer_page = client_for(viewer).get(f"/meetings/{lc_meeting.pk}/").content.decode()
    secretary_page = client_for(secretary).get(f"/meetings/{lc_meeting.pk}/").content.decode()
    listing = client_for(viewer).get("/meetings/").content.decode()

    assert "Build the leaders&#x27; committee report" not in viewer_page
    assert "You can read and download the papers below" in viewer_page
    assert "Build the leaders&#x27; committee report" in secretary_page
    assert lc_meeting.title in listing and "None yet" in listing


def test_building_through_the_page_and_downloading(
    dataset: Dataset, lc_meeting: Any, secretary: Any, viewer: Any, eager: None, django_capture_on_commit_callbacks: Any
) -> None:
    builder = client_for(secretary)
    with django_capture_on_commit_callbacks(execute=True):
        response = builder.post(f"/meetings/{lc_meeting.pk}/build/")

    assert response.status_code == 302 and response["Location"] == f"/meetings/{lc_meeting.pk}/#reports"
    report = Report.objects.get()
    assert report.state == Report.State.READY
    reader = client_for(viewer)
    page = reader.get(f"/meetings/{lc_meeting.pk}/").content.decode()
    assert f"/meetings/reports/{report.pk}/pdf/" in page
    pdf = reader.get(f"/meetings/reports/{report.pk}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("attachment; filename=")
    assert f"lc-{lc_meeting.date:%Y-%m-%d}-item-8-leaders-committee-report-{report.pk}.pdf" in pdf["Content-Disposition"]
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    html = reader.get(f"/meetings/reports/{report.pk}/")
    assert html.status_code == 200 and b"Integration - commissioning and payments" in html.content
    status = reader.get(f"/meetings/reports/{report.pk}/status/").json()
    assert status["state"] == "ready" and status["pdf_url"] == f"/meetings/reports/{report.pk}/pdf/"


def test_viewers_may_not_build_and_nothing_is_created(dataset: Dataset, lc_meeting: Any, viewer: Any) -> None:
    response = client_for(viewer).post(f"/meetings/{lc_meeting.pk}/build/")

    assert response.status_code == 403
    assert Report.objects.count() == 0
    assert client_for(viewer).get(f"/meetings/{lc_meeting.pk}/build/").status_code == 405


def test_unbuilt_papers_are_not_served(dataset: Dataset, lc_meeting: Any, viewer: Any) -> None:
    report = Report.objects.create(meeting=lc_meeting, kind=Report.Kind.LEADERS_COMMITTEE)
    client = client_for(viewer)

    assert client.get(f"/meetings/reports/{report.pk}/").status_code == 404
    assert client.get(f"/meetings/reports/{report.pk}/pdf/").status_code == 404
    status = client.get(f"/meetings/reports/{report.pk}/status/").json()
    assert status == {
        "id": report.pk,
        "state": "pending",
        "state_label": "Waiting to be built",
        "built_at": None,
        "as_of": None,
        "html_url": None,
        "pdf_url": None,
        "docx_url": None,
        "error": "",
    }
    # While a build is in flight the page loads the progress script and says how to refresh.
    page = client.get(f"/meetings/{lc_meeting.pk}/").content.decode()
    assert "js/report-progress.mjs" in page
    assert f'data-report-status-url="/meetings/reports/{report.pk}/status/"' in page


def test_meeting_pages_run_a_constant_number_of_queries(dataset: Dataset, lc_meeting: Any, viewer: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(viewer)

    def add(n: int) -> None:
        for i in range(n):
            m = MeetingFactory(board=dataset.spb, date=dataset.today + dt.timedelta(days=i + 1))
            Report.objects.create(meeting=m, kind=Report.Kind.BOARD_PAPER, state=Report.State.READY, html="<p>x</p>")
            Report.objects.create(meeting=lc_meeting, kind=Report.Kind.LEADERS_COMMITTEE, requested_by=viewer)

    counts = []
    for n in (2, 20):
        add(n)
        with CaptureQueriesContext(connection) as listing:
            assert client.get("/meetings/").status_code == 200
        with CaptureQueriesContext(connection) as detail:
            assert client.get(f"/meetings/{lc_meeting.pk}/").status_code == 200
        counts.append((len(listing.captured_queries), len(detail.captured_queries)))
    assert counts[0] == counts[1]


def _close_last_quarter(board: Any, name: str, today: dt.date) -> Any:
    """Open and close (as an administrator, who is returned) a period of ``board`` ending 30 days ago."""
    admin = UserFactory(is_staff=True, is_superuser=True)
    period = open_period(board=board, name=name, starts_on=today - dt.timedelta(days=120), ends_on=today - dt.timedelta(days=30), by=admin)
    close_period(period, by=admin)
    return admin


def test_the_committee_report_shows_what_moved_since_the_last_closed_period(dataset: Dataset, lc_meeting: Any, tmp_path: Path) -> None:
    admin = _close_last_quarter(lc_meeting.board, "Leaders' Committee, last quarter", dataset.today)
    obligation = Obligation.objects.filter(rag="red").exclude(status="complete").first()
    assert obligation is not None
    record_update(obligation, by=admin, version=obligation.version, data=UpdateInput(rag="green", reason="Recovered"))

    html = unescape(render_paper(lc_meeting, report_kind_for(lc_meeting), as_of=dataset.today))

    front = html.split("Appendix A: progress by theme")[0]
    assert "What moved since Leaders' Committee, last quarter" in front
    row = front.split('<th scope="row">Obligations</th>')[1].split("</tr>")[0]
    assert row.startswith('<td class="num">1</td>')  # one obligation improved
    assert pages_before("Appendix A: progress by theme", html_to_pdf(html), tmp_path) <= 2


def test_a_board_paper_shows_what_moved_under_the_board_since_its_last_closed_period(dataset: Dataset) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    meeting = MeetingFactory(board=dataset.spb, date=dataset.today + dt.timedelta(days=7), title="SPB: outstanding actions")
    html = unescape(render_paper(meeting, report_kind_for(meeting), as_of=dataset.today))
    assert "No earlier reporting period has been closed" in html
    _close_last_quarter(dataset.spb, "SPB, last quarter", dataset.today)
    for key, rag in (("today", "green"), ("und", "amber")):  # EST-02 is the SPB's; UND-01 the LEB's
        obligation = Obligation.objects.get(pk=dataset.obligations[key].pk)
        record_update(obligation, by=admin, version=obligation.version, data=UpdateInput(rag=rag, reason="Moved"))

    html = unescape(render_paper(meeting, report_kind_for(meeting), as_of=dataset.today))

    assert "What moved since SPB, last quarter" in html
    row = html.split('<th scope="row">Obligations</th>')[1].split("</tr>")[0]
    assert row.startswith('<td class="num">1</td>')  # EST-02 improved; UND-01, the LEB's, is not counted
