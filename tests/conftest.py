"""Shared fixtures: named personas per role (DESIGN.md §10), API clients, and a real browser.

Personas: ``officer`` (officer of party A, which owes ``obligation``), ``other_officer`` (officer of
party B), ``secretary`` (secretariat of the board that leads ``commitment``), ``viewer``, ``admin``,
and ``partner`` (an API-only user), with ``read_token`` / ``write_token`` keys.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from boards.models import ApiToken, Membership

from .factories import (
    BoardFactory,
    CommitmentFactory,
    MembershipFactory,
    ObligationFactory,
    PartyFactory,
    UserFactory,
)

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run inside
# one unless told that this is deliberate (ENV.md §5).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """``@pytest.mark.postgresql(reason=...)``: a test that needs PostgreSQL itself (transaction
    ids, row locks, a server another process reaches). It must say why; on SQLite it is skipped
    with that reason (the SQLite pass of scripts/test.sh deselects it with ``-m "not postgresql"``)."""
    from django.db import connection

    for item in items:
        marker = item.get_closest_marker("postgresql")
        if marker is None:
            continue
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
        if not reason:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.postgresql needs a reason")
        if connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason=f"PostgreSQL only: {reason}"))


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}}


@pytest.fixture
def party_a(db: Any) -> Any:
    return PartyFactory(slug="party-a", name="Party A")


@pytest.fixture
def party_b(db: Any) -> Any:
    return PartyFactory(slug="party-b", name="Party B")


@pytest.fixture
def board(db: Any) -> Any:
    return BoardFactory(
        code="SPB", slug="strategic-partnership-board", name="London Health and Care Strategic Partnership Board", is_mou_board=True
    )


@pytest.fixture
def commitment(board: Any) -> Any:
    return CommitmentFactory(ref="TST-001", lead_board=board)


@pytest.fixture
def obligation(commitment: Any, party_a: Any) -> Any:
    return ObligationFactory(commitment=commitment, party=party_a)


@pytest.fixture
def other_obligation(commitment: Any, party_b: Any) -> Any:
    return ObligationFactory(commitment=commitment, party=party_b)


@pytest.fixture
def officer(party_a: Any) -> Any:
    user = UserFactory(username="alice", first_name="Alice", last_name="Officer")
    MembershipFactory(user=user, party=party_a, role=Membership.Role.OFFICER)
    return user


@pytest.fixture
def other_officer(party_b: Any) -> Any:
    user = UserFactory(username="bob", first_name="Bob", last_name="Other")
    MembershipFactory(user=user, party=party_b, role=Membership.Role.OFFICER)
    return user


@pytest.fixture
def secretary(board: Any) -> Any:
    user = UserFactory(username="sam", first_name="Sam", last_name="Secretariat")
    MembershipFactory(user=user, party=None, board=board, role=Membership.Role.SECRETARIAT)
    return user


@pytest.fixture
def viewer(db: Any) -> Any:
    user = UserFactory(username="vera", first_name="Vera", last_name="Viewer")
    user.groups.add(Group.objects.get_or_create(name="viewers")[0])
    return user


@pytest.fixture
def admin_user(db: Any) -> Any:
    user = UserFactory(username="ada", first_name="Ada", last_name="Admin", is_staff=True, is_superuser=True)
    return user


@pytest.fixture
def partner(party_a: Any) -> Any:
    """An API-only account acting for party A (an officer membership, no browser use)."""
    user = UserFactory(username="partner", first_name="Partner", last_name="System")
    MembershipFactory(user=user, party=party_a, role=Membership.Role.OFFICER)
    return user


@pytest.fixture
def write_token(partner: Any) -> str:
    return ApiToken.issue(user=partner, scope=ApiToken.Scope.WRITE)[1]


@pytest.fixture
def read_token(partner: Any) -> str:
    return ApiToken.issue(user=partner, scope=ApiToken.Scope.READ)[1]


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never `playwright install`: no downloads here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--disable-gpu", "--disable-quic", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/London")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def sign_in(page: Any, live_server: Any, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real form."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """WCAG 2.2 A/AA violations axe-core finds on the current page (empty list: none)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
    return [
        {"id": v["id"], "impact": v.get("impact"), "nodes": [n.get("target") for n in v.get("nodes", [])][:5]}
        for v in results.response.get("violations", [])
    ]
