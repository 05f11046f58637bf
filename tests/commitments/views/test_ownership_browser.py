"""Nothing without an owner in real headless Chromium (issue 16, "Done when"): a secretariat opens
the worklist from My work, assigns an owner to an obligation from it with the keyboard, and the
obligation leaves the worklist; a missing reason is refused with a GOV.UK error summary first.
axe-core finds no WCAG 2.2 A/AA violation on the worklist, the assignment form and the commitment
page, and the worklist and the form reflow at 320 px (no sideways scrolling of the page; the tables
scroll inside their named, focusable regions)."""

from __future__ import annotations

from typing import Any

import pytest

from commitments.models import Obligation, StatusUpdate

from ...conftest import PASSWORD, axe_violations, sign_in
from ...factories import ActionFactory, CommitmentFactory, ObligationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(page: Any, live_server: Any, user: Any) -> None:
    user.set_password(PASSWORD)
    user.save()
    sign_in(page, live_server, user.username)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _assert_accessible(page: Any) -> None:
    assert axe_violations(page) == [], page.url


def _assert_reflows(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 321, page.url
    regions = page.evaluate(
        """() => [...document.querySelectorAll('main table')].map(t => {
             const r = t.parentElement;
             return r.classList.contains('app-table-scroll') && r.getAttribute('role') === 'region' && r.getAttribute('tabindex') === '0';
           })"""
    )
    assert all(regions), page.url


def test_a_secretariat_assigns_an_owner_from_the_worklist_and_the_item_leaves_it(
    live_server: Any, page: Any, built_css: None, commitment: Any, obligation: Any, officer: Any, secretary: Any, party_a: Any
) -> None:
    unled = CommitmentFactory(ref="TST-900", lead_board=None, title="Agree a shared estates strategy for every sub-region of London")
    ObligationFactory(commitment=unled, party=party_a)
    ActionFactory(obligation=obligation, description="Publish the estates pipeline with every site's expected receipt")
    _signed_in(page, live_server, secretary)

    page.goto(f"{live_server.url}/my-work/")
    page.locator("#worklist-link a").click()
    page.wait_for_url("**/worklist/")
    row = page.locator(f"[data-obligation='{obligation.pk}']")
    assert row.count() == 1
    assert page.locator("[data-commitment='TST-900']").count() == 1
    _assert_accessible(page)

    row.get_by_role("link", name="Assign an owner").click()
    page.wait_for_url(f"**/obligations/{obligation.pk}/owner/**")
    _assert_accessible(page)
    # With the keyboard: choose the officer, then save without a reason: refused, nothing saved.
    page.get_by_label("Owner", exact=True).focus()
    page.get_by_label("Owner", exact=True).select_option("alice")
    page.get_by_role("button", name="Save the assignment").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.locator(".govuk-error-summary")
    assert "Give a reason for the assignment" in summary.inner_text()
    assert page.title().startswith("Error:")
    assert Obligation.objects.get(pk=obligation.pk).owner is None
    _assert_accessible(page)

    page.get_by_label("Reason").fill("Alice leads the estates workstream")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the assignment").click()
    page.wait_for_url("**/worklist/**")
    assert "has been assigned: owned by Alice Officer" in page.locator(".govuk-notification-banner").inner_text()
    assert page.locator(f"[data-obligation='{obligation.pk}']").count() == 0
    assert Obligation.objects.get(pk=obligation.pk).owner == officer
    assert StatusUpdate.objects.get(obligation=obligation, to_owner=officer).reason == "Alice leads the estates workstream"
    _assert_accessible(page)

    # The commitment page's timeline says who assigned it.
    page.goto(f"{live_server.url}/commitments/TST-001/")
    assert "Sam Secretariat assigned the owner of Party A's obligation" in page.locator("#timeline-list").inner_text()
    _assert_accessible(page)

    # At 320 px: the worklist and the form reflow.
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{live_server.url}/worklist/")
    _assert_reflows(page)
    _assert_accessible(page)
    page.goto(f"{live_server.url}/commitments/TST-900/lead-board/?next=/worklist/")
    _assert_reflows(page)
    _assert_accessible(page)
