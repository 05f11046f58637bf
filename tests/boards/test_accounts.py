"""Sign in, sign out, change password: throttling, lockout, the audit log and form errors."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from boards.accounts import is_locked_out, roles_of
from boards.models import SignInEvent

from ..conftest import PASSWORD
from ..factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOCKED_TEXT = "There have been too many attempts to sign in"
INVALID_TEXT = "Enter a correct username and password"


def attempt(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


@pytest.fixture(autouse=True)
def _small_limits(settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
    settings.LOGIN_FAILURE_WINDOW = 600
    settings.LOGIN_TRUSTED_PROXIES = 0


# --- signing in ---------------------------------------------------------------------------------


def test_it_signs_in_and_records_the_success(client: Client, officer: Any) -> None:
    response = attempt(client, "alice", PASSWORD, HTTP_USER_AGENT="TestBrowser/1.0")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(officer.pk)
    event = SignInEvent.objects.get()
    assert (event.kind, event.username, event.user, event.ip_address, event.user_agent) == (
        "success",
        "alice",
        officer,
        "127.0.0.1",
        "TestBrowser/1.0",
    )


def test_it_follows_a_safe_next_but_not_another_site(client: Client, officer: Any) -> None:
    response = client.post(f"{LOGIN}?next=/cookies/", {"username": "alice", "password": PASSWORD, "next": "/cookies/"})
    assert response["Location"] == "/cookies/"

    client.logout()
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_a_wrong_password_is_refused_with_an_error_summary_and_audited(client: Client, officer: Any) -> None:
    response = attempt(client, "alice", "not-the-password", HTTP_USER_AGENT="x" * 500)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: Sign in" in html
    assert 'class="govuk-error-summary"' in html
    assert f'<a href="#id_username">{INVALID_TEXT}' in html
    assert SESSION_KEY not in client.session
    event = SignInEvent.objects.get()
    assert (event.kind, event.username, event.user, event.ip_address) == ("failure", "alice", None, "127.0.0.1")
    assert len(event.user_agent) == 300  # truncated to the column, not refused


def test_empty_fields_get_inline_errors_and_no_attempt_is_recorded(client: Client, officer: Any) -> None:
    response = attempt(client, "", "")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#id_username">Enter your username</a>' in html
    assert '<a href="#id_password">Enter your password</a>' in html
    assert 'id="id_username-error" class="govuk-error-message"' in html
    assert 'aria-describedby="id_password-error"' in html
    assert "govuk-input--error" in html
    assert not SignInEvent.objects.exists()


def test_an_unknown_username_reads_exactly_like_a_wrong_password(client: Client, officer: Any) -> None:
    wrong_password = attempt(client, "alice", "nope-nope-nope").content.decode()
    unknown_user = attempt(client, "nobody-here", "nope-nope-nope").content.decode()

    def errors(html: str) -> str:
        part = html[html.index('<div class="govuk-error-summary"') : html.index("</form>")].replace("nobody-here", "alice")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", part)

    assert errors(wrong_password) == errors(unknown_user)


def test_the_password_is_never_written_back_into_the_page(client: Client, officer: Any) -> None:
    response = attempt(client, "alice", "secret-typo-123")
    assert "secret-typo-123" not in response.content.decode()
    assert 'value="alice"' in response.content.decode()


# --- lockout ------------------------------------------------------------------------------------


def test_the_username_is_locked_out_after_the_limit_even_with_the_right_password(client: Client, officer: Any) -> None:
    for _ in range(3):
        assert INVALID_TEXT in attempt(client, "alice", "wrong-password").content.decode()

    response = attempt(client, "alice", PASSWORD)

    html = response.content.decode()
    assert response.status_code == 200
    assert LOCKED_TEXT in html and "Wait 10 minutes" in html
    assert SESSION_KEY not in client.session
    kinds = list(SignInEvent.objects.order_by("at", "pk").values_list("kind", flat=True))
    assert kinds == ["failure", "failure", "failure", "locked"]


def test_an_unknown_username_is_locked_out_the_same_way(client: Client, officer: Any) -> None:
    for _ in range(3):
        attempt(client, "ghost", "wrong-password")

    html = attempt(client, "ghost", "anything-at-all").content.decode()

    assert LOCKED_TEXT in html
    assert SignInEvent.objects.filter(username="ghost", kind="locked").count() == 1


def test_the_lockout_ends_when_the_failures_leave_the_window(client: Client, officer: Any) -> None:
    old = timezone.now() - dt.timedelta(seconds=601)
    SignInEvent.objects.bulk_create([SignInEvent(username="alice", kind="failure", ip_address="127.0.0.1", at=old) for _ in range(5)])

    response = attempt(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(officer.pk)


def test_locked_attempts_do_not_extend_the_lockout(officer: Any) -> None:
    now = timezone.now()
    SignInEvent.objects.bulk_create(
        [SignInEvent(username="alice", kind="failure", ip_address="10.0.0.1", at=now - dt.timedelta(seconds=590)) for _ in range(3)]
        + [SignInEvent(username="alice", kind="locked", ip_address="10.0.0.1", at=now - dt.timedelta(seconds=s)) for s in (5, 4, 3)]
    )

    assert is_locked_out(username="alice", address="10.0.0.1", now=now)
    assert not is_locked_out(username="alice", address="10.0.0.1", now=now + dt.timedelta(seconds=11))


def test_a_successful_sign_in_clears_the_username_count_but_not_the_address_count(officer: Any, other_officer: Any) -> None:
    now = timezone.now()
    at = [now - dt.timedelta(seconds=s) for s in (50, 40, 30, 20)]
    SignInEvent.objects.bulk_create(
        [
            SignInEvent(username="alice", kind="failure", ip_address="10.0.0.1", at=at[0]),
            SignInEvent(username="alice", kind="failure", ip_address="10.0.0.2", at=at[1]),
            SignInEvent(username="alice", kind="success", ip_address="10.0.0.2", at=at[2]),
            SignInEvent(username="alice", kind="failure", ip_address="10.0.0.3", at=at[3]),
        ]
    )
    # One failure since alice's last success: her username is not locked.
    assert not is_locked_out(username="alice", address="10.0.0.9", now=now)
    # Two more failures from one address lock that address for every username.
    SignInEvent.objects.bulk_create([SignInEvent(username=f"u{i}", kind="failure", ip_address="10.0.0.3", at=now) for i in range(2)])
    assert is_locked_out(username="bob", address="10.0.0.3", now=now)
    assert not is_locked_out(username="bob", address="10.0.0.4", now=now)


def test_an_address_is_locked_out_across_usernames(client: Client, officer: Any, other_officer: Any) -> None:
    for name in ("carol", "dave", "erin"):
        attempt(client, name, "wrong-password")

    html = attempt(client, "bob", PASSWORD).content.decode()

    assert LOCKED_TEXT in html
    assert SESSION_KEY not in client.session
    # From another address bob signs in at once.
    assert attempt(Client(REMOTE_ADDR="192.0.2.7"), "bob", PASSWORD).status_code == 302


def test_signing_in_to_ones_own_account_does_not_reset_the_address_count(client: Client, officer: Any, other_officer: Any) -> None:
    # Someone with one valid account guesses other people's passwords from one address and signs in
    # to their own account between guesses: the address's failures still add up (a reset on success
    # per address, as django-axes does it, would let them guess for ever; docs/decisions/0012).
    attempt(client, "carol", "guess-1")
    attempt(client, "dave", "guess-2")
    assert attempt(client, "alice", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    attempt(client, "erin", "guess-3")

    html = attempt(client, "bob", PASSWORD).content.decode()

    assert LOCKED_TEXT in html
    assert SESSION_KEY not in client.session


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(client: Client, officer: Any, settings: Any) -> None:
    attempt(client, "alice", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert SignInEvent.objects.get().ip_address == "127.0.0.1"

    settings.LOGIN_TRUSTED_PROXIES = 1
    attempt(client, "alice", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9")
    # The right-most hop is the one our proxy added; the left one is the client's own claim.
    assert SignInEvent.objects.order_by("-pk").first().ip_address == "203.0.113.9"


def test_the_lockout_check_is_one_query(officer: Any, django_assert_num_queries: Any) -> None:
    now = timezone.now()
    SignInEvent.objects.bulk_create(
        [SignInEvent(username="alice", kind="failure", ip_address="10.0.0.1", at=now - dt.timedelta(seconds=i)) for i in range(40)]
    )
    with django_assert_num_queries(1):
        assert is_locked_out(username="alice", address="10.0.0.1", now=now)


def test_the_admin_sign_in_form_cannot_be_used_to_get_round_the_lockout(client: Client, admin_user: Any) -> None:
    for _ in range(3):
        attempt(client, "ada", "wrong-password")

    response = client.post("/admin/login/", {"username": "ada", "password": PASSWORD, "next": "/admin/"})

    # Anonymous requests to the admin are sent to our sign-in page before its own form runs.
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert SESSION_KEY not in client.session


# --- signing out --------------------------------------------------------------------------------


def test_sign_out_is_post_only(client: Client, officer: Any) -> None:
    client.force_login(officer)

    response = client.get("/accounts/logout/")

    assert response.status_code == 405
    assert client.session[SESSION_KEY] == str(officer.pk)
    assert not SignInEvent.objects.filter(kind="sign_out").exists()


def test_sign_out_ends_the_session_and_is_audited(officer: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    page = client.get("/accounts/password/change/")
    token = page.context["csrf_token"]

    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": str(token)}, follow=True)

    assert response.redirect_chain[0] == ("/accounts/login/", 302)
    assert SESSION_KEY not in client.session
    assert "You have signed out." in response.content.decode()
    event = SignInEvent.objects.get(kind="sign_out")
    assert (event.username, event.user) == ("alice", officer)


def test_sign_out_without_the_csrf_token_is_refused(officer: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)

    response = client.post("/accounts/logout/")

    assert response.status_code == 403
    assert client.session[SESSION_KEY] == str(officer.pk)


# --- changing the password ----------------------------------------------------------------------

CHANGE = "/accounts/password/change/"
NEW_PASSWORD = "plum-orchard-lantern-42"


@pytest.fixture
def signed_in(client: Client, officer: Any) -> Client:
    client.force_login(officer)
    return client


def change(client: Client, old: str, new1: str, new2: str) -> Any:
    return client.post(CHANGE, {"old_password": old, "new_password1": new1, "new_password2": new2})


def test_password_change_needs_sign_in(client: Client) -> None:
    response = client.get(CHANGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/accounts/password/change/")


def test_password_change_shows_every_rule_as_a_hint(signed_in: Client) -> None:
    html = signed_in.get(CHANGE).content.decode()
    assert "must contain at least 12 characters" in html
    assert "can’t be entirely numeric" in html
    assert 'aria-describedby="id_new_password1-hint"' in html


@pytest.mark.parametrize(
    ("old", "new1", "new2", "field", "message"),
    [
        ("wrong-old-password", NEW_PASSWORD, NEW_PASSWORD, "old_password", "Your current password is not correct"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "new_password2", "The two new passwords do not match"),
        (PASSWORD, "short1", "short1", "new_password1", "at least 12 characters"),
        (PASSWORD, "123456789012345", "123456789012345", "new_password1", "entirely numeric"),
        (PASSWORD, "password1234", "password1234", "new_password1", "too common"),
        (PASSWORD, "aliceofficer1", "aliceofficer1", "new_password1", "too similar"),
        ("", "", "", "old_password", "Enter your current password"),
    ],
)
def test_a_bad_password_change_saves_nothing_and_says_why(
    signed_in: Client, officer: Any, old: str, new1: str, new2: str, field: str, message: str
) -> None:
    response = change(signed_in, old, new1, new2)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Change your password" in html
    assert f'<a href="#id_{field}">' in html
    assert message in html
    assert f'id="id_{field}-error"' in html
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)


def test_a_good_password_change_saves_and_keeps_the_session(signed_in: Client, officer: Any) -> None:
    response = change(signed_in, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/done/"
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD)
    done = signed_in.get(response["Location"])
    assert done.status_code == 200
    assert "Your password has been changed" in done.content.decode()


# --- roles --------------------------------------------------------------------------------------


def test_roles_are_read_in_one_query_and_remembered(
    officer: Any, secretary: Any, viewer: Any, admin_user: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        roles = roles_of(officer)
        assert roles_of(officer) is roles
    assert (roles.is_officer, roles.is_secretariat, roles.is_viewer, roles.has_work) == (True, False, False, True)
    assert roles_of(secretary).is_secretariat and roles_of(secretary).has_work
    assert roles_of(viewer).is_viewer and not roles_of(viewer).has_work
    assert roles_of(admin_user).is_staff and not roles_of(admin_user).has_work
    assert not roles_of(UserFactory(username="nobody")).has_work
