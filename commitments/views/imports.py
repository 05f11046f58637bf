"""The spreadsheet import (issue 3 §6): upload, preview, confirm (all rows or none), and the
template file. :mod:`commitments.imports` reads and checks; the service writes."""

from __future__ import annotations

import csv
import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from devotracker.spreadsheets import csv_safe

from .. import imports
from ..forms import ImportConfirmForm, ImportUploadForm
from ..models import Status
from .common import may_write_anything

IMPORT_SESSION_KEY = "commitments.import"


# --- spreadsheet import -----------------------------------------------------------------------


def _import_context(**extra: Any) -> dict[str, Any]:
    """What the import pages show about the format (columns, limits, vocabularies)."""
    return {
        "columns": imports.COLUMNS,
        "reference_columns": imports.REFERENCE_COLUMNS,
        "max_kb": settings.IMPORT_MAX_BYTES // 1024,
        "max_rows": imports.MAX_ROWS,
        "statuses": Status.values,
        **extra,
    }


def _require_importer(request: HttpRequest) -> None:
    """Raise 403 for users who may not write anything (viewers): they have nothing to import."""
    if not may_write_anything(request.user):
        raise PermissionDenied("Only officers and board secretariats can import updates.")


def _preview(
    request: HttpRequest, results: list[imports.RowResult], *, filename: str, token: str | None, status: int = 200
) -> HttpResponse:
    """The preview of an upload: each row's changes or problems, an error summary naming every
    bad row and column, and the confirm button only when there is something valid to save."""
    bad = [r for r in results if not r.ok]
    entries = [(f"#row-{r.number}", f"Row {r.number}, {col}: {msg}") for r in bad for col, msg in r.error_list()]
    return render(
        request,
        "commitments/import_preview.html",
        _import_context(
            results=results,
            filename=filename,
            token=token,
            bad_rows=bad,
            error_entries=entries,
            to_save=sum(1 for r in results if r.ok and not r.unchanged),
            unchanged=sum(1 for r in results if r.unchanged),
            # Nothing to confirm when every row matches what is recorded.
            confirm_form=ImportConfirmForm(initial={"token": token}) if token and any(r.ok and not r.unchanged for r in results) else None,
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """``/import/``: step 1, upload a CSV or .xlsx of action updates and see what it would do.

    A file that is valid throughout is kept in the session (its rows only, a few KB) under a fresh
    token until it is confirmed; a file with any bad row is only previewed, with every error.
    """
    _require_importer(request)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rows = imports.read_sheet(upload)
            except imports.ImportFileError as exc:
                form.add_error("file", exc.message)
            else:
                results = imports.validate_rows(rows, request.user)
                token = None
                if all(r.ok for r in results):
                    token = secrets.token_urlsafe(16)
                    request.session[IMPORT_SESSION_KEY] = {
                        "token": token,
                        "filename": upload.name,
                        "rows": [r.as_json() for r in rows],
                    }
                else:
                    request.session.pop(IMPORT_SESSION_KEY, None)
                return _preview(request, results, filename=upload.name, token=token)
    else:
        form = ImportUploadForm()
    return render(request, "commitments/import_upload.html", _import_context(form=form))


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """``/import/confirm/``: step 2, save every previewed row or none (re-validated now)."""
    _require_importer(request)
    form = ImportConfirmForm(request.POST)
    stash = request.session.get(IMPORT_SESSION_KEY)
    if not form.is_valid() or not stash or not secrets.compare_digest(str(stash.get("token", "")), form.cleaned_data["token"]):
        messages.error(request, "That upload has expired or was already saved. Upload the file again.")
        return redirect("commitments:import")
    rows = [imports.SheetRow.from_json(r) for r in stash["rows"]]
    try:
        results = imports.apply_rows(rows, request.user)
    except imports.ImportInvalid as exc:
        request.session.pop(IMPORT_SESSION_KEY, None)
        return _preview(request, exc.results, filename=stash.get("filename", ""), token=None, status=409)
    request.session.pop(IMPORT_SESSION_KEY, None)
    submitted = sum(1 for r in results if r.submitted)
    saved = sum(1 for r in results if not r.unchanged) - submitted
    text = f"{saved} action update{'s' if saved != 1 else ''} saved from {stash.get('filename', 'the spreadsheet')}."
    if submitted:
        text += f" {submitted} {'were' if submitted != 1 else 'was'} submitted for the lead board's approval and will be published when approved."
    messages.success(request, text)
    return redirect("commitments:my-work")


def import_template(request: HttpRequest) -> HttpResponse:
    """``/import/template.csv``: the user's open actions with their current values, ready to fill in."""
    _require_importer(request)
    header, rows = imports.template_rows(request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="devotracker-action-updates.csv"'
    response.write("\ufeff")  # so Excel opens it as UTF-8
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return response
