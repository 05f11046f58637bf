"""What changed since the last report (issue 13): today's state beside a snapshot's.

:func:`with_previous` annotates a commitment or obligation queryset with the item's state in a
snapshot (``previous_status``, ``previous_rag``, ``previous_progress``, ``previous_due_date``,
``previous_overdue``; all None for an item the snapshot does not hold), so a list page, the API's
``?compare_to=`` and a paper read the comparison in the same query as the rows.

:func:`movements` sorts the items into the lists a committee reads: improved and worsened (RAG),
newly overdue, completed and re-dated, each re-dated item with the reasons given in its updates
since the snapshot. "Overdue" on both sides is the one rule (:mod:`commitments.lifecycle`): the
snapshot recorded it for its day, today's is computed for today.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, Case, Count, ExpressionWrapper, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from commitments.comparisons import PREVIOUS, Kind
from commitments.lifecycle import CLOSED_STATUSES, Status, london_today
from commitments.models import Commitment, Obligation, StatusUpdate

from .models import CommitmentState, ObligationState, Snapshot

KIND_HEADINGS: tuple[tuple[Kind, str], ...] = (("commitments", "Commitments"), ("obligations", "Obligations"))

# Better is higher; "not assessed" has no rank, so a first rating is neither better nor worse.
RAG_RANK = {"red": 0, "amber": 1, "green": 2}
MOVEMENTS = ("improved", "worsened", "newly_overdue", "completed", "redated")
# Up to this many moved items (all lists together), cut lists are read in one pass over the moved
# rows; beyond it, each list reads its own first rows (issue 13: a long history is never read to
# show fifty rows, and a short list does not cost a scan of its own).
ONE_PASS_ROWS = 500
MOVEMENT_LABELS = {
    "improved": "Improved (RAG)",
    "worsened": "Worsened (RAG)",
    "newly_overdue": "Newly overdue",
    "completed": "Completed",
    "redated": "Re-dated",
}


def _state_model(kind: Kind) -> type[CommitmentState] | type[ObligationState]:
    return CommitmentState if kind == "commitments" else ObligationState


def with_previous(qs: QuerySet[Any], snapshot: Snapshot, kind: Kind) -> QuerySet[Any]:
    """``qs`` annotated with each item's state in ``snapshot`` (one indexed lookup per column, in
    the same query)."""
    model = _state_model(kind)
    key = "commitment_id" if kind == "commitments" else "obligation_id"
    rows = model.objects.filter(snapshot=snapshot, **{key: OuterRef("pk")})
    return qs.annotate(**{f"previous_{column}": Subquery(rows.values(column)[:1]) for column in PREVIOUS})


def previous_in_period(qs: QuerySet[Any], period_id: int, kind: Kind) -> QuerySet[Any]:
    """``qs`` annotated with each item's state in closed period ``period_id`` (what
    ``?compare_to=`` reads; registered with :mod:`commitments.comparisons`). LookupError, with a
    message for the partner, for an unknown or open period (the API answers 404)."""
    from .periods import frozen_snapshot

    return with_previous(qs, frozen_snapshot(period_id), kind)


def _current(kind: Kind, on: dt.date, now: Snapshot | None = None) -> QuerySet[Any]:
    """The items with their state today (``now_*``, ``is_overdue``), or in the snapshot ``now``
    (leaving out items it does not hold)."""
    if now is not None:
        model = _state_model(kind)
        key = "commitment_id" if kind == "commitments" else "obligation_id"
        rows = model.objects.filter(snapshot=now, **{key: OuterRef("pk")})
        base = Commitment.objects.all() if kind == "commitments" else Obligation.objects.all()
        frozen = {"now_status": "status", "now_rag": "rag", "now_progress": "progress", "now_due": "due_date", "is_overdue": "overdue"}
        return base.annotate(**{name: Subquery(rows.values(column)[:1]) for name, column in frozen.items()}).filter(
            now_status__isnull=False
        )
    if kind == "commitments":
        return Commitment.objects.with_overdue(on).annotate(
            now_status=F("shown_status_db"), now_rag=F("shown_rag_db"), now_progress=F("shown_progress_db"), now_due=F("target_date")
        )
    return Obligation.objects.with_overdue(on).annotate(
        now_status=F("status"), now_rag=F("rag"), now_progress=F("progress"), now_due=F("due_date")
    )


def _rank(column: str) -> Case:
    return Case(*(When(**{column: rag}, then=Value(rank)) for rag, rank in RAG_RANK.items()), default=None, output_field=IntegerField())


def _flag_rules() -> dict[str, Q]:
    """When an item is in each list: the one definition of the movements, evaluated in the
    database (over the ``now_*``/``previous_*`` annotations and the RAG ranks) by the lists and by
    the counts alike. A rating compared with "not assessed" is neither better nor worse; re-dating
    is only counted for an item still open (closing an item is not re-dating it)."""
    changed_date = (
        Q(now_due__lt=F("previous_due_date"))
        | Q(now_due__gt=F("previous_due_date"))
        | Q(now_due__isnull=True, previous_due_date__isnull=False)
        | Q(now_due__isnull=False, previous_due_date__isnull=True)
    )
    return {
        "improved": Q(now_rank__gt=F("previous_rank")),
        "worsened": Q(now_rank__lt=F("previous_rank")),
        "newly_overdue": Q(is_overdue=True, previous_overdue=False),
        "completed": Q(now_status=Status.COMPLETE) & ~Q(previous_status=Status.COMPLETE),
        "redated": changed_date & ~Q(now_status__in=CLOSED_STATUSES),
    }


def _compared(
    snapshot: Snapshot, kind: Kind, *, on: dt.date | None = None, to: Snapshot | None = None, within: QuerySet[Any] | None = None
) -> QuerySet[Any]:
    """The items ``snapshot`` holds (and ``to`` too, when given), limited to ``within`` (a queryset
    of the same items: a dashboard's or a board's scope), with their state then and now and one
    ``moved_<list>`` flag per list."""
    qs = _current(kind, on or london_today(), to)
    if within is not None:
        qs = qs.filter(pk__in=within.values("pk"))
    qs = (
        with_previous(qs, snapshot, kind)
        .filter(previous_status__isnull=False)
        .annotate(now_rank=_rank("now_rag"), previous_rank=_rank("previous_rag"))
    )
    return qs.annotate(**{f"moved_{name}": ExpressionWrapper(rule, output_field=BooleanField()) for name, rule in _flag_rules().items()})


def movement_counts(
    snapshot: Snapshot, kind: Kind, *, on: dt.date | None = None, to: Snapshot | None = None, within: QuerySet[Any] | None = None
) -> dict[str, int]:
    """How many items are in each list of :data:`MOVEMENTS` since ``snapshot`` (to today, or to the
    later snapshot ``to``), counted in the database: one query, no row read."""
    qs = _compared(snapshot, kind, on=on, to=to, within=within)
    return qs.aggregate(**{name: Count("pk", filter=Q(**{f"moved_{name}": True})) for name in MOVEMENTS})


def moved_lists(snapshot: Snapshot, kind: Kind, *, on: dt.date | None = None, within: QuerySet[Any] | None = None) -> dict[int, list[str]]:
    """Which lists of :data:`MOVEMENTS` each item that moved since ``snapshot`` is in, by item id
    (items that did not move are left out): one query, by the same rules as :func:`movements`, and
    nothing but the flags is read (no reasons: the public view shows this, issue 15)."""
    any_flag = Q(*(Q(**{f"moved_{name}": True}) for name in MOVEMENTS), _connector=Q.OR)
    rows = _compared(snapshot, kind, on=on, within=within).filter(any_flag).values_list("pk", *(f"moved_{name}" for name in MOVEMENTS))
    return {row[0]: [name for name, flag in zip(MOVEMENTS, row[1:], strict=True) if flag] for row in rows}


@dataclass
class Movement:
    """One item's change since the snapshot."""

    kind: Kind
    pk: int
    label: str
    ref: str
    before: dict[str, Any]
    now: dict[str, Any]
    reasons: list[str] = field(default_factory=list)


@dataclass
class Movements:
    """The lists of what changed since ``snapshot`` (for ``kind`` items), as of the London day ``on``."""

    snapshot: Snapshot
    on: dt.date
    lists: dict[str, list[Movement]] = field(default_factory=lambda: {name: [] for name in MOVEMENTS})
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MOVEMENTS, 0))

    def counts(self) -> dict[str, int]:
        """How many items are in each list, whole (the lists themselves may be cut)."""
        return dict(self.totals)


def _reasons(kind: Kind, ids: list[int], since: dt.datetime, until: dt.datetime | None = None) -> dict[int, list[str]]:
    """The reasons given for changes of date after ``since`` (and up to ``until``), per item."""
    if not ids:
        return {}
    if kind == "commitments":
        updates = StatusUpdate.objects.filter(commitment_id__in=ids, target_type=StatusUpdate.TargetType.COMMITMENT)
        key = "commitment_id"
    else:
        updates = StatusUpdate.objects.filter(obligation_id__in=ids, target_type=StatusUpdate.TargetType.OBLIGATION)
        key = "obligation_id"
    out: dict[int, list[str]] = defaultdict(list)
    rows = (
        updates.filter(created_at__gt=since, **({"created_at__lte": until} if until is not None else {}))
        .exclude(from_due_date=F("to_due_date"))
        .exclude(to_due_date__isnull=True, from_due_date__isnull=True)
        .exclude(reason="")
        .order_by("created_at", "pk")
        .values_list(key, "reason")
    )
    for item_id, reason in rows:
        out[item_id].append(reason)
    return out


def movements(
    snapshot: Snapshot,
    kind: Kind,
    *,
    on: dt.date | None = None,
    limit: int | None = None,
    to: Snapshot | None = None,
    within: QuerySet[Any] | None = None,
) -> Movements:
    """What moved since ``snapshot`` for commitments or obligations (those of ``within`` when
    given), to today (or to the later snapshot ``to``, whose day ``on`` then is).

    Whole lists (``limit`` None): two queries, the rows that moved and the reasons of the re-dated
    ones. Cut lists: the counts in one query; then, when no more than :data:`ONE_PASS_ROWS` items
    moved, the moved rows in one query, else each list's first ``limit`` rows (none when ``limit``
    is 0); then the listed re-dated items' reasons. A long history is never read to show fifty rows."""
    on = on or london_today()
    compared = _compared(snapshot, kind, on=on, to=to, within=within).select_related(
        *(["theme"] if kind == "commitments" else ["commitment", "party"])
    )
    result = Movements(snapshot=snapshot, on=on)
    any_flag = Q(*(Q(**{f"moved_{name}": True}) for name in MOVEMENTS), _connector=Q.OR)

    def one_pass() -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {name: [] for name in MOVEMENTS}
        for row in compared.filter(any_flag).order_by("pk"):
            for name in MOVEMENTS:
                if getattr(row, f"moved_{name}"):
                    found[name].append(row)
        return found

    if limit is None:
        chosen = one_pass()
        result.totals = {name: len(rows) for name, rows in chosen.items()}
    else:
        result.totals = movement_counts(snapshot, kind, on=on, to=to, within=within)
        moved = sum(result.totals.values())
        if not limit or not moved:
            chosen = {name: [] for name in MOVEMENTS}
        elif moved <= ONE_PASS_ROWS:
            # Few moved: one pass reads them all (a list query for a short list would scan to the end).
            chosen = {name: rows[:limit] for name, rows in one_pass().items()}
        else:
            chosen = {
                name: list(compared.filter(**{f"moved_{name}": True}).order_by("pk")[:limit]) if result.totals[name] else []
                for name in MOVEMENTS
            }
    redated: list[Movement] = []
    for name, rows in chosen.items():
        for row in rows:
            item = _movement(kind, row)
            result.lists[name].append(item)
            if name == "redated":
                redated.append(item)
    reasons = _reasons(kind, [m.pk for m in redated], snapshot.taken_at, to.taken_at if to is not None else None)
    for item in redated:
        item.reasons = reasons.get(item.pk, [])
    return result


def _movement(kind: Kind, row: Any) -> Movement:
    before = {
        "status": row.previous_status,
        "rag": row.previous_rag,
        "progress": row.previous_progress,
        "due_date": row.previous_due_date,
        "overdue": row.previous_overdue,
    }
    now = {
        "status": row.now_status,
        "rag": row.now_rag,
        "progress": row.now_progress,
        "due_date": row.now_due,
        "overdue": bool(row.is_overdue),
    }
    if kind == "commitments":
        label, ref = row.title, row.ref
    else:
        label, ref = f"{row.party.name}: {row.commitment.title}", row.commitment.ref
    return Movement(kind=kind, pk=row.pk, label=label, ref=ref, before=before, now=now)


def movement_sections(
    snapshot: Snapshot,
    *,
    on: dt.date | None = None,
    to: Snapshot | None = None,
    limit: int | None = None,
    within: dict[Kind, QuerySet[Any]] | None = None,
) -> list[dict[str, Any]]:
    """What a page shows of the movements since ``snapshot``: one section per kind (commitments,
    obligations), each with its lists (name, label, whole count, items cut to ``limit``); the
    template ``reporting/_movements.html`` renders them. ``within`` limits each kind to a scope."""
    sections = []
    for kind, heading in KIND_HEADINGS:
        found = movements(snapshot, kind, on=on, limit=limit, to=to, within=(within or {}).get(kind))
        sections.append(
            {
                "kind": kind,
                "heading": heading,
                "lists": [
                    {"name": name, "label": MOVEMENT_LABELS[name], "items": items, "count": found.totals[name]}
                    for name, items in found.lists.items()
                ],
            }
        )
    return sections
