"""The finance and estates part of the London dashboard (issue 16, point 3): the figures of
:class:`finance.figures.FinanceFigures` laid out as the dashboard's tables, each amount shown in
pounds (``£1,200.50``) and written to CSV in pounds with two decimals (``1200.50``), each row
linked to the finance list it adds up. The same rows feed the charts
(:func:`reporting.charts.amount_bar_chart`), so a chart never shows a figure its table does not.
No queries here: :class:`finance.figures.FinanceFigures` reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from finance.figures import FinanceFigures, MoneyRow, ReceiptRow, money_total, receipt_total
from finance.money import format_pounds, pounds_text

from .figures import Cell, Column, Table

MONEY_KEYS: tuple[tuple[str, str], ...] = (("allocated", "Allocated"), ("committed", "Committed"), ("spent", "Spent"))
RECEIPT_KEYS: tuple[tuple[str, str], ...] = (("expected", "Expected"), ("realised", "Realised"), ("retained", "Retained in London"))


@dataclass
class AmountRow:
    """A row of an amount chart made up on the spot (the summary's one bar group)."""

    label: str
    amounts: dict[str, int]

    def get(self, key: str) -> int:
        return self.amounts.get(key, 0)


def short_pounds(pence: int) -> str:
    """A chart's label: "£120.0m", "£45.3k", "£900"."""
    return format_pounds(pence, short=True)


def finance_url(name: str, **params: Any) -> str:
    """A finance list page filtered by ``params`` ("" while the finance pages are not mounted)."""
    try:
        base = reverse(f"finance:{name}")
    except NoReverseMatch:
        return ""
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{base}?{urlencode(clean)}" if clean else base


def amount(pence: int | None, url: str = "") -> Cell:
    """An amount: pounds for people, pounds with two decimals in CSV."""
    return Cell(format_pounds(pence), url=url, numeric=True, csv=Decimal(pounds_text(pence)) if pence is not None else "")


def _money_columns(first: str) -> list[Column]:
    return [
        Column("label", first),
        *(Column(k, name, numeric=True) for k, name in MONEY_KEYS),
        Column("uncommitted", "Allocated, not committed", numeric=True),
        Column("lines", "Lines", numeric=True),
        Column("flagged", "Flagged", numeric=True),
    ]


def _money_cells(row: MoneyRow, params: dict[str, str] | None) -> list[Cell]:
    link = finance_url("lines", **params) if params is not None else ""
    return [
        Cell(row.label, url=link),
        *(amount(row.get(k), link) for k, _ in MONEY_KEYS),
        amount(row.uncommitted),
        Cell(row.lines, url=link, numeric=True),
        Cell(row.flagged, url=finance_url("lines", **(params or {}), flagged="true") if params is not None else "", numeric=True),
    ]


def money_table(key: str, caption: str, first: str, rows: Sequence[MoneyRow], param: str) -> Table:
    """Allocated, committed and spent by one dimension (``param``: the lines list's filter), with
    a total row; the row without the dimension (London-wide, no pilot) links where a filter can."""

    def params(row: MoneyRow) -> dict[str, str] | None:
        if row.key:
            return {param: row.key}
        return {"london_wide": "true"} if param == "sub_region" else None

    return Table(
        key=key,
        caption=caption,
        columns=_money_columns(first),
        rows=[_money_cells(r, params(r)) for r in rows],
        footer=_money_cells(money_total(rows), None) if rows else None,
        empty_text="No funding line is recorded yet.",
    )


def stream_table(rows: Sequence[MoneyRow]) -> Table:
    """Each stream's own allocation (where a source gives one) beside its lines' totals."""
    columns = [Column("label", "Stream"), Column("allocation", "Stream's allocation", numeric=True), *_money_columns("")[1:]]
    body = []
    for r in rows:
        cells = _money_cells(r, {"stream": r.key})
        body.append([cells[0], amount(r.allocation) if r.allocation is not None else Cell("Not given", csv=""), *cells[1:]])
    return Table(
        key="finance-stream",
        caption="Funding by stream: the stream's allocation and its lines",
        columns=columns,
        rows=body,
        empty_text="No funding stream is recorded yet.",
        note="; ".join(f"{r.label}: {' '.join(r.flags)}" for r in rows if r.flags),
    )


def _receipt_cells(row: ReceiptRow, params: dict[str, Any] | None) -> list[Cell]:
    link = finance_url("disposals", **params) if params is not None else ""
    return [
        Cell(row.label, url=link),
        Cell(row.disposals, url=link, numeric=True),
        Cell(row.completed, numeric=True),
        *(amount(row.get(k)) for k, _ in RECEIPT_KEYS),
    ]


def receipts_table(key: str, caption: str, first: str, rows: Sequence[ReceiptRow], param: str) -> Table:
    columns = [
        Column("label", first),
        Column("disposals", "Disposals", numeric=True),
        Column("completed", "Completed", numeric=True),
        *(Column(k, name, numeric=True) for k, name in RECEIPT_KEYS),
    ]
    return Table(
        key=key,
        caption=caption,
        columns=columns,
        rows=[_receipt_cells(r, {param: r.key}) for r in rows],
        footer=_receipt_cells(receipt_total(rows), None) if rows else None,
        empty_text="No disposal is recorded yet.",
        note="Expected: receipts of disposals not withdrawn. Realised: receipts of completed disposals. "
        "Retained: the share kept in London of each receipt (realised, else expected).",
    )


def summary_table(f: FinanceFigures) -> Table:
    """The headline figures: funding allocated, committed and spent; receipts expected, realised
    and retained; how many records do not add up. Reads the totals and the receipts only (two
    queries), so the dashboard's summary pays for nothing more."""
    t, r = f.totals, f.receipts
    lines = finance_url("lines")
    disposals = finance_url("disposals")
    rows = [
        [Cell("Funding allocated", url=lines), amount(t.allocated, lines)],
        [Cell("Funding committed"), amount(t.committed, lines)],
        [Cell("Funding spent"), amount(t.spent, lines)],
        [
            Cell("Funding lines that do not add up", url=finance_url("lines", flagged="true")),
            Cell(t.flagged, finance_url("lines", flagged="true"), True),
        ],
        [Cell("Receipts expected from disposals", url=disposals), amount(r.expected, disposals)],
        [Cell("Receipts realised"), amount(r.realised, finance_url("disposals", status="completed"))],
        [Cell("Receipts retained in London"), amount(r.retained)],
        [Cell("Disposals"), Cell(r.disposals, disposals, True)],
    ]
    return Table(
        "finance-summary",
        "Finance and estates",
        [Column("label", "Figure"), Column("value", "Amount or number", numeric=True)],
        rows,
        note="Amounts in pounds, kept in whole pence. A funding line does not add up when committed is more than allocated or spent more than committed.",
    )


class FinanceTables:
    """The dashboard's finance tables, each built when first used from the figures' parts."""

    def __init__(self, figures: FinanceFigures) -> None:
        self.figures = figures

    def table(self, key: str) -> Table | None:
        f = self.figures
        builders = {
            "finance-summary": lambda: summary_table(f),
            "finance-stream": lambda: stream_table(f.by_stream),
            "finance-sub-region": lambda: money_table(
                "finance-sub-region", "Funding by sub-region", "Sub-region", f.by_sub_region, "sub_region"
            ),
            "finance-pilot": lambda: money_table("finance-pilot", "Funding by pilot", "Pilot", f.by_pilot, "pilot"),
            "finance-year": lambda: money_table("finance-year", "Funding by financial year", "Financial year", f.by_year, "year"),
            "receipts-sub-region": lambda: receipts_table(
                "receipts-sub-region", "Receipts from disposals by sub-region", "Sub-region", f.receipts_by_sub_region, "sub_region"
            ),
            "receipts-status": lambda: receipts_table(
                "receipts-status", "Receipts from disposals by status", "Status", f.receipts_by_status, "status"
            ),
        }
        build = builders.get(key)
        return build() if build is not None else None


FINANCE_TABLE_KEYS: tuple[str, ...] = (
    "finance-summary",
    "finance-stream",
    "finance-sub-region",
    "finance-pilot",
    "finance-year",
    "receipts-sub-region",
    "receipts-status",
)
