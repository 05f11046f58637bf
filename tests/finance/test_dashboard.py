"""The finance and estates section of the London dashboard (issue 16, point 3): the summary's
headline figures, chart and table; its own page by sub-region, pilot, stream and year with charts
and tables; CSV in pounds; only on the London dashboard; a fixed number of queries."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting.charts import amount_bar_chart
from reporting.dashboards import Scope, build_dashboard
from reporting.dashboards.finance import MONEY_KEYS, short_pounds

from .conftest import POUND, Money, client_for

pytestmark = pytest.mark.django_db


def test_the_summary_has_a_finance_and_estates_section(money: Money, viewer: Any) -> None:
    html = client_for(viewer).get("/dashboard/").content.decode()
    section = html[html.index('id="finance-and-estates"') :]
    assert "£13.5m" in section and "£10.9m" in section and "£6.5m" in section  # allocated, committed, spent
    assert "£20.0m" in section and "£22.0m" in section  # receipts expected, realised
    assert '2</span> <span class="app-headline__label">funding lines that do not add up' in section
    assert 'href="/dashboard/finance/"' in section and 'href="/finance/"' in section
    # An accessible chart: an SVG image named by its title and described in words, then its table.
    assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="chart-finance-title chart-finance-desc"', section)
    assert "allocated £13.5m, committed £10.9m, spent £6.5m" in section
    assert 'id="table-finance-summary"' in section and "£10,900,000.50" in section


def test_the_finance_page_breaks_the_figures_down(money: Money, viewer: Any) -> None:
    html = client_for(viewer).get("/dashboard/finance/").content.decode()
    for table in ("finance-sub-region", "finance-pilot", "finance-stream", "finance-year", "receipts-sub-region", "receipts-status"):
        assert f'id="table-{table}"' in html
    for chart in ("chart-finance-sub-region", "chart-finance-pilot", "chart-receipts-sub-region"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
    assert 'href="/finance/lines/?sub_region=north-central-london"' in html
    assert 'href="/finance/lines/?london_wide=true"' in html
    assert 'href="/finance/lines/?pilot=north-central-london-estates&amp;flagged=true"' in html
    assert 'href="/finance/disposals/?sub_region=south-east-london"' in html


def test_finance_csv_is_in_pounds_with_two_decimals(money: Money, viewer: Any) -> None:
    response = client_for(viewer).get("/dashboard/?format=csv&table=finance-sub-region")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    assert rows[0] == ["Sub-region", "Allocated", "Committed", "Spent", "Allocated, not committed", "Lines", "Flagged"]
    by_label = {r[0]: r for r in rows[1:]}
    assert by_label["South East London"][1:] == ["2000000.00", "2500000.50", "1000000.00", "-500000.50", "1", "1"]
    assert by_label["Total"][1:4] == ["13500000.00", "10900000.50", "6450000.00"]
    receipts = client_for(viewer).get("/dashboard/?format=csv&table=receipts-sub-region").content.decode("utf-8").lstrip("\ufeff")
    assert "South East London,2,0,30000.01,0.00,15000.00" in receipts


def test_finance_is_on_the_london_dashboard_only(money: Money, viewer: Any, board: Any) -> None:
    client = client_for(viewer)
    assert client.get("/dashboard/boards/SPB/finance/").status_code == 404
    assert "finance-and-estates" not in client.get("/dashboard/boards/SPB/").content.decode()
    assert client.get("/dashboard/boards/SPB/?format=csv&table=finance-summary").status_code == 404
    assert build_dashboard(Scope(kind="board", board=board)).table("finance-sub-region") is None


def test_chart_shows_the_numbers_of_its_table(money: Money) -> None:
    d = build_dashboard(Scope())
    svg = amount_bar_chart(chart_id="c", title="Funding by sub-region", rows=d.finance.by_sub_region, keys=MONEY_KEYS, fmt=short_pounds)
    table = d.table("finance-sub-region")
    assert table is not None
    for row in d.finance.by_sub_region:
        assert f"{row.label}: allocated {short_pounds(row.allocated)}" in svg
    assert [r[0].value for r in table.rows] == [r.label for r in d.finance.by_sub_region]
    assert str(table.rows[0][1].csv) == "10500000.00" and table.rows[0][1].value == "£10,500,000"
    assert "<script" not in amount_bar_chart(
        chart_id="x", title="<script>", rows=d.finance.by_sub_region, keys=MONEY_KEYS, fmt=short_pounds
    ).replace("&lt;script&gt;", "")
    assert money.lines and POUND == 100


def test_empty_finance_draws_no_chart_and_says_so(db: Any, viewer: Any) -> None:
    html = client_for(viewer).get("/dashboard/finance/").content.decode()
    assert "No funding line is recorded yet." in html and "No disposal is recorded yet." in html


# The finance page reads: the line totals and the receipts (for the summary), by sub-region, by
# pilot, streams, by year, receipts by sub-region and by status (8), plus the session, the user,
# the header's roles and the default agreements.
FINANCE_PAGE_QUERIES = 8 + 4


def test_the_finance_page_runs_a_fixed_number_of_queries(grow_finance: Callable[[int], None], viewer: Any) -> None:
    client = client_for(viewer)
    grow_finance(3)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/dashboard/finance/").status_code == 200
    grow_finance(50)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/dashboard/finance/").status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries) <= FINANCE_PAGE_QUERIES


def test_the_summary_reads_only_the_two_finance_totals(money: Money, viewer: Any) -> None:
    client = client_for(viewer)
    with CaptureQueriesContext(connection) as summary:
        assert client.get("/dashboard/").status_code == 200
    finance = [q["sql"] for q in summary.captured_queries if "finance_" in q["sql"]]
    assert len(finance) == 2
