"""The finance figures: the arithmetic, the flags and a fixed number of queries whatever the rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from finance.figures import FinanceFigures, flagged_budgets, money_total, with_line_totals
from finance.models import LINE_FLAGGED, CapitalBudget, Disposal, FundingLine, FundingStream

from .conftest import POUND, Money

pytestmark = pytest.mark.django_db


def test_totals_add_up_in_whole_pence(money: Money) -> None:
    t = FinanceFigures().totals
    assert (t.allocated, t.committed, t.spent) == (13_500_000 * POUND, 10_900_000 * POUND + 50, 6_450_000 * POUND)
    assert (t.lines, t.flagged) == (4, 2)
    assert t.uncommitted == 2_600_000 * POUND - 50
    assert all(isinstance(v, int) for v in (t.allocated, t.committed, t.spent))


def test_the_flag_rule_is_the_models(money: Money) -> None:
    flagged_sql = set(FundingLine.objects.filter(LINE_FLAGGED).values_list("pk", flat=True))
    flagged_python = {line.pk for line in FundingLine.objects.all() if line.flags}
    assert flagged_sql == flagged_python == {money.lines[1].pk, money.lines[3].pk}
    assert money.lines[1].flags == ["Committed is more than allocated."]
    assert money.lines[3].flags == ["Spent is more than committed."]


def test_breakdowns_by_sub_region_pilot_party_year_and_stream(money: Money) -> None:
    f = FinanceFigures()
    by_region = {r.label: (r.allocated, r.flagged, r.key) for r in f.by_sub_region}
    assert by_region == {
        "North Central London": (10_500_000 * POUND, 1, "north-central-london"),
        "South East London": (2_000_000 * POUND, 1, "south-east-london"),
        "London-wide (no sub-region)": (1_000_000 * POUND, 0, ""),
    }
    assert [r.label for r in f.by_sub_region][-1] == "London-wide (no sub-region)"  # the row without a sub-region last
    assert [(r.label, r.allocated) for r in f.by_pilot] == [
        ("North Central London estates pilot", 10_000_000 * POUND),
        ("No pilot", 3_500_000 * POUND),
    ]
    assert {r.key: r.spent for r in f.by_party} == {"gla": 5_000_000 * POUND, "royal-free": 450_000 * POUND, "": 1_000_000 * POUND}
    assert [(r.label, r.key, r.lines) for r in f.by_year] == [("2018/19", "2018", 3), ("2019/20", "2019", 1)]
    streams = {r.key: r for r in f.by_stream}
    assert streams["transformation-funding"].allocation == 120_000_000 * POUND
    assert streams["transformation-funding"].allocated == 13_000_000 * POUND and not streams["transformation-funding"].flags
    assert streams["capital-programme"].allocation is None and streams["capital-programme"].flagged == 1
    total = money_total(f.by_sub_region)
    assert (total.allocated, total.committed, total.spent) == (f.totals.allocated, f.totals.committed, f.totals.spent)


def test_a_stream_whose_lines_allocate_more_than_it_has_is_flagged(money: Money) -> None:
    FundingStream.objects.filter(pk=money.stream.pk).update(allocation_pence=12_000_000 * POUND)
    f = FinanceFigures()
    assert next(r for r in f.by_stream if r.key == "transformation-funding").flags
    assert f.flags == {"lines": 2, "budgets": 1, "streams": 1}
    assert f.flagged_total == 4
    assert list(
        with_line_totals(FundingStream.objects.all()).filter(slug="transformation-funding").values_list("lines_allocated", flat=True)
    ) == [13_000_000 * POUND]


def test_receipts_expected_realised_and_retained(money: Money) -> None:
    r = FinanceFigures().receipts
    # The withdrawn site's receipt is not expected; the realised one only from completed disposals.
    assert r.expected == 20_000_000 * POUND + 3_000_001
    assert r.realised == 22_000_000 * POUND
    # Retained: all of the realised £22m, and half of the expected £30,000.01 in whole pence (down).
    assert r.retained == 22_000_000 * POUND + 1_500_000
    assert r.retained == sum(d.retained_pence or 0 for d in Disposal.objects.exclude(status="withdrawn"))
    assert (r.disposals, r.completed, r.open, r.no_estimate) == (3, 1, 1, 0)


def test_receipts_by_sub_region_and_status(money: Money) -> None:
    f = FinanceFigures()
    by_region = {r.key: (r.expected, r.realised, r.retained, r.disposals) for r in f.receipts_by_sub_region}
    assert by_region == {
        "north-central-london": (20_000_000 * POUND, 22_000_000 * POUND, 22_000_000 * POUND, 1),
        "south-east-london": (3_000_001, 0, 1_500_000, 2),
    }
    statuses = [(r.key, r.disposals) for r in f.receipts_by_status]
    assert statuses[0] == ("proposed", 0) and ("completed", 1) in statuses and ("withdrawn", 1) in statuses
    assert len(statuses) == len(Disposal.Status.choices)


def test_budget_flags_in_python_and_in_sql_agree(money: Money) -> None:
    budgets = {b.year: b for b in FinanceFigures().budgets}
    assert budgets[2018].flags == [
        "The quarterly profile does not add up to the budget and its retained receipts.",
        "Q2 (July to September): spent is more than profiled.",
    ]
    assert (budgets[2018].total, budgets[2018].planned, budgets[2018].spent) == (50_000_000 * POUND, 45_000_000 * POUND, 25_000_000 * POUND)
    assert budgets[2019].flags == []  # no profile yet: nothing to add up
    assert list(flagged_budgets().values_list("financial_year", flat=True)) == [2018]
    # A profile that adds up and is not overspent is not flagged.
    money.budget.quarters.filter(quarter=4).update(planned_pence=10_000_000 * POUND)
    money.budget.quarters.filter(quarter=2).update(spent_pence=15_000_000 * POUND)
    assert CapitalBudget.objects.get(pk=money.budget.pk).flags() == []
    assert not flagged_budgets().exists()


def test_empty_figures_are_zero_not_none(db: Any) -> None:
    f = FinanceFigures()
    assert (f.totals.allocated, f.totals.lines, f.receipts.expected, f.receipts.retained) == (0, 0, 0, 0)
    assert f.by_sub_region == [] and f.budgets == [] and f.flagged_total == 0


# The parts and their queries: totals, receipts, streams, sub-region, pilot, party, year, receipts by
# sub-region, receipts by status, budgets (2), flagged streams, the disposal list.
ALL_PARTS_QUERIES = 13


def read_all(f: FinanceFigures) -> None:
    f.totals, f.receipts, f.by_stream, f.by_sub_region, f.by_pilot, f.by_party, f.by_year  # noqa: B018
    f.receipts_by_sub_region, f.receipts_by_status, f.budgets, f.flags  # noqa: B018
    f.disposal_list(limit=10)


def test_figures_run_a_fixed_number_of_queries(grow_finance: Callable[[int], None], django_assert_num_queries: Any) -> None:
    grow_finance(5)
    with django_assert_num_queries(ALL_PARTS_QUERIES):
        read_all(FinanceFigures())
    grow_finance(60)
    with django_assert_num_queries(ALL_PARTS_QUERIES):
        small = FinanceFigures()
        read_all(small)
    assert small.totals.lines == 4 + 65
    assert small.totals.flagged == 2 + 2 + 30  # every other grown line commits a penny more than allocated
