"""The spreadsheet import (issue 3 §6): upload, preview, confirm (all rows or none), and the
template file. :mod:`commitments.imports` reads and checks; the service writes; the steps are
:mod:`.import_flow`'s, shared with the finance import."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods, require_POST

from devotracker.spreadsheets import csv_download

from .. import imports
from ..models import Status
from .common import may_write_anything
from .import_flow import SpreadsheetImport

# --- spreadsheet import -----------------------------------------------------------------------


class ActionImport(SpreadsheetImport):
    """Action updates, from the officers' and secretariats' own spreadsheets."""

    namespace = "commitments"
    done_url_name = "commitments:my-work"
    refusal = "Only officers and board secretariats can import updates."

    def may_import(self, user: Any) -> bool:
        return may_write_anything(user)

    def context(self, **extra: Any) -> dict[str, Any]:
        """What the import pages show about the format (columns, limits, vocabularies)."""
        return {
            "columns": imports.COLUMNS,
            "reference_columns": imports.REFERENCE_COLUMNS,
            "max_kb": settings.IMPORT_MAX_BYTES // 1024,
            "max_rows": imports.MAX_ROWS,
            "statuses": Status.values,
            **extra,
        }

    def read(self, upload: UploadedFile) -> tuple[dict[str, Any], list[imports.SheetRow]]:
        return {}, imports.read_sheet(upload)

    def validate(self, stash: dict[str, Any], rows: list[imports.SheetRow], user: Any) -> list[Any]:
        return imports.validate_rows(rows, user)

    def apply(self, stash: dict[str, Any], rows: list[imports.SheetRow], user: Any) -> list[Any]:
        return imports.apply_rows(rows, user)

    def saved_message(self, stash: dict[str, Any], results: list[Any]) -> str:
        submitted = sum(1 for r in results if r.submitted)
        saved = sum(1 for r in results if not r.unchanged) - submitted
        text = f"{saved} action update{'s' if saved != 1 else ''} saved from {stash.get('filename', 'the spreadsheet')}."
        if submitted:
            text += f" {submitted} {'were' if submitted != 1 else 'was'} submitted for the lead board's approval and will be published when approved."
        return text


ACTION_IMPORT = ActionImport()


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """``/import/``: step 1, upload a CSV or .xlsx of action updates and see what it would do."""
    return ACTION_IMPORT.upload(request)


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """``/import/confirm/``: step 2, save every previewed row or none (re-validated now)."""
    return ACTION_IMPORT.confirm(request)


def import_template(request: HttpRequest) -> HttpResponse:
    """``/import/template.csv``: the user's open actions with their current values, ready to fill in."""
    ACTION_IMPORT.require_importer(request)
    header, rows = imports.template_rows(request.user)
    return csv_download("devotracker-action-updates.csv", header, rows)
