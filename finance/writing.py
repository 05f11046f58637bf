"""The pages that change money and estates (issue 16): add and edit forms for funding streams,
funding lines, capital budgets and disposals, and the spreadsheet import of funding-line and
disposal updates (upload, preview, confirm all or nothing, templates).

Each form checks the writer may change the record before it is shown, then saves through
:mod:`finance.services` (which checks again), translating its refusals: 403, field errors in a
GOV.UK error summary, or a version conflict (the form again with the record as it is now).
Officers of a record's owning party see only the fields they may change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from commitments.views.import_flow import SpreadsheetImport
from devotracker.spreadsheets import csv_download

from . import imports, services
from .forms import BudgetForm, DisposalForm, FinanceForm, LineForm, StreamForm, with_version
from .models import CapitalBudget, Disposal, FinanceUpdate, FundingLine, FundingStream

# The fields each form shows when creating, and when a keeper changes a record (officers see
# services.officer_fields).
CREATE_FIELDS = {
    "stream": frozenset({"slug", "name", "kind", "description", "allocation", "allocation_source", "keeper", "commitments"}),
    "line": frozenset(
        {
            "stream",
            "description",
            "party",
            "pilot",
            "sub_region",
            "financial_year",
            "quarter",
            "allocated",
            "committed",
            "spent",
            "commitments",
        }
    ),
    "budget": frozenset({"financial_year", "amount", "retained_receipts", "notes", *BudgetForm.QUARTER_FIELDS}),
    "disposal": frozenset(DisposalForm.base_fields) - {"reason"},
}
EDIT_FIELDS = {
    "stream": CREATE_FIELDS["stream"] - {"slug"},
    "line": CREATE_FIELDS["line"] - {"stream"},
    "budget": CREATE_FIELDS["budget"] - {"financial_year"},
    "disposal": CREATE_FIELDS["disposal"],
}


def _record_page(kind: str, record: Any) -> str:
    """The record's read page (``finance:<kind>``), or the finance index while it does not exist."""
    from django.urls import NoReverseMatch

    key = {"stream": lambda r: r.slug, "line": lambda r: r.pk, "budget": lambda r: r.financial_year, "disposal": lambda r: r.pk}[kind]
    try:
        return reverse(f"finance:{kind}", args=[key(record)])
    except NoReverseMatch:
        return reverse("finance:index")


def _flags_message(saved: services.Saved) -> str:
    return (" It is flagged: " + " ".join(saved.flags)) if saved.flags else ""


def _form_page(
    request: HttpRequest,
    *,
    kind: str,
    form_class: type[FinanceForm],
    record: Any,
    heading: str,
    caption: str,
    back_url: str,
    save: Any,
    shown: frozenset[str],
    initial: dict[str, Any] | None = None,
    form_kwargs: dict[str, Any] | None = None,
) -> HttpResponse:
    """Show, check and save one finance form; ``save(form)`` calls the service."""
    conflict = None
    form_kwargs = form_kwargs or {}
    cls = with_version(form_class) if record is not None else form_class
    if request.method == "POST":
        form = cls(request.POST, shown=shown, **form_kwargs)
        if form.is_valid():
            try:
                saved = save(form)
            except services.NotAllowed as exc:
                if exc.errors:
                    form.add_service_errors(exc.errors)
                else:
                    raise PermissionDenied(exc.message) from None
            except services.VersionConflict as exc:
                current = exc.current
                conflict = {"seen": form.cleaned_data.get("version"), "now": current.version}
                history = list(FinanceUpdate.objects.filter(**{kind: current}, version__gt=conflict["seen"] or 0).select_related("author"))
                conflict["history"] = history
                data = request.POST.copy()
                data["version"] = str(current.version)
                form = cls(data, shown=shown, **form_kwargs)
                form.is_valid()
            except services.InvalidUpdate as exc:
                form.add_service_errors(exc.errors or {"__all__": [exc.message]})
            else:
                messages.success(request, f"{heading}: saved.{_flags_message(saved)}")
                return redirect(_record_page(kind, saved.record))
    else:
        form = cls(initial=initial or {}, shown=shown, **form_kwargs)
    status = 409 if conflict else 200
    return render(
        request,
        "finance/edit_form.html",
        {
            "form": form,
            "kind": kind,
            "record": record,
            "heading": heading,
            "caption": caption,
            "back_url": back_url,
            "conflict": conflict,
            "officer_only": record is not None and services.officer_fields(request.user, record) is not None,
        },
        status=status,
    )


def _add_page(
    request: HttpRequest,
    kind: str,
    form_class: type[FinanceForm],
    *,
    allowed: bool,
    refusal: str,
    heading: str,
    create: Any,
    initial: dict[str, Any] | None = None,
    form_kwargs: dict[str, Any] | None = None,
) -> HttpResponse:
    """A form that adds a record of ``kind``, saved by the service ``create``; 403 unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(refusal)
    return _form_page(
        request,
        kind=kind,
        form_class=form_class,
        record=None,
        heading=heading,
        caption="Money and estates",
        back_url=reverse("finance:index"),
        shown=CREATE_FIELDS[kind],
        initial=initial,
        form_kwargs=form_kwargs,
        save=lambda form: create(by=request.user, data=form.service_data(), reason=form.cleaned_data["reason"]),
    )


def _edit_page(
    request: HttpRequest, kind: str, form_class: type[FinanceForm], record: Any, *, refusal: str, heading: str, caption: str, update: Any
) -> HttpResponse:
    """A form that changes ``record``, saved by the service ``update``: for those who may change it
    (403 otherwise), with the fields they may change (officers of its owning party fewer)."""
    if not services.can_update(request.user, record):
        raise PermissionDenied(refusal)
    return _form_page(
        request,
        kind=kind,
        form_class=form_class,
        record=record,
        heading=heading,
        caption=caption,
        back_url=_record_page(kind, record),
        shown=services.officer_fields(request.user, record) or EDIT_FIELDS[kind],
        initial=form_class.initial_for(record),
        save=lambda form: update(
            record, by=request.user, version=form.cleaned_data["version"], data=form.service_data(), reason=form.cleaned_data["reason"]
        ),
    )


# --- funding streams ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def stream_add(request: HttpRequest) -> HttpResponse:
    """``/finance/streams/add/``: administrators, and secretariats for a stream their board keeps."""
    return _add_page(
        request,
        "stream",
        StreamForm,
        allowed=services.can_create_stream(request.user),
        refusal="Only a board's secretariat or an administrator can add a funding stream.",
        heading="Add a funding stream",
        create=services.create_stream,
    )


@require_http_methods(["GET", "POST"])
def stream_edit(request: HttpRequest, slug: str) -> HttpResponse:
    stream = get_object_or_404(FundingStream.objects.select_related("keeper"), slug=slug)
    return _edit_page(
        request,
        "stream",
        StreamForm,
        stream,
        refusal="Only the secretariat that keeps this stream can change it.",
        heading=f"Change {stream.name}",
        caption="Funding stream",
        update=services.update_stream,
    )


# --- funding lines ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def line_add(request: HttpRequest) -> HttpResponse:
    """``/finance/lines/add/`` (``?stream=<slug>`` chooses the stream): a stream's keepers."""
    streams = list(services.streams_kept_by(request.user).order_by("name"))
    return _add_page(
        request,
        "line",
        LineForm,
        allowed=bool(streams),
        refusal="Only the secretariat that keeps a funding stream can add lines to it.",
        heading="Add a funding line",
        initial={"stream": request.GET.get("stream", "")[:80], "allocated": "0.00", "committed": "0.00", "spent": "0.00"},
        form_kwargs={"streams": streams},
        create=services.create_line,
    )


@require_http_methods(["GET", "POST"])
def line_edit(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(FundingLine.objects.select_related("stream", "party", "pilot", "sub_region"), pk=pk)
    return _edit_page(
        request,
        "line",
        LineForm,
        line,
        refusal="Only the stream's secretariat or the line's party can change it.",
        heading=f"Change {line.description}",
        caption=f"{line.stream.name}, {line.year_label}",
        update=services.update_line,
    )


# --- capital budgets ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def budget_add(request: HttpRequest) -> HttpResponse:
    return _add_page(
        request,
        "budget",
        BudgetForm,
        allowed=services.can_keep_budgets(request.user),
        refusal="Only the London Estates Board's secretariat keeps the capital budget.",
        heading="Set a year's capital budget",
        create=services.create_budget,
    )


@require_http_methods(["GET", "POST"])
def budget_edit(request: HttpRequest, year: int) -> HttpResponse:
    budget = get_object_or_404(CapitalBudget, financial_year=year)
    return _edit_page(
        request,
        "budget",
        BudgetForm,
        budget,
        refusal="Only the London Estates Board's secretariat keeps the capital budget.",
        heading=f"Change the capital budget {budget.year_label}",
        caption="Capital budget and its profile",
        update=services.update_budget,
    )


# --- disposals ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def disposal_add(request: HttpRequest) -> HttpResponse:
    return _add_page(
        request,
        "disposal",
        DisposalForm,
        allowed=services.can_keep_disposals(request.user),
        refusal="Only the London Estates Board's secretariat records disposals.",
        heading="Record a disposal",
        initial={"status": Disposal.Status.PROPOSED},
        create=services.create_disposal,
    )


@require_http_methods(["GET", "POST"])
def disposal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    disposal = get_object_or_404(Disposal.objects.select_related("borough", "sub_region", "owner", "recommended_by"), pk=pk)
    return _edit_page(
        request,
        "disposal",
        DisposalForm,
        disposal,
        refusal="Only the London Estates Board's secretariat or the site's owner can change this disposal.",
        heading=f"Change {disposal.site}",
        caption=f"Disposal, {disposal.borough.name}",
        update=services.update_disposal,
    )


# --- the spreadsheet import ---------------------------------------------------------------------


class FinanceImport(SpreadsheetImport):
    """Funding-line or disposal updates (the sheet's key column says which)."""

    namespace = "finance"
    done_url_name = "finance:import"
    refusal = "Only finance officers, board secretariats and administrators can import updates."

    def may_import(self, user: Any) -> bool:
        return services.roles_of(user).writes_anything

    def context(self, **extra: Any) -> dict[str, Any]:
        return {"kinds": imports.KINDS, "max_rows": imports.MAX_ROWS, **extra}

    def read(self, upload: UploadedFile) -> tuple[dict[str, Any], list[imports.SheetRow]]:
        kind, rows = imports.read_finance_sheet(upload)
        return {"kind": kind}, rows

    def validate(self, stash: dict[str, Any], rows: list[imports.SheetRow], user: Any) -> list[Any]:
        return imports.validate_rows(stash["kind"], rows, user)

    def apply(self, stash: dict[str, Any], rows: list[imports.SheetRow], user: Any) -> list[Any]:
        return imports.apply_rows(stash["kind"], rows, user)

    def preview_context(self, results: list[Any]) -> dict[str, Any]:
        return {"flagged": sum(1 for r in results if r.ok and r.flags)}

    def saved_message(self, stash: dict[str, Any], results: list[Any]) -> str:
        saved = [r for r in results if not r.unchanged]
        noun = imports.KINDS[stash["kind"]].noun
        text = f"{len(saved)} {noun} update{'s' if len(saved) != 1 else ''} saved from {stash.get('filename', 'the spreadsheet')}."
        flagged = sum(1 for r in saved if r.flags)
        if flagged:
            text += f" {flagged} {'are' if flagged != 1 else 'is'} flagged: the totals do not add up."
        return text


FINANCE_IMPORT = FinanceImport()


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """``/finance/import/``: upload a CSV or .xlsx of funding-line or disposal updates and see
    what it would change; nothing is saved until it is confirmed, and then all rows or none."""
    return FINANCE_IMPORT.upload(request)


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """``/finance/import/confirm/``: save every previewed row or none (checked again now)."""
    return FINANCE_IMPORT.confirm(request)


def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    """``/finance/import/<kind>.csv``: the records the user may update, with their current values."""
    FINANCE_IMPORT.require_importer(request)
    if kind not in imports.KINDS:
        raise Http404("No such template.")
    header, rows = imports.template_rows(kind, request.user)
    return csv_download(f"devotracker-{kind}-updates.csv", header, rows)
