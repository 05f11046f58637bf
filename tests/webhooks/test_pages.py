"""The webhooks pages (issue 14), /webhooks/: for administrators only (anyone else signed in is
refused, signed out is sent to sign in); registering a subscription shows its secret once, on a
page that is not stored, and never again; bad input re-shows the form with a GOV.UK error summary
and registers nothing; a subscription's page shows its delivery log, and its buttons send a test
event, redeliver an event, disable and enable it, and rotate the secret. In real Chromium, every
page passes axe-core (WCAG 2.2 A/AA)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from boards.models import ApiToken
from webhooks import secrets, services
from webhooks.models import Attempt, Event, EventType, Subscription

from ..conftest import axe_violations
from ..conftest import sign_in as submit_sign_in

pytestmark = pytest.mark.django_db

ENDPOINT = "https://hooks.example.org/in"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def token(partner: Any) -> ApiToken:
    return ApiToken.issue(user=partner, scope=ApiToken.Scope.READ, name="case system")[0]


@pytest.fixture
def subscription(token: ApiToken, party_a: Any, admin_user: Any) -> Subscription:
    return services.register(by=admin_user, party=party_a, token=token, endpoint=ENDPOINT, event_types=[EventType.OBLIGATION_UPDATED])[0]


def _form(for_party: Any, reads_as: ApiToken, /, **overrides: Any) -> dict[str, Any]:
    return {
        "party": str(for_party.pk),
        "token": str(reads_as.pk),
        "endpoint": ENDPOINT,
        "event_types": [EventType.OBLIGATION_UPDATED, EventType.PAPER_PUBLISHED],
        "description": "Party A's case system",
        "contact_email": "integrations@party-a.example.org",
        **overrides,
    }


def _actions(subscription: Subscription, event: Event) -> list[str]:
    return [
        f"/webhooks/{subscription.pk}/test/",
        f"/webhooks/{subscription.pk}/rotate/",
        f"/webhooks/{subscription.pk}/state/",
        f"/webhooks/{subscription.pk}/events/{event.msg_id}/redeliver/",
    ]


# --- who may ------------------------------------------------------------------------------------


def test_the_pages_are_for_administrators_only(officer: Any, subscription: Subscription, admin_user: Any, party_a: Any) -> None:
    event = services.send_test(subscription, by=admin_user)
    stored = Subscription.objects.values().get(pk=subscription.pk)
    officer_client = _client(officer)
    for url in ("/webhooks/", "/webhooks/new/", f"/webhooks/{subscription.pk}/"):
        assert officer_client.get(url).status_code == 403, url
    assert officer_client.post("/webhooks/new/", _form(party_a, subscription.token)).status_code == 403
    for url in _actions(subscription, event):
        assert officer_client.post(url, {"active": "false"}).status_code == 403, url

    signed_out = Client()
    for url in ("/webhooks/", "/webhooks/new/", f"/webhooks/{subscription.pk}/"):
        response = signed_out.get(url)
        assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={url}", url
    for url in ["/webhooks/new/", *_actions(subscription, event)]:
        response = signed_out.post(url, {"active": "false"})
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url

    # Nothing was written by any of them.
    assert Subscription.objects.count() == 1 and Subscription.objects.values().get(pk=subscription.pk) == stored
    assert list(Event.objects.values_list("pk", "state", "attempts")) == [(event.pk, "pending", 0)]


def test_the_list_shows_every_subscription_and_how_it_stands(subscription: Subscription, admin_user: Any, other_officer: Any) -> None:
    other_token = ApiToken.issue(user=other_officer, scope=ApiToken.Scope.READ)[0]
    theirs = services.register(
        by=admin_user,
        party=other_officer.memberships.get().party,
        token=other_token,
        endpoint="https://b.example.org/",
        event_types=["period.closed"],
    )[0]
    Event.objects.filter(pk=services.send_test(theirs, by=admin_user).pk).update(state=Event.State.FAILED)
    services.send_test(subscription, by=admin_user)

    response = _client(admin_user).get("/webhooks/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/webhooks/{subscription.pk}/"' in html and f'href="/webhooks/{theirs.pk}/"' in html
    assert "Party A" in html and "Party B" in html and "period.closed" in html
    assert 'href="/webhooks/new/"' in html


def test_the_methods_each_page_answers(subscription: Subscription, admin_user: Any) -> None:
    client = _client(admin_user)
    assert client.post("/webhooks/").status_code == 405
    assert client.post(f"/webhooks/{subscription.pk}/").status_code == 405
    assert client.get(f"/webhooks/{subscription.pk}/test/").status_code == 405
    assert client.get(f"/webhooks/{subscription.pk}/rotate/").status_code == 405
    assert client.get("/webhooks/999999/").status_code == 404
    assert client.post("/webhooks/999999/test/").status_code == 404
    assert client.post(f"/webhooks/{subscription.pk}/events/msg_{'0' * 32}/redeliver/").status_code == 404


# --- registering ---------------------------------------------------------------------------------


def test_an_administrator_registers_a_subscription_and_sees_its_secret_once(admin_user: Any, party_a: Any, token: ApiToken) -> None:
    client = _client(admin_user)
    form = client.get("/webhooks/new/")
    assert form.status_code == 200 and "Register a webhook subscription" in form.content.decode()
    assert "no-store" in form["Cache-Control"]

    response = client.post("/webhooks/new/", _form(party_a, token))

    assert response.status_code == 200, response.content.decode()
    assert "no-store" in response["Cache-Control"]
    subscription = Subscription.objects.get()
    shown = re.search(r'<code id="secret"[^>]*>([^<]+)</code>', response.content.decode())
    assert shown is not None
    secret = shown.group(1)
    assert secret.startswith(secrets.PREFIX) and secrets.unseal(subscription.secret) == secret
    assert subscription.party == party_a and subscription.token == token and subscription.created_by == admin_user
    assert subscription.endpoint == ENDPOINT and subscription.event_types == ["obligation.updated", "paper.published"]
    assert subscription.contact_email == "integrations@party-a.example.org" and subscription.description == "Party A's case system"

    for url in (f"/webhooks/{subscription.pk}/", "/webhooks/"):
        page = client.get(url)
        assert page.status_code == 200 and secret not in page.content.decode(), url


def test_the_django_admin_sends_registering_to_the_page(admin_user: Any) -> None:
    response = _client(admin_user).get("/admin/webhooks/subscription/add/")
    assert response.status_code == 302 and response["Location"] == "/webhooks/new/"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"event_types": []}, "event_types", "Select at least one event"),
        ({"endpoint": "http://hooks.example.org/in"}, "endpoint", "The address must start with https://"),
        ({"endpoint": "https://127.0.0.1/in"}, "endpoint", "127.0.0.1 is not a public address"),
        ({"endpoint": "https://169.254.169.254/latest/meta-data"}, "endpoint", "169.254.169.254 is not a public address"),
        ({"endpoint": "https://203.0.113.10/hook"}, "endpoint", "203.0.113.10 is not a public address"),  # documentation range
        ({"endpoint": ""}, "endpoint", "Enter the endpoint address"),
        ({"party": ""}, "party", "Select the organisation the subscription is for"),
        ({"token": "999999"}, "token", "Select a token from the list"),
        ({"event_types": ["ping"]}, "event_types", "Select events from the list"),
        ({"contact_email": "not an address"}, "contact_email", "Enter an e-mail address in the correct format, like name@example.org"),
    ],
)
def test_invalid_input_shows_an_error_summary_and_registers_nothing(
    admin_user: Any, party_a: Any, token: ApiToken, overrides: dict[str, Any], field: str, message: str
) -> None:
    response = _client(admin_user).post("/webhooks/new/", _form(party_a, token, **overrides))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="govuk-error-summary"' in html
    summary = html[html.index("govuk-error-summary") : html.index("</ul>", html.index("govuk-error-summary"))]
    assert f'href="#id_{field}"' in summary and message in summary, summary
    assert "<title>Error: " in html and "govuk-error-message" in html
    assert not Subscription.objects.exists()


def test_an_empty_form_is_refused_field_by_field(admin_user: Any) -> None:
    response = _client(admin_user).post("/webhooks/new/", {})
    html = response.content.decode()
    assert response.status_code == 200 and 'class="govuk-error-summary"' in html
    for message in (
        "Select the organisation the subscription is for",
        "Select the token events are read as",
        "Enter the endpoint address",
        "Select at least one event",
    ):
        assert message in html, message
    assert not Subscription.objects.exists()


def test_a_token_of_another_organisation_is_refused(admin_user: Any, party_a: Any, other_officer: Any) -> None:
    """Events are read as the token, so it must belong to a member of the organisation."""
    theirs = ApiToken.issue(user=other_officer, scope=ApiToken.Scope.READ)[0]
    response = _client(admin_user).post("/webhooks/new/", _form(party_a, theirs))
    html = response.content.decode()
    assert response.status_code == 200 and 'class="govuk-error-summary"' in html
    assert 'href="#id_token"' in html and "is not a member of Party A" in html
    assert not Subscription.objects.exists()


def test_a_revoked_token_is_not_offered(admin_user: Any, party_a: Any, token: ApiToken) -> None:
    token.revoke()
    client = _client(admin_user)
    html = client.get("/webhooks/new/").content.decode()
    tokens = html[html.index('name="token"') : html.index("</select>", html.index('name="token"'))]
    assert f'value="{token.pk}"' not in tokens and token.prefix not in tokens
    response = client.post("/webhooks/new/", _form(party_a, token))
    assert "Select a token from the list" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_post_without_the_csrf_token_is_refused(admin_user: Any, party_a: Any, token: ApiToken) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post("/webhooks/new/", _form(party_a, token)).status_code == 403
    assert not Subscription.objects.exists()


# --- a subscription's page and its buttons ----------------------------------------------------


def test_the_detail_page_shows_the_delivery_log(subscription: Subscription, admin_user: Any) -> None:
    delivered = services.send_test(subscription, by=admin_user)
    Attempt.objects.create(event=delivered, outcome=Attempt.Outcome.FAILED, status_code=503, latency_ms=41, error="Answered 503.")
    Event.objects.filter(pk=delivered.pk).update(state=Event.State.PENDING, attempts=1)
    waiting = services.send_test(subscription, by=admin_user)

    response = _client(admin_user).get(f"/webhooks/{subscription.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert ENDPOINT in html and "Party A" in html and "obligation.updated" in html
    assert 'id="delivery-log"' in html
    assert html.index(waiting.msg_id) < html.index(delivered.msg_id)  # newest first
    assert "Failed, HTTP 503, 41 ms" in html and "Answered 503." in html and "(1 try)" in html
    assert "Not tried yet" in html and "(0 tries)" in html
    assert f'action="/webhooks/{subscription.pk}/events/{delivered.msg_id}/redeliver/"' in html
    for button in ("Send a test event", "Disable", "Rotate the secret"):
        assert button in html, button


def test_the_detail_page_of_a_subscription_with_no_events(subscription: Subscription, admin_user: Any) -> None:
    html = _client(admin_user).get(f"/webhooks/{subscription.pk}/").content.decode()
    assert "No event has been prepared for this subscription yet." in html and 'id="delivery-log"' not in html


def test_send_a_test_event(subscription: Subscription, admin_user: Any) -> None:
    client = _client(admin_user)
    response = client.post(f"/webhooks/{subscription.pk}/test/", follow=True)
    assert response.redirect_chain == [(f"/webhooks/{subscription.pk}/", 302)]
    ping = Event.objects.get()
    assert ping.type == EventType.PING and ping.subscription == subscription and ping.state == Event.State.PENDING
    html = response.content.decode()
    assert f"A test event ({ping.msg_id}) is on its way." in html and ping.msg_id in html


def test_redeliver_an_event(subscription: Subscription, admin_user: Any) -> None:
    event = services.send_test(subscription, by=admin_user)
    Event.objects.filter(pk=event.pk).update(state=Event.State.FAILED, attempts=10, next_attempt_at=None)

    response = _client(admin_user).post(f"/webhooks/{subscription.pk}/events/{event.msg_id}/redeliver/", follow=True)

    assert response.redirect_chain == [(f"/webhooks/{subscription.pk}/", 302)]
    assert f"Event {event.msg_id} will be delivered again." in response.content.decode()
    event.refresh_from_db()
    assert event.state == Event.State.PENDING and event.attempts == 0 and event.next_attempt_at is not None


def test_an_event_is_redelivered_only_through_its_own_subscription(subscription: Subscription, admin_user: Any, token: ApiToken) -> None:
    other = services.register(
        by=admin_user, party=subscription.party, token=token, endpoint="https://b.example.org/", event_types=["period.closed"]
    )[0]
    event = services.send_test(other, by=admin_user)
    Event.objects.filter(pk=event.pk).update(state=Event.State.FAILED)
    assert _client(admin_user).post(f"/webhooks/{subscription.pk}/events/{event.msg_id}/redeliver/").status_code == 404
    assert Event.objects.get(pk=event.pk).state == Event.State.FAILED


def test_disable_and_enable(subscription: Subscription, admin_user: Any) -> None:
    client = _client(admin_user)
    disabled = client.post(f"/webhooks/{subscription.pk}/state/", {"active": "false"}, follow=True)
    assert "The subscription is disabled." in disabled.content.decode()
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_at is not None
    assert "Disabled by" in subscription.disabled_reason
    assert ">Enable</button>" in disabled.content.decode()

    Subscription.objects.filter(pk=subscription.pk).update(failing_since=timezone.now())
    enabled = client.post(f"/webhooks/{subscription.pk}/state/", {"active": "true"}, follow=True)
    assert "The subscription is enabled" in enabled.content.decode()
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.disabled_at is None and subscription.failing_since is None


def test_a_subscription_whose_address_is_no_longer_allowed_can_still_be_disabled(
    subscription: Subscription, admin_user: Any, settings: Any
) -> None:
    """Registered while plain http was allowed (development), then the setting turned off: the
    address is refused now, but turning the subscription off must not depend on it."""
    Subscription.objects.filter(pk=subscription.pk).update(endpoint="http://hooks.example.org/in")
    settings.WEBHOOKS_ALLOW_HTTP = False
    response = _client(admin_user).post(f"/webhooks/{subscription.pk}/state/", {"active": "false"})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert not subscription.is_active


def test_rotate_the_secret(admin_user: Any, party_a: Any, token: ApiToken) -> None:
    client = _client(admin_user)
    first = client.post("/webhooks/new/", _form(party_a, token))
    old = re.search(r'<code id="secret"[^>]*>([^<]+)</code>', first.content.decode())
    assert old is not None
    subscription = Subscription.objects.get()

    response = client.post(f"/webhooks/{subscription.pk}/rotate/")

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    html = response.content.decode()
    new = re.search(r'<code id="secret"[^>]*>([^<]+)</code>', html)
    assert new is not None and new.group(1) != old.group(1) and new.group(1).startswith(secrets.PREFIX)
    assert "New signing secret" in html and "The previous secret also signs until" in html
    subscription.refresh_from_db()
    assert secrets.unseal(subscription.secret) == new.group(1) and secrets.unseal(subscription.previous_secret) == old.group(1)
    detail = client.get(f"/webhooks/{subscription.pk}/").content.decode()
    assert new.group(1) not in detail and old.group(1) not in detail and "Previous secret" in detail


def test_what_a_partner_typed_is_shown_as_text(admin_user: Any, party_a: Any, token: ApiToken) -> None:
    hostile = "<script>alert(1)</script>"
    services.register(
        by=admin_user,
        party=party_a,
        token=token,
        endpoint='https://hooks.example.org/in?x="><img src=x onerror=alert(1)>',
        event_types=["period.closed"],
        description=hostile,
    )
    client = _client(admin_user)
    for url in ("/webhooks/", f"/webhooks/{Subscription.objects.get().pk}/"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html and "<img src=x" not in html, url
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_navigation_offers_webhooks_to_administrators_only(admin_user: Any, officer: Any) -> None:
    assert 'href="/webhooks/"' in _client(admin_user).get("/webhooks/").content.decode()
    assert 'href="/webhooks/"' not in _client(officer).get("/commitments/").content.decode()


# --- in the browser -----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_pages_are_accessible_in_chromium(live_server: Any, page: Any, admin_user: Any, party_a: Any, token: ApiToken) -> None:
    subscription = services.register(
        by=admin_user, party=party_a, token=token, endpoint=ENDPOINT, event_types=[EventType.OBLIGATION_UPDATED]
    )[0]
    event = services.send_test(subscription, by=admin_user)
    Attempt.objects.create(event=event, outcome=Attempt.Outcome.FAILED, status_code=500, latency_ms=12, error="Answered 500.")
    Event.objects.filter(pk=event.pk).update(attempts=1)

    submit_sign_in(page, live_server, admin_user.username)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto(f"{live_server.url}/webhooks/")
    assert page.title() == "Webhooks – DevoTracker"
    assert page.locator("#subscriptions").is_visible()
    assert axe_violations(page) == []

    page.get_by_role("link", name="Register a subscription").click()
    page.wait_for_url("**/webhooks/new/")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Register").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Enter the endpoint address" in summary.inner_text()
    assert page.title().startswith("Error: ")
    assert axe_violations(page) == []
    assert Subscription.objects.count() == 1

    page.goto(f"{live_server.url}/webhooks/{subscription.pk}/")
    assert page.locator("#delivery-log").is_visible() and event.msg_id in page.locator("#delivery-log").inner_text()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Send a test event").click()
    page.wait_for_selector(".govuk-notification-banner--success")
    assert page.locator("#delivery-log tbody tr").count() == 2
    assert axe_violations(page) == []
