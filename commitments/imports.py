"""Bulk update of actions from a spreadsheet (issue 3 §6): read, preview, then all or nothing.

Step 1, :func:`read_sheet` checks the upload (size, then type by extension *and* content) and
reads its rows; :func:`validate_rows` checks each row against the database and the same rules as
the browser and the API (:func:`commitments.services.validate_update`), giving per-row, per-column
errors. Step 2, :func:`apply_rows` re-validates every row and writes them through
:func:`commitments.services.record_update` (``source="import"``) in one transaction: if any row
fails, nothing is saved.

The format (docs/officer-guide.md): a header row naming columns ``action_id`` and ``version``
(required), and any of ``status``, ``rag``, ``progress``, ``revised_due_date``, ``reason``, ``note``,
``evidence``. Columns ``commitment``, ``party``, ``description``, ``owner`` and ``due_date`` are
there for people filling the sheet in and are ignored. An empty cell leaves a value as it is.

One module (~530 lines): reading the two file formats safely and checking rows are the two halves of
one all-or-nothing step, and the error messages of both are read together.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from .models import Action, Rag, Status, StatusUpdate, london_today
from .services import InvalidUpdate, NotAllowed, ServiceError, UpdateInput, VersionConflict, record_update, validate_update

UPDATE_COLUMNS = ("status", "rag", "progress", "revised_due_date", "reason", "note", "evidence")
REQUIRED_COLUMNS = ("action_id", "version")
COLUMNS = (*REQUIRED_COLUMNS, *UPDATE_COLUMNS)
# Shown to whoever fills the sheet in (the template download has them); never read.
REFERENCE_COLUMNS = ("commitment", "party", "description", "owner", "due_date")
MAX_ROWS = 500
# Past the limit rows are only counted, so the error can say how many there are; counting stops
# here, so a sheet of a million rows costs no more to refuse than one of five thousand.
MAX_ROWS_COUNTED = 5_000
# The import's columns fit many times over; a workbook's cells beyond this one are refused, not
# read (a cell in column XFD would make every row 16,384 cells wide) and never silently dropped.
MAX_COLUMNS = 100
# A workbook is a zip: refuse one whose contents would inflate past this (a "zip bomb").
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024
# Excel's own last row: a sheet whose rows are numbered past it was not made by a spreadsheet (and
# reading the gap up to a row numbered in the billions would take minutes).
MAX_SHEET_ROW = 1_048_576
UNREADABLE_XLSX = (
    "The selected file could not be read as a spreadsheet: open it in Excel, save it again as an Excel workbook (.xlsx) "
    "or as CSV, and upload that"
)
ROW_ERRORS = "row"


@dataclass(frozen=True)
class SheetColumns:
    """The columns one kind of import reads from a sheet's header row: those it needs
    (``required``), those it reads (``read``, the required ones included) and those it ignores,
    there for people filling the sheet in (``reference``). :func:`read_sheet` takes one, or
    several alternatives (the first whose required columns the header names is used: the finance
    import's funding lines and disposals)."""

    required: tuple[str, ...]
    read: tuple[str, ...]
    reference: tuple[str, ...] = ()


ACTION_COLUMNS = SheetColumns(REQUIRED_COLUMNS, COLUMNS, REFERENCE_COLUMNS)

STATUS_WORDS = {**{v: v for v in Status.values}, **{label.lower(): value for value, label in Status.choices}}
RAG_WORDS = {
    **{v: v for v in Rag.values},
    "r": "red",
    "a": "amber",
    "g": "green",
    "none": "",
    "not assessed": "",
    "not_assessed": "",
}
LABELS = {
    "status": "Status",
    "rag": "RAG",
    "progress": "Progress",
    "due_date": "Due date",
}


class ImportFileError(Exception):
    """The upload as a whole cannot be used (wrong type, too big, unreadable, bad header)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class SheetRow:
    """One data row as read: its row number in the sheet (the header is row 1) and its cells."""

    number: int
    cells: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return {"number": self.number, "cells": self.cells}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SheetRow:
        return cls(number=int(data["number"]), cells={str(k): str(v) for k, v in data["cells"].items()})


@dataclass
class RowResult:
    """What one row would do (``changes`` as (label, before, after)) or why it cannot
    (``errors``: column name, or ``row``, to messages)."""

    number: int
    cells: dict[str, str]
    action: Action | None = None
    version: int | None = None
    data: UpdateInput | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    unchanged: bool = False
    # Kept for the lead board's approval rather than published (issue 15).
    submitted: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)

    def error_list(self) -> list[tuple[str, str]]:
        """(column, message) pairs, in the sheet's column order."""
        order = {name: i for i, name in enumerate((ROW_ERRORS, *COLUMNS))}
        return [(col, msg) for col in sorted(self.errors, key=lambda c: order.get(c, 99)) for msg in self.errors[col]]


class ImportInvalid(Exception):
    """At least one row is wrong, so nothing was saved; ``results`` says which and why (each
    import's checked rows: :class:`RowResult` here, ``finance.imports.FinanceRow`` there)."""

    def __init__(self, results: list[Any]) -> None:
        super().__init__("Some rows need attention; nothing was saved.")
        self.results = results


# --- step 1: read the file --------------------------------------------------------------------


def read_sheet(upload: UploadedFile, columns: SheetColumns | Sequence[SheetColumns] = ACTION_COLUMNS) -> list[SheetRow]:
    """Read an uploaded CSV or .xlsx file into rows, or raise :class:`ImportFileError`.

    The type must agree with the content: a ``.xlsx`` must be a zip holding a workbook, a
    ``.csv`` must be text (no NUL bytes, not a zip); anything else is refused. Files larger than
    ``settings.IMPORT_MAX_BYTES`` are refused before they are read. ``columns``: what the header
    row may and must name (the action updates' columns unless another import says otherwise).
    """
    choices = (columns,) if isinstance(columns, SheetColumns) else tuple(columns)
    limit = settings.IMPORT_MAX_BYTES
    name = (upload.name or "").lower()
    if upload.size is not None and upload.size > limit:
        raise ImportFileError(f"The selected file must be smaller than {limit // 1024} KB")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ImportFileError(f"The selected file must be smaller than {limit // 1024} KB")
    if not data:
        raise ImportFileError("The selected file is empty")
    is_zip = data[:4] == b"PK\x03\x04"
    if name.endswith(".xlsx"):
        if not is_zip:
            raise ImportFileError("The selected file ends in .xlsx but is not an Excel workbook")
        rows = _read_xlsx(data, choices)
    elif name.endswith(".csv"):
        if is_zip or b"\x00" in data[:8192]:
            raise ImportFileError("The selected file ends in .csv but is not a CSV file (save it as CSV, or upload the .xlsx workbook)")
        rows = _rows_from_table(_read_csv(data), choices)
    else:
        raise ImportFileError("The selected file must be a CSV file (.csv) or an Excel workbook (.xlsx)")
    return rows


def _read_csv(data: bytes) -> list[list[str]]:
    """The cells of a CSV file, decoded as UTF-8 (with or without a BOM) or Windows-1252."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in Windows-1252 unless told otherwise.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportFileError("The selected file could not be read as text: save it as CSV UTF-8") from None
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise ImportFileError(f"The selected file could not be read as CSV ({exc})") from None


def _cell_text(value: Any) -> str:
    """A workbook cell as the text a CSV would hold (dates as ISO, 40.0 as 40)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes, choices: tuple[SheetColumns, ...] = (ACTION_COLUMNS,)) -> list[SheetRow]:
    """The rows of a workbook's first sheet, after checking it is a workbook of a sane size.

    Anything the workbook's XML does wrong (malformed or truncated, a DTD or entity declarations:
    "billion laughs", an external entity naming a local file) is :data:`UNREADABLE_XLSX`, and
    nothing of it is read. openpyxl parses with defusedxml, which refuses DTDs and entities
    outright (a requirement of the project, so the refusal does not depend on the XML library's
    own limits).
    """
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise ImportFileError("The selected file ends in .xlsx but is not an Excel workbook")
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNCOMPRESSED:
                raise ImportFileError("The selected workbook is too large once opened: keep to the columns and rows of the update")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError(UNREADABLE_XLSX) from None
    try:
        sheet = workbook.worksheets[0]
        # Read-only mode trusts the sheet's <dimension ref="A1:C2"/> and stops at its last row and
        # column: a file that understates it (any program may write one) would lose rows and
        # columns without a word. Every row and cell the sheet holds is read instead.
        sheet.reset_dimensions()
        # The sheet's XML is parsed as the rows are read, so its errors arrive here.
        return _rows_from_table(_xlsx_values(sheet), choices)
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError(UNREADABLE_XLSX) from None
    finally:
        workbook.close()


def _xlsx_values(sheet: Any) -> Iterator[list[str]]:
    """Each row of a read-only sheet as text cells, up to Excel's last row and :data:`MAX_COLUMNS`."""
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_SHEET_ROW:
            raise ImportFileError(UNREADABLE_XLSX)
        if len(values) > MAX_COLUMNS:
            beyond = values[MAX_COLUMNS:]
            # Counted in C: a row padded to column XFD is checked without a Python loop over it
            # (None first: counting "" compares every cell, counting None rarely has to).
            blank = beyond.count(None)
            if blank != len(beyond) and blank + beyond.count("") != len(beyond):
                raise ImportFileError(
                    f"Row {number} has a value beyond column {_column_letter(MAX_COLUMNS - 1)}: keep to the columns of the import"
                )
            values = values[:MAX_COLUMNS]
        yield [_cell_text(v) for v in values]


def _normalise_header(text: str) -> str:
    """ "Action ID" and "action-id" both name the ``action_id`` column."""
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _column_letter(index: int) -> str:
    """The spreadsheet's letter for a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _rows_from_table(table: Iterable[Sequence[str]], choices: tuple[SheetColumns, ...] = (ACTION_COLUMNS,)) -> list[SheetRow]:
    """Check the header row and turn the rows under it into :class:`SheetRow` (blank rows skipped).

    Rows past the limit are still read and counted (up to :data:`MAX_ROWS_COUNTED`), so the limit
    is checked against the real count and the error can say it; only the rows within the limit
    are kept.
    """
    rows_in = iter(enumerate(table, start=1))
    # The header is the first non-empty row; row numbers are kept so errors name sheet rows.
    first = next(((n, row) for n, row in rows_in if any(c.strip() for c in row)), None)
    if first is None:
        raise ImportFileError("The selected file is empty")
    header_cells = first[1]
    header = [_normalise_header(c) for c in header_cells]
    chosen = next((c for c in choices if set(c.required) <= set(header)), choices[0])
    known = set(chosen.read) | set(chosen.reference)
    seen: set[str] = set()
    for i, name in enumerate(header):
        if not name:
            continue
        if name not in known:
            raise ImportFileError(
                f"Column {_column_letter(i)} is headed “{header_cells[i].strip()}”, which is not a column of the import. "
                f"Use: {', '.join(chosen.read)}"
            )
        if name in seen:
            raise ImportFileError(f"The column “{name}” appears twice in the header row")
        seen.add(name)
    missing = [c for c in chosen.required if c not in seen]
    if missing:
        raise ImportFileError(f"The header row must include the column{'s' if len(missing) > 1 else ''} {' and '.join(missing)}")
    rows: list[SheetRow] = []
    count = 0
    for number, values in rows_in:
        if not any(v.strip() for v in values):
            continue
        count += 1
        if count > MAX_ROWS_COUNTED:
            raise ImportFileError(
                f"The selected file has more than {MAX_ROWS_COUNTED:,} rows of updates; the limit is {MAX_ROWS}: split it into smaller files"
            )
        if count <= MAX_ROWS:
            cells = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header) if name in chosen.read}
            rows.append(SheetRow(number=number, cells=cells))
    if count > MAX_ROWS:
        raise ImportFileError(
            f"The selected file has {count:,} rows of updates, more than the limit of {MAX_ROWS}: split it into smaller files"
        )
    if not rows:
        raise ImportFileError("The selected file has no rows of updates under its header row")
    return rows


# --- step 1b: check each row ------------------------------------------------------------------


def _parse_int(text: str) -> int | None:
    """A whole number as people type it ("40", "40%", "40.0"), or None."""
    text = text.strip().removesuffix("%").strip()
    if re.fullmatch(r"[0-9]+(\.0+)?", text):
        return int(float(text))
    return None


def _parse_date(text: str) -> dt.date | None:
    """A date as ``YYYY-MM-DD`` or ``DD/MM/YYYY`` (the UK order), or None."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    return None


def _split_evidence(text: str) -> list[str]:
    # One piece of evidence per line of the cell, or separated by "|" (never part of a valid URL).
    return [part.strip() for part in re.split(r"[\r\n|]+", text) if part.strip()]


def _show(name: str, value: Any) -> str:
    """A value in the preview, as people read it."""
    if name == "status":
        return Status(value).label if value in Status.values else str(value or "")
    if name == "rag":
        return Rag(value).label if value in Rag.values else "Not assessed"
    if name == "progress":
        return f"{value}%"
    if isinstance(value, dt.date):
        return value.strftime("%-d %B %Y")
    return str(value or "")


def validate_rows(rows: Iterable[SheetRow], user: Any) -> list[RowResult]:
    """Check every row: the action exists and the user may write it, the version is current, the
    values parse, and :func:`validate_update` accepts the change. A row that asks for nothing
    different (as the template download's untouched rows do) is marked ``unchanged`` and skipped.

    Queries: one for the actions, one for which of them the user may write (plus the user's
    memberships, once), whatever the number of rows.
    """
    rows = list(rows)
    results = [RowResult(number=r.number, cells=dict(r.cells)) for r in rows]
    ids: dict[int, int] = {}
    for result in results:
        raw = result.cells.get("action_id", "")
        action_id = _parse_int(raw)
        if not raw:
            result.error("action_id", "Enter the action's number")
        elif action_id is None:
            result.error("action_id", f"“{raw}” is not an action number: use the whole number from the action_id column")
        else:
            if action_id in ids:
                result.error("action_id", f"Action {action_id} is also on row {ids[action_id]}: give each action one row")
            else:
                ids[action_id] = result.number
    actions = {a.pk: a for a in Action.objects.select_related("obligation__party", "obligation__commitment").filter(pk__in=list(ids))}
    writable = set(Action.objects.writable_by(user).filter(pk__in=list(ids)).values_list("pk", flat=True))

    for result in results:
        cells = result.cells
        action_id = _parse_int(cells.get("action_id", ""))
        action = actions.get(action_id) if action_id is not None and "action_id" not in result.errors else None
        if action_id is not None and "action_id" not in result.errors:
            if action is None:
                result.error("action_id", f"There is no action {action_id}")
            elif action.pk not in writable:
                result.error("action_id", f"You may not update action {action_id}: it belongs to {action.obligation.party.name}")
                action = None
        result.action = action

        raw_version = cells.get("version", "")
        version = _parse_int(raw_version)
        if not raw_version:
            result.error("version", "Enter the version you last saw (from the download or the action's page)")
        elif version is None or version < 1:
            result.error("version", f"“{raw_version}” is not a version: use the whole number from the version column")
        result.version = version

        data = UpdateInput()
        raw = cells.get("status", "")
        if raw:
            status = STATUS_WORDS.get(raw.strip().lower().replace(" ", "_")) or STATUS_WORDS.get(raw.strip().lower())
            if status is None:
                result.error("status", f"“{raw}” is not a status: use one of {', '.join(Status.values)}")
            data.status = status
        raw = cells.get("rag", "")
        if raw:
            rag = RAG_WORDS.get(raw.strip().lower())
            if rag is None:
                result.error("rag", f"“{raw}” is not a RAG rating: use red, amber, green or none")
            data.rag = rag
        raw = cells.get("progress", "")
        if raw:
            progress = _parse_int(raw)
            if progress is None:
                result.error("progress", f"“{raw}” is not a progress figure: use a whole number from 0 to 100")
            data.progress = progress
        raw = cells.get("revised_due_date", "")
        if raw:
            revised = _parse_date(raw)
            if revised is None:
                result.error("revised_due_date", f"“{raw}” is not a date: use YYYY-MM-DD, for example 2026-03-31")
            data.revised_due_date = revised
        data.reason = cells.get("reason", "")
        data.note = cells.get("note", "")
        data.evidence = _split_evidence(cells.get("evidence", ""))
        result.data = data

        if action is None:
            continue
        # The rules run even when a cell did not parse, so every problem of the row shows at once.
        parse_errors = bool(result.errors)
        changes, errors = validate_update(action, data)
        if set(errors) == {"__all__"}:
            if not parse_errors:
                result.unchanged = True  # asks for nothing different: skipped, not an error
            continue
        if result.version is not None and result.version != action.version:
            result.error(
                "version",
                f"Action {action.pk} has changed since this version: it is at version {action.version}, the row says "
                f"{result.version}. Download the actions again and re-apply your change",
            )
        for name, messages in errors.items():
            if name == "__all__" and parse_errors:
                continue
            column = {"due_date": "revised_due_date", "__all__": ROW_ERRORS}.get(name, name)
            for message in messages:
                result.error(column if column in (*COLUMNS, ROW_ERRORS) else ROW_ERRORS, message.rstrip("."))
        due_before = action.due_date
        for name in ("status", "rag", "progress"):
            if name in changes:
                result.changes.append((LABELS[name], _show(name, getattr(action, name)), _show(name, changes[name])))
        if "due_date" in changes:
            result.changes.append((LABELS["due_date"], _show("due_date", due_before), _show("due_date", changes["due_date"])))
        if changes.get("note"):
            result.changes.append(("Note", "", changes["note"]))
        if changes.get("evidence"):
            result.changes.append(("Evidence", "", "; ".join(changes["evidence"])))
    return results


# --- step 2: save all or nothing --------------------------------------------------------------


def apply_rows(rows: Iterable[SheetRow], user: Any) -> list[RowResult]:
    """Re-validate and save every row in one transaction; return the rows' results.

    Raises :class:`ImportInvalid` (with every row's result) and saves nothing when any row is
    wrong, including when an action changed between the preview and now: ``record_update`` locks
    each row and re-checks its version inside this transaction.
    """
    rows = list(rows)
    with transaction.atomic():
        results = validate_rows(rows, user)
        if not all(r.ok for r in results):
            raise ImportInvalid(results)
        for result in results:
            if result.unchanged or result.action is None or result.data is None:
                continue
            try:
                written = record_update(result.action, by=user, version=result.version, data=result.data, source=StatusUpdate.Source.IMPORT)
                result.submitted = not isinstance(written, StatusUpdate)
            except VersionConflict as exc:
                result.error("version", f"Action {result.action.pk} was changed by someone else just now: {exc.message}")
            except NotAllowed:
                result.error("action_id", f"You may not update action {result.action.pk}")
            except InvalidUpdate as exc:
                for name, messages in exc.errors.items():
                    for message in messages:
                        result.error(name if name in COLUMNS else ROW_ERRORS, message.rstrip("."))
            except ServiceError as exc:
                result.error(ROW_ERRORS, exc.message)
            if result.errors:
                # Leaving the atomic block by an exception rolls back the rows already written.
                raise ImportInvalid(results)
    return results


def template_rows(user: Any, *, on: dt.date | None = None) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the download officers fill in: every open action the user may
    update, with its current values (an untouched row changes nothing)."""
    on = on or london_today()
    header = ["action_id", "version", "commitment", "party", "description", "due_date", *UPDATE_COLUMNS]
    rows = []
    for action in Action.objects.writable_by(user).for_list(on).open().order_by("due_date", "id"):
        rows.append(
            [
                str(action.pk),
                str(action.version),
                action.obligation.commitment.ref,
                action.obligation.party.name,
                action.description,
                action.due_date.isoformat(),
                action.status,
                action.rag or "",
                str(action.progress),
                "",
                "",
                "",
                "",
            ]
        )
    return header, rows
