"""Fixtures for the finance pages, figures, dashboard section and papers: a small world whose
every figure is known (``money``) and a builder of N lines and disposals for query counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from boards.models import Board, Party
from commitments.models import Commitment
from finance.models import CapitalBudget, CapitalBudgetQuarter, Disposal, FinanceUpdate, FundingLine, FundingStream
from pilots.models import Borough, Pilot, SubRegion

from ..factories import BoardFactory, BoroughFactory, CommitmentFactory, PartyFactory, PilotFactory, SubRegionFactory

POUND = 100  # pence


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@dataclass
class Money:
    """The known world: two sub-regions (North Central, South East), a pilot, two parties, the
    transformation stream (allocation £120m) with three lines, one of them flagged (committed above
    allocated), a capital stream with no allocation and one flagged line (spent above committed),
    a 2018/19 capital budget whose profile does not add up, and three disposals."""

    ncl: SubRegion
    sel: SubRegion
    camden: Borough
    lewisham: Borough
    pilot: Pilot
    trust: Party
    gla: Party
    leb: Board
    com08: Commitment
    stream: FundingStream
    capital: FundingStream
    lines: list[FundingLine]
    budget: CapitalBudget
    disposals: list[Disposal]


@pytest.fixture
def money(db: Any) -> Money:
    ncl = SubRegionFactory(slug="north-central-london", name="North Central London")
    sel = SubRegionFactory(slug="south-east-london", name="South East London")
    camden = BoroughFactory(slug="camden", name="Camden", sub_region=ncl)
    lewisham = BoroughFactory(slug="lewisham", name="Lewisham", sub_region=sel)
    pilot = PilotFactory(slug="north-central-london-estates", name="North Central London estates pilot", sub_region=ncl)
    trust = PartyFactory(slug="royal-free", name="Royal Free London NHS Foundation Trust", type=Party.Type.NHS_LOCAL)
    gla = PartyFactory(slug="gla", name="Greater London Authority")
    leb = BoardFactory(code="LEB", slug="london-estates-board", name="London Estates Board", is_mou_board=True)
    com08 = CommitmentFactory(ref="COM-08", title="Delegate London's share of transformation funding (circa £120m) from April 2018")
    stream = FundingStream.objects.create(
        slug="transformation-funding",
        name="Transformation funding",
        kind=FundingStream.Kind.TRANSFORMATION,
        allocation_pence=120_000_000 * POUND,
        allocation_source='COM-08: "circa £120 million"',
    )
    stream.commitments.add(com08)
    capital = FundingStream.objects.create(slug="capital-programme", name="Capital programme", kind=FundingStream.Kind.CAPITAL, keeper=leb)
    lines = [
        # consistent
        FundingLine.objects.create(
            stream=stream,
            description="North Central London integrated care",
            sub_region=ncl,
            pilot=pilot,
            party=gla,
            financial_year=2018,
            allocated_pence=10_000_000 * POUND,
            committed_pence=8_000_000 * POUND,
            spent_pence=5_000_000 * POUND,
        ),
        # flagged: committed above allocated
        FundingLine.objects.create(
            stream=stream,
            description="South East London urgent care",
            sub_region=sel,
            financial_year=2018,
            quarter=2,
            allocated_pence=2_000_000 * POUND,
            committed_pence=2_500_000 * POUND + 50,
            spent_pence=1_000_000 * POUND,
        ),
        # London-wide, consistent
        FundingLine.objects.create(
            stream=stream,
            description="London-wide digital",
            financial_year=2019,
            allocated_pence=1_000_000 * POUND,
            committed_pence=0,
            spent_pence=0,
        ),
        # flagged: spent above committed
        FundingLine.objects.create(
            stream=capital,
            description="Camden health centre",
            sub_region=ncl,
            party=trust,
            financial_year=2018,
            allocated_pence=500_000 * POUND,
            committed_pence=400_000 * POUND,
            spent_pence=450_000 * POUND,
        ),
    ]
    lines[0].commitments.add(com08)
    budget = CapitalBudget.objects.create(
        financial_year=2018, amount_pence=40_000_000 * POUND, retained_receipts_pence=10_000_000 * POUND, keeper=leb
    )
    for quarter, planned, spent in ((1, 10, 9), (2, 15, 16), (3, 15, 0), (4, 5, 0)):  # £45m profiled of £50m; Q2 overspent
        CapitalBudgetQuarter.objects.create(
            budget=budget, quarter=quarter, planned_pence=planned * 1_000_000 * POUND, spent_pence=spent * 1_000_000 * POUND
        )
    CapitalBudget.objects.create(financial_year=2019, amount_pence=1_000 * POUND)  # no profile yet: not flagged
    disposals = [
        Disposal.objects.create(
            site="St Pancras Hospital (part)",
            borough=camden,
            sub_region=ncl,
            owner=trust,
            status=Disposal.Status.COMPLETED,
            expected_receipt_pence=20_000_000 * POUND,
            actual_receipt_pence=22_000_000 * POUND,
            retained_share_percent=100,
            recommendation="Reinvest in the Camden health centre.",
            recommended_by=leb,
            recommended_on=dt.date(2018, 3, 1),
            decision="Agreed.",
            decided_on=dt.date(2018, 4, 1),
            completed_on=dt.date(2018, 9, 30),
        ),
        Disposal.objects.create(
            site="Lewisham clinic",
            borough=lewisham,
            sub_region=sel,
            owner=trust,
            status=Disposal.Status.ON_MARKET,
            expected_receipt_pence=3_000_001,  # £30,000.01
            retained_share_percent=50,
        ),
        Disposal.objects.create(
            site="Withdrawn site",
            borough=lewisham,
            sub_region=sel,
            owner=trust,
            status=Disposal.Status.WITHDRAWN,
            expected_receipt_pence=9_999 * POUND,
            retained_share_percent=100,
        ),
    ]
    FinanceUpdate.objects.create(
        line=lines[1],
        source=FinanceUpdate.Source.WEB,
        changes={"committed_pence": [2_000_000 * POUND, 2_500_000 * POUND + 50]},
        reason="The urgent care contract was let above its allocation.",
        version=2,
    )
    FinanceUpdate.objects.create(
        disposal=disposals[0],
        source=FinanceUpdate.Source.IMPORT,
        changes={"status": ["under_offer", "completed"]},
        reason="Sale completed.",
        version=2,
    )
    return Money(ncl, sel, camden, lewisham, pilot, trust, gla, leb, com08, stream, capital, lines, budget, disposals)


@pytest.fixture
def grow_finance(money: Money) -> Callable[[int], None]:
    """Add ``n`` funding lines (every other one flagged) and ``n`` disposals."""

    def grow(n: int) -> None:
        start = FundingLine.objects.count()
        FundingLine.objects.bulk_create(
            FundingLine(
                stream=money.stream,
                description=f"Grown line {start + i}",
                sub_region=money.ncl if i % 2 else money.sel,
                pilot=money.pilot if i % 3 == 0 else None,
                financial_year=2018 + i % 3,
                allocated_pence=1000,
                committed_pence=1000 + (i % 2),
                spent_pence=500,
            )
            for i in range(n)
        )
        Disposal.objects.bulk_create(
            Disposal(
                site=f"Grown site {start + i}",
                borough=money.camden,
                sub_region=money.ncl,
                owner=money.trust,
                status=Disposal.Status.PROPOSED,
                expected_receipt_pence=100_000,
                retained_share_percent=100,
            )
            for i in range(n)
        )

    return grow
