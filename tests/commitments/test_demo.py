"""load_demo: demo accounts for every role, illustrative data marked as such, safe to re-run."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import SESSION_KEY, authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from boards.models import Membership, SignInEvent
from commitments.models import Action, Obligation, StatusUpdate

from ..conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def mou(db):
    call_command("load_mou")


def test_it_needs_the_mou_data_first(db):
    with pytest.raises(CommandError, match="load_mou"):
        call_command("load_demo")


def test_demo_data_is_marked_and_lively(mou, settings, capsys):
    settings.DEMO_PASSWORD = "a-demo-password-1"
    call_command("load_demo")
    assert Action.objects.exists() and not Action.objects.filter(is_demo=False).exists()
    assert not StatusUpdate.objects.filter(is_demo=False).exists()
    assert Obligation.objects.filter(is_demo=True).count() == Obligation.objects.count()
    assert Action.objects.overdue().exists() and Action.objects.due_within(90).exists()
    officer = get_user_model().objects.get(username="officer")
    assert Action.objects.owed_by_user(officer).overdue().exists(), "the demo officer's party owes open, overdue actions"
    oldest = StatusUpdate.objects.order_by("created_at").first()
    assert oldest is not None and (StatusUpdate.objects.latest("created_at").created_at - oldest.created_at).days > 365
    # versions agree with the history written
    for action in Action.objects.all()[:20]:
        assert action.version == 1 + action.updates.count()


def test_accounts_for_every_role_get_the_password_each_run(mou, settings, capsys):
    settings.DEMO_PASSWORD = "first-password-1"
    call_command("load_demo")
    settings.DEMO_PASSWORD = "second-password-2"
    call_command("load_demo")
    users = get_user_model().objects
    for username in ("officer", "secretariat", "viewer", "admin"):
        assert authenticate(username=username, password="second-password-2") is not None, username
    assert users.get(username="admin").is_superuser
    assert users.get(username="viewer").groups.filter(name="viewers").exists()
    assert Membership.objects.filter(user__username="secretariat", board__code="SPB", role="secretariat").exists()
    assert Membership.objects.filter(user__username="officer", party__slug="nhs-england", role="officer").exists()


def test_a_second_run_keeps_the_data(mou, settings):
    settings.DEMO_PASSWORD = "a-demo-password-1"
    call_command("load_demo")
    counts = (Action.objects.count(), StatusUpdate.objects.count())
    call_command("load_demo")
    assert (Action.objects.count(), StatusUpdate.objects.count()) == counts


def test_without_a_password_one_is_generated_and_printed(mou, settings, capsys):
    settings.DEMO_PASSWORD = ""
    call_command("load_demo", accounts_only=True)
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("Demo password: "))
    password = line.removeprefix("Demo password: ")
    assert len(password) >= 12 and authenticate(username="officer", password=password) is not None


def test_the_partner_is_api_only_no_password_and_a_working_key(mou, settings):
    # An earlier run (before issue 11) may have left the partner a password: the next run removes it.
    partner = get_user_model().objects.create_user("partner", password="a-demo-password-1")
    settings.DEMO_PASSWORD = "a-demo-password-1"
    call_command("load_demo", accounts_only=True, stderr=io.StringIO())

    partner.refresh_from_db()
    assert not partner.has_usable_password()
    assert authenticate(username="partner", password="a-demo-password-1") is None
    assert authenticate(username="officer", password="a-demo-password-1") is not None
    # The real sign-in form refuses it, even with DEMO_PASSWORD, and logs the failed attempt.
    browser = Client()
    response = browser.post("/accounts/login/", {"username": "partner", "password": "a-demo-password-1"})
    assert response.status_code == 200 and "govuk-error-summary" in response.content.decode()
    assert SESSION_KEY not in browser.session
    assert SignInEvent.objects.filter(username="partner").values_list("kind", flat=True).get() == "failure"
    assert browser.get("/my-work/").status_code == 302  # still signed out

    # The API is its way in: a key from create_api_token works.
    out = io.StringIO()
    call_command("create_api_token", "partner", stdout=out, stderr=io.StringIO())
    api = token_client(out.getvalue().strip())
    response = api.get("/api/v1/commitments/")
    assert response.status_code == 200 and response.json()["results"]
    assert token_client("not-a-key").get("/api/v1/commitments/").status_code == 401
