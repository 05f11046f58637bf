"""Real headless Chromium against a live server: a viewer reads the dashboard and follows a
drill-down; a secretariat member builds the Leaders' Committee report through the meeting page and
downloads the PDF, whose text (pdftotext) holds the item number, every theme's name as the data
spells it and the overdue items; axe-core finds no WCAG 2.2 A/AA violation on any dashboard,
meeting or report page."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from commitments.models import Report

from ..conftest import axe_violations
from ..conftest import sign_in as submit_sign_in
from .conftest import THEME_NAMES, Dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Any, live_server: Any, username: str) -> None:
    submit_sign_in(page, live_server, username)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(out.split())


def test_a_viewer_reads_the_dashboard_and_follows_a_drill_down(live_server: Any, page: Any, dataset: Dataset, viewer: Any) -> None:
    sign_in(page, live_server, viewer.username)
    page.goto(f"{live_server.url}/dashboard/")

    assert page.locator("h1").inner_text() == "Dashboard"
    assert_accessible(page)
    # The summary links to one page per breakdown.
    page.get_by_role("link", name="By theme").click()
    page.wait_for_url("**/dashboard/themes/")
    assert page.locator("h1").inner_text() == "By theme"
    # The chart is an image with a name, and its table carries the same numbers.
    chart = page.get_by_role("img", name="Commitments by theme")
    assert chart.count() == 1
    row = page.locator("#table-theme tbody tr", has_text="Capital and estates")
    assert row.locator("td").nth(0).inner_text().startswith("1")
    assert_accessible(page)

    # Follow the red figure of "Capital and estates" to the commitments list behind it.
    row.locator("td").nth(0).locator("a").click()
    page.wait_for_url("**/commitments/?**")
    assert "theme=capital-and-estates" in page.url and "rating_used=red" in page.url
    body = page.locator("main").inner_text()
    assert "EST-01" in body
    assert "EST-02" not in body  # amber: not behind the red figure

    # The overdue figure drills down to the actions list.
    page.goto(f"{live_server.url}/dashboard/overdue/")
    page.locator("section[aria-labelledby=overdue] p a", has_text="overdue actions").click()
    page.wait_for_url("**/actions/?**")
    assert "overdue=true" in page.url
    assert "Publish the estates strategy" in page.locator("main").inner_text()


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/",
        "/dashboard/?agreements=all",
        "/dashboard/themes/",
        "/dashboard/boards/",
        "/dashboard/pilots/",
        "/dashboard/parties/",
        "/dashboard/overdue/",
        "/dashboard/due/",
        "/dashboard/recent/",
        "/dashboard/trends/",
        "/dashboard/boards/spb/overdue/?agreements=all",
        "/dashboard/pilots/ncl-estates/",
        "/dashboard/boards/spb/",
        "/dashboard/parties/party-a/",
        "/meetings/",
    ],
)
def test_dashboards_and_meeting_pages_are_accessible(
    live_server: Any, page: Any, dataset: Dataset, lc_meeting: Any, viewer: Any, path: str
) -> None:
    sign_in(page, live_server, viewer.username)
    response = page.goto(f"{live_server.url}{path}")

    assert response.status == 200
    assert_accessible(page)


def test_a_secretary_builds_the_report_and_downloads_the_pdf(
    live_server: Any, page: Any, dataset: Dataset, lc_meeting: Any, secretary: Any, viewer: Any, settings: Any, tmp_path: Path
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the build runs in the request (the worker path is tested elsewhere)

    # A viewer sees the meeting but no build button.
    sign_in(page, live_server, viewer.username)
    page.goto(f"{live_server.url}/meetings/{lc_meeting.pk}/")
    assert page.get_by_role("button", name="Build the leaders' committee report").count() == 0
    assert_accessible(page)
    page.context.clear_cookies()

    sign_in(page, live_server, secretary.username)
    page.goto(f"{live_server.url}/meetings/")
    page.get_by_role("link", name=lc_meeting.title).first.click()
    assert_accessible(page)
    page.get_by_role("button", name="Build the leaders' committee report").click()
    page.wait_for_url(f"**/meetings/{lc_meeting.pk}/#reports")

    assert "has been built" in page.locator(".govuk-notification-banner").inner_text()
    assert page.locator("#reports-table tbody tr").first.locator("[data-report-state]").inner_text() == "Ready"
    assert_accessible(page)
    with page.expect_download() as info:
        page.locator("#reports-table").get_by_role("link", name="Download PDF").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = pdf_text(saved)

    assert "Item no 8" in text
    for name in THEME_NAMES:
        assert name in text, name
    assert "Publish the estates strategy" in text
    assert "Party A's obligation under EST-01" in text

    # The paper's own HTML page is accessible too.
    report = Report.objects.get()
    page.goto(f"{live_server.url}/meetings/reports/{report.pk}/")
    assert page.locator("h1").inner_text().startswith("London Councils' Leaders' Committee")
    assert_accessible(page)
    # Building again adds a new build and keeps the first.
    page.goto(f"{live_server.url}/meetings/{lc_meeting.pk}/")
    page.get_by_role("button", name="Build the leaders' committee report again").click()
    page.wait_for_url(f"**/meetings/{lc_meeting.pk}/#reports")
    assert page.locator("#reports-table tbody tr").count() == 2
    assert Report.objects.filter(state="ready").count() == 2


def test_a_board_paper_page_is_accessible(live_server: Any, page: Any, dataset: Dataset, secretary: Any, settings: Any) -> None:
    from ..factories import MeetingFactory

    settings.CELERY_TASK_ALWAYS_EAGER = True
    meeting = MeetingFactory(board=dataset.spb, item_number="3", title="Strategic Partnership Board: outstanding actions")
    sign_in(page, live_server, secretary.username)
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    page.get_by_role("button", name="Build the board outstanding-actions paper").click()
    page.wait_for_url(f"**/meetings/{meeting.pk}/#reports")
    page.locator("#reports-table").get_by_role("link", name="View").first.click()

    assert "outstanding actions" in page.locator("h1").inner_text()
    assert "Publish the estates strategy" in page.locator("main").inner_text()
    assert_accessible(page)


def test_the_meeting_page_follows_a_build_in_progress(live_server: Any, page: Any, dataset: Dataset, lc_meeting: Any, viewer: Any) -> None:
    """Progressive enhancement: the page polls the build's status URL and updates its row."""
    from playwright.sync_api import expect

    from reporting.papers import build_report

    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    report = Report.objects.create(meeting=lc_meeting, kind=Report.Kind.LEADERS_COMMITTEE)
    sign_in(page, live_server, viewer.username)
    page.goto(f"{live_server.url}/meetings/{lc_meeting.pk}/")
    row = page.locator(f"tr[data-report-id='{report.pk}']")
    assert row.locator("[data-report-state]").inner_text() == "Waiting to be built"
    assert "Refresh this page" in page.locator("main").inner_text()  # the no-JavaScript way
    assert_accessible(page)

    build_report(report.pk)  # what the worker does

    expect(row.locator("[data-report-state]")).to_have_text("Ready", timeout=15_000)
    expect(row.get_by_role("link", name="Download PDF")).to_be_visible()
    expect(page.locator("#report-progress")).to_have_text("Paper build: Ready.")
    assert "Refresh this page" not in page.locator("main").inner_text()
    assert console == []  # no CSP refusal or script error
    assert_accessible(page)


def test_the_dashboard_prints_cleanly(live_server: Any, page: Any, dataset: Dataset, viewer: Any, tmp_path: Path) -> None:
    """In print, navigation, links to other views and CSV links go; charts and tables stay."""
    sign_in(page, live_server, viewer.username)
    page.goto(f"{live_server.url}/dashboard/themes/")
    page.emulate_media(media="print")

    assert not page.locator(".govuk-service-navigation").is_visible()
    assert not page.locator("nav.app-contents").is_visible()
    assert not page.get_by_role("link", name="Download this table as CSV: Commitments by theme").is_visible()
    assert page.get_by_role("img", name="Commitments by theme").is_visible()
    assert page.locator("#table-theme").is_visible()
    pdf = tmp_path / "dashboard.pdf"
    page.pdf(path=str(pdf), format="A4")
    text = pdf_text(pdf)
    assert "Commitments by theme" in text and "Integration - commissioning and payments" in text
    assert "Download this table as CSV" not in text
