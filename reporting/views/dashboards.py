"""The dashboard pages (issue 6): thin views over :func:`reporting.dashboards.build_dashboard`.

Every signed-in user may read them (DESIGN.md §10). ``?agreements=all`` widens the view from the
agreements shown by default to all of them; ``?format=csv&table=<key>`` returns one of the page's
tables as a formula-safe CSV file instead of the page.
"""

from __future__ import annotations

import csv
import hashlib

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from boards.models import Board, Party
from commitments.versioning import data_version
from devotracker.spreadsheets import csv_safe
from pilots.models import Pilot

from ..charts import overdue_trend_chart, rag_bar_chart, rag_trend_chart
from ..dashboards import Dashboard, Scope, build_dashboard


def _all_agreements(request: HttpRequest) -> bool:
    return request.GET.get("agreements") == "all"


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """``/dashboard/``: all of London (the viewers' home page)."""
    return _respond(request, Scope(all_agreements=_all_agreements(request)))


@require_safe
def pilot_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """``/dashboard/pilots/<slug>/``: the commitments one pilot concerns."""
    pilot = get_object_or_404(Pilot, slug=slug)
    return _respond(request, Scope(kind="pilot", pilot=pilot, all_agreements=_all_agreements(request)))


@require_safe
def board_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    """``/dashboard/boards/<code>/``: the commitments one board leads (code in any case)."""
    board = get_object_or_404(Board, code__iexact=code)
    return _respond(request, Scope(kind="board", board=board, all_agreements=_all_agreements(request)))


@require_safe
def party_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """``/dashboard/parties/<slug>/``: the commitments a party owes under, and its obligations."""
    party = get_object_or_404(Party, slug=slug)
    return _respond(request, Scope(kind="party", party=party, all_agreements=_all_agreements(request)))


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


def _respond(request: HttpRequest, scope: Scope) -> HttpResponse:
    key = _cache_key(scope)
    built = _Built(scope, key)
    if request.GET.get("format") == "csv":
        return _csv(built.data(), request.GET.get("table", ""))
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
            "content_cache_key": f"{key}|{base_query}|{toggle_query}",
            "content_cache_seconds": DASHBOARD_CACHE_SECONDS if key else 0,
        },
    )


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
