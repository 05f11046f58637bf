"""/notifications/: a user turns their own digests on or off (GOV.UK form, CSRF, success banner,
field-level errors, accessible in real Chromium)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from boards.models import Profile

from ..conftest import axe_violations
from ..conftest import sign_in as submit_sign_in

URL = "/notifications/"


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_it_shows_the_current_choice_and_where_digests_go(client: Client, officer: Any) -> None:
    client.force_login(officer)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">E-mail digests</h1>' in html
    assert "alice@example.org" in html
    assert 'id="digests" name="digests" type="radio" value="yes" checked' in html
    assert not Profile.objects.filter(user=officer).exists()  # reading writes nothing


@pytest.mark.django_db
def test_turning_digests_off_saves_confirms_and_redirects(client: Client, officer: Any) -> None:
    client.force_login(officer)
    response = client.post(URL, {"digests": "no"})
    assert response.status_code == 302 and response["Location"] == URL
    assert Profile.objects.get(user=officer).digests_enabled is False
    page = client.get(URL).content.decode()
    assert "govuk-notification-banner--success" in page
    assert "You will no longer get the e-mail digests." in page
    assert 'value="no" checked' in page


@pytest.mark.django_db
def test_no_choice_gets_an_error_summary_and_an_inline_error_and_saves_nothing(client: Client, officer: Any) -> None:
    client.force_login(officer)
    for data in ({}, {"digests": "maybe"}):
        response = client.post(URL, data)
        html = response.content.decode()
        assert response.status_code == 400
        assert "<title>Error: E-mail digests" in html
        assert 'class="govuk-error-summary"' in html and '<a href="#digests">' in html
        assert 'id="digests-error" class="govuk-error-message"' in html
        assert 'aria-describedby="digests-hint digests-error"' in html
    assert "Select yes if you want to get the e-mail digests" in client.post(URL, {}).content.decode()
    assert not Profile.objects.filter(user=officer).exists()


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused(officer: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    assert client.post(URL, {"digests": "no"}).status_code == 403
    assert not Profile.objects.filter(user=officer).exists()


@pytest.mark.django_db
def test_a_user_without_an_email_address_is_told(client: Client, officer: Any) -> None:
    officer.email = ""
    officer.save()
    client.force_login(officer)
    assert "We do not have an e-mail address for you" in client.get(URL).content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_page_is_accessible_in_every_state(live_server: Any, page: Any, officer: Any) -> None:
    submit_sign_in(page, live_server, "alice")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"{live_server.url}{URL}")
    assert page.title() == "E-mail digests – DevoTracker"
    assert axe_violations(page) == []

    page.evaluate("document.querySelectorAll('input[name=digests]').forEach(i => i.checked = false)")
    page.click("button.govuk-button")
    # Waiting assertions: the answer's title can be read before its body has been parsed.
    expect(page).to_have_title("Error: E-mail digests – DevoTracker")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    page.wait_for_load_state()
    assert axe_violations(page) == []

    page.check("label[for=digests-2]")
    page.click("button.govuk-button")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "You will no longer get the e-mail digests." in page.inner_text(".govuk-notification-banner--success")
    assert axe_violations(page) == []
    assert Profile.objects.get(user=officer).digests_enabled is False
