"""The reporting periods' pages (issue 13): who sees and may use them, GOV.UK error summaries for bad
input with nothing written, the confirmation before closing, the comparison on a period's page, and
the whole journey in real Chromium with axe-core on every page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from boards.models import Board
from commitments.lifecycle import london_today
from commitments.models import Obligation, Report, Status
from commitments.services import UpdateInput, record_update
from reporting.models import ReportingPeriod, Snapshot
from reporting.periods import close_period, open_period

from ..conftest import axe_violations
from ..conftest import sign_in as submit_sign_in
from ..factories import MeetingFactory, MembershipFactory, ObligationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(
    lc_board: Board,
    name: str = "LC, March 2027",
    start: tuple[str, str, str] = ("1", "2", "2027"),
    end: tuple[str, str, str] = ("31", "3", "2027"),
) -> dict[str, str]:
    return {
        "board": str(lc_board.pk),
        "name": name,
        "starts_on-day": start[0],
        "starts_on-month": start[1],
        "starts_on-year": start[2],
        "ends_on-day": end[0],
        "ends_on-month": end[1],
        "ends_on-year": end[2],
    }


def test_everyone_signed_in_reads_periods_but_only_managers_see_the_buttons(lc_board: Board, lc_secretariat: Any) -> None:
    period = open_period(
        board=lc_board, name="LC, March 2027", starts_on=dt.date(2027, 2, 1), ends_on=dt.date(2027, 3, 31), by=lc_secretariat
    )
    officer = _client(UserFactory())
    page = officer.get("/periods/").content.decode()
    assert "LC, March 2027" in page and "Open a reporting period" not in page
    assert "Close this period" not in officer.get(f"/periods/{period.pk}/").content.decode()
    assert officer.get("/periods/new/").status_code == 403
    assert officer.get(f"/periods/{period.pk}/close/").status_code == 403
    assert officer.post(f"/periods/{period.pk}/close/").status_code == 403
    assert officer.post("/periods/new/", _form(lc_board, name="Other")).status_code == 403
    assert ReportingPeriod.objects.count() == 1 and not Snapshot.objects.exists()

    manager = _client(lc_secretariat)
    assert "Open a reporting period" in manager.get("/periods/").content.decode()
    assert "Close this period" in manager.get(f"/periods/{period.pk}/").content.decode()
    assert Client().get("/periods/").status_code == 302  # signed out: to the sign-in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Enter a name for the period"),
        ({"starts_on-day": "", "starts_on-month": "", "starts_on-year": ""}, "Enter the first day of the period"),
        ({"ends_on-day": "31", "ends_on-month": "2", "ends_on-year": "2027"}, "Last day must be a real date"),
        ({"ends_on-day": "1", "ends_on-month": "1", "ends_on-year": "2027"}, "The last day must be the same as or after the first day"),
        ({"starts_on-year": "1999"}, "The date must be between 2000 and 2100"),
        ({"board": "999999"}, "Select a board from the list"),
        ({"name": "LC, January 2027"}, "The dates overlap LC, January 2027"),
        ({"name": "x" * 121}, "Name must be 120 characters or fewer"),
    ],
)
def test_bad_input_is_summarised_and_nothing_is_opened(lc_board: Board, lc_secretariat: Any, data: dict[str, str], message: str) -> None:
    open_period(board=lc_board, name="LC, January 2027", starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2027, 2, 1), by=lc_secretariat)
    response = _client(lc_secretariat).post("/periods/new/", {**_form(lc_board), **data})
    body = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 200
    assert "govuk-error-summary" in body and message in body
    assert "<title>Error:" in body
    assert ReportingPeriod.objects.count() == 1


def test_opening_then_closing_through_the_pages(lc_board: Board, lc_secretariat: Any) -> None:
    ObligationFactory()
    client = _client(lc_secretariat)
    response = client.post("/periods/new/", _form(lc_board))
    period = ReportingPeriod.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/periods/{period.pk}/"

    confirm = client.get(f"/periods/{period.pk}/close/").content.decode()
    assert "1 obligation" in confirm and "cannot be opened again" in confirm
    assert not Snapshot.objects.exists()  # looking at the confirmation freezes nothing

    response = client.post(f"/periods/{period.pk}/close/")
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.is_closed and period.snapshot is not None and period.snapshot.frozen

    again = client.post(f"/periods/{period.pk}/close/")
    assert again.status_code == 409  # a clear error, and nothing left to confirm
    assert "already closed" in again.content.decode() and "Close the period and freeze" not in again.content.decode()
    assert Snapshot.objects.count() == 1


def test_a_refused_close_shows_why_and_changes_nothing(lc_board: Board, lc_secretariat: Any) -> None:
    period = open_period(
        board=lc_board, name="LC, March 2027", starts_on=dt.date(2027, 2, 1), ends_on=dt.date(2027, 3, 31), by=lc_secretariat
    )
    meeting = MeetingFactory(board=lc_board, date=dt.date(2027, 3, 20))
    Report.objects.create(meeting=meeting, kind=Report.Kind.LEADERS_COMMITTEE, state=Report.State.PENDING, title="LC paper", task_id="t")

    response = _client(lc_secretariat).post(f"/periods/{period.pk}/close/")

    body = response.content.decode()
    assert response.status_code == 409
    assert "govuk-error-summary" in body and "being built" in body
    period.refresh_from_db()
    assert period.state == ReportingPeriod.State.OPEN and not Snapshot.objects.exists()


def _red_obligation_and_closed_january(lc_board: Board, lc_secretariat: Any, *, closed_days_ago: int = 0) -> tuple[Obligation, Any]:
    """A red obligation with an officer of its party, and January 2000 closed (its snapshot taken
    ``closed_days_ago`` days ago): what the comparison tests start from."""
    obligation = ObligationFactory(rag="red", status=Status.IN_PROGRESS, due_date=london_today() + dt.timedelta(days=20))
    officer = UserFactory()
    MembershipFactory(user=officer, party=obligation.party)
    january = open_period(
        board=lc_board, name="LC, January 2000", starts_on=dt.date(2000, 1, 1), ends_on=dt.date(2000, 1, 31), by=lc_secretariat
    )
    close_period(january, by=lc_secretariat, now=timezone.now() - dt.timedelta(days=closed_days_ago))
    return Obligation.objects.get(pk=obligation.pk), officer


def test_a_period_shows_what_changed_since_the_previous_one(lc_board: Board, lc_secretariat: Any) -> None:
    obligation, officer = _red_obligation_and_closed_january(lc_board, lc_secretariat)
    today = london_today()
    current = open_period(
        board=lc_board, name="LC, now", starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=30), by=lc_secretariat
    )
    target = Obligation.objects.get(pk=obligation.pk)
    record_update(target, by=officer, version=target.version, data=UpdateInput(rag="green", reason="Plan agreed <b>at last</b>"))

    body = _client(UserFactory()).get(f"/periods/{current.pk}/").content.decode()

    assert "What changed since the last report" in body and "LC, January 2000" in body
    assert 'id="obligations-improved"' in body and obligation.commitment.ref in body
    assert "<b>at last</b>" not in body  # (reasons are shown for re-dated items, and escaped wherever shown)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_secretariat_opens_and_closes_a_period_in_the_browser(live_server: Any, page: Any, lc_board: Board, lc_secretariat: Any) -> None:
    ObligationFactory()
    submit_sign_in(page, live_server, lc_secretariat.username)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"{live_server.url}/periods/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Open a reporting period").click()
    page.get_by_role("button", name="Open the period").click()
    summary = page.locator(".govuk-error-summary")
    assert "Enter a name for the period" in summary.inner_text()
    assert axe_violations(page) == []

    page.get_by_label("Name").fill("Leaders' Committee, March 2027")
    for field, (day, month, year) in (("starts_on", ("1", "2", "2027")), ("ends_on", ("31", "3", "2027"))):
        page.locator(f"#id_{field}").fill(day)
        page.locator(f"#id_{field}-month").fill(month)
        page.locator(f"#id_{field}-year").fill(year)
    page.get_by_role("button", name="Open the period").click()
    page.wait_for_url("**/periods/*/")
    assert page.locator("h1").inner_text() == "Leaders' Committee, March 2027"
    assert axe_violations(page) == []

    page.get_by_role("link", name="Close this period").click()
    assert "cannot be opened again" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Close the period and freeze its figures").click()
    page.wait_for_url("**/periods/*/")
    assert "Frozen figures" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    assert ReportingPeriod.objects.get().is_closed


def test_a_closed_period_compares_its_own_frozen_figures_and_later_writes_do_not_change_its_page(
    lc_board: Board, lc_secretariat: Any
) -> None:
    target, officer = _red_obligation_and_closed_january(lc_board, lc_secretariat, closed_days_ago=2)
    today = london_today()
    record_update(target, by=officer, version=target.version, data=UpdateInput(rag="amber", reason="Better"))
    current = open_period(
        board=lc_board, name="LC, now", starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=30), by=lc_secretariat
    )
    close_period(current, by=lc_secretariat)
    reader = _client(UserFactory())
    before = reader.get(f"/periods/{current.pk}/").content.decode()
    assert 'id="obligations-improved"' in before
    target.refresh_from_db()
    record_update(target, by=officer, version=target.version, data=UpdateInput(rag="red", reason="Worse again"))
    after = reader.get(f"/periods/{current.pk}/").content.decode()
    # Today the obligation is red again, as in January: only the frozen figures still show it improved.
    assert 'id="obligations-improved"' in after and 'id="obligations-worsened"' not in after
