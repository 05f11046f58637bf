"""Money and estates as figures (issue 16, point 3): the read paths every finance page, the
dashboard's finance and estates section and the papers show.

Each figure is a set-based aggregate: one ``GROUP BY`` query per breakdown (or one aggregate for a
total), whatever the number of lines, budgets or disposals, so a page's query count is fixed
(asserted in ``tests/finance/test_figures.py``). Amounts are whole pence (``int``); they are turned
into pounds only at the edges (:mod:`finance.money`).

What is flagged is never silently accepted: a funding line whose committed amount is above its
allocation, or whose spend is above its commitment (:data:`finance.models.LINE_FLAGGED`, the same
rule as :attr:`FundingLine.flags`); a stream whose lines allocate more than the stream's own
allocation (:data:`STREAM_OVER_ALLOCATED`); a capital budget whose quarterly profile does not add up
to the budget and its retained receipts, or a quarter spent above its profile (:func:`budget_flagged_q`,
the rule of :meth:`CapitalBudget.flags`).

Receipts: *expected* is the sum of the expected receipts of disposals not withdrawn; *realised* the
sum of the actual receipts (recorded only on completed disposals); *retained* the share retained in
London of each disposal's receipt (realised, else expected: :attr:`Disposal.retained_pence`), summed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from .models import LINE_FLAGGED, CapitalBudget, CapitalBudgetQuarter, Disposal, FundingLine, FundingStream, year_label

# A line's dimension -> (the field grouped by, the field that names it, the list filter's parameter
# and the field giving its value). The list pages' and the API's filters use the same parameters.
DIMENSIONS: dict[str, tuple[str, str, str, str]] = {
    "stream": ("stream_id", "stream__name", "stream", "stream__slug"),
    "sub_region": ("sub_region_id", "sub_region__name", "sub_region", "sub_region__slug"),
    "pilot": ("pilot_id", "pilot__name", "pilot", "pilot__slug"),
    "party": ("party_id", "party__name", "party", "party__slug"),
    "year": ("financial_year", "financial_year", "year", "financial_year"),
}
# What a row without the dimension is called (a line for all of London names no sub-region).
NOT_GIVEN: dict[str, str] = {
    "stream": "No stream",
    "sub_region": "London-wide (no sub-region)",
    "pilot": "No pilot",
    "party": "No party named",
    "year": "No year",
}

# A stream whose lines allocate more than the stream's whole allocation (where it has one).
STREAM_OVER_ALLOCATED = "Its lines allocate more than the stream's allocation."

NOT_WITHDRAWN = ~Q(status=Disposal.Status.WITHDRAWN)


def _pence(expr: Any) -> Coalesce:
    """A sum of pence that reads 0 over no rows (never None), as a whole number."""
    return Coalesce(expr, Value(0), output_field=BigIntegerField())


def line_sums() -> dict[str, Any]:
    """The aggregates of a set of funding lines: the three amounts, how many lines, how many flagged."""
    return {
        "allocated": _pence(Sum("allocated_pence")),
        "committed": _pence(Sum("committed_pence")),
        "spent": _pence(Sum("spent_pence")),
        "lines": Count("pk"),
        "flagged": Count("pk", filter=LINE_FLAGGED),
    }


def retained_expr() -> ExpressionWrapper:
    """A disposal's receipt retained in London, in pence, in SQL: the receipt (realised, else
    expected) times the retained share, divided by 100 in whole pence (as
    :attr:`Disposal.retained_pence`; both databases divide whole numbers without a remainder)."""
    receipt = Coalesce(F("actual_receipt_pence"), F("expected_receipt_pence"))
    return ExpressionWrapper(receipt * F("retained_share_percent") / Value(100), output_field=BigIntegerField())


def receipt_sums() -> dict[str, Any]:
    """The aggregates of a set of disposals: how many, receipts expected (not withdrawn), realised
    and retained, how many have no expected figure yet."""
    return {
        "disposals": Count("pk"),
        "open": Count("pk", filter=NOT_WITHDRAWN & ~Q(status=Disposal.Status.COMPLETED)),
        "completed": Count("pk", filter=Q(status=Disposal.Status.COMPLETED)),
        "expected": _pence(Sum("expected_receipt_pence", filter=NOT_WITHDRAWN)),
        "realised": _pence(Sum("actual_receipt_pence")),
        "retained": _pence(Sum(retained_expr(), filter=NOT_WITHDRAWN)),
        "no_estimate": Count("pk", filter=NOT_WITHDRAWN & Q(expected_receipt_pence__isnull=True)),
    }


def budget_flagged_q() -> Q:
    """The rule of :meth:`CapitalBudget.flags` for querysets annotated by :func:`with_profile`:
    a profile that does not add up to the budget and its retained receipts, or a quarter spent
    above its profile."""
    return Q(profile_quarters__gt=0) & ~Q(profile_planned=F("amount_pence") + F("retained_receipts_pence")) | Q(profile_overspent=True)


def with_profile(qs: QuerySet[CapitalBudget]) -> QuerySet[CapitalBudget]:
    """Budgets annotated with their profile's totals (``profile_planned``, ``profile_spent``,
    ``profile_quarters``), whether a quarter is spent above its profile (``profile_overspent``) and
    ``is_flagged``: correlated subqueries, so one query whatever the number of budgets."""
    quarters = CapitalBudgetQuarter.objects.filter(budget=OuterRef("pk")).order_by().values("budget")
    qs = qs.annotate(
        profile_planned=_pence(Subquery(quarters.annotate(t=Sum("planned_pence")).values("t")[:1])),
        profile_spent=_pence(Subquery(quarters.annotate(t=Sum("spent_pence")).values("t")[:1])),
        profile_quarters=Coalesce(Subquery(quarters.annotate(t=Count("pk")).values("t")[:1]), Value(0)),
        profile_overspent=Exists(CapitalBudgetQuarter.objects.filter(budget=OuterRef("pk"), spent_pence__gt=F("planned_pence"))),
    )
    return qs


def flagged_budgets(qs: QuerySet[CapitalBudget] | None = None) -> QuerySet[CapitalBudget]:
    """The budgets whose profile does not add up (one query when evaluated)."""
    return with_profile(qs if qs is not None else CapitalBudget.objects.all()).filter(budget_flagged_q())


def with_line_totals(qs: QuerySet[FundingStream]) -> QuerySet[FundingStream]:
    """Streams annotated with their lines' totals (``lines_allocated``, ``lines_committed``,
    ``lines_spent``, ``line_count``, ``flagged_lines``) and ``over_allocated``: one query."""
    lines = FundingLine.objects.filter(stream=OuterRef("pk")).order_by().values("stream")

    def total(expr: Any) -> Any:
        return Subquery(lines.annotate(t=expr).values("t")[:1])

    return qs.annotate(
        lines_allocated=_pence(total(Sum("allocated_pence"))),
        lines_committed=_pence(total(Sum("committed_pence"))),
        lines_spent=_pence(total(Sum("spent_pence"))),
        line_count=Coalesce(total(Count("pk")), Value(0)),
        flagged_lines=Coalesce(total(Count("pk", filter=LINE_FLAGGED)), Value(0)),
    )


def stream_over_allocated_q() -> Q:
    """For streams annotated by :func:`with_line_totals`: lines allocate more than the stream."""
    return Q(allocation_pence__isnull=False, lines_allocated__gt=F("allocation_pence"))


# --- the shapes the pages, the dashboard and the papers show ---------------------------------


@dataclass
class MoneyRow:
    """Allocated, committed and spent (pence) for one row of a breakdown, with how many lines it
    adds up and how many of those are flagged. ``key`` is the row's value of the list filter
    (a slug, a year), "" for lines without the dimension."""

    label: str
    key: str = ""
    allocated: int = 0
    committed: int = 0
    spent: int = 0
    lines: int = 0
    flagged: int = 0
    allocation: int | None = None  # a stream's own allocation, where the breakdown is by stream
    flags: list[str] = field(default_factory=list)

    @property
    def uncommitted(self) -> int:
        """Allocated and not yet committed (negative when committed is above allocated)."""
        return self.allocated - self.committed

    @property
    def unspent(self) -> int:
        """Committed and not yet spent (negative when spent is above committed)."""
        return self.committed - self.spent

    def get(self, key: str) -> int:
        return int(getattr(self, key))


@dataclass
class ReceiptRow:
    """Receipts from disposals (pence) for one row: a sub-region, a status or all of London."""

    label: str
    key: str = ""
    disposals: int = 0
    open: int = 0
    completed: int = 0
    expected: int = 0
    realised: int = 0
    retained: int = 0
    no_estimate: int = 0

    def get(self, key: str) -> int:
        return int(getattr(self, key))


@dataclass
class BudgetFigures:
    """A year's capital budget with its profile by quarter and what does not add up."""

    budget: CapitalBudget
    quarters: list[CapitalBudgetQuarter]
    flags: list[str]

    @property
    def year(self) -> int:
        return self.budget.financial_year

    @property
    def label(self) -> str:
        return year_label(self.budget.financial_year)

    @property
    def total(self) -> int:
        """The budget and the retained receipts profiled for spending this year."""
        return self.budget.amount_pence + self.budget.retained_receipts_pence

    @property
    def planned(self) -> int:
        return sum(q.planned_pence for q in self.quarters)

    @property
    def spent(self) -> int:
        return sum(q.spent_pence for q in self.quarters)


def _money_rows(qs: QuerySet[FundingLine], dimension: str) -> list[MoneyRow]:
    group, name, _, value = DIMENSIONS[dimension]
    fields = list(dict.fromkeys([group, name, value]))
    rows = []
    for r in qs.values(*fields).annotate(**line_sums()).order_by():
        if r[group] is None:
            label, key = NOT_GIVEN[dimension], ""
        elif dimension == "year":
            label, key = year_label(r[group]), str(r[group])
        else:
            label, key = r[name], str(r[value])
        rows.append(
            MoneyRow(
                label=label,
                key=key,
                allocated=r["allocated"],
                committed=r["committed"],
                spent=r["spent"],
                lines=r["lines"],
                flagged=r["flagged"],
            )
        )
    # Named rows in order (years by year), the row without the dimension last.
    if dimension == "year":
        rows.sort(key=lambda row: (row.key == "", row.key))
    else:
        rows.sort(key=lambda row: (row.key == "", row.label.lower()))
    return rows


def money_total(rows: Iterable[MoneyRow], label: str = "Total") -> MoneyRow:
    """The sum of some rows (a table's footer)."""
    total = MoneyRow(label)
    for r in rows:
        total.allocated += r.allocated
        total.committed += r.committed
        total.spent += r.spent
        total.lines += r.lines
        total.flagged += r.flagged
    return total


def receipt_total(rows: Iterable[ReceiptRow], label: str = "Total") -> ReceiptRow:
    total = ReceiptRow(label)
    for r in rows:
        for k in ("disposals", "open", "completed", "expected", "realised", "retained", "no_estimate"):
            setattr(total, k, total.get(k) + r.get(k))
    return total


class FinanceFigures:
    """Every finance and estates figure for the funding lines ``lines`` and disposals
    ``disposals`` (all of them by default), each part read when first used: one query per part,
    whatever the number of rows.

    Parts (queries): ``totals`` (1), ``receipts`` (1), ``by_stream`` (1), ``by_sub_region`` (1),
    ``by_pilot`` (1), ``by_party`` (1), ``by_year`` (1), ``receipts_by_sub_region`` (1),
    ``receipts_by_status`` (1), ``budgets`` (2: the budgets and their quarters),
    ``flagged_streams`` (1), ``disposal_list`` (1).
    """

    def __init__(self, lines: QuerySet[FundingLine] | None = None, disposals: QuerySet[Disposal] | None = None) -> None:
        self.lines = lines if lines is not None else FundingLine.objects.all()
        self.disposals = disposals if disposals is not None else Disposal.objects.all()

    @cached_property
    def totals(self) -> MoneyRow:
        r = self.lines.aggregate(**line_sums())
        return MoneyRow("All funding lines", **r)

    @cached_property
    def receipts(self) -> ReceiptRow:
        return ReceiptRow("All disposals", **self.disposals.aggregate(**receipt_sums()))

    @cached_property
    def by_stream(self) -> list[MoneyRow]:
        """Each stream (every stream, even one with no lines yet) with its own allocation and its
        lines' totals; a stream whose lines allocate more than it has is flagged."""
        rows = []
        for s in with_line_totals(FundingStream.objects.all()).order_by("name"):
            row = MoneyRow(
                label=s.name,
                key=s.slug,
                allocated=s.lines_allocated,  # type: ignore[attr-defined]
                committed=s.lines_committed,  # type: ignore[attr-defined]
                spent=s.lines_spent,  # type: ignore[attr-defined]
                lines=s.line_count,  # type: ignore[attr-defined]
                flagged=s.flagged_lines,  # type: ignore[attr-defined]
                allocation=s.allocation_pence,
            )
            if s.allocation_pence is not None and row.allocated > s.allocation_pence:
                row.flags.append(STREAM_OVER_ALLOCATED)
            rows.append(row)
        return rows

    @cached_property
    def by_sub_region(self) -> list[MoneyRow]:
        return _money_rows(self.lines, "sub_region")

    @cached_property
    def by_pilot(self) -> list[MoneyRow]:
        return _money_rows(self.lines, "pilot")

    @cached_property
    def by_party(self) -> list[MoneyRow]:
        return _money_rows(self.lines, "party")

    @cached_property
    def by_year(self) -> list[MoneyRow]:
        return _money_rows(self.lines, "year")

    @cached_property
    def receipts_by_sub_region(self) -> list[ReceiptRow]:
        rows = [
            ReceiptRow(label=r["sub_region__name"], key=r["sub_region__slug"], **{k: r[k] for k in receipt_sums()})
            for r in self.disposals.values("sub_region__slug", "sub_region__name").annotate(**receipt_sums()).order_by()
        ]
        return sorted(rows, key=lambda r: r.label.lower())

    @cached_property
    def receipts_by_status(self) -> list[ReceiptRow]:
        """Every status in its order, even one with no disposal."""
        found = {r["status"]: r for r in self.disposals.values("status").annotate(**receipt_sums()).order_by()}
        out = []
        for value, label in Disposal.Status.choices:
            r = found.get(value)
            out.append(ReceiptRow(label=label, key=value, **({k: r[k] for k in receipt_sums()} if r else {})))
        return out

    @cached_property
    def budgets(self) -> list[BudgetFigures]:
        """Every capital budget, newest year first, with its quarters and flags (two queries)."""
        budgets = CapitalBudget.objects.prefetch_related(Prefetch("quarters", queryset=CapitalBudgetQuarter.objects.order_by("quarter")))
        out = []
        for b in budgets.order_by("-financial_year"):
            quarters = list(b.quarters.all())
            out.append(BudgetFigures(budget=b, quarters=quarters, flags=b.flags(quarters)))
        return out

    @cached_property
    def flagged_streams(self) -> int:
        """Streams whose lines allocate more than the stream has (one query)."""
        return with_line_totals(FundingStream.objects.all()).filter(stream_over_allocated_q()).count()

    @cached_property
    def flags(self) -> dict[str, int]:
        """How many records are flagged, by kind (reads the totals, the budgets and the streams)."""
        return {
            "lines": self.totals.flagged,
            "budgets": sum(1 for b in self.budgets if b.flags),
            "streams": self.flagged_streams,
        }

    @property
    def flagged_total(self) -> int:
        return sum(self.flags.values())

    def disposal_list(self, *, limit: int | None = None) -> list[Disposal]:
        """The disposals with where, whose and who recommended, by sub-region, borough and site
        (one query; cut to ``limit``)."""
        qs = self.disposals.select_related("borough", "sub_region", "owner", "recommended_by").order_by(
            "sub_region__name", "borough__name", "site", "pk"
        )
        return list(qs[:limit] if limit is not None else qs)
