"""Citations as a person would write them (issue 11).

``mou-inventory.yaml`` points every source passage to a document by file name and line numbers
(``002_3b3219cd46b346b4.txt``, lines ``59``) and its notes refer to documents by short codes
(``F002 l54``). Both trace a commitment back to its text, and both mean nothing to a reader.
``data/source-documents.yaml`` describes each of the five documents (publisher, title, date,
public link, and which numbered paragraph, heading or appendix section every line falls in); this
module turns a file and lines into a :class:`SourceRef` ("London Councils Leaders' Committee,
'Health and Social Care Devolution', 5 December 2017, Item 8, paragraph 10") and rewrites the
codes in the inventory's free text (:func:`humanise`).

The loader (:mod:`commitments.loader`) calls it once per load, so pages, papers, exports and the
API read the human fields from the database; the file names and line numbers stay beside them
for traceability.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SOURCE_DOCUMENTS = Path(__file__).resolve().parent / "data" / "source-documents.yaml"
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_PARAGRAPH = re.compile(r"paragraph (\d+)")


@dataclass(frozen=True)
class SourceDocument:
    """One source document, as ``source-documents.yaml`` describes it."""

    file: str
    code: str
    publisher: str
    title: str
    part: str
    kind: str
    date: dt.date | None
    date_precision: str  # "day" | "month" | "year" | ""
    url: str
    name: str
    locations: tuple[tuple[int, int, str], ...]

    @property
    def date_text(self) -> str:
        return format_date(self.date, self.date_precision)

    def where(self, lines: str) -> str:
        """Where ``lines`` ("59", "29-42", "9, 272") fall: "paragraph 10", "paragraphs 1 to 3",
        "cover sheet and Appendix one, 'Commentary'"; "" when no line is given or none maps."""
        labels: list[str] = []
        for first, last in parse_lines(lines):
            for first_loc, last_loc, label in self.locations:
                if first_loc <= last and first <= last_loc and label not in labels:
                    labels.append(label)
        return join_locations(labels)

    def location(self, lines: str = "") -> str:
        """Where ``lines`` are, as a citation gives it: the part of a larger document first
        ("Item 8, paragraph 10"), then :meth:`where`."""
        return ", ".join(p for p in (self.part, self.where(lines)) if p)

    def reference(self, location: str = "") -> str:
        """The whole reference: publisher, 'title', date and, when given, the location."""
        parts = [self.publisher, f"‘{self.title}’", self.date_text, location]
        return ", ".join(p for p in parts if p)

    def mention(self, location: str = "") -> str:
        """How running text refers to the document: "the LGC article of November 2017, paragraph 5"."""
        return f"{self.name}, {location}" if location else self.name


@dataclass(frozen=True)
class SourceRef:
    """A source passage in human terms, with the file and lines it was read from."""

    document: str  # the file name (machine traceability)
    lines: str
    title: str
    publisher: str
    kind: str
    date: dt.date | None
    date_precision: str
    location: str
    url: str
    reference: str


def format_date(value: dt.date | None, precision: str = "day") -> str:
    """A date as people write it, as precisely as known: "5 December 2017", "November 2017", "2017"."""
    if value is None:
        return ""
    if precision == "year":
        return str(value.year)
    if precision == "month":
        return f"{MONTHS[value.month - 1]} {value.year}"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def parse_lines(lines: Any) -> list[tuple[int, int]]:
    """ "59" → [(59, 59)]; "29-42" → [(29, 42)]; "9, 272" → [(9, 9), (272, 272)]; junk is skipped."""
    spans = []
    for m in re.finditer(r"(\d+)(?:\s*-\s*(\d+))?", str(lines or "")):
        first = int(m[1])
        last = int(m[2]) if m[2] else first
        spans.append((min(first, last), max(first, last)))
    return spans


def join_locations(labels: list[str]) -> str:
    """Join location labels as prose; numbered paragraphs merge ("paragraphs 8 and 21", "paragraphs 1 to 3")."""
    if not labels:
        return ""
    numbers = [int(m[1]) for label in labels if (m := _PARAGRAPH.fullmatch(label))]
    others = [label for label in labels if not _PARAGRAPH.fullmatch(label)]
    items = []
    if numbers:
        numbers = sorted(set(numbers))
        if len(numbers) == 1:
            items.append(f"paragraph {numbers[0]}")
        elif numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 2:
            items.append(f"paragraphs {numbers[0]} to {numbers[-1]}")
        else:
            items.append("paragraphs " + _and([str(n) for n in numbers]))
    items.extend(others)
    return _and(items)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _parse_date(value: Any) -> tuple[dt.date | None, str]:
    text = str(value or "").strip()
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        return dt.date(int(m[1]), int(m[2]), int(m[3])), "day"
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        return dt.date(int(m[1]), int(m[2]), 1), "month"
    if m := re.fullmatch(r"(\d{4})", text):
        return dt.date(int(m[1]), 1, 1), "year"
    return None, ""


def read_documents(path: Path = SOURCE_DOCUMENTS) -> dict[str, SourceDocument]:
    """The documents of ``path`` keyed by file name. Raises ValueError naming a malformed entry."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    documents: dict[str, SourceDocument] = {}
    for i, d in enumerate(data.get("documents") or []):
        where = f"{path.name}: documents[{i}]"
        if not isinstance(d, dict) or not all(d.get(k) for k in ("file", "code", "publisher", "title", "name")):
            raise ValueError(f"{where}: needs a file, code, publisher, title and name")
        date, precision = _parse_date(d.get("date"))
        locations = []
        for loc in d.get("locations") or []:
            if not (isinstance(loc, list) and len(loc) == 3 and isinstance(loc[0], int) and isinstance(loc[1], int) and loc[2]):
                raise ValueError(f"{where} ({d['file']}): location {loc!r} is not [first line, last line, label]")
            locations.append((loc[0], loc[1], str(loc[2])))
        documents[d["file"]] = SourceDocument(
            file=d["file"],
            code=d["code"],
            publisher=d["publisher"],
            title=d["title"],
            part=d.get("part") or "",
            kind=d.get("kind") or "",
            date=date,
            date_precision=precision,
            url=d.get("url") or "",
            name=d["name"],
            locations=tuple(locations),
        )
    return documents


@functools.cache
def documents() -> dict[str, SourceDocument]:
    """The project's source documents (read once per process)."""
    return read_documents()


def cite(file: str, lines: Any = "") -> SourceRef | None:
    """The human citation of ``lines`` of ``file``, or None for a file the project does not describe."""
    doc = documents().get(file)
    if doc is None:
        return None
    location = doc.location(str(lines or ""))
    return SourceRef(
        document=file,
        lines=str(lines or ""),
        title=doc.title,
        publisher=doc.publisher,
        kind=doc.kind,
        date=doc.date,
        date_precision=doc.date_precision,
        location=location,
        url=doc.url,
        reference=doc.reference(location),
    )


def enrich(source: Any) -> Any:
    """A ``{file, lines, quote}`` source entry with ``reference`` (and ``url`` when known) added,
    for the JSON the loader keeps (themes' expected benefits, boards', pilots' and meetings'
    sources). Anything else is returned as it is."""
    if not isinstance(source, dict) or not source.get("file"):
        return source
    ref = cite(str(source["file"]), source.get("lines"))
    if ref is None:
        return source
    enriched = {**source, "reference": ref.reference}
    if ref.url:
        enriched["url"] = ref.url
    return enriched


# One pattern, three kinds of reference to a source document:
# - a code with optional lines: "F002", "F002 l54", "F002 l54, l79", "F001 l24-25", "F000 line 9",
#   also "seed F003" and "the inventory's seed F003";
# - a file name: "002_3b3219cd46b346b4.txt";
# - a bare line reference ("(l13)"), which refers to the document named last in the same text.
_REFERENCE = re.compile(
    r"(?:the inventory's seed |seed )?\bF(?P<code>\d{3})\b"
    r"(?P<lines>(?:(?:,\s*|\s+and\s+|\s+)(?:l|lines?\s)\s*\d+(?:\s*-\s*\d+)?(?!\w))*)"
    r"|\b(?P<file>\d{3})_[0-9a-f]{8,}\.txt\b"
    r"|(?<![\w'’-])l(?P<bare>\d+(?:-\d+)?)(?!\w)"
)
_LINE_PREFIX = re.compile(r"(?:lines?\s|l)\s*")


def humanise(text: str) -> str:
    """Rewrite the inventory's references to its source documents as a reader would write them.

    "(F002 l54, l79)" → "(the Leaders' Committee report of 5 December 2017, Item 8, paragraphs
    8 and 21)"; "Only in F003" → "Only in the Londonwide LMCs news item of 20 December 2017";
    in "... (F003 l11) and under 'Integration' (l13)" the bare "l13" becomes the location in the
    same document. File names are rewritten the same way. Text without such references is
    returned unchanged.
    """
    if not text or not re.search(r"F\d{3}|\.txt|\bl\d", text):
        return text
    by_code = {d.code: d for d in documents().values()}
    out: list[str] = []
    last: SourceDocument | None = None
    pos = 0
    for m in _REFERENCE.finditer(text):
        if m.group("code"):
            doc, lines = by_code.get(f"F{m.group('code')}"), m.group("lines") or ""
        elif m.group("file"):
            doc, lines = by_code.get(f"F{m.group('file')}"), ""
        else:
            doc, lines = last, m.group("bare")
        if doc is None:
            continue  # an unknown code, or "l5" with no document before it: left as written
        location = doc.where(_LINE_PREFIX.sub(" ", lines))
        if m.group("bare"):
            if not location:
                continue
            mention = location
        else:
            mention = doc.mention(location)
        if _starts_sentence(text, m.start()):
            mention = mention[:1].upper() + mention[1:]
        out.append(text[pos : m.start()])
        out.append(mention)
        pos = m.end()
        last = doc
    out.append(text[pos:])
    return "".join(out)


def _starts_sentence(text: str, index: int) -> bool:
    before = text[:index].rstrip()
    return not before or (before.endswith((".", "!", "?")) and not before.endswith("e.g."))


def humanise_all(value: Any) -> Any:
    """:func:`humanise` applied to every string in a list (other values unchanged)."""
    if isinstance(value, list):
        return [humanise(v) if isinstance(v, str) else v for v in value]
    return humanise(value) if isinstance(value, str) else value
