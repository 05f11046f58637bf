"""The public progress view's reads (issue 15, point 4): what anyone may see at ``/public/``
without signing in.

**Published state only.** Every figure is the commitment's own state (its shown status and
progress, the rating used, its target date, overdue by the one rule), which an update awaiting
approval never touches: those wait in their own table, which nothing here reads.

**An allow-list, not a deny-list.** :data:`LIST_FIELDS` and :data:`DETAIL_FIELDS` are the only
columns of a commitment ever loaded (``only()``), with the slug and name of its theme, the code and
name of its lead board and the slug and name of its pilots; :func:`public_row` copies what the
public may see into plain values, and the pages and the cache receive only those. No owner,
author, assessor, e-mail address, note, reason, evidence, comment or pending update is read, so
none can reach a page by a template's mistake.

**Built once per version.** Each page's data is built by one function here, in a fixed number of
queries whatever the number of commitments (``tests/reporting/test_public.py`` counts them), and
kept in the cache under the change log's head validator and the London day
(:func:`cached`): every published write records a change (:mod:`commitments.changes`), so the next
request after it builds afresh, and "overdue" moves with the day. Closing a reporting period is a
change too, so "since the last report" follows it.

**Movement** is "since the last report" as the dashboards have it: the latest closed period
(:func:`reporting.periods.last_report`, London-wide) and the lists of
:mod:`reporting.comparisons` (improved, worsened, newly overdue, completed, re-dated), read by
:func:`reporting.comparisons.moved_lists`, which reads no reasons.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.urls import reverse

from boards.models import Board
from commitments.lifecycle import Status
from commitments.models import Commitment, CommitmentPilot, Theme
from pilots.models import Pilot

from .comparisons import MOVEMENT_LABELS, MOVEMENTS, moved_lists, with_previous
from .models import ReportingPeriod
from .periods import last_report

# The commitment columns the public pages read, and nothing else. The state columns are those the
# shown-state rule and the rating used read (commitments.models: shown_*, Assured.rating_used); the
# pages show only what public_row derives from them.
STATE_FIELDS = ("status", "rag", "progress", "rollup_status", "rollup_rag", "rollup_progress", "assessed_at", "assurance_rag")
LIST_FIELDS = (
    "ref",
    "title",
    "target_date",
    "target_date_precision",
    *STATE_FIELDS,
    "theme",
    "theme__slug",
    "theme__name",
    "lead_board",
    "lead_board__code",
    "lead_board__name",
)
DETAIL_FIELDS = (*LIST_FIELDS, "summary")

# How long a page's data is kept at most; it is keyed by the version of the change log, so it is
# never served once a change has been published.
CACHE_SECONDS = 600
# Bumped when the shape of the cached data changes, so a deployment never reads an older shape.
CACHE_SCHEMA = "1"

RATINGS = ("red", "amber", "green", "")
RATING_SOURCES = {"assurance": "Assurance rating", "self": "Self-assessed"}


def _commitments(on: dt.date, fields: Iterable[str] = LIST_FIELDS) -> QuerySet[Any]:
    """Commitments with their public columns, shown state and overdue (one query)."""
    return Commitment.objects.select_related("theme", "lead_board").only(*fields).with_overdue(on)


def public_row(c: Commitment) -> dict[str, Any]:
    """What the public sees of one commitment, as plain values (the allow-list's last step)."""
    board = c.lead_board if c.lead_board_id else None
    return {
        "ref": c.ref,
        "title": c.title,
        "theme": {"slug": c.theme.slug, "name": c.theme.name},
        "lead_board": {"code": board.code, "name": board.name} if board is not None else None,
        "target_date": c.target_date,
        "target_date_precision": c.target_date_precision,
        "status": c.shown_status_db,  # type: ignore[attr-defined]  # with_overdue's annotations
        "progress": c.shown_progress_db,  # type: ignore[attr-defined]
        "overdue": bool(c.is_overdue),  # type: ignore[attr-defined]
        # The rating used: the assurance rating where there is one, else the self-assessed one.
        "rating": c.rating_used,
        "rating_source": c.rating_source,
        "pilots": [],
        "movement": [],
    }


def _pilots_of(links: QuerySet[Any]) -> dict[int, list[dict[str, str]]]:
    """The pilots of each commitment (slug and name), from a queryset of CommitmentPilot (one query)."""
    out: dict[int, list[dict[str, str]]] = defaultdict(list)
    for commitment_id, slug, name in links.order_by("pilot__name").values_list("commitment_id", "pilot__slug", "pilot__name"):
        out[commitment_id].append({"slug": slug, "name": name})
    return out


def _period(period: ReportingPeriod | None) -> dict[str, Any] | None:
    if period is None or period.snapshot is None:
        return None
    return {"name": period.name, "board": period.board.name, "frozen_on": period.snapshot.day}


def _rows(qs: QuerySet[Any], links: QuerySet[Any], period: ReportingPeriod | None, on: dt.date) -> list[dict[str, Any]]:
    """The public rows of ``qs`` with their pilots and, when there is a closed period, the
    movement lists each is in: three queries (rows, pilots, movement)."""
    found = list(qs)
    pilots = _pilots_of(links)
    moved = moved_lists(period.snapshot, "commitments", on=on, within=qs) if period is not None and period.snapshot else {}
    rows = []
    for c in found:
        row = public_row(c)
        row["pilots"] = pilots.get(c.pk, [])
        row["movement"] = [{"name": name, "label": MOVEMENT_LABELS[name]} for name in moved.get(c.pk, [])]
        rows.append(row)
    return rows


def counts(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """A group's figures: commitments, complete, overdue, and how many carry each rating used."""
    out = {"total": 0, "complete": 0, "overdue": 0, **{f"rating_{r or 'none'}": 0 for r in RATINGS}, "moved": 0}
    for row in rows:
        out["total"] += 1
        out["complete"] += row["status"] == Status.COMPLETE
        out["overdue"] += row["overdue"]
        out[f"rating_{row['rating'] or 'none'}"] += 1
        out["moved"] += bool(row["movement"])
    return out


def movement_totals(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """How many of ``rows`` are in each movement list."""
    totals = dict.fromkeys(MOVEMENTS, 0)
    for row in rows:
        for m in row["movement"]:
            totals[m["name"]] += 1
    return [{"name": name, "label": MOVEMENT_LABELS[name], "count": totals[name]} for name in MOVEMENTS]


# --- the pages' data ------------------------------------------------------------------------------


def overview(on: dt.date) -> dict[str, Any]:
    """``/public/``: every commitment counted by theme, lead board and pilot, with the totals and
    the movement since the last report. Seven queries (the period, the themes, the pilots, the
    commitments, their pilot links, the movement), whatever the number of commitments."""
    period = last_report()
    themes = list(Theme.objects.only("slug", "name", "order"))
    pilots = list(Pilot.objects.only("slug", "name", "status"))
    links = CommitmentPilot.objects.all()
    rows = _rows(_commitments(on), links, period, on)
    by_theme: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_board: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_pilot: dict[str, list[dict[str, Any]]] = defaultdict(list)
    boards: dict[str, str] = {}
    for row in rows:
        by_theme[row["theme"]["slug"]].append(row)
        if row["lead_board"] is not None:
            by_board[row["lead_board"]["code"]].append(row)
            boards[row["lead_board"]["code"]] = row["lead_board"]["name"]
        for p in row["pilots"]:
            by_pilot[p["slug"]].append(row)
    return {
        "period": _period(period),
        "totals": counts(rows),
        "movement": movement_totals(rows),
        "themes": [{"name": t.name, "url": reverse("public:theme", args=[t.slug]), "counts": counts(by_theme[t.slug])} for t in themes],
        "boards": [
            {"name": name, "url": reverse("public:board", args=[code]), "counts": counts(by_board[code])}
            for code, name in sorted(boards.items(), key=lambda b: b[1])
        ],
        "unled": sum(1 for row in rows if row["lead_board"] is None),
        "pilots": [{"name": p.name, "url": reverse("public:pilot", args=[p.slug]), "counts": counts(by_pilot[p.slug])} for p in pilots],
    }


def _group(kind: str, name: str, key: str, qs: QuerySet[Any], links: QuerySet[Any], on: dt.date) -> dict[str, Any]:
    period = last_report()
    rows = _rows(qs, links, period, on)
    return {
        "kind": kind,
        "name": name,
        "key": key,
        "period": _period(period),
        "rows": rows,
        "counts": counts(rows),
        "movement": movement_totals(rows),
    }


def theme_page(slug: str, on: dt.date) -> dict[str, Any] | None:
    """``/public/themes/<slug>/``: the theme's commitments. Five queries (the theme, the period,
    the commitments, their pilots, the movement); None for an unknown theme."""
    theme = Theme.objects.filter(slug=slug).only("slug", "name").first()
    if theme is None:
        return None
    return _group(
        "theme", theme.name, theme.slug, _commitments(on).filter(theme=theme), CommitmentPilot.objects.filter(commitment__theme=theme), on
    )


def board_page(code: str, on: dt.date) -> dict[str, Any] | None:
    """``/public/boards/<code>/``: the commitments the board leads (its code in any case). Five
    queries; None for an unknown board."""
    board = Board.objects.filter(code__iexact=code).only("code", "name").first()
    if board is None:
        return None
    return _group(
        "board",
        board.name,
        board.code,
        _commitments(on).filter(lead_board=board),
        CommitmentPilot.objects.filter(commitment__lead_board=board),
        on,
    )


def pilot_page(slug: str, on: dt.date) -> dict[str, Any] | None:
    """``/public/pilots/<slug>/``: the commitments the pilot concerns. Five queries; None for an
    unknown pilot."""
    pilot = Pilot.objects.filter(slug=slug).only("slug", "name").first()
    if pilot is None:
        return None
    mine = _commitments(on).filter(pilot_links__pilot=pilot)
    return _group("pilot", pilot.name, pilot.slug, mine, CommitmentPilot.objects.filter(commitment__pilot_links__pilot=pilot), on)


def commitment_page(ref: str, on: dt.date) -> dict[str, Any] | None:
    """``/public/commitments/<ref>/``: one commitment, with its state at the last report beside
    today's. Four queries (the period, the commitment with its state then, its pilots, the
    movement); None for an unknown ref."""
    period = last_report()
    snapshot = period.snapshot if period is not None else None
    qs = _commitments(on, DETAIL_FIELDS).filter(ref=ref)
    if snapshot is not None:
        qs = with_previous(qs, snapshot, "commitments")
    c = qs.first()
    if c is None:
        return None
    row = public_row(c)
    row["summary"] = c.summary
    row["pilots"] = _pilots_of(CommitmentPilot.objects.filter(commitment_id=c.pk)).get(c.pk, [])
    moved = moved_lists(snapshot, "commitments", on=on, within=Commitment.objects.filter(pk=c.pk)) if snapshot is not None else {}
    row["movement"] = [{"name": name, "label": MOVEMENT_LABELS[name]} for name in moved.get(c.pk, [])]
    before = None
    if snapshot is not None and getattr(c, "previous_status", None) is not None:
        # The snapshot's own record (its status, RAG, progress, due date and overdue that day).
        before = {
            "status": c.previous_status,
            "rag": c.previous_rag,
            "progress": c.previous_progress,
            "due_date": c.previous_due_date,
            "overdue": bool(c.previous_overdue),
        }
    return {"commitment": row, "period": _period(period), "before": before}


# --- the cache ------------------------------------------------------------------------------------

_MISSING = "missing"


def cached(page: str, arg: str, build: Callable[..., dict[str, Any] | None], *, validator: str, on: dt.date) -> dict[str, Any] | None:
    """A page's data from the cache, or built (by ``build(arg, on)``, or ``build(on)`` when
    ``arg`` is empty) and kept. Keyed by the change log's head ``validator``
    (:func:`commitments.versioning.data_head`), the London day and the page; an unknown theme,
    board, pilot or ref (None) is kept too, so probing addresses costs no query either."""
    digest = hashlib.sha256(f"{validator}|{arg}".encode()).hexdigest()[:32]
    key = f"public:{CACHE_SCHEMA}:{page}:{on.isoformat()}:{digest}"
    hit = cache.get(key)
    if hit is not None:
        return None if hit == _MISSING else hit
    data = build(arg, on) if arg else build(on)
    cache.set(key, _MISSING if data is None else data, CACHE_SECONDS)
    return data
