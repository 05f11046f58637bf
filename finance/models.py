"""Money and estates as figures (issue 16): funding streams and their lines (allocated, committed,
spent), a year's capital budget with its quarterly spending profile, and disposals of NHS sites
with their receipts. Amounts are whole pence (``BigIntegerField``), never floats
(:mod:`finance.money` reads and writes them). Every change goes through :mod:`finance.services`,
which writes a :class:`FinanceUpdate` history row with its reason, bumps ``version`` and records
the change log, as the tracked items do. Totals that do not add up are flagged
(:attr:`FundingLine.flags`, :attr:`CapitalBudget.flags`), never silently accepted or refused.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from boards.models import Board, Party
from commitments.models import Commitment
from pilots.models import Borough, Pilot, SubRegion

QUARTERS = [(1, "Q1 (April to June)"), (2, "Q2 (July to September)"), (3, "Q3 (October to December)"), (4, "Q4 (January to March)")]


def year_label(financial_year: int) -> str:
    """2018 → "2018/19" (UK public sector years run April to March)."""
    return f"{financial_year}/{(financial_year + 1) % 100:02d}"


class Versioned(models.Model):
    """What every finance record carries: a version for optimistic locking, whether it is the quick
    start's illustrative demo data, and when it was made and changed."""

    version = models.PositiveIntegerField(default=1)
    is_demo = models.BooleanField(default=False, help_text="Illustrative demo data, not from the sources.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


def _non_negative(prefix: str, *fields: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(condition=Q(**{f"{f}__gte": 0}) | Q(**{f"{f}__isnull": True}), name=f"{prefix}_{f}_not_negative")
        for f in fields
    ]


class FundingStream(Versioned):
    """A source of money: London's delegated share of transformation funding (COM-08, "circa £120
    million"), a capital programme, a grant. ``allocation_pence`` is the stream's whole allocation
    where a source gives one, and ``allocation_source`` says which; its lines break it down."""

    class Kind(models.TextChoices):
        TRANSFORMATION = "transformation", "Transformation funding"
        CAPITAL = "capital", "Capital"
        REVENUE = "revenue", "Revenue"
        OTHER = "other", "Other"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=15, choices=Kind.choices)
    description = models.TextField(blank=True)
    allocation_pence = models.BigIntegerField(null=True, blank=True, help_text="The whole allocation, in pence.")
    allocation_source = models.TextField(blank=True, help_text="Where the allocation's figure comes from.")
    keeper = models.ForeignKey(
        Board,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="funding_streams",
        help_text="The board whose secretariat keeps it.",
    )
    commitments = models.ManyToManyField(Commitment, blank=True, related_name="funding_streams")

    class Meta:
        ordering = ["name"]
        constraints = [*_non_negative("funding_stream", "allocation_pence")]

    def __str__(self) -> str:
        return self.name


class FundingLine(Versioned):
    """One line of a stream: what is allocated, committed and spent, for a party, a pilot and/or a
    sub-region, in a financial year (and quarter, where known). Flagged when committed is above
    allocated or spent above committed."""

    stream = models.ForeignKey(FundingStream, on_delete=models.PROTECT, related_name="lines")
    description = models.CharField(max_length=300)
    party = models.ForeignKey(Party, null=True, blank=True, on_delete=models.PROTECT, related_name="funding_lines")
    pilot = models.ForeignKey(Pilot, null=True, blank=True, on_delete=models.PROTECT, related_name="funding_lines")
    sub_region = models.ForeignKey(SubRegion, null=True, blank=True, on_delete=models.PROTECT, related_name="funding_lines")
    financial_year = models.PositiveSmallIntegerField(help_text="The year starting in April: 2018 is 2018/19.")
    quarter = models.PositiveSmallIntegerField(null=True, blank=True, choices=QUARTERS)
    allocated_pence = models.BigIntegerField(default=0)
    committed_pence = models.BigIntegerField(default=0)
    spent_pence = models.BigIntegerField(default=0)
    commitments = models.ManyToManyField(Commitment, blank=True, related_name="funding_lines")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["stream__name", "financial_year", "quarter", "id"]
        constraints = [
            *_non_negative("funding_line", "allocated_pence", "committed_pence", "spent_pence"),
            models.CheckConstraint(condition=Q(financial_year__gte=2000, financial_year__lte=2100), name="funding_line_year_range"),
            models.CheckConstraint(condition=Q(quarter__isnull=True) | Q(quarter__gte=1, quarter__lte=4), name="funding_line_quarter_1_4"),
        ]
        indexes = [
            models.Index(fields=["stream", "financial_year"], name="funding_line_stream_year"),
            models.Index(fields=["party"], name="funding_line_party"),
            models.Index(fields=["pilot"], name="funding_line_pilot"),
            models.Index(fields=["sub_region"], name="funding_line_sub_region"),
        ]

    def __str__(self) -> str:
        return f"{self.stream}: {self.description}"

    @property
    def year_label(self) -> str:
        return year_label(self.financial_year)

    @property
    def flags(self) -> list[str]:
        """What does not add up, for people (empty when the line is consistent)."""
        out = []
        if self.committed_pence > self.allocated_pence:
            out.append("Committed is more than allocated.")
        if self.spent_pence > self.committed_pence:
            out.append("Spent is more than committed.")
        return out


# The same rule as FundingLine.flags, for querysets (lists, dashboards, the API's ``flagged`` filter).
LINE_FLAGGED = Q(committed_pence__gt=F("allocated_pence")) | Q(spent_pence__gt=F("committed_pence"))


class CapitalBudget(Versioned):
    """A year's capital budget, set by national and London partners, with its spending profile
    by quarter (:class:`CapitalBudgetQuarter`). Flagged when the profile does not add up to the
    budget, or a quarter's spend is above its profile."""

    financial_year = models.PositiveSmallIntegerField(unique=True, help_text="The year starting in April: 2018 is 2018/19.")
    amount_pence = models.BigIntegerField(help_text="The year's capital budget, in pence.")
    retained_receipts_pence = models.BigIntegerField(
        default=0, help_text="Receipts from disposals retained in London and profiled for spending this year, in pence."
    )
    notes = models.TextField(blank=True)
    keeper = models.ForeignKey(Board, null=True, blank=True, on_delete=models.SET_NULL, related_name="capital_budgets")

    class Meta:
        ordering = ["-financial_year"]
        constraints = [
            *_non_negative("capital_budget", "amount_pence", "retained_receipts_pence"),
            models.CheckConstraint(condition=Q(financial_year__gte=2000, financial_year__lte=2100), name="capital_budget_year_range"),
        ]

    def __str__(self) -> str:
        return f"Capital budget {year_label(self.financial_year)}"

    @property
    def year_label(self) -> str:
        return year_label(self.financial_year)

    def flags(self, quarters: list[CapitalBudgetQuarter] | None = None) -> list[str]:
        """What does not add up: the profile against the budget, each quarter's spend against its
        profile. ``quarters``: the budget's quarters when already loaded."""
        rows = list(self.quarters.all()) if quarters is None else quarters
        out = []
        planned = sum(q.planned_pence for q in rows)
        if rows and planned != self.amount_pence + self.retained_receipts_pence:
            out.append("The quarterly profile does not add up to the budget and its retained receipts.")
        out.extend(f"{q.get_quarter_display()}: spent is more than profiled." for q in rows if q.spent_pence > q.planned_pence)
        return out


class CapitalBudgetQuarter(models.Model):
    """One quarter of a capital budget's spending profile: planned and spent."""

    budget = models.ForeignKey(CapitalBudget, on_delete=models.CASCADE, related_name="quarters")
    quarter = models.PositiveSmallIntegerField(choices=QUARTERS)
    planned_pence = models.BigIntegerField(default=0)
    spent_pence = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["budget", "quarter"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "quarter"], name="capital_budget_quarter_once"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="capital_budget_quarter_1_4"),
            *_non_negative("capital_budget_quarter", "planned_pence", "spent_pence"),
        ]

    def __str__(self) -> str:
        return f"{self.budget} {self.get_quarter_display()}"


class Disposal(Versioned):
    """A disposal of an NHS site: where (borough, and its sub-region), whose, how far it has got,
    the receipt expected and realised, the share retained in London, the London Estates Board's or
    a sub-regional board's recommendation on its use, and the decision. A realised receipt only on
    a completed disposal; the sub-region is the borough's."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved for disposal"
        ON_MARKET = "on_market", "On the market"
        UNDER_OFFER = "under_offer", "Under offer"
        COMPLETED = "completed", "Completed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    site = models.CharField(max_length=200)
    borough = models.ForeignKey(Borough, on_delete=models.PROTECT, related_name="disposals")
    sub_region = models.ForeignKey(SubRegion, on_delete=models.PROTECT, related_name="disposals")
    owner = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="disposals", help_text="The NHS body that owns the site.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    expected_receipt_pence = models.BigIntegerField(null=True, blank=True)
    actual_receipt_pence = models.BigIntegerField(null=True, blank=True)
    retained_share_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The share of the receipt retained in London, 0 to 100."
    )
    recommendation = models.TextField(blank=True, help_text="The board's recommendation on the use of the receipt.")
    recommended_by = models.ForeignKey(Board, null=True, blank=True, on_delete=models.SET_NULL, related_name="disposal_recommendations")
    recommended_on = models.DateField(null=True, blank=True)
    decision = models.TextField(blank=True)
    decided_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    commitments = models.ManyToManyField(Commitment, blank=True, related_name="disposals")

    class Meta:
        ordering = ["sub_region__name", "borough__name", "site"]
        constraints = [
            *_non_negative("disposal", "expected_receipt_pence", "actual_receipt_pence"),
            models.CheckConstraint(
                condition=Q(retained_share_percent__isnull=True) | Q(retained_share_percent__lte=100), name="disposal_retained_0_100"
            ),
            models.CheckConstraint(
                condition=Q(actual_receipt_pence__isnull=True) | Q(status="completed"),
                name="disposal_receipt_only_when_completed",
                violation_error_message="A receipt can only be recorded on a completed disposal.",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="disposal_status"), models.Index(fields=["owner"], name="disposal_owner")]

    def __str__(self) -> str:
        return f"{self.site} ({self.borough})"

    @property
    def retained_pence(self) -> int | None:
        """The part of the receipt (realised, else expected) retained in London."""
        receipt = self.actual_receipt_pence if self.actual_receipt_pence is not None else self.expected_receipt_pence
        if receipt is None or self.retained_share_percent is None:
            return None
        return receipt * self.retained_share_percent // 100


class FinanceUpdate(models.Model):
    """Append-only history of every change of a finance record: who, when, through which door,
    why, and each changed field's before and after (amounts in pence). Exactly one target."""

    class Source(models.TextChoices):
        WEB = "web", "Browser"
        API = "api", "API"
        IMPORT = "import", "Spreadsheet import"
        DEMO = "demo", "Demo data"
        SYSTEM = "system", "DevoTracker"

    stream = models.ForeignKey(FundingStream, null=True, blank=True, on_delete=models.CASCADE, related_name="updates")
    line = models.ForeignKey(FundingLine, null=True, blank=True, on_delete=models.CASCADE, related_name="updates")
    budget = models.ForeignKey(CapitalBudget, null=True, blank=True, on_delete=models.CASCADE, related_name="updates")
    disposal = models.ForeignKey(Disposal, null=True, blank=True, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    created = models.BooleanField(default=False, help_text="The record was created by this update.")
    changes = models.JSONField(default=dict, help_text='{"field": [before, after]}; amounts in pence.')
    reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(help_text="The target's version after this update.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(stream__isnull=False, line__isnull=True, budget__isnull=True, disposal__isnull=True)
                    | Q(stream__isnull=True, line__isnull=False, budget__isnull=True, disposal__isnull=True)
                    | Q(stream__isnull=True, line__isnull=True, budget__isnull=False, disposal__isnull=True)
                    | Q(stream__isnull=True, line__isnull=True, budget__isnull=True, disposal__isnull=False)
                ),
                name="finance_update_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"Finance update {self.pk} by {self.author or 'DevoTracker'}"

    @property
    def target(self) -> Any:
        return self.line or self.disposal or self.budget or self.stream
