"""The queries behind every figure of the Leaders' Committee dashboard (issue 6).

:class:`Dashboard` reads everything a dashboard shows for a :class:`Scope` (all of London, one
pilot, one lead board or one party), each part when a page first uses it, in a fixed number of SQL
queries whatever the number of commitments, obligations, actions or updates: counts come from
``GROUP BY`` aggregates and conditional ``COUNT(... FILTER ...)`` expressions, lists are cut to a
fixed length, and the trends read the tallies of past days (:mod:`.trends`, two queries).

Every figure is a :class:`Cell` that carries the URL of the filtered list behind it
(``commitments:list``, ``commitments:obligations`` or ``commitments:actions`` with the shared
FilterSet parameters), so each number drills down to the rows it counts. The same
:class:`Table` objects feed the HTML tables, the SVG charts (:mod:`reporting.charts`) and the CSV
exports, so a chart can never show a number its table does not.

This module is the whole of what one dashboard reads, in the order the page shows it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, ClassVar

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.functional import cached_property

from boards.models import Board, Party
from commitments.lifecycle import CLOSED_STATUSES, overdue_case
from commitments.models import Action, Agreement, Commitment, Escalation, Obligation, Status, StatusUpdate, Theme
from commitments.querysets import rating_used_expr
from commitments.templatetags.tracker import possessive
from finance.figures import FinanceFigures
from pilots.models import Pilot

from .figures import (
    DUE_WINDOWS,
    LIST_LIMIT,
    RAG_KEYS,
    RAG_LABELS,
    RECENT_LIMIT,
    Breakdown,
    Cell,
    Column,
    Disagreement,
    OverdueItem,
    OverdueTrendPoint,
    RagSeries,
    RagTrendPoint,
    Scope,
    Table,
    commitment_url,
    list_url,
    owner_label,
)
from .finance import FINANCE_TABLE_KEYS, FinanceTables
from .tables import (
    disagreements_table,
    due_soon_table,
    due_table,
    overdue_table,
    overdue_trend_table,
    rag_trend_table,
    recent_table,
    summary_table,
)
from .trends import trends
from .windows import count_live, london_windows, rating_counts

# --- building a dashboard ---------------------------------------------------------------------


class Dashboard:
    """Every figure one dashboard shows for ``scope`` as of the London day ``on``, each part read
    when first used (a ``cached_property``): the summary page reads the commitments' grouping and
    the obligation and action counts, a breakdown page its own part, so no page pays for another's
    figures (the first request after a write at the large scale went from every part's ~4 s to
    what the page shows).

    Reading every part runs a fixed number of queries whatever the number of commitments,
    obligations, actions or updates (asserted in ``tests/reporting/test_dashboard_queries.py``):
    themes, default agreements, commitments grouped by theme/board/RAG/status/overdue, boards,
    commitments grouped by pilot, pilots, obligations grouped by party, obligation and action
    windows, the overdue obligations and actions, the items due soon (two), the latest updates
    (two) and the trends (two). Writes nothing.
    """

    def __init__(self, scope: Scope, *, on: dt.date | None = None) -> None:
        self.scope = scope
        self.on = on or timezone.localdate()

    # q1, q2
    @cached_property
    def themes(self) -> list[Theme]:
        return list(Theme.objects.order_by("order", "name"))

    @cached_property
    def default_agreements(self) -> list[Agreement]:
        return self.scope.default_agreements

    # q3: one GROUP BY over commitments feeds the totals and the theme and board breakdowns. RAG
    # is the rating used (issue 15: the assurance rating where one is given, else the shown RAG);
    # the same query counts how many carry an assurance rating and how many disagree.
    @cached_property
    def _grouped(self) -> tuple[RagSeries, dict[int, RagSeries], dict[int | None, RagSeries]]:
        grouped = (
            self.scope.commitments()
            .with_overdue(self.on)  # type: ignore[attr-defined]
            .values("theme_id", "lead_board_id", "rating_used_db", "shown_status_db", "is_overdue")
            .annotate(n=Count("pk"), progress=_sum_progress(), **rating_counts("shown_rag_db"))
            .order_by()
        )
        totals = RagSeries("All commitments")
        theme_series: dict[int, RagSeries] = {}
        board_series: dict[int | None, RagSeries] = defaultdict(lambda: RagSeries(""))
        for row in grouped:
            kwargs = {
                "complete": row["shown_status_db"] == Status.COMPLETE,
                "overdue": bool(row["is_overdue"]),
                "progress": row["progress"] or 0,
            }
            totals.add(row["rating_used_db"], row["n"], **kwargs)
            totals.add_ratings(row["assured"], row["disagree"])
            if row["lead_board_id"] is None and row["shown_status_db"] not in CLOSED_STATUSES:
                totals.unled += row["n"]  # issue 16: open, and no board leads it
            theme_series.setdefault(row["theme_id"], RagSeries("")).add(row["rating_used_db"], row["n"], **kwargs)
            board_series[row["lead_board_id"]].add(row["rating_used_db"], row["n"], **kwargs)
        return totals, theme_series, dict(board_series)

    @cached_property
    def totals(self) -> RagSeries:
        return self._grouped[0]

    @cached_property
    def by_theme(self) -> Breakdown:
        series = self._grouped[1]
        rows = [(t.name, series.get(t.pk) or RagSeries(""), {"theme": t.slug}) for t in self.themes]
        return _breakdown("theme", "Commitments by theme", "commitments", rows, self.scope, "commitments:list", first="Theme")

    # q4: the boards (the MoU's and any that leads something in view).
    @cached_property
    def boards(self) -> list[Board]:
        if self.scope.board is not None:
            return [self.scope.board]
        led_ids = [k for k in self._grouped[2] if k is not None]
        return list(Board.objects.filter(Q(is_mou_board=True) | Q(pk__in=led_ids)).order_by("-is_mou_board", "code"))

    @cached_property
    def by_board(self) -> Breakdown | None:
        if self.scope.board is not None:
            return None
        series = self._grouped[2]
        rows = [(f"{b.name} ({b.code})", series.get(b.pk) or RagSeries(""), {"board": b.code}) for b in self.boards]
        if None in series:
            rows.append(("No lead board stated", series[None], {"board": "none"}))
        return _breakdown("board", "Commitments by lead board", "commitments", rows, self.scope, "commitments:list", first="Lead board")

    # q5, q6: commitments grouped by the pilots they concern (a commitment in two pilots counts in
    # both rows; commitments concerning no pilot are left out of this table), and the pilots.
    @cached_property
    def pilots(self) -> list[Pilot]:
        if self.scope.pilot is not None:
            return [self.scope.pilot]
        return list(Pilot.objects.order_by("status", "name"))

    @cached_property
    def by_pilot(self) -> Breakdown | None:
        if self.scope.pilot is not None:
            return None
        pilot_series: dict[int, RagSeries] = defaultdict(lambda: RagSeries(""))
        for row in (
            # An inner join from the few pilot links, not every commitment joined to its links.
            self.scope.commitments()
            .filter(pilot_links__isnull=False)
            .with_overdue(self.on)  # type: ignore[attr-defined]
            .values("pilot_links__pilot_id", "rating_used_db", "shown_status_db", "is_overdue")
            .annotate(n=Count("pk"), progress=_sum_progress())
            .order_by()
        ):
            if row["pilot_links__pilot_id"] is None:  # the LEFT JOIN's row for "no pilot"
                continue
            pilot_series[row["pilot_links__pilot_id"]].add(
                row["rating_used_db"],
                row["n"],
                complete=row["shown_status_db"] == Status.COMPLETE,
                overdue=bool(row["is_overdue"]),
                progress=row["progress"] or 0,
            )
        rows = [(p.name, pilot_series.get(p.pk) or RagSeries(""), {"pilot": p.slug}) for p in self.pilots]
        return _breakdown("pilot", "Commitments by pilot", "commitments", rows, self.scope, "commitments:list", first="Pilot")

    # q7: obligations grouped by the party that owes them, with the rating used (their assurance
    # rating where one is given, else their own RAG: DESIGN.md §10, issue 15).
    @cached_property
    def _by_party(self) -> tuple[Breakdown, RagSeries, list[tuple[str, str]]]:
        party_series: dict[str, RagSeries] = {}
        party_names: dict[str, str] = {}
        obligation_totals = RagSeries("All obligations")
        for row in (
            self.scope.obligations()
            .annotate(is_late=overdue_case(self.on), rating=rating_used_expr())
            .values("party__slug", "party__name", "rating", "status", "is_late")
            .annotate(n=Count("pk"), progress=_sum_progress("progress"), **rating_counts("rag"))
            .order_by()
        ):
            kwargs = {"complete": row["status"] == Status.COMPLETE, "overdue": bool(row["is_late"]), "progress": row["progress"] or 0}
            party_names[row["party__slug"]] = row["party__name"]
            party_series.setdefault(row["party__slug"], RagSeries(row["party__name"])).add(row["rating"], row["n"], **kwargs)
            obligation_totals.add(row["rating"], row["n"], **kwargs)
            obligation_totals.add_ratings(row["assured"], row["disagree"])
        parties = sorted(party_names.items(), key=lambda kv: kv[1].lower())
        rows = [(name, party_series[slug], {"party": slug}) for slug, name in parties]
        breakdown = _breakdown("party", "Obligations by party", "obligations", rows, self.scope, "commitments:obligations", first="Party")
        return breakdown, obligation_totals, parties

    @cached_property
    def by_party(self) -> Breakdown:
        return self._by_party[0]

    @cached_property
    def parties(self) -> list[tuple[str, str]]:
        """(slug, name) of the parties that owe something in scope."""
        return self._by_party[2]

    # q8, q9: overdue and due-window counts for obligations and actions, one aggregate each; for
    # all of London, the day's snapshot's counts and what changed since (.windows, decision 0030).
    @cached_property
    def windows(self) -> dict[str, dict[str, int]]:
        live = {"obligations": self.scope.obligations(), "actions": self.scope.actions()}
        if self.scope.kind == "all":
            return london_windows(self.scope, self.on, live)
        return count_live(live, self.on)

    @property
    def disagreeing(self) -> int:
        """How many commitments and obligations in scope have ratings that differ (issue 15)."""
        return self.totals.disagree + self.windows["obligations"]["disagree"]

    # q20, q21 (issue 15): how many open commitments and actions wait on a prerequisite at risk
    # (overdue, not pursued or rated red), by the querysets' ``at_risk``.
    @cached_property
    def at_risk(self) -> dict[str, int]:
        return {
            "commitments": self.scope.commitments().at_risk(on=self.on).count(),  # type: ignore[attr-defined]
            "actions": self.scope.actions().at_risk(on=self.on).count(),  # type: ignore[attr-defined]
        }

    @property
    def unowned(self) -> dict[str, int]:
        """Open items nobody answers for (issue 16): commitments with no lead board, obligations
        and actions with no owner. From the queries the summary already runs."""
        return {
            "commitments": self.totals.unled,
            "obligations": self.windows["obligations"]["unowned"],
            "actions": self.windows["actions"]["unowned"],
        }

    @cached_property
    def summary(self) -> Table:
        return summary_table(self.scope, self.totals, self.windows, self.at_risk)

    @cached_property
    def obligation_totals(self) -> RagSeries:
        """The scope's obligations by the rating used, with how many carry an assurance rating."""
        return self._by_party[1]

    # q18, q19 (the "where the ratings disagree" page only): the commitments and the obligations
    # whose assurance rating differs from the owner's, cut to LIST_LIMIT each.
    @cached_property
    def disagreements(self) -> list[Disagreement]:
        return disagreement_list(self.scope.commitments(), self.scope.obligations(), limit=LIST_LIMIT)

    @cached_property
    def disagreements_table(self) -> Table:
        return disagreements_table(self.scope, self.disagreements, self.totals, self.obligation_totals)

    # q10, q11: the overdue items themselves, most overdue first, cut to LIST_LIMIT each.
    @cached_property
    def overdue_items(self) -> list[OverdueItem]:
        return overdue_item_list(self.scope.obligations(), self.scope.actions(), self.on, limit=LIST_LIMIT)

    @cached_property
    def overdue_table(self) -> Table:
        return overdue_table(self.scope, self.overdue_items, self.windows)

    @cached_property
    def due_table(self) -> Table:
        return due_table(self.scope, self.windows, self.on)

    # q12, q13: the open items due in the next 30 days, soonest first.
    @cached_property
    def due_soon_table(self) -> Table:
        items = due_item_list(self.scope.obligations(), self.scope.actions(), self.on, days=DUE_WINDOWS[0], limit=LIST_LIMIT)
        return due_soon_table(self.scope, items, self.windows, self.on)

    # q14, q15: the latest changes (for a board, pilot or party, each commitment's own newest first).
    @cached_property
    def recent(self) -> list[StatusUpdate]:
        updates: Any = self.scope.updates().for_timeline()  # type: ignore[attr-defined]
        return list(updates.newest(RECENT_LIMIT, commitments=None if self.scope.kind == "all" else self.scope.commitments()))

    @cached_property
    def recent_table(self) -> Table:
        return recent_table(self.recent)

    # q16, q17: the trends, from the tallies of past days; today's points are today's figures.
    @cached_property
    def _trends(self) -> tuple[list[RagTrendPoint], list[OverdueTrendPoint]]:
        obligation_totals = self._by_party[1]
        return trends(
            self.scope,
            self.on,
            rag_today={k: obligation_totals.get(k) for k in RAG_KEYS},
            overdue_today=(self.windows["obligations"]["overdue"], self.windows["actions"]["overdue"]),
        )

    @cached_property
    def rag_trend(self) -> list[RagTrendPoint]:
        return self._trends[0]

    @cached_property
    def overdue_trend(self) -> list[OverdueTrendPoint]:
        return self._trends[1]

    @cached_property
    def rag_trend_table(self) -> Table:
        return rag_trend_table(self.scope, self.rag_trend)

    @cached_property
    def overdue_trend_table(self) -> Table:
        return overdue_trend_table(self.scope, self.overdue_trend)

    # The finance and estates figures (issue 16), for all of London only: one query per part used
    # (the summary reads two: the funding lines' totals and the receipts; the finance page eight).
    @cached_property
    def finance(self) -> FinanceFigures | None:
        return FinanceFigures() if self.scope.kind == "all" else None

    @cached_property
    def _finance_tables(self) -> dict[str, Table | None]:
        return {}

    def finance_table(self, key: str) -> Table | None:
        """A finance table by its CSV key (None outside the London dashboard), built once."""
        if key not in self._finance_tables:
            self._finance_tables[key] = FinanceTables(self.finance).table(key) if self.finance is not None else None
        return self._finance_tables[key]

    # Each table by the key of its CSV export, and the part that builds it (only that part is read).
    TABLES: ClassVar[dict[str, str]] = {
        "summary": "summary",
        "overdue": "overdue_table",
        "due": "due_table",
        "due-soon": "due_soon_table",
        "recent": "recent_table",
        "theme": "by_theme",
        "board": "by_board",
        "pilot": "by_pilot",
        "party": "by_party",
        "rag-trend": "rag_trend_table",
        "overdue-trend": "overdue_trend_table",
        "ratings": "disagreements_table",
        **dict.fromkeys(FINANCE_TABLE_KEYS, "finance_table"),
    }

    def table(self, key: str) -> Table | None:
        """The table with CSV key ``key`` (None for an unknown key, or a breakdown this scope has not)."""
        part = self.TABLES.get(key)
        if part == "finance_table":
            return self.finance_table(key)
        value = getattr(self, part) if part is not None else None
        return value.table if isinstance(value, Breakdown) else value

    def tables(self) -> dict[str, Table]:
        """Every table by its key (reads every part)."""
        return {key: table for key in self.TABLES if (table := self.table(key)) is not None}


def build_dashboard(scope: Scope, *, on: dt.date | None = None) -> Dashboard:
    """The dashboard of ``scope`` as of the London day ``on`` (default today); nothing is read
    until a figure is used (:class:`Dashboard`)."""
    return Dashboard(scope, on=on)


def disagreement_list(
    commitments: QuerySet[Commitment], obligations: QuerySet[Obligation], *, limit: int | None = None
) -> list[Disagreement]:
    """The commitments and obligations whose two ratings differ, by ref (commitments first): two
    queries. Each says both ratings, who gave the assurance rating, when and why."""
    com_qs = (
        Commitment.objects.filter(pk__in=commitments.values("pk")).ratings_disagree().select_related("assurance_by").order_by("ref", "pk")
    )
    obl_qs = (
        Obligation.objects.filter(pk__in=obligations.values("pk"))
        .ratings_disagree()
        .select_related("commitment", "party", "assurance_by")
        .order_by("commitment__ref", "party__name", "pk")
    )
    if limit is not None:
        com_qs, obl_qs = com_qs[:limit], obl_qs[:limit]
    items = [
        Disagreement(
            kind="Commitment",
            ref=c.ref,
            description=c.title,
            self_assessed=c.shown_rag_db,
            assurance=c.assurance_rag,
            by=owner_label(c.assurance_by),
            at=c.assurance_at,
            reason=c.assurance_reason,
            url=commitment_url(c.ref),
        )
        for c in com_qs
    ]
    items += [
        Disagreement(
            kind="Obligation",
            ref=o.commitment.ref,
            description=obligation_label(o.party.name, o.commitment.ref),
            self_assessed=o.rag,
            assurance=o.assurance_rag,
            by=owner_label(o.assurance_by),
            at=o.assurance_at,
            reason=o.assurance_reason,
            url=commitment_url(o.commitment.ref),
        )
        for o in obl_qs
    ]
    return items


def _sum_progress(field_name: str = "shown_progress_db") -> Sum:
    """Commitments add up the progress they show (assessed or roll-up); obligations their own."""
    return Sum(field_name)


def _breakdown(
    key: str,
    title: str,
    unit: str,
    rows: Sequence[tuple[str, RagSeries, dict[str, str]]],
    scope: Scope,
    list_name: str,
    *,
    first: str,
) -> Breakdown:
    """A breakdown table whose every figure links to ``list_name`` filtered by its row and column."""
    columns = [
        Column("label", first),
        *(Column(k, RAG_LABELS[k], numeric=True) for k in RAG_KEYS),
        Column("total", f"Total {unit}", numeric=True),
        Column("complete", "Complete", numeric=True),
        Column("overdue", "Overdue", numeric=True),
    ]
    series: list[RagSeries] = []
    table_rows: list[list[Cell]] = []
    total = RagSeries("Total")
    for label, s, params in rows:
        s.label = label
        series.append(s)
        for k in RAG_KEYS:
            total.add(k, s.get(k))
        total.complete += s.complete
        total.overdue += s.overdue
        table_rows.append(_series_cells(s, scope, list_name, params))
    footer = _series_cells(total, scope, list_name, {})
    # A commitment in two pilots counts in both rows, so a pilot table's column sums are not a
    # count of commitments: leave the footer off rather than print a misleading total.
    table = Table(
        key=key,
        caption=title,
        columns=columns,
        rows=table_rows,
        footer=None if key == "pilot" else footer,
        empty_text=f"No {unit} in this view.",
    )
    return Breakdown(key=key, title=title, unit=unit, series=series, table=table)


def _series_cells(s: RagSeries, scope: Scope, list_name: str, params: dict[str, str]) -> list[Cell]:
    def link(**extra: Any) -> str:
        merged = {**scope.list_params(), **params, **extra}
        return list_url(list_name, merged)

    cells = [Cell(s.label, url=link() if params else "")]
    cells += [Cell(s.get(k), url=link(rating_used=k), numeric=True, rag=k) for k in RAG_KEYS]
    cells.append(Cell(s.total, url=link(), numeric=True))
    cells.append(Cell(s.complete, url=link(status=Status.COMPLETE), numeric=True))
    cells.append(Cell(s.overdue, url=link(overdue="true"), numeric=True))
    return cells


def overdue_item_list(
    obligations: QuerySet[Obligation], actions: QuerySet[Action], on: dt.date, *, limit: int | None = None
) -> list[OverdueItem]:
    """The overdue obligations and actions, most overdue first: two queries.

    Each item carries its owner, the party that owes it, its due date, the whole days it is
    overdue (London calendar) and the escalation step the daily pass recorded for it.
    """
    obl_qs = obligations.overdue(on).select_related("commitment", "party", "owner").order_by("due_date", "pk")  # type: ignore[attr-defined]
    act_qs = actions.overdue(on).select_related("obligation__commitment", "obligation__party", "owner").order_by("due_date", "pk")  # type: ignore[attr-defined]
    if limit is not None:
        obl_qs, act_qs = obl_qs[:limit], act_qs[:limit]
    items: list[OverdueItem] = []
    for o in obl_qs:
        items.append(item_entry("Obligation", o.commitment, o.party, o, obligation_label(o.party.name, o.commitment.ref), on))
    for a in act_qs:
        items.append(item_entry("Action", a.obligation.commitment, a.obligation.party, a, a.description, on))
    items.sort(key=lambda i: (-i.days_overdue, i.ref, i.kind))
    return items[:limit] if limit is not None else items


def obligation_label(party: str, ref: str) -> str:
    """How a list names an obligation: "Camden's obligation under EST-01"."""
    return f"{possessive(party)} obligation under {ref}"


def item_entry(kind: str, commitment: Commitment, party: Party, target: Any, description: str, on: dt.date) -> OverdueItem:
    """One line of an overdue or due-soon list: ``target`` is the obligation or action (or its
    frozen state), read for its due date, owner and escalation level."""
    level = int(target.escalation_level or 0)
    label = Escalation.Step(level).label if level in Escalation.Step.values else "Not yet escalated"
    return OverdueItem(
        kind=kind,
        ref=commitment.ref,
        title=commitment.title,
        description=description,
        owner=owner_label(target.owner),
        party=party.name,
        due_date=target.due_date,
        days_overdue=(on - target.due_date).days,
        escalation_level=level,
        escalation_label=label,
        url=commitment_url(commitment.ref),
        theme_id=commitment.theme_id,
    )


def due_item_list(
    obligations: QuerySet[Obligation],
    actions: QuerySet[Action],
    on: dt.date,
    *,
    days: int,
    until: dt.date | None = None,
    limit: int | None = None,
) -> list[OverdueItem]:
    """Open obligations and actions due from ``on`` to ``on + days`` (or ``until``), soonest first."""
    last = until or on + dt.timedelta(days=days)
    obl_qs = (
        obligations.open()  # type: ignore[attr-defined]
        .filter(due_date__gte=on, due_date__lte=last)
        .select_related("commitment", "party", "owner")
        .order_by("due_date", "pk")
    )
    act_qs = (
        actions.open()  # type: ignore[attr-defined]
        .filter(due_date__gte=on, due_date__lte=last)
        .select_related("obligation__commitment", "obligation__party", "owner")
        .order_by("due_date", "pk")
    )
    if limit is not None:
        obl_qs, act_qs = obl_qs[:limit], act_qs[:limit]
    items = [item_entry("Obligation", o.commitment, o.party, o, obligation_label(o.party.name, o.commitment.ref), on) for o in obl_qs]
    items += [item_entry("Action", a.obligation.commitment, a.obligation.party, a, a.description, on) for a in act_qs]
    items.sort(key=lambda i: (i.due_date, i.ref, i.kind))
    return items[:limit] if limit is not None else items


# --- tables -----------------------------------------------------------------------------------
