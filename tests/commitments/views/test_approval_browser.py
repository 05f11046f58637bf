"""Approval before publishing in real Chromium (issue 15): the secretariat switches it on; an
officer submits; the secretariat returns it with a comment (and is stopped, with an error summary,
when the comment is missing); the officer changes it and submits again; the secretariat approves.
The published state (the commitment page for a viewer, the API, the public view) changes only
then. Every page on the way is checked with axe-core."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse

from boards.models import ApiToken
from commitments.models import Obligation, PendingUpdate

from ...conftest import axe_violations, sign_in, token_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def accessible(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


@pytest.fixture
def person(browser: Any, built_css: None, live_server: Any) -> Iterator[Callable[[str], Any]]:
    contexts: list[Any] = []

    def make(username: str) -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/London")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, live_server, username)
        page.wait_for_selector("[data-testid=sign-out]", state="attached")
        return page

    yield make
    for context in contexts:
        context.close()


def _public_url(live_server: Any, ref: str) -> str | None:
    try:
        return live_server.url + reverse("public:commitment", args=[ref])
    except NoReverseMatch:
        return None


def test_submit_return_resubmit_approve(
    person: Callable[[str], Any], live_server: Any, commitment: Any, obligation: Any, officer: Any, secretary: Any, viewer: Any, page: Any
) -> None:
    api = token_client(ApiToken.issue(user=viewer, scope=ApiToken.Scope.READ)[1])
    sam = person("sam")
    alice = person("alice")

    # The secretariat switches approval on from the board's page.
    sam.goto(f"{live_server.url}/boards/spb/")
    accessible(sam)
    sam.get_by_role("button", name="Require approval of officers' updates").click()
    sam.wait_for_selector("#approval >> text=On:")

    # The officer submits: the form says it needs approval.
    alice.goto(f"{live_server.url}/obligations/{obligation.pk}/update/")
    assert "need its secretariat's approval" in alice.inner_text("#approval-notice")
    accessible(alice)
    alice.check("input[name=rag][value=red]")
    alice.fill("textarea[name=reason]", "The funding has not arrived")
    alice.get_by_role("button", name="Submit for approval").click()
    alice.wait_for_selector("#pending-state")
    assert alice.inner_text("#pending-state") == "Awaiting approval"
    accessible(alice)
    pending = PendingUpdate.objects.get()

    def published_rag() -> str:
        return str(api.get(f"/api/v1/obligations/{obligation.pk}/").json()["rag"])

    assert published_rag() == "" and Obligation.objects.get(pk=obligation.pk).version == 1
    public = _public_url(live_server, commitment.ref)
    assert public, "the public view is on in the tests, as in the quick start"
    page.goto(public)
    assert "The funding has not arrived" not in page.content()
    assert "Red" not in page.inner_text("main")

    # The secretariat sees it marked on the commitment page; a viewer does not.
    sam.goto(f"{live_server.url}/commitments/{commitment.ref}/")
    assert sam.locator(f"[data-pending-update='{pending.pk}']").count() == 1
    accessible(sam)
    vera = person("vera")
    vera.goto(f"{live_server.url}/commitments/{commitment.ref}/")
    assert vera.locator("[data-pending-update]").count() == 0

    # Returning needs a comment: an error summary, nothing decided.
    sam.goto(f"{live_server.url}/approvals/")
    accessible(sam)
    sam.get_by_role("link", name=f"Review the update to {commitment.ref}").click()
    sam.check("input[name=decision][value=return]")
    sam.get_by_role("button", name="Save decision").click()
    sam.wait_for_selector(".govuk-error-summary")
    assert "Say why you are returning" in sam.inner_text(".govuk-error-summary")
    accessible(sam)
    sam.check("input[name=decision][value=return]")
    sam.fill("textarea[name=comment]", "Say which funding, and attach the letter")
    sam.get_by_role("button", name="Save decision").click()
    sam.wait_for_selector("h1:has-text('Updates awaiting approval')")
    assert published_rag() == ""

    # The officer reads the comment, changes the update and submits again.
    alice.goto(f"{live_server.url}/approvals/{pending.pk}/")
    assert "Say which funding" in alice.inner_text("#decision-comment")
    alice.get_by_role("button", name="Change and submit again").click()
    assert alice.input_value("textarea[name=reason]") == "The funding has not arrived"
    assert alice.is_checked("input[name=rag][value=red]")
    alice.fill("textarea[name=reason]", "The capital funding letter has not arrived")
    alice.fill("textarea[name=evidence]", "https://example.org/letter")
    alice.get_by_role("button", name="Submit for approval").click()
    alice.wait_for_selector("#pending-state")
    second = PendingUpdate.objects.get(state="submitted")
    assert second.pk != pending.pk
    assert published_rag() == ""

    # The secretariat approves: now, and only now, it is published.
    sam.goto(f"{live_server.url}/approvals/{second.pk}/")
    accessible(sam)
    sam.check("input[name=decision][value=approve]")
    sam.get_by_role("button", name="Save decision").click()
    sam.wait_for_selector("h1:has-text('Updates awaiting approval')")
    assert published_rag() == "red"
    vera.goto(f"{live_server.url}/commitments/{commitment.ref}/")
    assert "The capital funding letter has not arrived" in vera.inner_text("#timeline-list")
    assert "approved by Sam Secretariat" in vera.inner_text("#timeline-list")
    page.goto(public)
    assert "Red" in page.inner_text("main")
