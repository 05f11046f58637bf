"""Dependencies in real headless Chromium (issue 15, "Done when"): a secretariat's attempt to add a
dependency that would close a cycle is refused with a GOV.UK error summary naming the chain, and
nothing is saved; an "At risk" flag appears on the waiting item's page once its prerequisite goes
overdue. axe-core finds no WCAG 2.2 A/AA violation on the pages, and they reflow at 320 px; the
form is used with the keyboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from commitments import dependencies as deps
from commitments.models import Commitment, Dependency

from ...conftest import PASSWORD, axe_violations, sign_in
from ...factories import ActionFactory, CommitmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(page: Any, live_server: Any, user: Any) -> None:
    user.set_password(PASSWORD)
    user.save()
    sign_in(page, live_server, user.username)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _assert_accessible(page: Any) -> None:
    assert axe_violations(page) == [], page.url


def test_a_cycle_is_refused_with_an_error_summary(live_server: Any, page: Any, commitment: Commitment, board: Any, secretary: Any) -> None:
    second = CommitmentFactory(ref="TST-002", lead_board=board, title="Set up the estates board")
    third = CommitmentFactory(ref="TST-003", lead_board=board, title="Agree the capital plan")
    deps.add_dependency(second, third, by=secretary)  # TST-002 waits on TST-003
    deps.add_dependency(third, commitment, by=secretary)  # TST-003 waits on TST-001
    _signed_in(page, live_server, secretary)

    page.goto(f"{live_server.url}/commitments/TST-001/")
    _assert_accessible(page)
    page.get_by_role("button", name="Add a dependency").click()
    page.wait_for_url("**/commitments/TST-001/dependencies/add/")
    _assert_accessible(page)
    # With the keyboard: TST-001 itself waits on TST-002, which would close TST-001 → TST-002 → TST-003 → TST-001.
    page.get_by_label("The commitment it waits on").focus()
    page.keyboard.type("TST-002")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "TST-001 → TST-002 → TST-003 → TST-001" in summary.inner_text()
    assert page.title().startswith("Error:")
    # The summary's link takes focus to the field.
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "id_prerequisite_commitment"
    _assert_accessible(page)
    assert Dependency.objects.count() == 2

    # A good one is added, then removed with its button.
    page.get_by_label("The commitment it waits on").fill("")
    page.get_by_label("Or the action it waits on").fill(str(ActionFactory(obligation__commitment=third).pk))
    page.get_by_role("button", name="Add dependency").click()
    page.wait_for_url("**/commitments/TST-001/#dependencies")
    assert "now waits on action" in page.locator(".govuk-notification-banner").inner_text()
    _assert_accessible(page)
    page.get_by_role("button", name="Remove TST-001 waiting on action").click()
    page.wait_for_url("**/commitments/TST-001/#dependencies")
    assert Dependency.objects.count() == 2


def test_an_at_risk_flag_appears_when_a_prerequisite_goes_overdue(
    live_server: Any, page: Any, commitment: Commitment, board: Any, obligation: Any, secretary: Any, viewer: Any
) -> None:
    today = timezone.localdate()
    second = CommitmentFactory(
        ref="TST-002", lead_board=board, title="Set up the London Estates Board", target_date=today + dt.timedelta(days=5)
    )
    action = ActionFactory(obligation=obligation, description="Draft the disposal plan", due_date=today + dt.timedelta(days=30))
    deps.add_dependency(commitment, second, by=secretary)
    deps.add_dependency(action, second, by=secretary)
    _signed_in(page, live_server, viewer)

    page.goto(f"{live_server.url}/commitments/TST-001/")
    assert page.locator("[data-at-risk]").count() == 0
    assert "TST-001 is waiting on" in page.locator("#dependencies ~ h3").first.inner_text()

    # The prerequisite's target date passes: both the commitment and its action are at risk.
    Commitment.objects.filter(pk=second.pk).update(target_date=today - dt.timedelta(days=2))
    page.reload()
    assert page.locator("#shown-state [data-at-risk]").inner_text() == "At risk"
    assert page.locator(f"#action-{action.pk} [data-at-risk]").inner_text() == "At risk"
    assert page.locator("[data-waiting-on] [data-trouble=overdue]").first.inner_text() == "Overdue"
    _assert_accessible(page)
    # The prerequisite's own page says what it holds up.
    page.get_by_role("link", name="TST-002: Set up the London Estates Board").first.click()
    page.wait_for_url("**/commitments/TST-002/")
    assert "TST-001" in page.locator("[data-holding-up]").inner_text()
    # The lists flag it too.
    page.goto(f"{live_server.url}/commitments/?at_risk=true")
    assert page.locator("#commitments [data-ref=TST-001] [data-at-risk]").count() == 1
    assert page.locator("#commitments tbody tr").count() == 1
    page.goto(f"{live_server.url}/actions/")
    assert page.locator(f"[data-action='{action.pk}'] [data-at-risk]").count() == 1
    _assert_accessible(page)
    # At 320 px the commitment page does not scroll sideways.
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{live_server.url}/commitments/TST-001/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 321
    _assert_accessible(page)
