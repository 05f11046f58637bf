"""Load the MoU domain from the project's data files (``commitments/data/``).

``mou-inventory.yaml`` is the master list (83 commitments from the seed documents, each with its
source citations); ``mou-clauses.yaml`` adds what public copies of the signed MoU confirm (the eight
signatories, the clauses that corroborate commitments, a few new parties). Both are copies of the
domain files, kept verbatim so every loaded row traces back to a line of a source.

The load is all-or-nothing and idempotent: the files are validated first (an error names the entry,
e.g. ``commitments[12] (est-foo): unknown theme 'x'``) and nothing is written unless all is well;
rows are matched on their stable keys (ref, slug, code) and saved only when a field differs, so a
second run reports no change. The sources give no actions, dates of delivery or statuses: those
come only from the separate demo loader (:mod:`commitments.demo`).

One module of ~850 lines on purpose: validation and writing walk the same two files entry by entry,
and a reader checking how an inventory field lands in the database reads both halves side by side.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from django.db import models, transaction

from boards.models import Basis, Board, Meeting, Party
from devotracker.db import refresh_planner_statistics
from pilots.models import Borough, Pilot, SubRegion

from . import changes
from .models import (
    Agreement,
    Change,
    Citation,
    Clause,
    Commitment,
    CommitmentLink,
    CommitmentPilot,
    Dependency,
    Obligation,
    Signatory,
    Theme,
)
from .services import refresh_all_rollups
from .sources import cite, documents, enrich, format_date, humanise

DATA_DIR = Path(__file__).resolve().parent / "data"
INVENTORY = DATA_DIR / "mou-inventory.yaml"
CLAUSES = DATA_DIR / "mou-clauses.yaml"
DEPENDENCIES = DATA_DIR / "dependencies.yaml"

PARTY_TYPES = {
    "national government department": Party.Type.NATIONAL_GOVERNMENT,
    "NHS national body": Party.Type.NHS_NATIONAL,
    "regulator": Party.Type.REGULATOR,
    "regional government": Party.Type.REGIONAL_GOVERNMENT,
    "local government": Party.Type.LOCAL_GOVERNMENT,
    "NHS local": Party.Type.NHS_LOCAL,
    "professional body": Party.Type.PROFESSIONAL_BODY,
    "other": Party.Type.OTHER,
}
BOARD_KINDS = {
    "board": Board.Kind.BOARD,
    "committee": Board.Kind.COMMITTEE,
    "unit": Board.Kind.UNIT,
    "working-group": Board.Kind.WORKING_GROUP,
    "member group": Board.Kind.MEMBER_GROUP,
    "network": Board.Kind.NETWORK,
}
MOU_BOARDS = {"LHB", "SPB", "LEB", "LWB"}
LOCAL_AUTHORITY_NAMES = {"city-of-london": "City of London Corporation", "westminster": "City of Westminster"}
AGREEMENT_KINDS = {
    "devolution-agreement-2015": Agreement.Kind.DEVOLUTION_AGREEMENT,
    "mou-2017": Agreement.Kind.MOU,
    "lc-report-2017-12-05": Agreement.Kind.UNDERTAKINGS,
    "work-and-health-programme-devolution": Agreement.Kind.RELATED_DEAL,
}
BASIS = {"stated": Basis.STATED, "inferred": Basis.INFERRED, "not-stated": Basis.NOT_STATED, None: Basis.NOT_STATED}
PILOT_FOCUS = {"estates": Pilot.Focus.ESTATES, "prevention": Pilot.Focus.PREVENTION, "integration": Pilot.Focus.INTEGRATION}


class DataFileError(Exception):
    """The data files are malformed; ``problems`` names each bad entry. Nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
        self.problems = problems


@dataclass
class LoadReport:
    """What a load did, per model: rows created, updated and left unchanged."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()) or sum(self.removed.values()))

    def lines(self) -> list[str]:
        names = sorted(set(self.created) | set(self.updated) | set(self.unchanged) | set(self.removed))
        out = [
            f"{name}: {self.created[name]} created, {self.updated[name]} updated, {self.unchanged[name]} unchanged"
            + (f", {self.removed[name]} removed" if self.removed[name] else "")
            for name in names
        ]
        return out


def parse_period(value: Any, *, end: bool) -> tuple[dt.date | None, str]:
    """Parse "2018", "2018-04" or "2018-04-30" into a date and its precision.

    ``end=True`` gives the last day of the period (a target date of "2018" is met by 31 Dec 2018,
    so it is not overdue before then); ``end=False`` the first day (an agreement dated "2015-12").
    """
    if value is None or value == "":
        return None, ""
    text = str(value).strip()
    if m := re.fullmatch(r"(\d{4})", text):
        year = int(m[1])
        return (dt.date(year, 12, 31) if end else dt.date(year, 1, 1)), "year"
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(f"month out of range in {text!r}")
        day = calendar.monthrange(year, month)[1] if end else 1
        return dt.date(year, month, day), "month"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return dt.date.fromisoformat(text), "day"
    raise ValueError(f"not a date: {text!r} (expected YYYY, YYYY-MM or YYYY-MM-DD)")


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError([f"{path.name}: cannot be read ({exc})"]) from exc
    except yaml.YAMLError as exc:
        raise DataFileError([f"{path.name}: is not valid YAML ({exc})"]) from exc
    if not isinstance(data, dict):
        raise DataFileError([f"{path.name}: expected a mapping at the top level"])
    return data


def _text(value: Any) -> str:
    """A text field as stored: a list becomes lines, and the inventory's references to its source
    documents ("F002 l54", file names) read as a person would write them (issue 11), since every
    stored text ends up in a page, a paper, an export or the API."""
    if value is None:
        return ""
    if isinstance(value, list):
        return humanise("\n".join(str(v) for v in value))
    return humanise(str(value))


def _sources(value: Any) -> list[Any]:
    """A list of ``{file, lines, quote}`` source entries with each one's human ``reference`` (and
    ``url``) added; the file and lines stay for traceability."""
    return [enrich(s) for s in value or []]


# --- validation -------------------------------------------------------------------------------


def validate(inventory: dict[str, Any], clauses: dict[str, Any]) -> list[str]:
    """Every problem in the data files, each naming its entry. An empty list means loadable."""
    problems: list[str] = []
    try:
        source_documents = documents()
    except (OSError, ValueError, yaml.YAMLError) as exc:
        problems.append(f"source-documents.yaml: {exc}")
        source_documents = {}

    def section(data: dict[str, Any], name: str, file: str) -> list[dict[str, Any]]:
        items = data.get(name)
        if not isinstance(items, list):
            problems.append(f"{file}: '{name}' must be a list")
            return []
        good = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                problems.append(f"{file}: {name}[{i}] must be a mapping")
            else:
                good.append(item)
        return good

    def need(item: dict[str, Any], where: str, *keys: str) -> None:
        for key in keys:
            if item.get(key) in (None, ""):
                problems.append(f"{where}: missing '{key}'")

    def unique(items: list[dict[str, Any]], key: str, where: str) -> set[str]:
        seen: set[str] = set()
        for i, item in enumerate(items):
            value = item.get(key)
            if value in seen:
                problems.append(f"{where}[{i}] ({value}): duplicate {key}")
            if value is not None:
                seen.add(str(value))
        return seen

    inv = "mou-inventory.yaml"
    parties = section(inventory, "parties", inv)
    boards = section(inventory, "boards", inv)
    themes = section(inventory, "themes", inv)
    agreements = section(inventory, "agreements", inv)
    commitments = section(inventory, "commitments", inv)
    pilots = section(inventory, "pilots", inv)
    boroughs_block = inventory.get("boroughs") or {}
    boroughs = boroughs_block.get("items", []) if isinstance(boroughs_block, dict) else []
    sub_regions_block = inventory.get("sub_regions") or {}
    sub_regions = sub_regions_block.get("items", []) if isinstance(sub_regions_block, dict) else []
    new_parties = section(clauses, "new_parties", "mou-clauses.yaml") if "new_parties" in clauses else []
    clause_items = section(clauses, "clauses", "mou-clauses.yaml")

    party_keys = unique(parties, "key", f"{inv}: parties") | {str(p.get("key")) for p in new_parties}
    borough_keys = unique(boroughs, "key", f"{inv}: boroughs")
    party_keys |= borough_keys
    board_keys = unique(boards, "key", f"{inv}: boards")
    unique(boards, "code", f"{inv}: boards")
    theme_keys = unique(themes, "key", f"{inv}: themes")
    pilot_keys = unique(pilots, "key", f"{inv}: pilots")
    sub_region_keys = {str(s.get("key")) for s in sub_regions}
    agreement_keys = {str(a.get("key")) for a in agreements} | {
        str(o.get("key")) for o in inventory.get("other_instruments") or [] if isinstance(o, dict)
    }
    commitment_keys = unique(commitments, "key", f"{inv}: commitments")
    unique(commitments, "ref", f"{inv}: commitments")

    for i, p in enumerate(parties):
        where = f"{inv}: parties[{i}] ({p.get('key')})"
        need(p, where, "key", "name", "type")
        if p.get("type") not in PARTY_TYPES:
            problems.append(f"{where}: unknown party type {p.get('type')!r}")
    for i, b in enumerate(boards):
        where = f"{inv}: boards[{i}] ({b.get('key')})"
        need(b, where, "key", "code", "name", "kind")
        if b.get("kind") not in BOARD_KINDS:
            problems.append(f"{where}: unknown board kind {b.get('kind')!r}")
        for ref_key in ("reports_to", "supports", "related_to"):
            if b.get(ref_key) and b[ref_key] not in board_keys:
                problems.append(f"{where}: {ref_key} {b[ref_key]!r} is not a board key")
        for ref_key in ("chair", "owner"):
            if b.get(ref_key) and b[ref_key] not in party_keys:
                problems.append(f"{where}: {ref_key} {b[ref_key]!r} is not a party key")
    for i, t in enumerate(themes):
        need(t, f"{inv}: themes[{i}] ({t.get('key')})", "key", "name", "ref_prefix")
    for i, b in enumerate(boroughs):
        where = f"{inv}: boroughs[{i}] ({b.get('key')})"
        need(b, where, "key", "name")
        if b.get("sub_region") and b["sub_region"] not in sub_region_keys:
            problems.append(f"{where}: unknown sub_region {b['sub_region']!r}")
    for i, p in enumerate(pilots):
        where = f"{inv}: pilots[{i}] ({p.get('key')})"
        need(p, where, "key", "name", "focus")
        if p.get("focus") not in PILOT_FOCUS:
            problems.append(f"{where}: unknown focus {p.get('focus')!r}")
        for b in p.get("boroughs") or []:
            if b not in borough_keys:
                problems.append(f"{where}: borough {b!r} is not a borough key")
    for i, a in enumerate(agreements):
        where = f"{inv}: agreements[{i}] ({a.get('key')})"
        need(a, where, "key", "name")
        try:
            parse_period(a.get("date_signed") or a.get("date"), end=False)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")

    for i, c in enumerate(commitments):
        where = f"{inv}: commitments[{i}] ({c.get('key') or c.get('ref')})"
        need(c, where, "key", "ref", "title", "summary", "agreement", "theme", "kind")
        if c.get("ref") and not re.fullmatch(r"[A-Z0-9]{2,5}-\d{2,3}", str(c["ref"])):
            problems.append(f"{where}: ref {c['ref']!r} is not of the form ABC-01")
        if c.get("agreement") not in agreement_keys or c.get("agreement") not in AGREEMENT_KINDS:
            problems.append(f"{where}: unknown agreement {c.get('agreement')!r}")
        if c.get("theme") not in theme_keys:
            problems.append(f"{where}: unknown theme {c.get('theme')!r}")
        if c.get("kind") not in Commitment.Kind.values:
            problems.append(f"{where}: unknown kind {c.get('kind')!r}")
        if c.get("lead_body") and c["lead_body"] not in board_keys:
            problems.append(f"{where}: lead_body {c['lead_body']!r} is not a board key")
        if c.get("lead_body_basis") not in BASIS:
            problems.append(f"{where}: unknown lead_body_basis {c.get('lead_body_basis')!r}")
        for key in ("co_lead_bodies", "recipients"):
            for b in c.get(key) or []:
                if b not in board_keys:
                    problems.append(f"{where}: {key} entry {b!r} is not a board key")
        obligated = c.get("obligated_parties")
        if not isinstance(obligated, list):
            problems.append(f"{where}: obligated_parties must be a list")
        else:
            for p in obligated:
                if p not in party_keys:
                    problems.append(f"{where}: obligated party {p!r} is not a party key")
        for p in c.get("other_parties") or []:
            if p not in party_keys:
                problems.append(f"{where}: other party {p!r} is not a party key")
        for link in c.get("related_pilots") or []:
            if not isinstance(link, dict) or link.get("pilot") not in pilot_keys:
                problems.append(f"{where}: related pilot {link!r} is not a pilot key")
            elif link.get("basis") not in ("stated", "inferred"):
                problems.append(f"{where}: related pilot basis {link.get('basis')!r} must be stated or inferred")
        for key in ("parent",):
            if c.get(key) and c[key] not in commitment_keys:
                problems.append(f"{where}: {key} {c[key]!r} is not a commitment key")
        for key in ("related", "followed_up_by"):
            for other in c.get(key) or []:
                if other not in commitment_keys:
                    problems.append(f"{where}: {key} entry {other!r} is not a commitment key")
        sources = c.get("sources")
        if not isinstance(sources, list) or not sources:
            problems.append(f"{where}: needs at least one source citation")
        else:
            for j, s in enumerate(sources):
                if not isinstance(s, dict) or not s.get("file") or not s.get("quote"):
                    problems.append(f"{where}: sources[{j}] needs a file and a quote")
                elif (doc := source_documents.get(str(s["file"]))) is None:
                    problems.append(f"{where}: sources[{j}] cites {s['file']!r}, which source-documents.yaml does not describe")
                elif s.get("lines") and not doc.where(str(s["lines"])):
                    problems.append(
                        f"{where}: sources[{j}] cites lines {s['lines']!r} of {s['file']!r}, outside every location of that document"
                    )
        try:
            parse_period(c.get("due"), end=True)
        except ValueError as exc:
            problems.append(f"{where}: due {exc}")

    for i, s in enumerate(((clauses.get("meta") or {}).get("signatories")) or []):
        where = f"mou-clauses.yaml: meta.signatories[{i}] ({s.get('name') if isinstance(s, dict) else s})"
        if not isinstance(s, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        need(s, where, "name", "party")
        if s.get("party") and s["party"] not in party_keys:
            problems.append(f"{where}: party {s['party']!r} is not a party key")
    for i, cl in enumerate(clause_items):
        where = f"mou-clauses.yaml: clauses[{i}] ({cl.get('id')})"
        need(cl, where, "id", "kind", "summary")
        for k in cl.get("inventory_keys") or []:
            if k not in commitment_keys:
                problems.append(f"{where}: inventory key {k!r} is not a commitment key")
        for p in cl.get("parties") or []:
            if p not in party_keys:
                problems.append(f"{where}: party {p!r} is not a party key")
        if cl.get("lead_body") and cl["lead_body"] not in board_keys:
            problems.append(f"{where}: lead_body {cl['lead_body']!r} is not a board key")
    return problems


# --- dependencies (issue 15, ADR 0025) ----------------------------------------------------------


@dataclass(frozen=True)
class SourceDependency:
    """A dependency the sources give: ``dependent`` waits on ``prerequisite`` (inventory keys),
    because of ``field`` of the inventory entry ``source_key``; ``note`` says so in words."""

    dependent: str
    prerequisite: str
    source_key: str
    source_field: str
    note: str


def source_dependencies(inventory: dict[str, Any], text: dict[str, Any]) -> tuple[list[SourceDependency], list[str]]:
    """The dependencies the sources give, and the problems that stop them loading.

    - ``followed_up_by``: the later item waits on the earlier one (the MoU item that takes a 2015
      exploration forward builds on it);
    - ``parent``: the whole waits on its parts (a commitment is not delivered until its sub-items are);
    - ``dependencies.yaml``: the links the entries' own words state, each checked against the field.
    """
    problems: list[str] = []
    items = {c["key"]: c for c in inventory.get("commitments") or [] if isinstance(c, dict) and c.get("key")}
    links: list[SourceDependency] = []
    for c in items.values():
        for later in c.get("followed_up_by") or []:
            if later in items:
                links.append(
                    SourceDependency(
                        later,
                        c["key"],
                        c["key"],
                        "followed_up_by",
                        f"{items[later]['ref']} takes forward {c['ref']}: the inventory lists it under {c['ref']}'s followed_up_by.",
                    )
                )
        parent = str(c.get("parent") or "")
        if parent in items:
            links.append(
                SourceDependency(
                    parent,
                    c["key"],
                    c["key"],
                    "parent",
                    f"{c['ref']} is part of {items[parent]['ref']}: the whole is not delivered until its parts are.",
                )
            )
    entries = text.get("dependencies") if isinstance(text, dict) else None
    if not isinstance(entries, list):
        return links, [*problems, "dependencies.yaml: 'dependencies' must be a list"]
    for i, d in enumerate(entries):
        where = f"dependencies.yaml: dependencies[{i}]"
        if not isinstance(d, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        dependent, prerequisite = items.get(str(d.get("dependent"))), items.get(str(d.get("prerequisite")))
        if dependent is None or prerequisite is None:
            problems.append(
                f"{where}: dependent and prerequisite must be commitment keys ({d.get('dependent')!r}, {d.get('prerequisite')!r})"
            )
            continue
        field_name, words = str(d.get("field") or ""), str(d.get("words") or "")
        if not words or words not in str(dependent.get(field_name) or ""):
            problems.append(f"{where}: the words {words!r} are not in {dependent['key']}'s {field_name or 'field'!r}")
            continue
        source: dict[str, Any] = d["source"] if isinstance(d.get("source"), dict) else {}
        passage = next(
            (
                s
                for s in dependent.get("sources") or []
                if s.get("file") == source.get("file") and str(s.get("lines")) == str(source.get("lines"))
            ),
            None,
        )
        if passage is None:
            problems.append(f"{where}: its source must be one of {dependent['key']}'s sources (file and lines)")
            continue
        ref = cite(str(passage["file"]), passage.get("lines"))
        cited = f" ({ref.reference})" if ref else ""
        links.append(
            SourceDependency(
                dependent["key"],
                prerequisite["key"],
                dependent["key"],
                field_name,
                f"{dependent['ref']} waits on {prerequisite['ref']} ({field_name.replace('_', ' ')}: \u201c{words}\u201d); "
                f"the source: \u201c{passage['quote']}\u201d{cited}.",
            )
        )
    seen: set[tuple[str, str]] = set()
    unique = []
    for link in links:
        if (link.dependent, link.prerequisite) not in seen:
            seen.add((link.dependent, link.prerequisite))
            unique.append(link)
    from .dependencies import validate_graph

    for chain in validate_graph((link.dependent, link.prerequisite) for link in unique):
        problems.append(f"dependencies: the sources' links make a cycle ({' -> '.join(items[k]['ref'] for k in chain)})")
    return unique, problems


# --- writing ----------------------------------------------------------------------------------


class _Loader:
    def __init__(self) -> None:
        self.report = LoadReport()
        self.dependencies: list[SourceDependency] = []

    def upsert(self, model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any], *, second_pass: bool = False) -> Any:
        """Create the row, or update only the fields that differ (so a re-run writes nothing).

        ``second_pass`` marks a later pass over a row already counted (links that need both ends).
        """
        name = str(model._meta.verbose_name_plural).title()
        obj = model._default_manager.filter(**lookup).first()
        if obj is None:
            obj = model._default_manager.create(**lookup, **values)
            changes.record(obj, Change.Op.CREATE)
            self.report.created[name] += 1
            return obj
        changed = [k for k, v in values.items() if getattr(obj, k) != v]
        if changed:
            for k in changed:
                setattr(obj, k, values[k])
            obj.save(update_fields=[*changed, *(["updated_at"] if hasattr(obj, "updated_at") else [])])
            changes.record(obj)
            self.report.updated[name] += 1
        elif not second_pass:
            self.report.unchanged[name] += 1
        return obj

    def set_m2m(self, obj: models.Model, attr: str, targets: list[models.Model], label: str) -> None:
        manager = getattr(obj, attr)
        current = set(manager.values_list("pk", flat=True))
        wanted = {t.pk for t in targets}
        if current != wanted:
            manager.set(targets)
            self.report.updated[label] += 1

    def load(self, inventory: dict[str, Any], clauses: dict[str, Any]) -> LoadReport:
        sub_regions = {
            s["key"]: self.upsert(SubRegion, {"slug": s["key"]}, {"name": s["name"]})
            for s in (inventory.get("sub_regions") or {}).get("items", [])
        }
        parties = self._parties(inventory, clauses)
        boards = self._boards(inventory, parties)
        boroughs = self._boroughs(inventory, parties, sub_regions)
        pilots = self._pilots(inventory, boroughs, sub_regions)
        agreements = self._agreements(inventory, clauses)
        self._signatories(clauses, agreements, parties)
        themes = {
            t["key"]: self.upsert(
                Theme,
                {"slug": t["key"]},
                {
                    "name": t["name"],
                    "ref_prefix": t["ref_prefix"],
                    "order": i,
                    "subthemes": t.get("subthemes") or {},
                    "expected_benefits": [
                        {**b, "source": enrich(b["source"])} if isinstance(b, dict) and b.get("source") else b
                        for b in t.get("expected_benefits") or []
                    ],
                    "notes": _text(t.get("notes")),
                },
            )
            for i, t in enumerate(inventory["themes"], start=1)
        }
        commitments = self._commitments(inventory, agreements, themes, boards, parties, pilots)
        self._clauses(clauses, agreements, commitments, parties, boards)
        self._meetings(inventory, boards)
        self._dependencies(commitments)
        refresh_all_rollups()
        return self.report

    def _dependencies(self, commitments: dict[str, Commitment]) -> None:
        """The sources' dependencies (:func:`source_dependencies`), matched on their pair: new ones
        created, changed traces updated, ones the data no longer gives removed. A secretariat's
        dependency on the same pair becomes the sources' (the sources now say so); the others are
        left alone."""
        name = "Dependencies"
        wanted = {(commitments[d.dependent].pk, commitments[d.prerequisite].pk): d for d in self.dependencies}
        current = {
            (dep.commitment_id, dep.prerequisite_commitment_id): dep
            for dep in Dependency.objects.filter(commitment__isnull=False, prerequisite_commitment__isnull=False)
        }
        for pair, d in wanted.items():
            values = {"basis": Dependency.Basis.SOURCES, "source_key": d.source_key, "source_field": d.source_field, "source_note": d.note}
            dep = current.get(pair)
            if dep is None:
                dep = Dependency.objects.create(commitment_id=pair[0], prerequisite_commitment_id=pair[1], **values)
                changes.record(dep, Change.Op.CREATE)
                self.report.created[name] += 1
            elif any(getattr(dep, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(dep, k, v)
                dep.save(update_fields=list(values))
                changes.record(dep)
                self.report.updated[name] += 1
            else:
                self.report.unchanged[name] += 1
        gone = [dep for pair, dep in current.items() if dep.basis == Dependency.Basis.SOURCES and pair not in wanted]
        for dep in gone:
            changes.record(dep, Change.Op.DELETE)
            dep.delete()
            self.report.removed[name] += 1

    def _parties(self, inventory: dict[str, Any], clauses: dict[str, Any]) -> dict[str, Party]:
        parties: dict[str, Party] = {}
        for p in inventory["parties"]:
            parties[p["key"]] = self.upsert(
                Party,
                {"slug": p["key"]},
                {
                    "name": p["name"],
                    "type": PARTY_TYPES[p["type"]],
                    "collective": bool(p.get("collective")),
                    "peripheral": bool(p.get("peripheral")),
                    "notes": " ".join(_text(p.get(k)) for k in ("notes", "type_note") if p.get(k)),
                    "source": _text(p.get("seed_mentions")),
                },
            )
        for p in clauses.get("new_parties") or []:
            parties[p["key"]] = self.upsert(
                Party,
                {"slug": p["key"]},
                {
                    "name": p["name"],
                    "type": PARTY_TYPES.get(p.get("type"), Party.Type.OTHER),
                    "collective": False,
                    "peripheral": False,
                    "notes": " ".join(_text(p.get(k)) for k in ("role", "relation_to_inventory", "note") if p.get(k)),
                    "source": "Signed MoU and public sources: " + _text(p.get("source")),
                },
            )
        # Each of the 33 London local authorities is a party of its own (type local authority).
        for b in inventory["boroughs"]["items"]:
            name = LOCAL_AUTHORITY_NAMES.get(b["key"]) or (
                f"Royal Borough of {b['name']}" if b.get("notes") == "Royal Borough" else f"London Borough of {b['name']}"
            )
            parties[b["key"]] = self.upsert(
                Party,
                {"slug": b["key"]},
                {
                    "name": name,
                    "type": Party.Type.LOCAL_AUTHORITY,
                    "collective": False,
                    "peripheral": False,
                    "notes": _text(b.get("notes")),
                    "source": "GENERAL KNOWLEDGE, NOT IN SEEDS: the 33 London local authorities."
                    + (" Named in the seeds." if b.get("named_in_seeds") else ""),
                },
            )
        return parties

    def _boards(self, inventory: dict[str, Any], parties: dict[str, Party]) -> dict[str, Board]:
        boards: dict[str, Board] = {}
        for b in inventory["boards"]:
            notes = [_text(b.get("notes")), _text(b.get("general_knowledge")), _text(b.get("future"))]
            if b.get("london_councils_representatives"):
                notes.append("London Councils representatives: " + ", ".join(b["london_councils_representatives"]))
            boards[b["key"]] = self.upsert(
                Board,
                {"slug": b["key"]},
                {
                    "code": b["code"],
                    "name": b["name"],
                    "kind": BOARD_KINDS[b["kind"]],
                    "role": _text(b.get("role")),
                    "is_mou_board": b["code"] in MOU_BOARDS,
                    "chair": parties.get(b.get("chair") or ""),
                    "chair_basis": BASIS[b.get("chair_basis")],
                    "owner": parties.get(b.get("owner") or ""),
                    "status_at_mou": _text(b.get("status_at_mou")),
                    "notes": "\n".join(n for n in notes if n),
                    "sources": _sources(b.get("sources")),
                },
            )
        # Second pass: links between boards need both ends to exist.
        for b in inventory["boards"]:
            self.upsert(
                Board,
                {"slug": b["key"]},
                {
                    "reports_to": boards.get(b.get("reports_to") or ""),
                    "reports_to_basis": BASIS[b.get("reports_to_basis")] if b.get("reports_to") else Basis.NOT_STATED,
                    "supports": boards.get(b.get("supports") or ""),
                    "supports_basis": BASIS[b.get("supports_basis")] if b.get("supports") else Basis.NOT_STATED,
                },
                second_pass=True,
            )
        for b in boards.values():
            b.refresh_from_db()
        return boards

    def _boroughs(self, inventory: dict[str, Any], parties: dict[str, Party], sub_regions: dict[str, SubRegion]) -> dict[str, Borough]:
        return {
            b["key"]: self.upsert(
                Borough,
                {"slug": b["key"]},
                {
                    "name": b["name"],
                    "party": parties[b["key"]],
                    "sub_region": sub_regions.get(b.get("sub_region") or ""),
                    "named_in_sources": bool(b.get("named_in_seeds")),
                    "notes": _text(b.get("notes")),
                },
            )
            for b in inventory["boroughs"]["items"]
        }

    def _pilots(self, inventory: dict[str, Any], boroughs: dict[str, Borough], sub_regions: dict[str, SubRegion]) -> dict[str, Pilot]:
        pilots: dict[str, Pilot] = {}
        for p in inventory["pilots"]:
            pilot = self.upsert(
                Pilot,
                {"slug": p["key"]},
                {
                    "name": p["name"],
                    "focus": PILOT_FOCUS[p["focus"]],
                    "status": Pilot.Status.PILOT,
                    "description": _text(p.get("description")),
                    "sub_region": sub_regions.get(p.get("sub_region") or ""),
                    "notes": _text(p.get("notes")),
                    "sources": _sources(p.get("sources")),
                },
            )
            self.set_m2m(pilot, "boroughs", [boroughs[b] for b in p.get("boroughs") or []], "Pilot boroughs")
            pilots[p["key"]] = pilot
        return pilots

    def _agreements(self, inventory: dict[str, Any], clauses: dict[str, Any]) -> dict[str, Agreement]:
        agreements: dict[str, Agreement] = {}
        others = {o["key"]: o for o in inventory.get("other_instruments") or []}
        entries = [*inventory["agreements"], *(others[k] for k in AGREEMENT_KINDS if k in others)]
        meta = clauses.get("meta") or {}
        for a in entries:
            key = a["key"]
            date, precision = parse_period(a.get("date_signed") or a.get("date"), end=False)
            if key == "lc-report-2017-12-05":
                date, precision = dt.date(2017, 12, 5), "day"
            notes = [_text(a.get("notes")), _text(a.get("relationship_to_mou")), _text(a.get("conditions"))]
            purpose = _text(a.get("purpose"))
            if a.get("nature"):
                purpose += "\nNature: " + "; ".join(a["nature"])
            if a.get("principles_recognised"):
                purpose += "\nPrinciples recognised: " + "; ".join(a["principles_recognised"])
            agreements[key] = self.upsert(
                Agreement,
                {"slug": key},
                {
                    "name": a["name"],
                    "short_name": a.get("short_name") or a["name"],
                    "kind": AGREEMENT_KINDS[key],
                    "date": date,
                    "date_precision": precision or "day",
                    "title_as_printed": meta.get("title_as_printed", "") if key == "mou-2017" else "",
                    "purpose": humanise(purpose.strip()),
                    "notes": "\n".join(n for n in notes if n),
                    "sources": _sources(a.get("sources")),
                    "in_dashboards_by_default": key in ("mou-2017", "devolution-agreement-2015"),
                },
            )
        return agreements

    def _signatories(self, clauses: dict[str, Any], agreements: dict[str, Agreement], parties: dict[str, Party]) -> None:
        for order, s in enumerate((clauses.get("meta") or {}).get("signatories") or [], start=1):
            self.upsert(
                Signatory,
                {"agreement": agreements["mou-2017"], "party": parties[s["party"]]},
                {
                    "name": s["name"],
                    "role": s.get("role") or "",
                    "organisation": s.get("organisation") or "",
                    "side": s.get("side") or "",
                    "order": order,
                },
            )

    def _commitments(
        self,
        inventory: dict[str, Any],
        agreements: dict[str, Agreement],
        themes: dict[str, Theme],
        boards: dict[str, Board],
        parties: dict[str, Party],
        pilots: dict[str, Pilot],
    ) -> dict[str, Commitment]:
        commitments: dict[str, Commitment] = {}
        for c in inventory["commitments"]:
            target, precision = parse_period(c.get("due"), end=True)
            notes = _text(c.get("notes"))
            commitments[c["key"]] = self.upsert(
                Commitment,
                {"ref": c["ref"]},
                {
                    "key": c["key"],
                    "title": c["title"],
                    "summary": humanise(c["summary"]),
                    "agreement": agreements[c["agreement"]],
                    "theme": themes[c["theme"]],
                    "subtheme": c.get("subtheme") or "",
                    "kind": c["kind"],
                    "framing": _text(c.get("framing")),
                    "lead_board": boards.get(c.get("lead_body") or ""),
                    "lead_board_basis": BASIS[c.get("lead_body_basis")],
                    "target_date": target,
                    "target_date_precision": precision,
                    "timing": _text(c.get("timing")),
                    "amount": _text(c.get("amount"))[:300],
                    "conditions": _text(c.get("conditions")),
                    "notes": notes,
                },
            )
        for c in inventory["commitments"]:
            commitment = commitments[c["key"]]
            self.upsert(Commitment, {"ref": c["ref"]}, {"parent": commitments.get(c.get("parent") or "")}, second_pass=True)
            self.set_m2m(commitment, "co_lead_boards", [boards[b] for b in c.get("co_lead_bodies") or []], "Commitment co-leads")
            self.set_m2m(commitment, "recipients", [boards[b] for b in c.get("recipients") or []], "Commitment recipients")
            self.set_m2m(commitment, "other_parties", [parties[p] for p in c.get("other_parties") or []], "Commitment other parties")
            self._pilot_links(commitment, c, pilots)
            self._links(commitment, c, commitments)
            self._citations(commitment, c)
            self._obligations(commitment, c, parties)
        return commitments

    def _pilot_links(self, commitment: Commitment, c: dict[str, Any], pilots: dict[str, Pilot]) -> None:
        wanted = {(link["pilot"], BASIS[link["basis"]]) for link in c.get("related_pilots") or []}
        current = {(link.pilot.slug, link.basis) for link in commitment.pilot_links.select_related("pilot")}
        if wanted != current:
            commitment.pilot_links.all().delete()
            CommitmentPilot.objects.bulk_create(CommitmentPilot(commitment=commitment, pilot=pilots[p], basis=b) for p, b in sorted(wanted))
            self.report.updated["Commitment pilots"] += 1

    def _links(self, commitment: Commitment, c: dict[str, Any], commitments: dict[str, Commitment]) -> None:
        wanted = {(commitments[k].pk, CommitmentLink.Kind.RELATED) for k in c.get("related") or []} | {
            (commitments[k].pk, CommitmentLink.Kind.FOLLOWED_UP_BY) for k in c.get("followed_up_by") or []
        }
        current = set(commitment.links_out.values_list("target_id", "kind"))
        if wanted != current:
            commitment.links_out.all().delete()
            CommitmentLink.objects.bulk_create(CommitmentLink(source=commitment, target_id=t, kind=k) for t, k in sorted(wanted))
            self.report.updated["Commitment links"] += 1

    def _citations(self, commitment: Commitment, c: dict[str, Any]) -> None:
        """The commitment's source passages: file and lines as the inventory gives them, and the
        document's title, publisher, date, the passage's location and a link as people read them."""
        wanted = []
        for s in c["sources"]:
            lines = str(s.get("lines") or "")
            ref = cite(s["file"], lines)
            wanted.append(
                {
                    "document": s["file"],
                    "lines": lines,
                    "quote": s["quote"],
                    "document_title": ref.title if ref else "",
                    "publisher": ref.publisher if ref else "",
                    "document_kind": ref.kind if ref else "",
                    "document_date": ref.date if ref else None,
                    "document_date_precision": ref.date_precision if ref else "",
                    "location": ref.location if ref else "",
                    "url": ref.url if ref else "",
                }
            )
        fields = list(wanted[0]) if wanted else ["document"]
        current = list(commitment.citations.order_by("order").values(*fields))
        if wanted != current:
            commitment.citations.all().delete()
            Citation.objects.bulk_create(Citation(commitment=commitment, order=i, **row) for i, row in enumerate(wanted))
            self.report.updated["Citations"] += 1
        else:
            self.report.unchanged["Citations"] += len(wanted)

    def _obligations(self, commitment: Commitment, c: dict[str, Any], parties: dict[str, Party]) -> None:
        wanted = {parties[p].pk for p in c["obligated_parties"]}
        existing = {o.party_id: o for o in commitment.obligations.all()}
        for party_id in wanted - existing.keys():
            changes.record(Obligation.objects.create(commitment=commitment, party_id=party_id), Change.Op.CREATE)
            self.report.created["Obligations"] += 1
        self.report.unchanged["Obligations"] += len(wanted & existing.keys())
        for party_id in existing.keys() - wanted:
            obligation = existing[party_id]
            # A party dropped from the data file: remove its obligation only if nobody has worked
            # on it; otherwise keep the record and say so, rather than lose history.
            if obligation.version == 1 and not obligation.actions.exists() and not obligation.updates.exists():
                changes.record(obligation, Change.Op.DELETE)
                obligation.delete()
                self.report.removed["Obligations"] += 1
            else:
                self.report.notes.append(
                    f"kept obligation {commitment.ref} / {obligation.party.slug}: no longer in the data file but it has history"
                )

    def _clauses(
        self,
        clauses: dict[str, Any],
        agreements: dict[str, Agreement],
        commitments: dict[str, Commitment],
        parties: dict[str, Party],
        boards: dict[str, Board],
    ) -> None:
        publishers = _evidence_publishers(clauses)
        mou = agreements["mou-2017"]
        mou_title = mou.title_as_printed or mou.name
        mou_date = format_date(mou.date, mou.date_precision) if mou.date else ""
        for cl in clauses.get("clauses") or []:
            clause = self.upsert(
                Clause,
                {"key": cl["id"]},
                {
                    "agreement": agreements["mou-2017"],
                    "number": _text(cl.get("clause")),
                    "section": _text(cl.get("section")),
                    "location": (location := clause_location(_text(cl.get("clause")), _text(cl.get("section")))),
                    "reference": ", ".join(p for p in (mou_title, mou_date, location) if p),
                    "kind": cl["kind"],
                    "summary": humanise(cl["summary"]),
                    "locator": _text(cl.get("locator")),
                    "locator_source": _text(cl.get("locator_source")),
                    "timing": _text(cl.get("timing")),
                    "amount": _text(cl.get("amount")),
                    "conditions": _text(cl.get("conditions")),
                    "evidence": [_evidence(e, publishers) for e in cl.get("evidence") or []],
                    "notes": _text(cl.get("notes")),
                    "lead_board": boards.get(cl.get("lead_body") or ""),
                },
            )
            self.set_m2m(clause, "commitments", [commitments[k] for k in cl.get("inventory_keys") or []], "Clause commitments")
            self.set_m2m(clause, "parties", [parties[p] for p in cl.get("parties") or []], "Clause parties")

    def _meetings(self, inventory: dict[str, Any], boards: dict[str, Board]) -> None:
        for m in (inventory.get("leaders_committee") or {}).get("meetings") or []:
            date, precision = parse_period(m.get("date"), end=False)
            if date is None:
                self.report.notes.append(f"meeting {m['key']} not loaded: the sources give no date")
                continue
            board = boards[m["body"]]
            items = m.get("items") or ([m["item_title"]] if m.get("item_title") else [])
            self.upsert(
                Meeting,
                {"key": m["key"]},
                {
                    "board": board,
                    "date": date,
                    "date_precision": precision,
                    "title": m.get("item_title") or f"{board.name} meeting",
                    "item_number": _text(m.get("item_number")),
                    "report_by": _text(m.get("report_by")),
                    "notes": "\n".join(str(i) for i in items)
                    + (f"\nRecommendation: {m['recommendation']}" if m.get("recommendation") else "")
                    + (f"\nImplications: {m['implications']}" if m.get("implications") else ""),
                    "sources": _sources(m.get("sources")),
                    "is_demo": False,
                },
            )


def clause_location(number: str, section: str) -> str:
    """Where a clause sits in the signed MoU, as a reader would say it.

    ``("1 (second paragraph, unnumbered)", "1. Introduction")`` → "section 1 'Introduction',
    second paragraph, unnumbered"; a clause whose numbers were not recovered
    (``("", "Estates / capital (number not recovered)")``) → "the part on estates / capital
    (section and paragraph numbers not recovered)".
    """
    if number:
        m = re.match(r"\s*(\d+(?:\.\d+)*)\s*(?:\((.*)\))?", number)
        if m:
            heading = re.sub(r"^\s*\d+(?:\.\d+)*\.?\s*", "", section)
            return ", ".join(p for p in (f"section {m[1]}" + (f" ‘{heading}’" if heading else ""), m[2]) if p)
        return f"clause {number}"
    topic = re.sub(r"\s*\(number not recovered\)\s*$", "", section).strip()
    if not topic:
        return "section and paragraph numbers not recovered"
    return f"the part on {topic[:1].lower()}{topic[1:]} (section and paragraph numbers not recovered)"


def _evidence_publishers(clauses: dict[str, Any]) -> dict[str, str]:
    """Who published each outside source the clauses cite, by URL (``meta.sources``)."""
    sources = (clauses.get("meta") or {}).get("sources") or {}
    publishers = {
        s["url"]: "Public copy of the signed MoU" for s in sources.get("mou_copies") or [] if isinstance(s, dict) and s.get("url")
    }
    for s in sources.get("secondary") or []:
        if isinstance(s, dict) and s.get("url") and s.get("publisher"):
            publishers[s["url"]] = str(s["publisher"])
    return publishers


def _evidence(entry: Any, publishers: dict[str, str]) -> Any:
    """A clause's piece of evidence with its publisher's name beside the URL (the host name when
    the file names none), and its note written for people."""
    if not isinstance(entry, dict) or not entry.get("url"):
        return entry
    url = str(entry["url"])
    host = urlsplit(url).netloc.removeprefix("www.")
    out = {**entry, "publisher": publishers.get(url) or host}
    if entry.get("note"):
        out["note"] = humanise(str(entry["note"]))
    return out


_AMBIGUITY = re.compile(r"(?P<see>\b[Ss]ee )?(?:(?:inventory )?ambiguity )?\bamb-(?P<key>[a-z0-9]+(?:-[a-z0-9]+)*)")


def spell_out_ambiguities(data: Any, ambiguities: dict[str, str], *, field: str = "") -> Any:
    """``data`` with every reference to one of the inventory's ``ambiguities`` by its key ("See
    amb-tobacco-team") replaced by what the ambiguity says, since readers never see the keys.
    The ambiguities' own ``key`` fields are left alone."""
    if isinstance(data, dict):
        return {k: (v if k == "key" else spell_out_ambiguities(v, ambiguities, field=k)) for k, v in data.items()}
    if isinstance(data, list):
        return [spell_out_ambiguities(v, ambiguities, field=field) for v in data]
    if not isinstance(data, str) or "amb-" not in data:
        return data

    def replace(m: re.Match[str]) -> str:
        text = ambiguities.get(f"amb-{m['key']}")
        if text is None:
            return m[0]
        text = text.strip().rstrip(".")
        if m["see"]:
            return f"{'O' if m['see'][0] == 'S' else 'o'}n this the sources differ: {text}"
        return f"the point on which the sources differ ({text})"

    return _AMBIGUITY.sub(replace, data)


def load_mou(inventory_path: Path = INVENTORY, clauses_path: Path = CLAUSES, dependencies_path: Path = DEPENDENCIES) -> LoadReport:
    """Validate the data files, then load everything in one transaction. Raises DataFileError
    (naming each bad entry) before writing anything when the files are malformed."""
    inventory = _read(inventory_path)
    clauses = _read(clauses_path)
    problems = validate(inventory, clauses)
    dependencies, dependency_problems = source_dependencies(inventory, _read(dependencies_path)) if not problems else ([], [])
    problems += dependency_problems
    if problems:
        raise DataFileError(problems)
    ambiguities = {
        str(a["key"]): str(a.get("text") or "") for a in inventory.get("ambiguities") or [] if isinstance(a, dict) and a.get("key")
    }
    inventory = spell_out_ambiguities(inventory, ambiguities)
    clauses = spell_out_ambiguities(clauses, ambiguities)
    with transaction.atomic():
        loader = _Loader()
        loader.dependencies = dependencies
        report = loader.load(inventory, clauses)
        if report.changed:
            refresh_planner_statistics()
    return report
