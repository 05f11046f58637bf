"""Money and estates: the read pages (issue 16, point 3).

``/finance/`` (headline figures and links), the funding streams, lines, capital budgets and
disposals: each list filtered by the app's FilterSets (the API's parameters), sortable, paginated
and downloadable as CSV (``?format=csv``: every row the filters select, amounts in pounds with two
decimals, every text cell formula-safe), and each record with its history of changes. Every
signed-in user reads them (DESIGN.md §10). The forms that change the records are linked from here
when they exist and the user may use them by the services' rules (:func:`form_url`). A page runs a fixed number of queries
whatever the number of rows (``tests/finance/test_pages.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from boards.models import Party
from commitments.views.common import filter_errors, paginate, params_without, sorting, tidy_query
from devotracker.spreadsheets import csv_download
from pilots.models import Borough, Pilot, SubRegion

from . import services
from .figures import (
    STREAM_OVER_ALLOCATED,
    FinanceFigures,
    line_sums,
    receipt_sums,
    with_line_totals,
    with_profile,
)
from .filtersets import CapitalBudgetFilterSet, DisposalFilterSet, FundingLineFilterSet, FundingStreamFilterSet
from .models import CapitalBudget, CapitalBudgetQuarter, Disposal, FinanceUpdate, FundingLine, FundingStream, year_label
from .money import pounds_text

# --- the forms' links -------------------------------------------------------------------------

# The pages that change finance records (finance/urls.py): shown only once they exist.
WRITE_PAGES = ("line-edit", "line-add", "disposal-edit", "disposal-add", "budget-edit", "stream-edit", "import")


def _url_or_none(name: str, *args: Any) -> str | None:
    try:
        return reverse(f"finance:{name}", args=args)
    except NoReverseMatch:
        return None


def form_url(name: str, allowed: bool, *args: Any) -> str | None:
    """The URL of finance form ``name`` (``line-edit``, ``disposal-add``, …) for ``args`` when the
    user may use it (``allowed``: the services' own rule, :mod:`finance.services`), or None when
    they may not or the form does not exist."""
    return _url_or_none(name, *args) if allowed else None


def _adds_lines(user: Any) -> bool:
    """Administrators and the secretariat of a board (which keeps a stream) add lines and streams."""
    roles = services.roles_of(user)
    return roles.admin or bool(roles.boards)


# --- CSV ----------------------------------------------------------------------------------------


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """A CSV download: UTF-8 with a byte-order mark (so spreadsheets read names right), every text
    cell formula-safe (:func:`devotracker.spreadsheets.csv_safe`), amounts already in pounds."""
    return csv_download(f"{filename}-{timezone.localdate().isoformat()}.csv", header, rows)


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


# --- lists --------------------------------------------------------------------------------------


def _filtered(request: HttpRequest, filterset: Any, default_sort: str) -> tuple[QuerySet[Any], dict[str, Any]]:
    """The filtered, sorted rows and what every finance list page shows (the filter form and its
    errors, the sortable columns). The rows are not read here."""
    terms, columns, sort_error = sorting(request, filterset.filters["ordering"].page_sorts(), default_sort)
    qs = filterset.qs if filterset.is_bound else filterset.queryset.all()
    errors = filter_errors(filterset.form, [sort_error] if sort_error else []) if filterset.is_bound else []
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return qs.order_by(*terms), {
        "filterset": filterset,
        "form": filterset.form,
        "columns": columns,
        "error_entries": errors,
        "filtered": params_without(request, "format"),
        "csv_query": query.urlencode(),
    }


def _page(request: HttpRequest, qs: QuerySet[Any], context: dict[str, Any]) -> dict[str, Any]:
    page, page_range = paginate(request, qs)
    context.update(page_obj=page, page_range=page_range)
    return context


def _options(model: Any, value: str = "slug", label: str = "name", *, blank: str = "") -> list[tuple[str, str]]:
    rows = [(str(v), str(n)) for v, n in model.objects.order_by(label).values_list(value, label)]
    return [("", blank), *rows] if blank else rows


def _bool_options(yes: str, no: str) -> list[tuple[str, str]]:
    return [("", "Any"), ("true", yes), ("false", no)]


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """``/finance/``: the headline figures (allocated, committed and spent; receipts expected,
    realised and retained; what is flagged; the latest capital budget) and the way to each list.

    Queries: line totals, receipts, streams with their lines' totals, budgets and their quarters,
    streams over-allocated (6)."""
    figures = FinanceFigures()
    return render(
        request,
        "finance/index.html",
        {
            "figures": figures,
            "totals": figures.totals,
            "receipts": figures.receipts,
            "streams": figures.by_stream,
            "budget": figures.budgets[0] if figures.budgets else None,
            "flags": figures.flags,
            "links": {
                "line_add": form_url("line-add", _adds_lines(request.user)),
                "disposal_add": form_url("disposal-add", services.can_keep_disposals(request.user)),
                "budget_add": form_url("budget-add", services.can_keep_budgets(request.user)),
                "import": form_url("import", services.roles_of(request.user).writes_anything),
            },
        },
    )


@require_safe
def stream_list(request: HttpRequest) -> HttpResponse:
    """``/finance/streams/``: every funding stream with its allocation (and where the figure comes
    from) against its lines' totals. Queries: the count and the page (2)."""
    if tidy := tidy_query(request):
        return tidy
    queryset = with_line_totals(FundingStream.objects.select_related("keeper"))
    filterset = FundingStreamFilterSet(request.GET or None, queryset=queryset, request=request)
    qs, context = _filtered(request, filterset, "name")
    if _wants_csv(request) and not context["error_entries"]:
        return csv_response(
            "funding-streams",
            [
                "slug",
                "name",
                "kind",
                "allocation",
                "allocation_source",
                "lines_allocated",
                "lines_committed",
                "lines_spent",
                "lines",
                "flagged_lines",
                "over_allocated",
                "keeper",
                "is_demo",
            ],
            (
                [
                    s.slug,
                    s.name,
                    s.get_kind_display(),
                    pounds_text(s.allocation_pence),
                    s.allocation_source,
                    pounds_text(s.lines_allocated),
                    pounds_text(s.lines_committed),
                    pounds_text(s.lines_spent),
                    s.line_count,
                    s.flagged_lines,
                    _yes(s.allocation_pence is not None and s.lines_allocated > s.allocation_pence),
                    s.keeper.code if s.keeper else "",
                    _yes(s.is_demo),
                ]
                for s in qs
            ),
        )
    context = _page(request, qs, context)
    for s in context["page_obj"].object_list:
        s.over_allocated = s.allocation_pence is not None and s.lines_allocated > s.allocation_pence
    context.update(
        kind_options=list(FundingStream.Kind.choices),
        flagged_options=_bool_options("Over-allocated", "Not over-allocated"),
        over_allocated_text=STREAM_OVER_ALLOCATED,
        add_url=form_url("stream-add", _adds_lines(request.user)),
        noun="funding streams",
        table_id="streams",
    )
    return render(request, "finance/stream_list.html", context)


@require_safe
def stream_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """``/finance/streams/<slug>/``: the stream, where its allocation comes from, the commitments it
    funds, its lines and its history. Queries: the stream with its lines' totals (1), its
    commitments (1), its lines (1), its history (1)."""
    stream = get_object_or_404(with_line_totals(FundingStream.objects.select_related("keeper")), slug=slug)
    lines = list(stream.lines.select_related("party", "pilot", "sub_region").order_by("financial_year", "quarter", "description", "pk"))
    over = stream.allocation_pence is not None and stream.lines_allocated > stream.allocation_pence  # type: ignore[attr-defined]
    return render(
        request,
        "finance/stream_detail.html",
        {
            "stream": stream,
            "commitments": list(stream.commitments.order_by("ref")),
            "lines": lines,
            "over_allocated": over,
            "over_allocated_text": STREAM_OVER_ALLOCATED,
            "history": history_rows(stream.updates.select_related("author"), FundingStream),
            "edit_url": form_url("stream-edit", services.can_keep_stream(request.user, stream), stream.slug),
            "add_line_url": form_url("line-add", services.can_create_line(request.user, stream)),
        },
    )


@require_safe
def line_list(request: HttpRequest) -> HttpResponse:
    """``/finance/lines/``: every funding line, filtered (stream, party, pilot, sub-region, year,
    quarter, commitment, flagged), with the totals of what the filters select. Queries: the
    choices offered (streams, parties, pilots, sub-regions: 4), the totals (1), the count and the
    page (2)."""
    if tidy := tidy_query(request):
        return tidy
    queryset = FundingLine.objects.select_related("stream", "party", "pilot", "sub_region")
    filterset = FundingLineFilterSet(request.GET or None, queryset=queryset, request=request)
    qs, context = _filtered(request, filterset, "stream")
    if _wants_csv(request) and not context["error_entries"]:
        return csv_response("funding-lines", LINE_CSV_HEADER, (line_csv_row(line) for line in qs))
    context = _page(request, qs, context)
    context.update(
        totals=qs.order_by().aggregate(**line_sums()),
        stream_options=_options(FundingStream, blank="Any stream"),
        party_options=_options(Party, blank="Any party"),
        pilot_options=_options(Pilot, blank="Any pilot"),
        sub_region_options=_options(SubRegion, blank="Any sub-region"),
        quarter_options=[("", "Any quarter"), *((str(n), f"Q{n}") for n in range(1, 5))],
        flagged_options=_bool_options("Flagged", "Not flagged"),
        add_url=form_url("line-add", _adds_lines(request.user)),
        import_url=form_url("import", services.roles_of(request.user).writes_anything),
        noun="funding lines",
        table_id="lines",
    )
    return render(request, "finance/line_list.html", context)


LINE_CSV_HEADER = [
    "id",
    "stream",
    "description",
    "financial_year",
    "quarter",
    "party",
    "pilot",
    "sub_region",
    "allocated",
    "committed",
    "spent",
    "flags",
    "is_demo",
]


def line_csv_row(line: FundingLine) -> list[Any]:
    return [
        line.pk,
        line.stream.slug,
        line.description,
        line.year_label,
        f"Q{line.quarter}" if line.quarter else "",
        line.party.slug if line.party else "",
        line.pilot.slug if line.pilot else "",
        line.sub_region.slug if line.sub_region else "",
        pounds_text(line.allocated_pence),
        pounds_text(line.committed_pence),
        pounds_text(line.spent_pence),
        " ".join(line.flags),
        _yes(line.is_demo),
    ]


@require_safe
def line_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """``/finance/lines/<id>/``: a line, what does not add up, the commitments it funds and its
    history. Queries: the line (1), its commitments (1), its history (1)."""
    line = get_object_or_404(FundingLine.objects.select_related("stream", "party", "pilot", "sub_region", "created_by"), pk=pk)
    return render(
        request,
        "finance/line_detail.html",
        {
            "line": line,
            "commitments": list(line.commitments.order_by("ref")),
            "history": history_rows(line.updates.select_related("author"), FundingLine),
            "edit_url": form_url("line-edit", services.can_update(request.user, line), line.pk),
        },
    )


@require_safe
def budget_list(request: HttpRequest) -> HttpResponse:
    """``/finance/budgets/``: each year's capital budget with its profile's totals and flags.
    Queries: the count, the page and its quarters (3); the CSV, the budgets and their quarters (2)."""
    if tidy := tidy_query(request):
        return tidy
    queryset = with_profile(CapitalBudget.objects.select_related("keeper")).prefetch_related(
        Prefetch("quarters", queryset=CapitalBudgetQuarter.objects.order_by("quarter"))
    )
    filterset = CapitalBudgetFilterSet(request.GET or None, queryset=queryset, request=request)
    qs, context = _filtered(request, filterset, "-year")
    if _wants_csv(request) and not context["error_entries"]:
        return csv_response("capital-budgets", BUDGET_CSV_HEADER, (budget_csv_row(b) for b in qs))
    context = _page(request, qs, context)
    for b in context["page_obj"].object_list:
        b.flag_list = b.flags(list(b.quarters.all()))
    context.update(
        flagged_options=_bool_options("Flagged", "Not flagged"),
        add_url=form_url("budget-add", services.can_keep_budgets(request.user)),
        noun="capital budgets",
        table_id="budgets",
    )
    return render(request, "finance/budget_list.html", context)


BUDGET_CSV_HEADER = [
    "financial_year",
    "budget",
    "retained_receipts",
    "total",
    "profiled",
    "spent",
    *(f"q{n}_{k}" for n in range(1, 5) for k in ("planned", "spent")),
    "flags",
    "is_demo",
]


def budget_csv_row(budget: CapitalBudget) -> list[Any]:
    quarters = {q.quarter: q for q in budget.quarters.all()}
    per_quarter: list[str] = []
    for n in range(1, 5):
        q = quarters.get(n)
        per_quarter += [pounds_text(q.planned_pence), pounds_text(q.spent_pence)] if q else ["", ""]
    return [
        year_label(budget.financial_year),
        pounds_text(budget.amount_pence),
        pounds_text(budget.retained_receipts_pence),
        pounds_text(budget.amount_pence + budget.retained_receipts_pence),
        pounds_text(sum(q.planned_pence for q in quarters.values())),
        pounds_text(sum(q.spent_pence for q in quarters.values())),
        *per_quarter,
        " ".join(budget.flags(list(quarters.values()))),
        _yes(budget.is_demo),
    ]


@require_safe
def budget_detail(request: HttpRequest, year: int) -> HttpResponse:
    """``/finance/budgets/<year>/``: a year's capital budget, its profile by quarter (planned
    against spent), what does not add up, its history. Queries: the budget (1), its quarters (1),
    its history (1)."""
    budget = get_object_or_404(CapitalBudget.objects.select_related("keeper"), financial_year=year)
    quarters = list(budget.quarters.order_by("quarter"))
    for q in quarters:
        q.left_pence = q.planned_pence - q.spent_pence  # type: ignore[attr-defined]
    planned = sum(q.planned_pence for q in quarters)
    spent = sum(q.spent_pence for q in quarters)
    return render(
        request,
        "finance/budget_detail.html",
        {
            "budget": budget,
            "quarters": quarters,
            "planned": planned,
            "spent": spent,
            "total": budget.amount_pence + budget.retained_receipts_pence,
            "flags": budget.flags(quarters),
            "history": history_rows(budget.updates.select_related("author"), CapitalBudget),
            "edit_url": form_url("budget-edit", services.can_update(request.user, budget), budget.financial_year),
        },
    )


@require_safe
def disposal_list(request: HttpRequest) -> HttpResponse:
    """``/finance/disposals/``: disposals of NHS sites, filtered (status, sub-region, borough, owner,
    recommending board, decided), with the receipts the filters select. Queries: the choices
    (sub-regions, boroughs: 2), the totals (1), the count and the page (2)."""
    if tidy := tidy_query(request):
        return tidy
    queryset = Disposal.objects.select_related("borough", "sub_region", "owner", "recommended_by")
    filterset = DisposalFilterSet(request.GET or None, queryset=queryset, request=request)
    qs, context = _filtered(request, filterset, "sub_region")
    if _wants_csv(request) and not context["error_entries"]:
        return csv_response("disposals", DISPOSAL_CSV_HEADER, (disposal_csv_row(d) for d in qs))
    context = _page(request, qs, context)
    context.update(
        totals=qs.order_by().aggregate(**receipt_sums()),
        status_options=list(Disposal.Status.choices),
        sub_region_options=_options(SubRegion, blank="Any sub-region"),
        borough_options=_options(Borough, blank="Any borough"),
        decided_options=_bool_options("Decided", "No decision yet"),
        add_url=form_url("disposal-add", services.can_keep_disposals(request.user)),
        import_url=form_url("import", services.roles_of(request.user).writes_anything),
        noun="disposals",
        heading="Disposals of NHS sites",
    )
    return render(request, "finance/disposal_list.html", context)


DISPOSAL_CSV_HEADER = [
    "id",
    "site",
    "borough",
    "sub_region",
    "owner",
    "status",
    "expected_receipt",
    "actual_receipt",
    "retained_share_percent",
    "retained",
    "recommended_by",
    "recommended_on",
    "recommendation",
    "decided_on",
    "decision",
    "completed_on",
    "is_demo",
]


def disposal_csv_row(d: Disposal) -> list[Any]:
    return [
        d.pk,
        d.site,
        d.borough.slug,
        d.sub_region.slug,
        d.owner.slug,
        d.get_status_display(),
        pounds_text(d.expected_receipt_pence),
        pounds_text(d.actual_receipt_pence),
        "" if d.retained_share_percent is None else d.retained_share_percent,
        pounds_text(d.retained_pence),
        d.recommended_by.code if d.recommended_by else "",
        d.recommended_on.isoformat() if d.recommended_on else "",
        d.recommendation,
        d.decided_on.isoformat() if d.decided_on else "",
        d.decision,
        d.completed_on.isoformat() if d.completed_on else "",
        _yes(d.is_demo),
    ]


@require_safe
def disposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """``/finance/disposals/<id>/``: a disposal, its receipts, the board's recommendation and the
    decision, the commitments it serves and its history. Queries: the disposal (1), its
    commitments (1), its history (1)."""
    disposal = get_object_or_404(Disposal.objects.select_related("borough", "sub_region", "owner", "recommended_by"), pk=pk)
    return render(
        request,
        "finance/disposal_detail.html",
        {
            "disposal": disposal,
            "commitments": list(disposal.commitments.order_by("ref")),
            "history": history_rows(disposal.updates.select_related("author"), Disposal),
            "edit_url": form_url("disposal-edit", services.can_update(request.user, disposal), disposal.pk),
        },
    )


# --- history ------------------------------------------------------------------------------------


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def field_label(model: Any, name: str) -> str:
    """A changed field as people read it: the model field's verbose name, without "pence"."""
    try:
        label = str(model._meta.get_field(name).verbose_name)
    except Exception:
        label = name.replace("_", " ")
    label = label.removesuffix(" pence").replace("pence", "").strip()
    return label[:1].upper() + label[1:]


def history_rows(updates: QuerySet[FinanceUpdate], model: Any) -> list[dict[str, Any]]:
    """A record's history, newest first (one query): each update with who, when, how, why, and
    each changed field as (label, before, after, is an amount)."""
    out = []
    for u in updates.order_by("-created_at", "-id"):
        changes = u.changes if isinstance(u.changes, dict) else {}
        out.append(
            {
                "update": u,
                "changes": [
                    {
                        "label": field_label(model, name),
                        "before": pair[0] if isinstance(pair, (list, tuple)) and len(pair) == 2 else None,
                        "after": pair[1] if isinstance(pair, (list, tuple)) and len(pair) == 2 else pair,
                        "amount": name.endswith("_pence"),
                    }
                    for name, pair in changes.items()
                ],
            }
        )
    return out
