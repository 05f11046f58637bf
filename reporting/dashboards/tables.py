"""The tables of a dashboard: the figures laid out as rows and columns, each cell linked to the
list behind it. Built from what :mod:`reporting.dashboards.queries` read; no queries here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from commitments.lifecycle import OPEN_STATUSES
from commitments.models import Status, StatusUpdate

from .figures import (
    DUE_WINDOWS,
    RAG_KEYS,
    RAG_LABELS,
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
    owner_label,
    rag_key,
)


def summary_table(scope: Scope, totals: RagSeries, windows: dict[str, dict[str, int]], at_risk: dict[str, int] | None = None) -> Table:
    c = "commitments:list"
    rows = [
        [Cell("Commitments"), Cell(totals.total, scope.url(c), True)],
        # Rated by the rating used (issue 15): the list behind each figure is filtered the same way.
        *[
            [Cell(f"Commitments rated {RAG_LABELS[k].lower()}", rag=k), Cell(totals.get(k), scope.url(c, rating_used=k), True)]
            for k in RAG_KEYS
        ],
        [Cell("Commitments complete"), Cell(totals.complete, scope.url(c, status=Status.COMPLETE), True)],
        [Cell("Commitments past their target date"), Cell(totals.overdue, scope.url(c, overdue="true"), True)],
        [Cell("Obligations"), Cell(windows["obligations"]["total"], scope.url("commitments:obligations"), True)],
        [Cell("Obligations overdue"), Cell(windows["obligations"]["overdue"], scope.url("commitments:obligations", overdue="true"), True)],
        [Cell("Actions"), Cell(windows["actions"]["total"], scope.url("commitments:actions"), True)],
        [Cell("Actions overdue"), Cell(windows["actions"]["overdue"], scope.url("commitments:actions", overdue="true"), True)],
        [Cell("Commitments with an assurance rating"), Cell(totals.assured, "", True)],
        [Cell("Commitments where the ratings disagree"), Cell(totals.disagree, scope.url(c, ratings_disagree="true"), True)],
        [
            Cell("Obligations where the ratings disagree"),
            Cell(windows["obligations"].get("disagree", 0), scope.url("commitments:obligations", ratings_disagree="true"), True),
        ],
    ]
    if at_risk is not None:  # issue 15: open items waiting on something overdue, not pursued or rated red
        rows += [
            [Cell("Commitments waiting on a prerequisite at risk"), Cell(at_risk["commitments"], scope.url(c, at_risk="true"), True)],
            [
                Cell("Actions waiting on a prerequisite at risk"),
                Cell(at_risk["actions"], scope.url("commitments:actions", at_risk="true"), True),
            ],
        ]
    # Nothing without an owner (issue 16): the open items nobody answers for, each drilling down to
    # the list filtered by unowned=true (the worklist's rows; secretariats assign them there).
    rows += [
        [Cell("Commitments with no lead board"), Cell(totals.unled, scope.url(c, unowned="true"), True)],
        [
            Cell("Obligations with no owner"),
            Cell(windows["obligations"].get("unowned", 0), scope.url("commitments:obligations", unowned="true"), True),
        ],
        [Cell("Actions with no owner"), Cell(windows["actions"].get("unowned", 0), scope.url("commitments:actions", unowned="true"), True)],
    ]
    return Table(
        "summary",
        "Summary",
        [Column("label", "Figure"), Column("value", "Number", numeric=True)],
        rows,
        note=totals.rating_note,
    )


def disagreements_table(scope: Scope, items: list[Disagreement], commitments: RagSeries, obligations: RagSeries) -> Table:
    """Where the ratings disagree (issue 15): each item with both ratings, who gave the assurance
    rating, when and why."""
    rows = [
        [
            Cell(i.kind),
            Cell(i.ref, url=i.url),
            Cell(i.description),
            Cell(RAG_LABELS[rag_key(i.self_assessed)], rag=rag_key(i.self_assessed)),
            Cell(RAG_LABELS[rag_key(i.assurance)], rag=rag_key(i.assurance)),
            Cell(i.by),
            Cell(timezone.localtime(i.at).date().isoformat() if i.at else ""),
            Cell(i.reason),
        ]
        for i in items
    ]
    total = commitments.disagree + obligations.disagree
    shown = len(items)
    note = (
        ""
        if shown >= total
        else f"{shown} of {total} are shown; the lists of commitments and obligations filtered by “Ratings differ” show them all."
    )
    return Table(
        "ratings",
        "Where the ratings disagree",
        [
            Column("kind", "Item"),
            Column("ref", "Ref"),
            Column("description", "Description"),
            Column("self", "Self-assessed"),
            Column("assurance", "Assurance"),
            Column("by", "Assurance by"),
            Column("at", "Given on"),
            Column("reason", "Reason"),
        ],
        rows,
        empty_text="The assurance and self-assessed ratings agree everywhere in this view.",
        note=note,
    )


def _open_params() -> dict[str, Any]:
    return {"status": list(OPEN_STATUSES)}


def _due_params(on: dt.date, days: int) -> dict[str, Any]:
    # The FilterSets' date bounds are strict (< and >), so "from today to today + N" is
    # due_after = yesterday and due_before = the day after the window.
    return {
        **_open_params(),
        "due_after": (on - dt.timedelta(days=1)).isoformat(),
        "due_before": (on + dt.timedelta(days=days + 1)).isoformat(),
    }


def due_table(scope: Scope, windows: dict[str, dict[str, int]], on: dt.date) -> Table:
    rows = []
    for days in DUE_WINDOWS:
        params = _due_params(on, days)
        rows.append(
            [
                Cell(f"Next {days} days (to {(on + dt.timedelta(days=days)):%-d %B %Y})"),
                Cell(windows["obligations"][f"due{days}"], scope.url("commitments:obligations", **params), True),
                Cell(windows["actions"][f"due{days}"], scope.url("commitments:actions", **params), True),
            ]
        )
    return Table(
        "due",
        "Open items due soon",
        [Column("window", "Due within"), Column("obligations", "Obligations", True), Column("actions", "Actions", True)],
        rows,
        note="Each window includes the shorter ones; items due today count, overdue items do not.",
    )


def _item_rows(items: Iterable[OverdueItem], *, overdue: bool) -> list[list[Cell]]:
    rows = []
    for i in items:
        row = [
            Cell(i.kind),
            Cell(i.ref, url=i.url),
            Cell(i.description),
            Cell(i.owner),
            Cell(i.party),
            Cell(i.due_date.isoformat()),
        ]
        if overdue:
            row += [Cell(i.days_overdue, numeric=True), Cell(i.escalation_label)]
        rows.append(row)
    return rows


def _item_columns(*, overdue: bool) -> list[Column]:
    cols = [
        Column("kind", "Item"),
        Column("ref", "Commitment"),
        Column("description", "What is owed"),
        Column("owner", "Owner"),
        Column("party", "Party"),
        Column("due_date", "Due date"),
    ]
    if overdue:
        cols += [Column("days_overdue", "Days overdue", numeric=True), Column("escalation", "Escalation step")]
    return cols


def overdue_table(scope: Scope, items: list[OverdueItem], windows: dict[str, dict[str, int]]) -> Table:
    shown = len(items)
    total = windows["obligations"]["overdue"] + windows["actions"]["overdue"]
    note = "" if shown >= total else f"The {shown} most overdue of {total} are shown; the links above list them all."
    return Table(
        "overdue",
        "Overdue obligations and actions",
        _item_columns(overdue=True),
        _item_rows(items, overdue=True),
        empty_text="Nothing is overdue.",
        note=note,
    )


def due_soon_table(scope: Scope, items: list[OverdueItem], windows: dict[str, dict[str, int]], on: dt.date) -> Table:
    days = DUE_WINDOWS[0]
    total = windows["obligations"][f"due{days}"] + windows["actions"][f"due{days}"]
    note = "" if len(items) >= total else f"The {len(items)} soonest of {total} are shown; the links above list them all."
    return Table(
        "due-soon",
        f"Open items due in the next {days} days",
        _item_columns(overdue=False),
        _item_rows(items, overdue=False),
        empty_text=f"Nothing is due in the next {days} days.",
        note=note,
    )


def describe_update(update: StatusUpdate) -> str:
    """A one-line account of what an update changed (for tables, CSV and papers)."""
    parts = [f"{label} {before or '—'} → {after or '—'}" for label, before, after in update.changes()]
    if not parts:
        parts.append(update.note or "Note added")
    return "; ".join(str(p) for p in parts)


def update_target_label(update: StatusUpdate) -> str:
    if update.target_type == StatusUpdate.TargetType.ACTION and update.action is not None:
        return f"Action: {update.action.description}"
    if update.target_type == StatusUpdate.TargetType.OBLIGATION and update.party is not None:
        return f"Obligation of {update.party.name}"
    return "Commitment (assessed)"


def recent_table(updates: list[StatusUpdate]) -> Table:
    rows = [
        [
            Cell(timezone.localtime(u.created_at).strftime("%-d %b %Y %H:%M")),
            Cell(u.commitment.ref, url=commitment_url(u.commitment.ref)),
            Cell(update_target_label(u)),
            Cell(describe_update(u)),
            Cell(owner_label(u.author) if u.author_id else "DevoTracker"),
        ]
        for u in updates
    ]
    return Table(
        "recent",
        "Recently changed",
        [Column("when", "When"), Column("ref", "Commitment"), Column("what", "What"), Column("change", "Change"), Column("by", "By")],
        rows,
        empty_text="No updates have been recorded yet.",
    )


def rag_trend_table(scope: Scope, points: list[RagTrendPoint]) -> Table:
    rows = []
    last = len(points) - 1
    for i, p in enumerate(points):
        # Only the current month can drill down: a list page shows items as they are now.
        def link(**extra: Any) -> str:
            return scope.url("commitments:obligations", **extra) if i == last else ""  # noqa: B023 - used at once

        rows.append(
            [Cell(p.label)]
            + [Cell(getattr(p, k), url=link(rag=k), numeric=True, rag=k) for k in RAG_KEYS]
            + [Cell(p.total, url=link(), numeric=True)]
        )
    return Table(
        "rag-trend",
        "RAG mix of obligations at the end of each month",
        [Column("month", "Month"), *(Column(k, RAG_LABELS[k], True) for k in RAG_KEYS), Column("total", "Total", True)],
        rows,
        note=(
            "Each past month shows the last day recorded in it (the daily snapshot); months with no record are left out. "
            "The current month is as of today and links to today's lists."
        ),
    )


def overdue_trend_table(scope: Scope, points: list[OverdueTrendPoint]) -> Table:
    rows = []
    last = len(points) - 1
    for i, p in enumerate(points):
        rows.append(
            [
                Cell(p.label),
                Cell(p.obligations, url=scope.url("commitments:obligations", overdue="true") if i == last else "", numeric=True),
                Cell(p.actions, url=scope.url("commitments:actions", overdue="true") if i == last else "", numeric=True),
                Cell(p.total, numeric=True),
            ]
        )
    return Table(
        "overdue-trend",
        "Overdue obligations and actions each week",
        [
            Column("week", "Week ending"),
            Column("obligations", "Obligations", True),
            Column("actions", "Actions", True),
            Column("total", "Total", True),
        ],
        rows,
        note="Each past week shows the last day recorded in it (the daily snapshot); weeks with no record are left out. The last row is today.",
    )
