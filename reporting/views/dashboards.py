"""The dashboard pages (issue 6): thin views over :func:`reporting.dashboards.build_dashboard`.

Every signed-in user may read them (DESIGN.md §10). A dashboard's own page is a short summary
linking to one page per breakdown (:data:`SECTIONS`), at ``<dashboard>/<section>/``. ``?agreements=all`` widens the view from the
agreements shown by default to all of them; ``?format=csv&table=<key>`` returns one of the page's
tables as a formula-safe CSV file instead of the page.
"""

from __future__ import annotations

import csv
import hashlib
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from boards.models import Board, Party
from commitments.versioning import data_version
from devotracker.spreadsheets import csv_safe
from pilots.models import Pilot

from ..charts import overdue_trend_chart, rag_bar_chart, rag_trend_chart
from ..comparisons import Kind, movement_sections
from ..dashboards import Dashboard, Scope, build_dashboard
from ..models import ReportingPeriod
from ..periods import last_report

# The pages a dashboard's figures are split into: the summary (the dashboard's own page) links to
# one page per breakdown, each with its chart, table and CSV (issue 13). Name -> (title, what it shows).
SECTIONS: dict[str, tuple[str, str]] = {
    "themes": ("By theme", "Commitments by theme and RAG rating."),
    "boards": ("By lead board", "Commitments by the board that leads them."),
    "pilots": ("By pilot", "Commitments by the pilot they concern."),
    "parties": ("By party", "Each party's obligations with their own RAG rating."),
    "overdue": ("Overdue", "Obligations and actions past their due date and still open, most overdue first."),
    "due": ("Due soon", "Open obligations and actions due in the next 30, 60 and 90 days."),
    "recent": ("Recently changed", "The latest updates recorded."),
    "trends": ("Trends", "The RAG mix of obligations month by month, and overdue items week by week."),
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
    return [name for name in SECTIONS if not (name == "boards" and scope.board) and not (name == "pilots" and scope.pilot)]


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


# A built dashboard (figures and charts) is kept this long at most; it is keyed by the version of
# the data, so it is never served once anything has changed (commitments.versioning, issue 7).
DASHBOARD_CACHE_SECONDS = 600


def _cache_key(scope: Scope) -> str | None:
    version = data_version()
    if version is None:
        return None
    target = scope.pilot or scope.board or scope.party
    digest = hashlib.sha256(version.encode()).hexdigest()[:24]
    return f"dashboard:{scope.kind}:{getattr(target, 'pk', '-')}:{int(scope.all_agreements)}:{timezone.localdate().isoformat()}:{digest}"


class _Built:
    """The dashboard's figures and charts, built (or taken from the cache, when the data has not
    changed) only when first needed: a page whose rendered content is cached needs neither."""

    def __init__(self, scope: Scope, key: str | None) -> None:
        self.scope, self.key = scope, key
        self._value: tuple[Dashboard, dict[str, str]] | None = None

    def get(self) -> tuple[Dashboard, dict[str, str]]:
        if self._value is None:
            cached = cache.get(self.key) if self.key else None
            if cached is None:
                data = build_dashboard(self.scope)
                cached = (data, _charts(data))
                if self.key:
                    cache.set(self.key, cached, DASHBOARD_CACHE_SECONDS)
            self._value = cached
        return self._value

    def data(self) -> Dashboard:
        return self.get()[0]

    def charts(self) -> dict[str, str]:
        return self.get()[1]


def _respond(request: HttpRequest, scope: Scope, section: str | None = None) -> HttpResponse:
    sections = _sections(scope)
    if section is not None and section not in sections:
        raise Http404("This dashboard has no page of that name.")
    key = _cache_key(scope)
    built = _Built(scope, key)
    if request.GET.get("format") == "csv":
        return _csv(built.data(), request.GET.get("table", ""))
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
            "d": SimpleLazyObject(built.data),
            "scope": scope,
            "charts": SimpleLazyObject(built.charts),
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
    within: dict[Kind, QuerySet[Any]] = {"commitments": scope.commitments(), "obligations": scope.obligations()}
    return movement_sections(period.snapshot, limit=CHANGES_LIMIT, within=within)


def _charts(data: Dashboard) -> dict[str, str]:
    charts = {
        "theme": rag_bar_chart(chart_id="chart-theme", title=data.by_theme.title, series=data.by_theme.series),
        "party": rag_bar_chart(chart_id="chart-party", title=data.by_party.title, series=data.by_party.series, unit="obligations")
        if data.by_party.series
        else "",
        "rag_trend": rag_trend_chart(chart_id="chart-rag-trend", title=data.rag_trend_table.caption, points=data.rag_trend),
        "overdue_trend": overdue_trend_chart(
            chart_id="chart-overdue-trend", title=data.overdue_trend_table.caption, points=data.overdue_trend
        ),
    }
    if data.by_board is not None:
        charts["board"] = rag_bar_chart(chart_id="chart-board", title=data.by_board.title, series=data.by_board.series)
    if data.by_pilot is not None:
        charts["pilot"] = rag_bar_chart(chart_id="chart-pilot", title=data.by_pilot.title, series=data.by_pilot.series)
    return charts


def _csv(data: Dashboard, key: str) -> HttpResponse:
    """One table of the dashboard as CSV (UTF-8 with a byte-order mark, so spreadsheets read the
    names right), every text cell formula-safe."""
    table = data.tables().get(key)
    if table is None:
        raise Http404("There is no table of that name on this dashboard.")
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
    writer = csv.writer(response)
    for row in table.csv_rows():
        writer.writerow([csv_safe(v) for v in row])
    return response
