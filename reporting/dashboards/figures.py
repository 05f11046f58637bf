"""The figures of a dashboard: what a page, a chart, a CSV file and a paper show (issue 6).

A :class:`reporting.dashboards.queries.Dashboard` is read for a :class:`Scope`, part by part, from these.
Every figure is a :class:`Cell` that carries the URL of the filtered list behind it
(``commitments:list``, ``commitments:obligations`` or ``commitments:actions`` with the shared
FilterSet parameters), so each number drills down to the rows it counts. The same :class:`Table`
objects feed the HTML tables, the SVG charts (:mod:`reporting.charts`) and the CSV exports, so a
chart can never show a number its table does not.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet, Subquery
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from boards.models import Board, Party
from commitments.comparisons import Kind
from commitments.models import Action, Agreement, Commitment, CommitmentPilot, Obligation, StatusUpdate
from devotracker.people import name_of
from pilots.models import Pilot

LONDON = ZoneInfo("Europe/London")

# The RAG buckets in the order every table and chart shows them; "none" is "not assessed" (stored
# as an empty string, and spelt ``none`` in the FilterSets' ``rag`` parameter).
RAG_KEYS: tuple[str, ...] = ("red", "amber", "green", "none")
RAG_LABELS: dict[str, str] = {"red": "Red", "amber": "Amber", "green": "Green", "none": "Not assessed"}
DUE_WINDOWS: tuple[int, ...] = (30, 60, 90)
LIST_LIMIT = 50  # longest list of overdue or due items on the page; the link shows them all
RECENT_LIMIT = 10
TREND_MONTHS = 24
TREND_WEEKS = 26

ScopeKind = Literal["all", "pilot", "board", "party"]


def rag_key(value: str | None) -> str:
    return value if value in ("red", "amber", "green") else "none"


@functools.lru_cache(maxsize=32)
def _list_path(name: str, prefix: str, urlconf: str) -> str:
    """The path of list page ``name`` under the script prefix ``prefix`` and URL conf ``urlconf``
    (both part of the key, so a cached path is never another deployment's or another test's)."""
    fallback = {"commitments:list": "/commitments/", "commitments:obligations": "/obligations/", "commitments:actions": "/actions/"}
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback.get(name, "/")


def list_url(name: str, params: dict[str, Any]) -> str:
    """The URL of a filtered list page (``commitments:list`` and friends) with ``params``.

    The list pages belong to the officers' pages; should one not be mounted (yet), the documented
    path is used so the link still reads right. A dashboard links thousands of figures at large
    scale (a cell per party and RAG): the path is reversed once per page name, not per figure.
    """
    base = _list_path(name, get_script_prefix(), str(get_urlconf() or settings.ROOT_URLCONF))
    clean = {k: v for k, v in params.items() if v not in (None, "", [])}
    return f"{base}?{urlencode(clean, doseq=True)}" if clean else base


def commitment_url(ref: str) -> str:
    """The commitment's own page, or the list filtered to its ref when no detail page is mounted."""
    for kwargs in ({"ref": ref},):
        try:
            return reverse("commitments:detail", kwargs=kwargs)
        except NoReverseMatch:
            continue
    return list_url("commitments:list", {"q": ref})


# --- scope ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a dashboard (or report) covers: all of London, or one pilot, lead board or party.

    ``all_agreements`` switches from the agreements shown by default (the 2017 MoU and the 2015
    Devolution Agreement: ``Agreement.in_dashboards_by_default``) to every agreement loaded.
    """

    kind: ScopeKind = "all"
    pilot: Pilot | None = None
    board: Board | None = None
    party: Party | None = None
    all_agreements: bool = False

    @property
    def name(self) -> str:
        if self.pilot is not None:
            return self.pilot.name
        if self.board is not None:
            return self.board.name
        if self.party is not None:
            return self.party.name
        return "All of London"

    @functools.cached_property
    def default_agreements(self) -> list[Agreement]:
        """The agreements shown by default, read once per scope."""
        return list(Agreement.objects.filter(in_dashboards_by_default=True).order_by("date", "slug"))

    def commitments(self) -> QuerySet[Commitment]:
        """The commitments this scope covers (no annotations: usable as a subquery).

        The default agreements are named by id, not by a join on the flag: with the extended
        statistics on (lead board, agreement) (commitments migration 0008) PostgreSQL then knows
        how few of a board's commitments are in them, and counts a board's items through the
        indexes (~40 ms) instead of scanning every action (~300 ms at the large scale)."""
        qs = Commitment.objects.all()
        if not self.all_agreements:
            qs = qs.filter(agreement_id__in=[a.pk for a in self.default_agreements])
        if self.pilot is not None:
            # A subquery, not a join, so that grouping by pilot elsewhere sees every pilot link.
            qs = qs.filter(pk__in=Subquery(CommitmentPilot.objects.filter(pilot=self.pilot).values("commitment_id")))
        if self.board is not None:
            qs = qs.filter(lead_board=self.board)
        if self.party is not None:
            qs = qs.filter(pk__in=Subquery(Obligation.objects.filter(party=self.party).values("commitment_id")))
        return qs

    def items(self) -> dict[Kind, QuerySet[Any]]:
        """The commitments and obligations this scope covers, by kind (what a comparison with a
        reporting period is limited to)."""
        return {"commitments": self.commitments(), "obligations": self.obligations()}

    def obligations(self) -> QuerySet[Obligation]:
        """The obligations this scope covers: under its commitments, and the party's own only."""
        qs = Obligation.objects.filter(commitment__in=self.commitments())
        if self.party is not None:
            qs = qs.filter(party=self.party)
        return qs

    def actions(self) -> QuerySet[Action]:
        return Action.objects.filter(obligation__in=self.obligations())

    def updates(self) -> QuerySet[StatusUpdate]:
        qs = StatusUpdate.objects.filter(commitment__in=self.commitments())
        if self.party is not None:
            qs = qs.filter(party=self.party)
        return qs

    def list_params(self) -> dict[str, str]:
        """The FilterSet parameters that narrow a list page to this scope."""
        params: dict[str, str] = {}
        if not self.all_agreements:
            params["in_dashboards"] = "true"
        if self.pilot is not None:
            params["pilot"] = self.pilot.slug
        if self.board is not None:
            params["board"] = self.board.code
        if self.party is not None:
            params["party"] = self.party.slug
        return params

    def url(self, name: str, **extra: Any) -> str:
        return list_url(name, {**self.list_params(), **extra})


# --- the shapes a dashboard is made of --------------------------------------------------------


@dataclass
class Cell:
    """One figure or label. ``url`` is the filtered list behind the figure ("" when none)."""

    value: Any
    url: str = ""
    numeric: bool = False
    rag: str = ""  # a RAG key when the cell shows a rating (drawn with its word and shape)
    csv: Any = None  # the CSV file's value when it differs from the page's (an amount: "1200.50", not "£1,200.50")


@dataclass
class Column:
    key: str
    label: str
    numeric: bool = False

    @property
    def rag(self) -> bool:
        """A column of RAG counts: its header shows the rating's word and shape."""
        return self.key in RAG_KEYS


@dataclass
class Table:
    """A table of figures: the data behind a chart, the HTML table and the CSV export."""

    key: str
    caption: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    footer: list[Cell] | None = None
    empty_text: str = "Nothing to show."
    note: str = ""

    def body(self) -> list[list[tuple[Cell, Column]]]:
        """The rows with each cell's column (templates label every link with its column)."""
        return [list(zip(row, self.columns, strict=False)) for row in self.rows]

    def footer_cells(self) -> list[tuple[Cell, Column]]:
        return list(zip(self.footer, self.columns, strict=False)) if self.footer else []

    def csv_rows(self) -> list[list[Any]]:
        out: list[list[Any]] = [[c.label for c in self.columns]]
        out += [[cell.value if cell.csv is None else cell.csv for cell in row] for row in self.rows]
        if self.footer:
            out.append([cell.value if cell.csv is None else cell.csv for cell in self.footer])
        return out


@dataclass
class RagSeries:
    """RAG counts for one row of a breakdown (a theme, board, pilot or party)."""

    label: str
    red: int = 0
    amber: int = 0
    green: int = 0
    none: int = 0
    complete: int = 0
    overdue: int = 0
    progress_sum: int = 0
    # The two ratings (issue 15): how many carry an assurance rating (and so are counted by it),
    # and how many of those differ from the owner's own.
    assured: int = 0
    disagree: int = 0
    # Nothing without an owner (issue 16): open commitments with no lead board (the totals only).
    unled: int = 0

    @property
    def total(self) -> int:
        return self.red + self.amber + self.green + self.none

    def add_ratings(self, assured: int, disagree: int) -> None:
        self.assured += assured
        self.disagree += disagree

    @property
    def rating_note(self) -> str:
        """Which rating the RAG counts use, as a report says it."""
        return rating_note(self.assured, self.total)

    @property
    def mean_progress(self) -> int:
        return round(self.progress_sum / self.total) if self.total else 0

    def get(self, key: str) -> int:
        return int(getattr(self, key))

    def add(self, rag: str, n: int, *, complete: bool = False, overdue: bool = False, progress: int = 0) -> None:
        key = rag_key(rag)
        setattr(self, key, self.get(key) + n)
        if complete:
            self.complete += n
        if overdue:
            self.overdue += n
        self.progress_sum += progress


@dataclass
class Breakdown:
    """RAG by one dimension: the series (for the chart) and the table (for people and CSV)."""

    key: str
    title: str
    unit: str  # "commitments" or "obligations"
    series: list[RagSeries]
    table: Table


def rating_note(assured: int, total: int, unit: str = "") -> str:
    """The sentence that says which rating RAG counts use (issue 15)."""
    of = f"{assured} of {total}{' ' + unit if unit else ''}"
    return f"RAG counts use the assurance rating where one is given ({of}), otherwise the owner's own."


@dataclass
class Disagreement:
    """A commitment or obligation whose assurance rating differs from its owner's (issue 15)."""

    kind: str  # "Commitment" or "Obligation"
    ref: str
    description: str
    self_assessed: str
    assurance: str
    by: str
    at: dt.datetime | None
    reason: str
    url: str


@dataclass
class OverdueItem:
    kind: str  # "Obligation" or "Action"
    ref: str
    title: str
    description: str
    owner: str
    party: str
    due_date: dt.date
    days_overdue: int
    escalation_level: int
    escalation_label: str
    url: str
    theme_id: int | None = None


@dataclass
class RagTrendPoint:
    label: str
    on: dt.date
    red: int = 0
    amber: int = 0
    green: int = 0
    none: int = 0

    @property
    def total(self) -> int:
        return self.red + self.amber + self.green + self.none


@dataclass
class OverdueTrendPoint:
    on: dt.date
    obligations: int = 0
    actions: int = 0

    @property
    def label(self) -> str:
        return self.on.strftime("%-d %b %Y")

    @property
    def total(self) -> int:
        return self.obligations + self.actions


def owner_label(user: Any) -> str:
    """How a page names an item's owner."""
    if user is None:
        return "Not assigned"
    return name_of(user)
