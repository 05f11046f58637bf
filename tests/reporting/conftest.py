"""Fixtures for the dashboard and report tests: a small generated dataset whose every figure is
known, a builder of N commitments for query counts, and the six real theme names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from boards.models import Board, Membership
from commitments.models import Agreement, Commitment, CommitmentPilot, Escalation, Obligation, StatusUpdate, Theme

from ..factories import (
    ActionFactory,
    AgreementFactory,
    BoardFactory,
    CommitmentFactory,
    MeetingFactory,
    MembershipFactory,
    ObligationFactory,
    PartyFactory,
    PilotFactory,
    ThemeFactory,
    UserFactory,
)

LONDON = ZoneInfo("Europe/London")
# The six themes as the inventory spells them (DESIGN.md §3).
THEME_NAMES = [
    "Capital and estates",
    "Integration - commissioning and payments",
    "Integration - regulation",
    "Workforce and skills",
    "Prevention",
    "Governance and delivery",
]


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    """Noon (by default) on a London day, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


@pytest.fixture
def themes(db: Any) -> list[Theme]:
    """The six real themes, in the inventory's order."""
    prefixes = ["EST", "COM", "REG", "WFS", "PRV", "GOV"]
    return [
        ThemeFactory(slug=name.lower().replace(" - ", "-").replace(" ", "-"), name=name, ref_prefix=p, order=i)
        for i, (name, p) in enumerate(zip(THEME_NAMES, prefixes, strict=True))
    ]


@dataclass
class Dataset:
    """A generated dataset with known figures (see :func:`dataset`)."""

    today: dt.date
    themes: list[Theme]
    spb: Board
    leb: Board
    mou: Agreement
    undertakings: Agreement
    commitments: dict[str, Commitment]
    obligations: dict[str, Obligation]
    actions: dict[str, Any]
    party_a: Any
    party_b: Any
    owner: Any
    pilot: Any


@pytest.fixture
def dataset(themes: list[Theme], board: Board, party_a: Any, party_b: Any) -> Dataset:
    """Four MoU commitments and one outside the default agreements, with obligations and actions
    whose RAG, status and due dates give known figures as of ``today`` (the real London day).

    Commitments (shown state):
      EST-01 theme 1, SPB, assessed red / in progress, in the pilot
      EST-02 theme 1, SPB, roll-up amber
      COM-01 theme 2, LEB, roll-up green / complete
      COM-02 theme 2, no lead board, not assessed
      UND-01 theme 1, LEB, red, London Councils' undertakings (not shown by default)
    Themes 3-6 have no commitment at all.
    Obligations (own state; due dates relative to today):
      o_late   EST-01 party A, red, due today-10, open            -> overdue 10 days
      o_today  EST-02 party A, amber, due today, open             -> not overdue, due in 30
      o_done   COM-01 party B, green, due today-30, complete      -> not overdue
      o_45     COM-02 party B, not assessed, due today+45, open   -> due in 60 and 90
    Actions:
      a_late   under o_late, due today-40, open, escalation step 3 -> overdue 40 days
      a_20     under o_today, due today+20, open                  -> due in 30, 60, 90
      a_80     under o_45, due today+80, open                     -> due in 90
      a_100    under o_45, due today+100, open                    -> in no window
      a_done   under o_done, due today-5, complete                -> not overdue
    """
    today = timezone.localdate()
    leb = BoardFactory(code="LEB", slug="leb", name="London Estates Board", is_mou_board=True)
    mou = AgreementFactory()
    und = AgreementFactory(
        slug="lc-undertakings",
        name="London Councils' undertakings",
        short_name="LC undertakings",
        kind=Agreement.Kind.UNDERTAKINGS,
        in_dashboards_by_default=False,
    )
    owner = UserFactory(username="olu", first_name="Olu", last_name="Owner")
    pilot = PilotFactory(slug="ncl-estates", name="North Central London estates pilot")
    t1, t2 = themes[0], themes[1]
    c = {
        "EST-01": CommitmentFactory(
            ref="EST-01",
            theme=t1,
            lead_board=board,
            agreement=mou,
            status="in_progress",
            rag="red",
            progress=40,
            assessed_at=timezone.now(),
        ),
        "EST-02": CommitmentFactory(
            ref="EST-02", theme=t1, lead_board=board, agreement=mou, rollup_status="in_progress", rollup_rag="amber", rollup_progress=50
        ),
        "COM-01": CommitmentFactory(
            ref="COM-01", theme=t2, lead_board=leb, agreement=mou, rollup_status="complete", rollup_rag="green", rollup_progress=100
        ),
        "COM-02": CommitmentFactory(ref="COM-02", theme=t2, lead_board=None, agreement=mou),
        "UND-01": CommitmentFactory(ref="UND-01", theme=t1, lead_board=leb, agreement=und, rollup_rag="red", rollup_status="in_progress"),
    }
    CommitmentPilot.objects.create(commitment=c["EST-01"], pilot=pilot)
    d = dt.timedelta
    o = {
        "late": ObligationFactory(
            commitment=c["EST-01"], party=party_a, rag="red", status="in_progress", due_date=today - d(10), owner=owner, escalation_level=2
        ),
        "today": ObligationFactory(commitment=c["EST-02"], party=party_a, rag="amber", status="in_progress", due_date=today),
        "done": ObligationFactory(
            commitment=c["COM-01"], party=party_b, rag="green", status="complete", progress=100, due_date=today - d(30)
        ),
        "45": ObligationFactory(commitment=c["COM-02"], party=party_b, rag="", due_date=today + d(45)),
        "und": ObligationFactory(commitment=c["UND-01"], party=party_b, rag="red", status="in_progress", due_date=today - d(3)),
    }
    a = {
        "late": ActionFactory(
            obligation=o["late"],
            description="Publish the estates strategy",
            due_date=today - d(40),
            owner=owner,
            escalation_level=3,
            status="in_progress",
        ),
        "20": ActionFactory(obligation=o["today"], description="Agree the payment model", due_date=today + d(20)),
        "80": ActionFactory(obligation=o["45"], description="Hold the workshop", due_date=today + d(80)),
        "100": ActionFactory(obligation=o["45"], description="Report back", due_date=today + d(100)),
        "done": ActionFactory(
            obligation=o["done"], description="Sign the agreement", due_date=today - d(5), status="complete", completed_date=today - d(6)
        ),
    }
    return Dataset(today, themes, board, leb, mou, und, c, o, a, party_a, party_b, owner, pilot)


@pytest.fixture
def grow(themes: list[Theme], board: Board) -> Callable[[int], None]:
    """Add ``n`` commitments with every kind of row a dashboard reads: an obligation of a new
    party, an overdue action, an action due soon, a pilot link and updates inside the trend
    windows (a RAG change and a re-dating)."""
    AgreementFactory()
    pilot = PilotFactory(slug="grow-pilot", name="Growing pilot")
    today = timezone.localdate()
    made = [0]

    def add(n: int) -> None:
        for i in range(made[0], made[0] + n):
            c = CommitmentFactory(
                ref=f"GRW-{i:03d}", theme=themes[i % 6], lead_board=board, rollup_rag=["red", "amber", "green", ""][i % 4]
            )
            CommitmentPilot.objects.create(commitment=c, pilot=pilot)
            o = ObligationFactory(
                commitment=c, party=PartyFactory(slug=f"grow-party-{i}"), rag="green", due_date=today - dt.timedelta(days=5 + i % 20)
            )
            late = ActionFactory(obligation=o, due_date=today - dt.timedelta(days=3), owner=UserFactory(username=f"grow-owner-{i}"))
            ActionFactory(obligation=o, due_date=today + dt.timedelta(days=10))
            StatusUpdate.objects.create(
                target_type="obligation",
                commitment=c,
                obligation=o,
                party=o.party,
                version=2,
                from_status="in_progress",
                to_status="in_progress",
                from_rag="amber",
                to_rag="green",
                from_due_date=o.due_date,
                to_due_date=o.due_date,
                created_at=timezone.now() - dt.timedelta(days=40),
            )
            StatusUpdate.objects.create(
                target_type="action",
                commitment=c,
                obligation=o,
                action=late,
                party=o.party,
                version=2,
                from_status="not_started",
                to_status="not_started",
                from_due_date=today + dt.timedelta(days=5),
                to_due_date=late.due_date,
                created_at=timezone.now() - dt.timedelta(days=2),
            )
        made[0] += n

    return add


@pytest.fixture
def lc_board(db: Any) -> Board:
    return BoardFactory(code="LC", slug="leaders-committee", name="London Councils' Leaders' Committee", kind=Board.Kind.COMMITTEE)


@pytest.fixture
def lc_secretariat(lc_board: Board) -> Any:
    """London Councils' secretariat: the Leaders' Committee's, who manage the reporting periods."""
    user = UserFactory(username="lc.secretariat")
    MembershipFactory(user=user, role=Membership.Role.SECRETARIAT, board=lc_board, party=None)
    return user


@pytest.fixture
def lc_meeting(lc_board: Board) -> Any:
    return MeetingFactory(
        board=lc_board,
        date=timezone.localdate() + dt.timedelta(days=14),
        title="Health and care devolution: delivery of the MoU commitments",
        item_number="8",
        report_by="Strategic Lead for Health and Adult Social Care",
        contact="Clive Grimshaw",
    )


@pytest.fixture
def escalated(dataset: Dataset) -> Escalation:
    """The late action, escalated to Leaders' Committee (step 3) and not yet resolved."""
    action = dataset.actions["late"]
    return Escalation.objects.create(
        target_type="action",
        action=action,
        obligation=action.obligation,
        commitment=action.obligation.commitment,
        step=Escalation.Step.COMMITTEE,
        overdue_since=action.due_date + dt.timedelta(days=1),
    )
