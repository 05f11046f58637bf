"""The dashboard pages (issue 6): thin views over :func:`reporting.dashboards.build_dashboard`.

Every signed-in user may read them (DESIGN.md §10). A dashboard's own page is a short summary
linking to one page per breakdown (:data:`SECTIONS`), at ``<dashboard>/<section>/``. ``?agreements=all`` widens the view from the
agreements shown by default to all of them; ``?format=csv&table=<key>`` returns one of the page's
tables as a formula-safe CSV file instead of the page.
"""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, cached_property
from django.views.decorators.http import require_safe

from boards.models import Board, Party
from commitments.versioning import data_version
from devotracker.spreadsheets import csv_safe
from pilots.models import Pilot

from ..charts import amount_bar_chart, overdue_trend_chart, rag_bar_chart, rag_trend_chart
from ..comparisons import movement_sections
from ..dashboards import Dashboard, Scope, build_dashboard
from ..dashboards.finance import MONEY_KEYS, RECEIPT_KEYS, AmountRow, short_pounds
from ..models import ReportingPeriod
from ..periods import last_report

# The pages a dashboard's figures are split into: the summary (the dashboard's own page) links to
# one page per breakdown, each with its chart, table and CSV (issue 13). Name -> (title, what it shows).
SECTIONS: dict[str, tuple[str, str]] = {
    "themes": ("By theme", "Commitments by theme and RAG rating."),
    "boards": ("By lead board", "Commitments by the board that leads them."),
    "pilots": ("By pilot", "Commitments by the pilot they concern."),
    "parties": ("By party", "Each party's obligations by RAG rating (the assurance rating where one is given)."),
    "overdue": ("Overdue", "Obligations and actions past their due date and still open, most overdue first."),
    "due": ("Due soon", "Open obligations and actions due in the next 30, 60 and 90 days."),
    "recent": ("Recently changed", "The latest updates recorded."),
    "ratings": ("Where the ratings disagree", "Items whose assurance rating differs from the owner's own, with who gave it and why."),
    "trends": ("Trends", "The RAG mix of obligations month by month, and overdue items week by week."),
    "finance": (
        "Finance and estates",
        "Funding allocated, committed and spent by stream, sub-region, pilot and year; receipts from disposals expected, realised and retained.",
    ),
    "changes": (
        "Since the last report",
        "What improved, worsened, became overdue, was completed or was re-dated since the last closed reporting period.",
    ),
}

# Longest list of items shown per movement on the "since the last report" page (counts are whole;
# the period's own page lists more).
CHANGES_LIMIT = 20


def _sections(scope: Scope) -> list[str]:
    """The breakdown pages of a scope's dashboard: a board's has no by-board page, a pilot's no
    by-pilot page."""
    return [
        name
        for name in SECTIONS
        if not (name == "boards" and scope.board)
        and not (name == "pilots" and scope.pilot)
        # Money and estates are London's (issue 16): on the London dashboard only.
        and not (name == "finance" and scope.kind != "all")
    ]


def _all_agreements(request: HttpRequest) -> bool:
    return request.GET.get("agreements") == "all"


@require_safe
def dashboard(request: HttpRequest, section: str | None = None) -> HttpResponse:
    """``/dashboard/``: all of London (the viewers' home page); ``/dashboard/<section>/``: one breakdown."""
    return _respond(request, Scope(all_agreements=_all_agreements(request)), section)


@require_safe
def pilot_dashboard(request: HttpRequest, slug: str, section: str | None = None) -> HttpResponse:
    """``/dashboard/pilots/<slug>/``: the commitments one pilot concerns."""
    pilot = get_object_or_404(Pilot, slug=slug)
    return _respond(request, Scope(kind="pilot", pilot=pilot, all_agreements=_all_agreements(request)), section)


@require_safe
def board_dashboard(request: HttpRequest, code: str, section: str | None = None) -> HttpResponse:
    """``/dashboard/boards/<code>/``: the commitments one board leads (code in any case)."""
    board = get_object_or_404(Board, code__iexact=code)
    return _respond(request, Scope(kind="board", board=board, all_agreements=_all_agreements(request)), section)


@require_safe
def party_dashboard(request: HttpRequest, slug: str, section: str | None = None) -> HttpResponse:
    """``/dashboard/parties/<slug>/``: the commitments a party owes under, and its obligations."""
    party = get_object_or_404(Party, slug=slug)
    return _respond(request, Scope(kind="party", party=party, all_agreements=_all_agreements(request)), section)


def section_url(scope: Scope, section: str | None) -> str:
    """The URL of a scope's dashboard (``section`` None) or of one of its breakdown pages."""
    if scope.pilot is not None:
        name, args = "pilot", [scope.pilot.slug]
    elif scope.board is not None:
        name, args = "board", [scope.board.code]
    elif scope.party is not None:
        name, args = "party", [scope.party.slug]
    else:
        name, args = "index", []
    if section is not None:
        name, args = ("section" if name == "index" else f"{name}-section"), [*args, section]
    url = reverse(f"dashboard:{name}", args=args)
    return f"{url}?agreements=all" if scope.all_agreements else url


# A dashboard page's rendered content (and a table's CSV) is kept this long at most; it is keyed by
# the version of the data, so it is never served once anything has changed (commitments.versioning,
# issue 7).
DASHBOARD_CACHE_SECONDS = 600


def _cache_key(scope: Scope) -> str | None:
    version = data_version()
    if version is None:
        return None
    target = scope.pilot or scope.board or scope.party
    digest = hashlib.sha256(version.encode()).hexdigest()[:24]
    return f"dashboard:{scope.kind}:{getattr(target, 'pk', '-')}:{int(scope.all_agreements)}:{timezone.localdate().isoformat()}:{digest}"


class _Charts:
    """The SVG charts of a dashboard, each drawn when a page first shows it (from the same parts
    its table is read from)."""

    def __init__(self, data: Dashboard) -> None:
        self.data = data

    @cached_property
    def theme(self) -> str:
        return rag_bar_chart(chart_id="chart-theme", title=self.data.by_theme.title, series=self.data.by_theme.series)

    @cached_property
    def party(self) -> str:
        by_party = self.data.by_party
        return (
            rag_bar_chart(chart_id="chart-party", title=by_party.title, series=by_party.series, unit="obligations")
            if by_party.series
            else ""
        )

    @cached_property
    def board(self) -> str:
        b = self.data.by_board
        return rag_bar_chart(chart_id="chart-board", title=b.title, series=b.series) if b is not None else ""

    @cached_property
    def pilot(self) -> str:
        p = self.data.by_pilot
        return rag_bar_chart(chart_id="chart-pilot", title=p.title, series=p.series) if p is not None else ""

    # Finance and estates (issue 16): amounts in pounds, each chart followed by its table.
    def _amounts(self, chart_id: str, key: str, rows: list[Any], keys: tuple[tuple[str, str], ...]) -> str:
        table = self.data.table(key)
        if table is None or not rows:
            return ""
        return amount_bar_chart(chart_id=chart_id, title=table.caption, rows=rows, keys=keys, fmt=short_pounds)

    @cached_property
    def finance_summary(self) -> str:
        f = self.data.finance
        if f is None:
            return ""
        rows = [AmountRow("Funding", {k: f.totals.get(k) for k, _ in MONEY_KEYS})]
        money = amount_bar_chart(
            chart_id="chart-finance", title="Funding: allocated, committed and spent", rows=rows, keys=MONEY_KEYS, fmt=short_pounds
        )
        receipts = AmountRow("Disposals", {k: f.receipts.get(k) for k, _ in RECEIPT_KEYS})
        return money + amount_bar_chart(
            chart_id="chart-receipts",
            title="Receipts from disposals: expected, realised and retained",
            rows=[receipts],
            keys=RECEIPT_KEYS,
            fmt=short_pounds,
        )

    @cached_property
    def finance_sub_region(self) -> str:
        f = self.data.finance
        return self._amounts("chart-finance-sub-region", "finance-sub-region", f.by_sub_region if f else [], MONEY_KEYS)

    @cached_property
    def finance_pilot(self) -> str:
        f = self.data.finance
        return self._amounts("chart-finance-pilot", "finance-pilot", f.by_pilot if f else [], MONEY_KEYS)

    @cached_property
    def receipts_sub_region(self) -> str:
        f = self.data.finance
        return self._amounts("chart-receipts-sub-region", "receipts-sub-region", f.receipts_by_sub_region if f else [], RECEIPT_KEYS)

    @cached_property
    def rag_trend(self) -> str:
        return rag_trend_chart(chart_id="chart-rag-trend", title=self.data.rag_trend_table.caption, points=self.data.rag_trend)

    @cached_property
    def overdue_trend(self) -> str:
        return overdue_trend_chart(
            chart_id="chart-overdue-trend", title=self.data.overdue_trend_table.caption, points=self.data.overdue_trend
        )


class _Tables:
    """The dashboard's tables by key for templates, hyphens written as underscores
    (``finance_tables.finance_sub_region`` is the ``finance-sub-region`` table); each built when
    first used."""

    def __init__(self, data: Dashboard) -> None:
        self.data = data

    def __getitem__(self, key: str) -> Any:
        table = self.data.table(key.replace("_", "-"))
        if table is None:
            raise KeyError(key)
        return table


def _respond(request: HttpRequest, scope: Scope, section: str | None = None) -> HttpResponse:
    sections = _sections(scope)
    if section is not None and section not in sections:
        raise Http404("This dashboard has no page of that name.")
    key = _cache_key(scope)
    data = build_dashboard(scope)  # reads nothing until a figure is used
    if request.GET.get("format") == "csv":
        return _csv(data, request.GET.get("table", ""), key)
    period = last_report(scope.board) if section == "changes" else None
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    base_query = query.urlencode()
    toggle_query = "" if scope.all_agreements else "agreements=all"
    return render(
        request,
        "dashboard/index.html",
        {
            "d": data,
            "scope": scope,
            "charts": _Charts(data),
            "tables": _Tables(data),
            "base_query": base_query,
            "toggle_query": toggle_query,
            # The page's content (every table and chart: ~2 MB of HTML at 100,000 commitments)
            # depends only on these and the data, so it is rendered once per version of the data.
            # Without a version (inside a writing transaction) it is not kept at all.
            "section": section,
            "section_title": SECTIONS[section][0] if section else "",
            "sections": [
                {"name": name, "title": SECTIONS[name][0], "description": SECTIONS[name][1], "url": section_url(scope, name)}
                for name in sections
            ],
            "dashboard_url": section_url(scope, None),
            "parties_url": section_url(scope, "parties"),
            # Closing a period changes what "since the last report" compares with, not the data.
            "content_cache_key": f"{key}|{section or ''}|{base_query}|{toggle_query}|{period.pk if period else ''}",
            "last_report": period,
            "movement": SimpleLazyObject(lambda: _movements(scope, period)),
            "movement_limit": CHANGES_LIMIT,
            "content_cache_seconds": DASHBOARD_CACHE_SECONDS if key else 0,
        },
    )


def _movements(scope: Scope, period: ReportingPeriod | None) -> list[dict[str, Any]]:
    """What moved in the scope since ``period``'s frozen figures, to today (built only when the
    page's content is not cached)."""
    if period is None or period.snapshot is None:
        return []
    return movement_sections(period.snapshot, limit=CHANGES_LIMIT, within=scope.items())


def _csv(data: Dashboard, key: str, cache_key: str | None) -> HttpResponse:
    """One table of the dashboard as CSV (UTF-8 with a byte-order mark, so spreadsheets read the
    names right), every text cell formula-safe; only that table's part is read, and the file is
    kept per version of the data like the pages."""
    if key not in Dashboard.TABLES:
        raise Http404("There is no table of that name on this dashboard.")
    body = cache.get(f"{cache_key}|csv|{key}") if cache_key else None
    if body is None:
        table = data.table(key)
        if table is None:
            raise Http404("There is no table of that name on this dashboard.")
        out = io.StringIO()
        writer = csv.writer(out)
        for row in table.csv_rows():
            writer.writerow([csv_safe(v) for v in row])
        body = out.getvalue()
        if cache_key:
            cache.set(f"{cache_key}|csv|{key}", body, DASHBOARD_CACHE_SECONDS)
    scope = data.scope
    name = {
        "all": "london",
        "pilot": getattr(scope.pilot, "slug", ""),
        "board": getattr(scope.board, "code", ""),
        "party": getattr(scope.party, "slug", ""),
    }[scope.kind]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in name.lower())
    response["Content-Disposition"] = f'attachment; filename="dashboard-{name}-{key}-{data.on.isoformat()}.csv"'
    response.write("\ufeff")
    response.write(body)
    return response
