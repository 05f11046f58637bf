"""The finance officers' spreadsheet import (issue 16): updates of funding lines or of disposals
from a CSV or .xlsx file, previewed, then saved all or nothing.

The file is read by :func:`commitments.imports.read_sheet` (the same checks of size, type and
content as the action import), with this import's columns: a sheet whose header names
``line_id`` and ``version`` updates funding lines, one naming ``disposal_id`` and ``version``
updates disposals. Each row is checked by the same service as the forms and the API
(:func:`finance.services.check_line_update`, :func:`~finance.services.check_disposal_update`):
amounts in pounds with at most two decimals and nothing else (no £, no commas), a reason for
every change, the version the row was downloaded at, who may change which field; every problem
is a per-row, per-column error and nothing is saved. An empty cell leaves a value as it is; a row
that changes nothing is skipped. Confirming re-checks every row and writes them through
:func:`~finance.services.update_line` / :func:`~finance.services.update_disposal` in one
transaction (``source="import"``).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import Q

from commitments.imports import ImportFileError, ImportInvalid, SheetColumns, SheetRow, read_sheet

from . import services
from .models import Disposal, FinanceUpdate, FundingLine
from .money import format_pounds, pounds_text

__all__ = [
    "KINDS",
    "FinanceRow",
    "ImportFileError",
    "ImportInvalid",
    "SheetRow",
    "apply_rows",
    "read_finance_sheet",
    "template_rows",
    "validate_rows",
]

MAX_ROWS = 500
ROW_ERRORS = "row"


@dataclass(frozen=True)
class Kind:
    """One kind of finance import: its key column, the columns it reads and those there for people."""

    noun: str
    key: str
    columns: SheetColumns
    amounts: tuple[str, ...]
    dates: tuple[str, ...] = ()
    related: tuple[str, ...] = ()  # what a row's check reads of its record, fetched with it


KINDS: dict[str, Kind] = {
    "funding-lines": Kind(
        noun="funding line",
        key="line_id",
        columns=SheetColumns(
            required=("line_id", "version"),
            read=(
                *("line_id", "version", "description", "party", "pilot", "sub_region", "financial_year", "quarter"),
                *("allocated", "committed", "spent", "reason"),
            ),
            reference=("stream", "flags"),
        ),
        amounts=("allocated", "committed", "spent"),
        related=("stream", "party", "pilot", "sub_region"),
    ),
    "disposals": Kind(
        noun="disposal",
        key="disposal_id",
        columns=SheetColumns(
            required=("disposal_id", "version"),
            read=(
                *("disposal_id", "version", "status", "expected_receipt", "actual_receipt", "retained_share_percent"),
                *("completed_on", "recommendation", "recommended_by", "recommended_on", "decision", "decided_on", "reason"),
            ),
            reference=("site", "borough", "sub_region", "owner"),
        ),
        amounts=("expected_receipt", "actual_receipt"),
        dates=("completed_on", "recommended_on", "decided_on"),
        related=("borough__sub_region", "sub_region", "owner", "recommended_by"),
    ),
}
STATUS_WORDS = {**{v: v for v in Disposal.Status.values}, **{label.lower(): value for value, label in Disposal.Status.choices}}


@dataclass
class FinanceRow:
    """What one row would change (``changes`` as (label, before, after)) or why it cannot."""

    number: int
    cells: dict[str, str]
    record: Any = None
    version: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    unchanged: bool = False
    flags: list[str] = field(default_factory=list)
    order: tuple[str, ...] = ()
    key: str = ""  # the row's record number as given

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message.rstrip("."))

    def error_list(self) -> list[tuple[str, str]]:
        order = {name: i for i, name in enumerate((ROW_ERRORS, *self.order))}
        return [(col, msg) for col in sorted(self.errors, key=lambda c: order.get(c, 99)) for msg in self.errors[col]]


# --- step 1: read the file ----------------------------------------------------------------------


def read_finance_sheet(upload: Any) -> tuple[str, list[SheetRow]]:
    """(kind, rows) of an uploaded sheet: funding-line updates or disposal updates, told apart by
    the header row's key column. Raises :class:`ImportFileError` for the file as a whole."""
    choices = [k.columns for k in KINDS.values()]
    try:
        rows = read_sheet(upload, choices)
    except ImportFileError as exc:
        if "must include the column" in exc.message:
            raise ImportFileError(
                "The header row must include line_id and version (funding-line updates) or disposal_id and version (disposal updates)"
            ) from None
        raise
    if len(rows) > MAX_ROWS:  # pragma: no cover - read_sheet keeps to the same limit
        raise ImportFileError(f"The selected file has more than {MAX_ROWS} rows: split it into smaller files")
    kind = next(name for name, k in KINDS.items() if k.key in rows[0].cells)
    return kind, rows


# --- step 1b: check each row --------------------------------------------------------------------


def _whole(text: str) -> int | None:
    text = text.strip()
    if re.fullmatch(r"[0-9]{1,9}(\.0+)?", text):
        return int(float(text))
    return None


def _iso_date(text: str) -> str:
    """A date cell as ISO ("31/03/2018", the UK order, is read too); other text is passed on for
    the service to refuse with its message."""
    try:
        return dt.datetime.strptime(text.strip(), "%d/%m/%Y").date().isoformat()  # noqa: DTZ007 - a calendar date
    except ValueError:
        return text.strip()


def _labels(model: type[models.Model]) -> dict[str, str]:
    return {spec.attr: spec.label.removeprefix("The ").capitalize() for spec in services.SPECS[model]}


def _shown(attr: str, value: Any) -> str:
    if value is None or value == "":
        return "none"
    if attr.endswith("_pence"):
        return format_pounds(value)
    if attr == "status":
        return str(Disposal.Status(value).label) if value in Disposal.Status.values else str(value)
    if attr == "retained_share_percent":
        return f"{value}%"
    return str(value)


def _writable(kind: str, user: Any) -> models.QuerySet[Any]:
    """The records of ``kind`` that ``user`` may update (keepers' and their owning parties')."""
    roles = services.roles_of(user)
    if kind == "funding-lines":
        qs: models.QuerySet[Any] = FundingLine.objects.select_related("stream", "party", "pilot", "sub_region")
        if roles.admin:
            return qs
        return qs.filter(Q(stream__keeper_id__in=roles.boards) | Q(party_id__in=roles.parties)) if roles.active else qs.none()
    qs = Disposal.objects.select_related("borough", "sub_region", "owner", "recommended_by")
    if roles.admin or roles.estates:
        return qs
    return qs.filter(owner_id__in=roles.parties) if roles.active else qs.none()


def validate_rows(kind: str, rows: Iterable[SheetRow], user: Any) -> list[FinanceRow]:
    """Check every row: the record exists and the user may update it, the version is current, and
    the service accepts the change. Queries: the records (with their commitments), the user's
    roles, and each kind of key the rows name (parties, pilots, sub-regions, boards), once,
    whatever the number of rows."""
    spec = KINDS[kind]
    model: type[models.Model] = FundingLine if kind == "funding-lines" else Disposal
    labels = _labels(model)
    found: dict[int, Any]
    results = [FinanceRow(number=r.number, cells=dict(r.cells), order=spec.columns.read, key=r.cells.get(spec.key, "")) for r in rows]
    ids: dict[int, int] = {}
    for result in results:
        raw = result.cells.get(spec.key, "")
        number = _whole(raw)
        if not raw:
            result.error(spec.key, f"Enter the {spec.noun}'s number")
        elif number is None or number < 1:
            result.error(spec.key, f"“{raw[:40]}” is not a {spec.noun} number: use the whole number from the {spec.key} column")
        elif number in ids:
            result.error(spec.key, f"{spec.noun.capitalize()} {number} is also on row {ids[number]}: give each one row")
        else:
            ids[number] = result.number
    found = {r.pk: r for r in model._default_manager.filter(pk__in=list(ids)).select_related(*spec.related).prefetch_related("commitments")}
    # Each party, pilot, sub-region or board the rows name, looked up once for all of them.
    keys = {
        field.name: services.find_keys(field.model, field.key, {r.cells.get(field.name, "").strip() for r in results} - {""})
        for field in services.SPECS[model]
        if field.kind == "fk" and field.name in spec.columns.read
    }
    writable = set(_writable(kind, user).filter(pk__in=list(ids)).values_list("pk", flat=True))
    check: Callable[..., tuple[dict[str, Any], dict[str, list[str]]]] = (
        services.check_line_update if kind == "funding-lines" else services.check_disposal_update
    )

    for result in results:
        cells = result.cells
        number = _whole(cells.get(spec.key, ""))
        record: Any = found.get(number) if number is not None and spec.key not in result.errors else None
        if number is not None and spec.key not in result.errors:
            if record is None:
                result.error(spec.key, f"There is no {spec.noun} {number}")
            elif record.pk not in writable:
                result.error(spec.key, f"You may not update {spec.noun} {number}")
                record = None
        result.record = record
        raw_version = cells.get("version", "")
        version = _whole(raw_version)
        if not raw_version:
            result.error("version", "Enter the version you last saw (from the download or the record's page)")
        elif version is None or version < 1:
            result.error("version", f"“{raw_version[:40]}” is not a version: use the whole number from the version column")
        result.version = version

        data: dict[str, Any] = {}
        for column in spec.columns.read:
            value = cells.get(column, "").strip()
            if column in (spec.key, "version", "reason") or value == "":
                continue
            if column in keys:
                value = keys[column][value]
            elif column in spec.dates:
                value = _iso_date(value)
            elif column == "status":
                status = STATUS_WORDS.get(value.lower()) or STATUS_WORDS.get(value.lower().replace(" ", "_"))
                if status is None:
                    result.error("status", f"“{value[:40]}” is not a status: use one of {', '.join(Disposal.Status.values)}")
                    continue
                value = status
            data[column] = value
        result.data = data
        result.reason = cells.get("reason", "")
        if record is None:
            continue
        try:
            changes, errors = check(record, by=user, data=data, reason=result.reason)
        except services.NotAllowed as exc:
            for name, messages in (exc.errors or {spec.key: [exc.message]}).items():
                for message in messages:
                    result.error(name if name in spec.columns.read else ROW_ERRORS, message)
            continue
        if not changes and set(errors) <= {"__all__", "reason"} and not result.errors:
            result.unchanged = True
            continue
        if version is not None and version != record.version:
            result.error(
                "version",
                f"{spec.noun.capitalize()} {record.pk} has changed since this version: it is at version {record.version}, the row "
                f"says {version}. Download the template again and re-apply your change",
            )
        for name, messages in errors.items():
            column = name if name in spec.columns.read else ROW_ERRORS
            for message in messages:
                result.error(column, message)
        for attr, (before, after) in changes.items():
            result.changes.append((labels.get(attr, attr), _shown(attr, before), _shown(attr, after)))
        if kind == "funding-lines" and not result.errors:
            preview: Any = copy.copy(record)
            for attr, (_before, after) in changes.items():
                if attr.endswith("_pence"):
                    setattr(preview, attr, after)
            result.flags = preview.flags
    return results


# --- step 2: save all or nothing ------------------------------------------------------------------


def apply_rows(kind: str, rows: Iterable[SheetRow], user: Any) -> list[FinanceRow]:
    """Check every row again and save them in one transaction; :class:`ImportInvalid` (nothing
    saved) when any row is wrong, including one changed by someone else since the preview."""
    rows = list(rows)
    write = services.update_line if kind == "funding-lines" else services.update_disposal
    key = KINDS[kind].key
    with transaction.atomic():
        results = validate_rows(kind, rows, user)
        if not all(r.ok for r in results):
            raise ImportInvalid(results)
        for result in results:
            if result.unchanged or result.record is None:
                continue
            try:
                saved = write(
                    result.record,
                    by=user,
                    version=result.version,
                    data=result.data,
                    reason=result.reason,
                    source=FinanceUpdate.Source.IMPORT,
                )
                result.flags = saved.flags
            except services.VersionConflict as exc:
                result.error("version", f"Changed by someone else just now: {exc.message}")
            except services.NotAllowed as exc:
                result.error(key, exc.message)
            except services.InvalidUpdate as exc:
                for name, messages in (exc.errors or {ROW_ERRORS: [exc.message]}).items():
                    for message in messages:
                        result.error(name if name in KINDS[kind].columns.read else ROW_ERRORS, message)
            if result.errors:
                raise ImportInvalid(results)
    return results


# --- the templates --------------------------------------------------------------------------------


def template_rows(kind: str, user: Any) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the download a finance officer fills in: every record of ``kind``
    they may update, with its current values (an untouched row changes nothing)."""
    if kind == "funding-lines":
        header = [
            *("line_id", "version", "stream", "description", "party", "pilot", "sub_region", "financial_year", "quarter"),
            *("allocated", "committed", "spent", "flags", "reason"),
        ]
        rows = [
            [
                str(line.pk),
                str(line.version),
                line.stream.slug,
                line.description,
                line.party.slug if line.party else "",
                line.pilot.slug if line.pilot else "",
                line.sub_region.slug if line.sub_region else "",
                str(line.financial_year),
                str(line.quarter or ""),
                pounds_text(line.allocated_pence),
                pounds_text(line.committed_pence),
                pounds_text(line.spent_pence),
                " ".join(line.flags),
                "",
            ]
            for line in _writable(kind, user).order_by("stream__name", "financial_year", "quarter", "id")
        ]
        return header, rows
    header = [
        *("disposal_id", "version", "site", "borough", "sub_region", "owner", "status", "expected_receipt", "actual_receipt"),
        *("retained_share_percent", "completed_on", "recommendation", "recommended_by", "recommended_on", "decision", "decided_on"),
        "reason",
    ]

    def day(value: dt.date | None) -> str:
        return value.isoformat() if value else ""

    rows = [
        [
            str(d.pk),
            str(d.version),
            d.site,
            d.borough.slug,
            d.sub_region.slug,
            d.owner.slug,
            d.status,
            pounds_text(d.expected_receipt_pence),
            pounds_text(d.actual_receipt_pence),
            "" if d.retained_share_percent is None else str(d.retained_share_percent),
            day(d.completed_on),
            d.recommendation,
            d.recommended_by.code if d.recommended_by else "",
            day(d.recommended_on),
            d.decision,
            day(d.decided_on),
            "",
        ]
        for d in _writable(kind, user).order_by("sub_region__name", "borough__name", "site", "id")
    ]
    return header, rows
