"""load_demo: demo accounts for every role, illustrative data marked as such, safe to re-run."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from boards.models import Membership
from commitments.models import Action, Obligation, StatusUpdate

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
    for username in ("officer", "secretariat", "viewer", "admin", "partner"):
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
