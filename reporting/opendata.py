"""The MoU's published state as open data (issue 14): a Frictionless Data Package.

One CSV file per resource (commitments, obligations, actions, parties, boards, pilots, reporting
periods) and ``datapackage.json`` describing them: a Table Schema per file (each field's type,
meaning and constraints, primary and foreign keys), the Open Government Licence v3.0, the sources
and when it was built. Anyone may download it, without signing in, from ``/open-data/``.

What is published is the state the product tracks, never personal data: no owner, author or
assessor, no e-mail address, no free-text notes, no status-update text. Illustrative demo data is
published with ``illustrative`` true rather than left out, so the figures add up to what the
dashboards count. Text cells pass through the one CSV formula guard (:func:`csv_safe`).

Built by :func:`build_package` daily (after the snapshot) and whenever a reporting period is closed
(``reporting.tasks.build_open_data_task``), into a new directory under ``MEDIA_ROOT/open-data/``;
the ``CURRENT`` file naming it is replaced atomically at the end, so a reader never sees half a
package, and a failed build leaves the previous one published. Rows are streamed, so memory stays
flat whatever the number of rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from boards.models import Board, Party
from commitments.lifecycle import Status, london_today
from commitments.models import Action, Commitment, Obligation, Rag
from devotracker.spreadsheets import csv_safe
from pilots.models import Pilot

from .models import ReportingPeriod

logger = logging.getLogger(__name__)

# The Celery task that builds it (reporting.tasks), named here so that domain code can queue it
# by name without importing the tasks module.
OPEN_DATA_TASK = "reporting.tasks.build_open_data_task"
PACKAGE_NAME = "london-health-and-care-devolution-mou-progress"
LICENCE = {
    "name": "OGL-UK-3.0",
    "title": "Open Government Licence v3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
SOURCES = [
    {
        "title": "London Health and Care Devolution Memorandum of Understanding (16 November 2017)",
        "path": "https://www.london.gov.uk/what-we-do/health/health-devolution",
    },
    {"title": "DevoTracker: the delivery tracker of the London health and care devolution partners"},
]
# How many built packages are kept (the current one and the one before it, which a download that
# started before a rebuild may still be reading).
KEEP_BUILDS = 2
STATUSES = [s.value for s in Status]
RAGS = [r.value for r in Rag]


@dataclass(frozen=True)
class Column:
    """One field of a resource: its Table Schema and where its value comes from (a ``values()``
    name of the resource's queryset)."""

    name: str
    type: str  # Table Schema type: string, integer, date, boolean
    description: str
    source: str = ""
    required: bool = False
    enum: list[str] | None = None
    unique: bool = False

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "description": self.description}
        constraints: dict[str, Any] = {}
        if self.required:
            constraints["required"] = True
        if self.unique:
            constraints["unique"] = True
        if self.enum is not None:
            constraints["enum"] = self.enum
        if constraints:
            out["constraints"] = constraints
        if self.type == "boolean":
            out["trueValues"], out["falseValues"] = ["true"], ["false"]
        return out


@dataclass(frozen=True)
class Resource:
    """One CSV file of the package."""

    name: str
    title: str
    description: str
    columns: list[Column]
    rows: Callable[[dt.date], QuerySet[Any]]
    primary_key: str
    foreign_keys: list[dict[str, Any]] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    def descriptor(self, count: int) -> dict[str, Any]:
        schema: dict[str, Any] = {"fields": [c.schema() for c in self.columns], "primaryKey": [self.primary_key]}
        if self.foreign_keys:
            schema["foreignKeys"] = self.foreign_keys
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "path": self.path,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
            "stats": {"rows": count},
        }


def _fk(column: str, resource: str, key: str) -> dict[str, Any]:
    return {"fields": [column], "reference": {"resource": resource, "fields": [key]}}


def _state_columns(what: str) -> list[Column]:
    return [
        Column("status", "string", f"The {what}'s status.", "status", True, STATUSES),
        Column("rag", "string", f"The {what}'s RAG rating (red, amber, green; empty when not yet rated).", "rag", False, RAGS),
        Column("progress", "integer", "Progress, 0 to 100 per cent.", "progress", True),
    ]


def _id(what: str) -> Column:
    return Column("id", "integer", f"The {what}'s id (as in the API).", "pk", True, unique=True)


def _key(name: str, description: str) -> Column:
    return Column(name, "string", description, name, True, unique=True)


def _name() -> Column:
    return Column("name", "string", "Its name.", "name", True)


def _in_order(manager: Any, order: str) -> Callable[[dt.date], QuerySet[Any]]:
    """Every row of ``manager``'s model, in ``order``, whatever the day."""
    return lambda on: manager.order_by(order)


def _reference_list(name: str, title: str, description: str, model: Any, key: Column, *columns: Column) -> Resource:
    """A list the others refer to (parties, boards, pilots): keyed and ordered by its slug or
    code, then its name."""
    return Resource(
        name=name,
        title=title,
        description=description,
        columns=[key, _name(), *columns],
        rows=_in_order(model.objects, key.source),
        primary_key=key.name,
    )


def _tracked_items(
    name: str,
    title: str,
    description: str,
    model: Any,
    about: list[Column],
    dates: list[Column],
    illustrative: str,
    foreign_keys: list[dict[str, Any]],
) -> Resource:
    """Obligations or actions: by id, what it is ``about``, its state, its ``dates``, whether it is
    overdue on the day, whether it is demo data."""
    what = name.removesuffix("s")
    return Resource(
        name=name,
        title=title,
        description=description,
        columns=[
            _id(what),
            *about,
            *_state_columns(what),
            *dates,
            _overdue(what),
            Column("illustrative", "boolean", illustrative, "is_demo", True),
        ],
        rows=lambda on: model.objects.with_overdue(on).order_by("pk"),
        primary_key="id",
        foreign_keys=foreign_keys,
    )


def _overdue(what: str) -> Column:
    return Column(
        "overdue",
        "boolean",
        f"Whether the {what} is overdue on the day the package was built: due before that day and neither complete nor not pursued.",
        "is_overdue",
        True,
    )


RESOURCES: list[Resource] = [
    Resource(
        name="commitments",
        title="Commitments",
        description="What the MoU and the agreements it builds on commit their signatories to, with the state each shows.",
        columns=[
            Column("ref", "string", "The commitment's reference.", "ref", True, unique=True),
            Column("title", "string", "What is committed to.", "title", True),
            Column("summary", "string", "The commitment in the sources' words.", "summary"),
            Column("agreement", "string", "The agreement it belongs to (slug).", "agreement__slug", True),
            Column("theme", "string", "Its theme (slug).", "theme__slug", True),
            Column("lead_board", "string", "The board that leads it (code; empty when the sources name none).", "lead_board__code"),
            Column("target_date", "date", "The end of the period the sources give for it.", "target_date"),
            Column(
                "status",
                "string",
                "Its status: the assessed one when recorded, else rolled up from its obligations.",
                "shown_status_db",
                True,
                STATUSES,
            ),
            Column("rag", "string", "Its RAG rating, shown the same way.", "shown_rag_db", False, RAGS),
            Column("progress", "integer", "Its progress, 0 to 100 per cent, shown the same way.", "shown_progress_db", True),
            _overdue("commitment"),
        ],
        rows=lambda on: Commitment.objects.with_overdue(on).order_by("ref"),
        primary_key="ref",
        foreign_keys=[_fk("lead_board", "boards", "code")],
    ),
    _tracked_items(
        "obligations",
        "Obligations",
        "What each party owes under each commitment.",
        Obligation,
        [
            Column("commitment", "string", "The commitment (ref).", "commitment__ref", True),
            Column("party", "string", "The party that owes it (slug).", "party__slug", True),
        ],
        [Column("due_date", "date", "When it is due.", "due_date")],
        "True when its state is illustrative demo data, not reported by the party.",
        [_fk("commitment", "commitments", "ref"), _fk("party", "parties", "slug")],
    ),
    _tracked_items(
        "actions",
        "Actions",
        "The dated actions through which each obligation is delivered.",
        Action,
        [
            Column("obligation", "integer", "The obligation it delivers (id).", "obligation_id", True),
            Column("description", "string", "What is to be done.", "description", True),
        ],
        [
            Column("due_date", "date", "When it is due.", "due_date", True),
            Column("completed_date", "date", "When it was completed.", "completed_date"),
        ],
        "True when the action is illustrative demo data, not from the sources.",
        [_fk("obligation", "obligations", "id")],
    ),
    _reference_list(
        "parties",
        "Parties",
        "The organisations that owe obligations or are named in the sources.",
        Party,
        _key("slug", "The party's key."),
        Column("type", "string", "What kind of organisation it is.", "type", True),
    ),
    _reference_list(
        "boards",
        "Boards",
        "The boards that oversee delivery.",
        Board,
        _key("code", "The board's code."),
        Column("kind", "string", "Board or committee.", "kind", True),
        Column("mou_board", "boolean", "One of the four boards the MoU sets up or relies on.", "is_mou_board", True),
        Column("role", "string", "What it does, in the sources' words.", "role"),
    ),
    _reference_list(
        "pilots",
        "Pilots",
        "The devolution pilots the MoU learns from.",
        Pilot,
        _key("slug", "The pilot's key."),
        Column("focus", "string", "What it is about.", "focus", True),
        Column("status", "string", "Its status.", "status", True),
        Column("description", "string", "What it does.", "description"),
    ),
    Resource(
        name="periods",
        title="Reporting periods",
        description="The boards' reporting periods; a closed one's figures are frozen on its closing day.",
        columns=[
            _id("period"),
            Column("board", "string", "The board whose cycle it is (code).", "board__code", True),
            _name(),
            Column("starts_on", "date", "Its first day.", "starts_on", True),
            Column("ends_on", "date", "Its last day.", "ends_on", True),
            Column("state", "string", "Open or closed.", "state", True, [s.value for s in ReportingPeriod.State]),
            Column("frozen_on", "date", "The day whose figures it froze, once closed.", "snapshot__day"),
        ],
        rows=_in_order(ReportingPeriod.objects, "pk"),
        primary_key="id",
        foreign_keys=[_fk("board", "boards", "code")],
    ),
]
FILES = {"datapackage.json", *(r.path for r in RESOURCES)}


def root() -> Path:
    return Path(settings.MEDIA_ROOT) / "open-data"


def current_dir() -> Path | None:
    """The directory of the package being published, or None before the first build."""
    try:
        name = (root() / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = root() / name
    return path if name and path.is_dir() else None


def current_descriptor() -> dict[str, Any] | None:
    """The published ``datapackage.json``, read back (None before the first build)."""
    path = current_dir()
    if path is None:
        return None
    return json.loads((path / "datapackage.json").read_text(encoding="utf-8"))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return str(csv_safe(value))
    return str(value)


def _rows(resource: Resource, on: dt.date) -> Iterator[list[str]]:
    sources = [c.source for c in resource.columns]
    for values in resource.rows(on).values_list(*sources).iterator(chunk_size=2000):
        yield [_cell(v) for v in values]


def _write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def build_package(*, on: dt.date | None = None, now: dt.datetime | None = None) -> Path:
    """Write the package for the London day ``on`` (default today) and publish it; returns its
    directory. The previous package stays published until the new one is complete."""
    on = on or london_today()
    now = now or timezone.now()
    base = root()
    base.mkdir(parents=True, exist_ok=True)
    name = f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    target = base / name
    target.mkdir()
    try:
        descriptors = []
        for resource in RESOURCES:
            count = _write_csv(target / resource.path, [c.name for c in resource.columns], _rows(resource, on))
            descriptors.append(resource.descriptor(count))
        package = {
            "profile": "tabular-data-package",
            "name": PACKAGE_NAME,
            "title": "London health and care devolution: progress of the MoU's commitments",
            "description": (
                "The state of the commitments of the London Health and Care Devolution Memorandum of Understanding "
                "(16 November 2017) and the agreements it builds on, of each party's obligations and of the actions "
                f"that deliver them, as at {on:%-d %B %Y}. No personal data is published."
            ),
            "version": f"{on.isoformat()}",
            "created": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "licenses": [LICENCE],
            "sources": SOURCES,
            "resources": descriptors,
        }
        (target / "datapackage.json").write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    pointer = base / f".CURRENT.{uuid.uuid4().hex}"
    pointer.write_text(name + "\n", encoding="utf-8")
    os.replace(pointer, base / "CURRENT")
    _prune(base, keep=name)
    logger.info("open data published", extra={"fields": {"directory": name, "rows": sum(d["stats"]["rows"] for d in descriptors)}})
    return target


def _prune(base: Path, *, keep: str) -> None:
    builds = sorted((p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in builds[:-KEEP_BUILDS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
