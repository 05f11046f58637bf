"""Fixtures for the officer pages: signed-in clients per persona and builders of N rows, so query
counts can be compared between a few rows and many."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from commitments.models import Commitment, CommitmentPilot, Obligation, StatusUpdate

from ..factories import ActionFactory, CommitmentFactory, ObligationFactory, PartyFactory, PilotFactory, ThemeFactory


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def officer_client(officer: Any) -> Client:
    return client_for(officer)


@pytest.fixture
def secretary_client(secretary: Any) -> Client:
    return client_for(secretary)


@pytest.fixture
def viewer_client(viewer: Any) -> Client:
    return client_for(viewer)


def count_queries(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.fixture
def grow(board: Any, party_a: Any) -> Callable[[int], list[Commitment]]:
    """Add ``n`` commitments led by ``board``, each with an obligation of party A and another
    party, an action under each, a pilot link and an update: every kind of row a page lists."""
    theme = ThemeFactory(slug="grow-theme", name="Growing theme")
    pilot = PilotFactory(slug="grow-pilot", name="Growing pilot")
    made: list[Commitment] = []

    def add(n: int) -> list[Commitment]:
        start = len(made)
        for i in range(start, start + n):
            c = CommitmentFactory(
                ref=f"GRW-{i:03d}", theme=theme, lead_board=board, target_date=dt.date(2018, 3, 31), target_date_precision="month"
            )
            CommitmentPilot.objects.create(commitment=c, pilot=pilot)
            other = PartyFactory(slug=f"grow-party-{i}")
            for party in (party_a, other):
                o = ObligationFactory(commitment=c, party=party, due_date=dt.date.today() - dt.timedelta(days=i % 3))
                ActionFactory(obligation=o, due_date=dt.date.today() + dt.timedelta(days=i % 20 - 5))
                StatusUpdate.objects.create(
                    target_type="obligation",
                    commitment=c,
                    obligation=o,
                    party=party,
                    version=1,
                    note=f"Note {i}",
                    evidence=["https://example.org/e"],
                )
            made.append(c)
        return made

    return add


@pytest.fixture
def deepen(grow: Callable[[int], list[Commitment]]) -> Callable[[str, int], None]:
    """Give one commitment ``n`` more of everything its page lists: obligations (each with two
    actions and an update), citations, pilots, sub-items, clauses and links."""
    from commitments.models import Citation, Clause, CommitmentLink

    counter = {"n": 0}

    def add(ref: str, n: int) -> None:
        c = Commitment.objects.get(ref=ref)
        for _ in range(n):
            counter["n"] += 1
            i = counter["n"]
            party = PartyFactory(slug=f"deep-party-{i}")
            o = ObligationFactory(commitment=c, party=party)
            for _ in range(2):
                a = ActionFactory(obligation=o)
                StatusUpdate.objects.create(
                    target_type="action", commitment=c, obligation=o, action=a, party=party, version=1, note=f"Action note {i}"
                )
            StatusUpdate.objects.create(target_type="obligation", commitment=c, obligation=o, party=party, version=1, note=f"Deep note {i}")
            Citation.objects.create(commitment=c, document="devolution-mou-2017.md", lines=str(i), quote=f"Quote {i}", order=i)
            CommitmentPilot.objects.create(commitment=c, pilot=PilotFactory(slug=f"deep-pilot-{i}"))
            child = CommitmentFactory(ref=f"DEEP-{i:03d}", parent=c)
            CommitmentLink.objects.create(source=c, target=child, kind="related")
            CommitmentLink.objects.create(source=child, target=c, kind="followed_up_by")
            clause = Clause.objects.create(agreement=c.agreement, key=f"cl-{i}", kind="commitment", summary=f"Clause {i}")
            clause.commitments.add(c)

    return add


def obligation_of(commitment: Commitment, party: Any) -> Obligation:
    return Obligation.objects.get(commitment=commitment, party=party)


@pytest.fixture(scope="session")
def built_css() -> None:
    """Pages need the compiled stylesheet for a realistic accessibility run (contrast, focus);
    fail, never skip, when it has not been built."""
    from pathlib import Path

    from django.conf import settings

    css = Path(settings.BASE_DIR) / "static" / "build" / "app.css"
    if not css.exists():
        pytest.fail(f"{css} is missing: run `npm ci && npm run build` in the repository root first.", pytrace=False)
