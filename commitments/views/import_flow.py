"""The spreadsheet import's steps, written once for every import (action updates here, funding
lines and disposals in :mod:`finance.writing`): upload and preview, confirm (all rows or none,
checked again), and the template file.

A file that is valid throughout is kept in the session (its rows only, a few KB) under a fresh
token until it is confirmed; a file with any bad row is only previewed, with every error. Each
import says what differs in a subclass of :class:`SpreadsheetImport`: who may import, how a file is
read, checked and applied, the pages, and the message once it is saved.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar, Protocol

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ..forms import ImportConfirmForm, ImportUploadForm
from ..imports import ImportFileError, ImportInvalid, SheetRow


class RowOutcome(Protocol):
    """What the preview needs of a checked row (:class:`commitments.imports.RowResult`,
    :class:`finance.imports.FinanceRow`)."""

    number: int
    unchanged: bool

    @property
    def ok(self) -> bool: ...

    def error_list(self) -> list[tuple[str, str]]: ...


class SpreadsheetImport:
    """One spreadsheet import, named by its app's URL namespace: its URLs are ``<namespace>:import``
    (upload and preview) and ``<namespace>:import-confirm``, its pages
    ``<namespace>/import_upload.html`` and ``<namespace>/import_preview.html`` (which extends
    ``commitments/_import_preview.html``), and the upload waits in the session under
    ``<namespace>.import``. ``apply`` raises :class:`commitments.imports.ImportInvalid`, with the
    checked rows, when any row is wrong now."""

    namespace: ClassVar[str]
    done_url_name: ClassVar[str]
    refusal: ClassVar[str]

    @property
    def session_key(self) -> str:
        return f"{self.namespace}.import"

    # --- what each import says ------------------------------------------------------------------

    def may_import(self, user: Any) -> bool:
        raise NotImplementedError

    def context(self, **extra: Any) -> dict[str, Any]:
        """What the import pages show about the format."""
        raise NotImplementedError

    def read(self, upload: UploadedFile) -> tuple[dict[str, Any], list[SheetRow]]:
        """What to keep with the rows in the session besides them (``{}`` when nothing), and the
        rows; raises :class:`commitments.imports.ImportFileError`."""
        raise NotImplementedError

    def validate(self, stash: dict[str, Any], rows: list[SheetRow], user: Any) -> list[Any]:
        raise NotImplementedError

    def apply(self, stash: dict[str, Any], rows: list[SheetRow], user: Any) -> list[Any]:
        raise NotImplementedError

    def saved_message(self, stash: dict[str, Any], results: list[Any]) -> str:
        raise NotImplementedError

    def preview_context(self, results: list[Any]) -> dict[str, Any]:
        """What this import's preview shows besides every import's counts."""
        return {}

    # --- the steps ------------------------------------------------------------------------------

    def require_importer(self, request: HttpRequest) -> None:
        """403 for users who may not write anything: they have nothing to import."""
        if not self.may_import(request.user):
            raise PermissionDenied(self.refusal)

    def preview(
        self, request: HttpRequest, results: list[RowOutcome], *, filename: str, token: str | None, status: int = 200
    ) -> HttpResponse:
        """The preview of an upload: each row's changes or problems, an error summary naming every
        bad row and column, and the confirm button only when there is something valid to save
        (nothing to confirm when every row matches what is recorded)."""
        bad = [r for r in results if not r.ok]
        entries = [(f"#row-{r.number}", f"Row {r.number}, {col}: {msg}") for r in bad for col, msg in r.error_list()]
        to_save = sum(1 for r in results if r.ok and not r.unchanged)
        return render(
            request,
            f"{self.namespace}/import_preview.html",
            self.context(
                results=results,
                filename=filename,
                token=token,
                bad_rows=bad,
                error_entries=entries,
                to_save=to_save,
                unchanged=sum(1 for r in results if r.unchanged),
                confirm_form=ImportConfirmForm(initial={"token": token}) if token and to_save else None,
                import_url=reverse(f"{self.namespace}:import"),
                confirm_url=reverse(f"{self.namespace}:import-confirm"),
                **self.preview_context(results),
            ),
            status=status,
        )

    def upload(self, request: HttpRequest) -> HttpResponse:
        """Step 1: upload a CSV or .xlsx and see what it would do."""
        self.require_importer(request)
        if request.method == "POST":
            form = ImportUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    extra, rows = self.read(upload)
                except ImportFileError as exc:
                    form.add_error("file", exc.message)
                else:
                    results = self.validate(extra, rows, request.user)
                    token = None
                    if all(r.ok for r in results):
                        token = secrets.token_urlsafe(16)
                        request.session[self.session_key] = {
                            "token": token,
                            **extra,
                            "filename": upload.name,
                            "rows": [r.as_json() for r in rows],
                        }
                    else:
                        request.session.pop(self.session_key, None)
                    return self.preview(request, results, filename=upload.name, token=token)
        else:
            form = ImportUploadForm()
        return render(request, f"{self.namespace}/import_upload.html", self.context(form=form))

    def confirm(self, request: HttpRequest) -> HttpResponse:
        """Step 2: save every previewed row or none (checked again now)."""
        self.require_importer(request)
        form = ImportConfirmForm(request.POST)
        stash = request.session.get(self.session_key)
        if not form.is_valid() or not stash or not secrets.compare_digest(str(stash.get("token", "")), form.cleaned_data["token"]):
            messages.error(request, "That upload has expired or was already saved. Upload the file again.")
            return redirect(f"{self.namespace}:import")
        rows = [SheetRow.from_json(r) for r in stash["rows"]]
        try:
            results = self.apply(stash, rows, request.user)
        except ImportInvalid as exc:
            request.session.pop(self.session_key, None)
            return self.preview(request, exc.results, filename=stash.get("filename", ""), token=None, status=409)
        request.session.pop(self.session_key, None)
        messages.success(request, self.saved_message(stash, results))
        return redirect(self.done_url_name)
