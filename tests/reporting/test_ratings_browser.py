"""The two ratings in real headless Chromium (issue 15): the lead board's secretariat gives an
obligation an assurance rating that differs from its owner's; the disagreement shows on the
commitment's page, on the London dashboard (its count on the summary, the item on "where the ratings
disagree") and in a built Leaders' Committee paper. axe-core finds no WCAG 2.2 A/AA violation on the
form (with and without its error summary) or on the pages that show it; the form works from the
keyboard and reflows at 320 px."""

from __future__ import annotations

from typing import Any

import pytest

from commitments.models import Obligation, Report

from ..conftest import axe_violations
from ..conftest import sign_in as submit_sign_in
from .conftest import Dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


def test_a_secretariat_rating_that_disagrees_shows_on_the_dashboard_and_in_the_paper(
    live_server: Any, page: Any, dataset: Dataset, lc_meeting: Any, secretary: Any, settings: Any
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    obligation = dataset.obligations["today"]  # Party A's, under EST-02, rated amber by its owner
    assert obligation.rag == "amber"
    submit_sign_in(page, live_server, secretary.username)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto(f"{live_server.url}/commitments/EST-02/")
    page.get_by_role("link", name="Give the assurance rating of Party A's obligation").click()
    page.wait_for_url(f"**/obligations/{obligation.pk}/assurance/")
    assert_accessible(page)

    # No reason: the GOV.UK error summary, nothing saved.
    page.get_by_label("Red").check()
    page.get_by_role("button", name="Save the assurance rating").click()
    summary = page.locator(".govuk-error-summary")
    assert "Give a reason for the assurance rating" in summary.inner_text()
    assert_accessible(page)
    assert Obligation.objects.get(pk=obligation.pk).assurance_rag == ""

    # From the keyboard: the reason, then the button.
    page.get_by_label("Red").check()
    page.get_by_label("Reason").fill("The estates plan has slipped a quarter")
    page.get_by_label("Reason").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/commitments/EST-02/#ratings")
    card = page.locator(f"#obligation-{obligation.pk}")
    assert "Ratings differ" in card.inner_text() and "The estates plan has slipped a quarter" in card.inner_text()
    assert_accessible(page)

    # The form reflows at 320 px: no horizontal scrolling.
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{live_server.url}/obligations/{obligation.pk}/assurance/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/dashboard/")
    assert "Ratings differ on 1 item" in page.locator("#ratings-differ").inner_text()
    page.locator("#ratings-differ").get_by_role("link", name="where the ratings disagree").click()
    page.wait_for_url("**/dashboard/ratings/")
    table = page.locator("#table-ratings").inner_text()
    assert "Party A's obligation under EST-02" in table and "The estates plan has slipped a quarter" in table
    assert "Amber" in table and "Red" in table
    assert_accessible(page)

    page.goto(f"{live_server.url}/meetings/{lc_meeting.pk}/")
    page.get_by_role("button", name="Build the leaders' committee report").click()
    page.wait_for_url(f"**/meetings/{lc_meeting.pk}/#reports")
    report = Report.objects.get()
    assert report.state == "ready"
    page.goto(f"{live_server.url}/meetings/reports/{report.pk}/")
    body = page.locator("body").inner_text()
    assert "Where the ratings disagree" in body and "The estates plan has slipped a quarter" in body
    assert "RAG counts use the assurance rating where one is given" in body
    assert_accessible(page)
