"""Illustrative money and estates for the quick start (issue 16, "Done when").

The sources give one figure: London's share of transformation funding, "circa £120 million"
(COM-08). The transformation funding stream takes that allocation from the commitment as loaded
(its ``amount``, its first citation), and says so in ``allocation_source``; everything else here
(the stream's lines, a capital programme, two years' capital budgets and their profiles, disposals
of NHS sites, their receipts, recommendations and decisions) is invented to show the pages,
dashboard and papers working, and is marked as demo data (``is_demo``). One line and one budget do
not add up on purpose, so the flags have something to show.

Every record is written with a history row (source "demo") and a change-log entry, as the
services write them. Loading is idempotent: each record has a natural key (a stream's slug, a
line's stream and description, a budget's year, a disposal's site) and one already there is left
alone, so re-running the quick start loads nothing twice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from boards.models import Board, Party
from commitments import changes
from commitments.models import Change, Commitment
from pilots.models import Borough, Pilot, SubRegion

from .models import CapitalBudget, CapitalBudgetQuarter, Disposal, FinanceUpdate, FundingLine, FundingStream
from .money import pounds_text

TRANSFORMATION_REF = "COM-08"
TRANSFORMATION_SLUG = "transformation-funding"
CAPITAL_SLUG = "london-capital-programme-demo"
DEMO_REASON = "Demo data: illustrative figures for the quick start."

_MILLION = re.compile(r"£\s*(\d+(?:\.\d+)?)\s*(million|m|bn|billion)\b", re.IGNORECASE)


class SourceFigureMissing(ValueError):
    """The commitment whose figure the transformation stream's allocation is taken from is not loaded."""


def pence_from_source(text: str) -> int:
    """Pence from a source's amount as it writes it: "circa £120 million" → 12_000_000_000."""
    match = _MILLION.search(text or "")
    if match is None:
        raise SourceFigureMissing(f"No amount in millions in {text!r}.")
    number, unit = match.groups()
    scale = 1_000_000_000 if unit.lower() in ("bn", "billion") else 1_000_000
    whole, _, fraction = number.partition(".")
    pounds = int(whole) * scale + (int(fraction) * scale // 10 ** len(fraction) if fraction else 0)
    return pounds * 100


def transformation_allocation() -> tuple[Commitment, int, str]:
    """COM-08, its allocation in pence and the sentence that says where it comes from."""
    commitment = Commitment.objects.filter(ref=TRANSFORMATION_REF).prefetch_related("citations").first()
    if commitment is None or not commitment.amount:
        raise SourceFigureMissing(f"{TRANSFORMATION_REF} and its amount are not loaded: run manage.py load_mou first.")
    pence = pence_from_source(commitment.amount)
    citation = min(commitment.citations.all(), key=lambda c: (c.order, c.pk), default=None)
    quoted = ""
    if citation is not None:
        where = ", ".join(
            part
            for part in (citation.publisher, f"‘{citation.document_title}’" if citation.document_title else "", citation.location)
            if part
        )
        quoted = f" The source: “{citation.quote}” ({where}{', ' + citation.document_date_text if citation.document_date else ''})."
    source = (
        f"{commitment.ref}, “{commitment.title}”: the MoU gives London's share of transformation funding as "
        f"“{commitment.amount}”, so the allocation is that figure (£{pounds_text(pence)}), approximate as the source says.{quoted}"
    )
    return commitment, pence, source


@dataclass(frozen=True)
class LinePlan:
    stream: str
    description: str
    year: int
    allocated: int  # pounds
    committed: int
    spent: int
    sub_region: str = ""
    pilot: str = ""
    party: str = ""
    quarter: int | None = None
    funds: tuple[str, ...] = ()


M = 1_000_000
LINES = [
    LinePlan(
        TRANSFORMATION_SLUG,
        "North Central London: estates and integrated care",
        2018,
        14 * M,
        12 * M,
        7 * M,
        "north-central-london",
        "ncl-estates",
        funds=(TRANSFORMATION_REF,),
    ),
    LinePlan(
        TRANSFORMATION_SLUG,
        "North East London: Hackney integrated commissioning",
        2018,
        12 * M,
        10 * M,
        6 * M,
        "north-east-london",
        "hackney-integration",
        funds=(TRANSFORMATION_REF,),
    ),
    LinePlan(
        TRANSFORMATION_SLUG,
        "North East London: Barking, Havering and Redbridge accountable care",
        2018,
        11 * M,
        9 * M,
        4 * M,
        "north-east-london",
        "bhr-integration",
        funds=(TRANSFORMATION_REF,),
    ),
    LinePlan(
        TRANSFORMATION_SLUG,
        "South East London: Lewisham integration",
        2018,
        10 * M,
        8 * M,
        5 * M,
        "south-east-london",
        "lewisham-integration",
        funds=(TRANSFORMATION_REF,),
    ),
    LinePlan(
        TRANSFORMATION_SLUG,
        "North West London: out-of-hospital care",
        2018,
        13 * M,
        11 * M,
        6 * M,
        "north-west-london",
        funds=(TRANSFORMATION_REF,),
    ),
    # Does not add up on purpose: committed above allocated (flagged).
    LinePlan(
        TRANSFORMATION_SLUG,
        "South West London: urgent and emergency care",
        2018,
        9 * M,
        9 * M + 750_000,
        5 * M,
        "south-west-london",
        quarter=3,
        funds=(TRANSFORMATION_REF,),
    ),
    LinePlan(
        TRANSFORMATION_SLUG,
        "Haringey: prevention and work and health",
        2019,
        4 * M,
        2 * M,
        500_000,
        "north-central-london",
        "haringey-prevention",
        funds=(TRANSFORMATION_REF,),
    ),
    LinePlan(
        TRANSFORMATION_SLUG,
        "London-wide: digital and data sharing",
        2019,
        8 * M,
        3 * M,
        1 * M,
        party="healthy-london-partnership",
        funds=(TRANSFORMATION_REF,),
    ),
    LinePlan(
        CAPITAL_SLUG,
        "Primary care hubs in North Central London",
        2018,
        6 * M,
        5 * M,
        3 * M,
        "north-central-london",
        "ncl-estates",
        party="nhs-property-services",
    ),
    # Does not add up on purpose: spent above committed (flagged).
    LinePlan(
        CAPITAL_SLUG,
        "Community diagnostic centre in South East London",
        2019,
        4 * M,
        3 * M,
        3 * M + 200_000,
        "south-east-london",
        party="community-health-partnerships",
    ),
]


@dataclass(frozen=True)
class DisposalPlan:
    site: str
    borough: str
    owner: str
    status: str
    expected: int | None  # pounds
    actual: int | None = None
    retained: int | None = 100
    recommendation: str = ""
    recommended_by: str = ""
    recommended_days_ago: int | None = None
    decision: str = ""
    decided_days_ago: int | None = None
    completed_days_ago: int | None = None


DISPOSALS = [
    DisposalPlan(
        "Former nurses' home, Camden (demo)",
        "camden",
        "nhs-property-services",
        Disposal.Status.COMPLETED,
        18 * M,
        19_250_000,
        100,
        "Reinvest the receipt in the North Central London primary care hubs.",
        "LEB",
        400,
        "Agreed by the London Estates Board.",
        380,
        200,
    ),
    DisposalPlan(
        "Surplus clinic site, Haringey (demo)",
        "haringey",
        "community-health-partnerships",
        Disposal.Status.UNDER_OFFER,
        7_500_000,
        None,
        100,
        "Ring-fence for the Haringey prevention pilot's estate needs.",
        "LEB",
        90,
    ),
    DisposalPlan("Old health centre, Lewisham (demo)", "lewisham", "nhs-providers", Disposal.Status.ON_MARKET, 4_200_000, None, 50),
    DisposalPlan(
        "Vacant ward block, Hackney (demo)",
        "hackney",
        "nhs-providers",
        Disposal.Status.APPROVED,
        11 * M,
        None,
        100,
        "Use the receipt for mental health facilities in North East London.",
        "LEB",
        45,
        "Approved for disposal; use of the receipt to be decided on sale.",
        30,
    ),
    DisposalPlan("Administrative offices, Ealing (demo)", "ealing", "nhs-property-services", Disposal.Status.PROPOSED, None, None, None),
    DisposalPlan("Car park land, Croydon (demo)", "croydon", "nhs-providers", Disposal.Status.WITHDRAWN, 2_500_000, None, 100),
]


def _record(obj: Any, target: str, values: dict[str, Any], now: dt.datetime) -> None:
    """The history row (source "demo") and change-log entry of a record the demo created."""
    FinanceUpdate.objects.create(
        **{target: obj},
        source=FinanceUpdate.Source.DEMO,
        created=True,
        created_at=now,
        changes={k: [None, v] for k, v in values.items() if v not in (None, "", [])},
        reason=DEMO_REASON,
        version=obj.version,
    )
    changes.record(obj, Change.Op.CREATE)


def _by(model: Any, field: str) -> Callable[[str], Any]:
    cache: dict[str, Any] = {}

    def get(key: str) -> Any:
        if not key:
            return None
        if key not in cache:
            cache[key] = model.objects.filter(**{field: key}).first()
        return cache[key]

    return get


@transaction.atomic
def load_finance_demo(*, today: dt.date | None = None) -> dict[str, int]:
    """Create, once, the demo's funding streams, lines, capital budgets and disposals. Returns how
    many of each were created now (all zero on a second run). Raises
    :class:`SourceFigureMissing` when COM-08 is not loaded (the allocation comes from it)."""
    today = today or timezone.localdate()
    now = timezone.now()
    counts = {"funding_streams": 0, "funding_lines": 0, "capital_budgets": 0, "disposals": 0}
    com08, allocation, source = transformation_allocation()
    board = _by(Board, "code")
    party = _by(Party, "slug")
    pilot = _by(Pilot, "slug")
    borough = _by(Borough, "slug")
    sub_region = _by(SubRegion, "slug")

    streams: dict[str, FundingStream] = {}
    for slug, defaults, funds in (
        (
            TRANSFORMATION_SLUG,
            {
                "name": "Transformation funding (London's delegated share)",
                "kind": FundingStream.Kind.TRANSFORMATION,
                "description": "London's share of transformation funding, delegated from April 2018 so that investment decisions are taken in London. "
                "Its lines are illustrative demo data; its allocation is the MoU's own figure.",
                "allocation_pence": allocation,
                "allocation_source": source,
                "keeper": board("SPB"),
            },
            [com08],
        ),
        (
            CAPITAL_SLUG,
            {
                "name": "London capital programme (illustrative)",
                "kind": FundingStream.Kind.CAPITAL,
                "description": "An illustrative capital programme funded in part by retained receipts from disposals of NHS sites.",
                "allocation_pence": None,
                "allocation_source": "",
                "keeper": board("LEB"),
            },
            list(Commitment.objects.filter(ref__in=["EST-01", "EST-02"])),
        ),
    ):
        stream = FundingStream.objects.filter(slug=slug).first()
        if stream is None:
            stream = FundingStream.objects.create(slug=slug, is_demo=True, created_at=now, **defaults)
            stream.commitments.set(funds)
            _record(
                stream,
                "stream",
                {
                    "name": stream.name,
                    "kind": stream.kind,
                    "allocation_pence": stream.allocation_pence,
                    "keeper": stream.keeper.code if stream.keeper else None,
                    "commitments": [c.ref for c in funds],
                },
                now,
            )
            counts["funding_streams"] += 1
        streams[slug] = stream

    for plan in LINES:
        stream = streams[plan.stream]
        if FundingLine.objects.filter(stream=stream, description=plan.description).exists():
            continue
        p = pilot(plan.pilot)
        line = FundingLine.objects.create(
            stream=stream,
            description=plan.description,
            financial_year=plan.year,
            quarter=plan.quarter,
            sub_region=sub_region(plan.sub_region),
            pilot=p,
            party=party(plan.party),
            allocated_pence=plan.allocated * 100,
            committed_pence=plan.committed * 100,
            spent_pence=plan.spent * 100,
            is_demo=True,
            created_at=now,
        )
        funded = list(Commitment.objects.filter(ref__in=plan.funds))
        line.commitments.set(funded)
        _record(
            line,
            "line",
            {
                "stream": stream.slug,
                "description": line.description,
                "financial_year": line.financial_year,
                "quarter": line.quarter,
                "sub_region": line.sub_region.slug if line.sub_region else None,
                "pilot": p.slug if p else None,
                "party": plan.party or None,
                "allocated_pence": line.allocated_pence,
                "committed_pence": line.committed_pence,
                "spent_pence": line.spent_pence,
                "commitments": [c.ref for c in funded],
            },
            now,
        )
        counts["funding_lines"] += 1

    # Two years' capital budgets: 2018/19's profile adds up; 2019/20's is short of the budget and
    # its second quarter is spent above its profile (both flagged).
    for year, amount, retained, profile, notes in (
        (
            2018,
            45 * M,
            12 * M,
            ((1, 12 * M, 11 * M), (2, 15 * M, 14 * M), (3, 15 * M, 15 * M), (4, 15 * M, 13 * M)),
            "Illustrative demo data.",
        ),
        (
            2019,
            50 * M,
            15 * M,
            ((1, 15 * M, 14 * M), (2, 15 * M, 16 * M), (3, 15 * M, 0), (4, 15 * M, 0)),
            "Illustrative demo data: the profile is still being agreed.",
        ),
    ):
        if CapitalBudget.objects.filter(financial_year=year).exists():
            continue
        budget = CapitalBudget.objects.create(
            financial_year=year,
            amount_pence=amount * 100,
            retained_receipts_pence=retained * 100,
            notes=notes,
            keeper=board("LEB"),
            is_demo=True,
            created_at=now,
        )
        CapitalBudgetQuarter.objects.bulk_create(
            CapitalBudgetQuarter(budget=budget, quarter=q, planned_pence=planned * 100, spent_pence=spent * 100)
            for q, planned, spent in profile
        )
        _record(
            budget,
            "budget",
            {
                "financial_year": year,
                "amount_pence": budget.amount_pence,
                "retained_receipts_pence": budget.retained_receipts_pence,
                "quarters": {f"Q{q}": {"planned": planned * 100, "spent": spent * 100} for q, planned, spent in profile},
            },
            now,
        )
        counts["capital_budgets"] += 1

    receipts_commitments = list(Commitment.objects.filter(ref="EST-02"))  # retaining and reinvesting receipts
    for d in DISPOSALS:
        if Disposal.objects.filter(site=d.site).exists():
            continue
        where = borough(d.borough)
        owner = party(d.owner)
        if where is None or where.sub_region is None or owner is None:
            continue  # the MoU data is not loaded as expected: leave this one out rather than guess
        disposal = Disposal.objects.create(
            site=d.site,
            borough=where,
            sub_region=where.sub_region,
            owner=owner,
            status=d.status,
            expected_receipt_pence=None if d.expected is None else d.expected * 100,
            actual_receipt_pence=None if d.actual is None else d.actual * 100,
            retained_share_percent=d.retained,
            recommendation=d.recommendation,
            recommended_by=board(d.recommended_by),
            recommended_on=None if d.recommended_days_ago is None else today - dt.timedelta(days=d.recommended_days_ago),
            decision=d.decision,
            decided_on=None if d.decided_days_ago is None else today - dt.timedelta(days=d.decided_days_ago),
            completed_on=None if d.completed_days_ago is None else today - dt.timedelta(days=d.completed_days_ago),
            is_demo=True,
            created_at=now,
        )
        disposal.commitments.set(receipts_commitments)
        _record(
            disposal,
            "disposal",
            {
                "site": disposal.site,
                "borough": where.slug,
                "sub_region": where.sub_region.slug,
                "owner": owner.slug,
                "status": disposal.status,
                "expected_receipt_pence": disposal.expected_receipt_pence,
                "actual_receipt_pence": disposal.actual_receipt_pence,
                "retained_share_percent": disposal.retained_share_percent,
                "recommendation": disposal.recommendation,
                "decision": disposal.decision,
                "commitments": [c.ref for c in receipts_commitments],
            },
            now,
        )
        counts["disposals"] += 1
    return counts
