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
from typing import Any, Literal

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from commitments.comparisons import PREVIOUS
from commitments.lifecycle import CLOSED_STATUSES, Status, london_today
from commitments.models import Commitment, Obligation, StatusUpdate

from .models import CommitmentState, ObligationState, Snapshot

Kind = Literal["commitments", "obligations"]
KIND_HEADINGS: tuple[tuple[Kind, str], ...] = (("commitments", "Commitments"), ("obligations", "Obligations"))

# Better is higher; "not assessed" has no rank, so a first rating is neither better nor worse.
RAG_RANK = {"red": 0, "amber": 1, "green": 2}
MOVEMENTS = ("improved", "worsened", "newly_overdue", "completed", "redated")
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


def _movement_q() -> Q:
    """Rows that moved in any way the lists show (a first filter in the database; the exact sorting
    is :func:`_classify`)."""
    closed_now = Q(now_status__in=CLOSED_STATUSES)
    return (
        ~Q(now_rag=F("previous_rag"))
        | Q(is_overdue=True, previous_overdue=False)
        | (Q(now_status=Status.COMPLETE) & ~Q(previous_status=Status.COMPLETE))
        | (~Q(now_due=F("previous_due_date")) & ~closed_now)
        | (Q(now_due__isnull=True) & Q(previous_due_date__isnull=False))
        | (Q(now_due__isnull=False) & Q(previous_due_date__isnull=True) & Q(previous_status__isnull=False))
    )


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


def _classify(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    found = []
    was, is_ = RAG_RANK.get(before["rag"] or ""), RAG_RANK.get(now["rag"] or "")
    if was is not None and is_ is not None and is_ != was:
        found.append("improved" if is_ > was else "worsened")
    if now["overdue"] and before["overdue"] is False:
        found.append("newly_overdue")
    if now["status"] == Status.COMPLETE and before["status"] != Status.COMPLETE:
        found.append("completed")
    if before["status"] is not None and now["due_date"] != before["due_date"] and now["status"] not in CLOSED_STATUSES:
        found.append("redated")
    return found


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
    snapshot: Snapshot, kind: Kind, *, on: dt.date | None = None, limit: int | None = None, to: Snapshot | None = None
) -> Movements:
    """What moved since ``snapshot`` for commitments or obligations, to today (or to the later
    snapshot ``to``, whose day ``on`` then is). Two queries (the rows that moved, the reasons for
    the re-dated ones listed), whatever the number of items; each list is cut to ``limit`` when
    given, and only the listed re-dated items' reasons are read."""
    on = on or london_today()
    rows = (
        with_previous(_current(kind, on, to), snapshot, kind)
        .filter(previous_status__isnull=False)
        .filter(_movement_q())
        .select_related(*(["theme"] if kind == "commitments" else ["commitment", "party"]))
        .order_by("pk")
    )
    result = Movements(snapshot=snapshot, on=on)
    redated: list[Movement] = []
    for row in rows:
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
        for name in _classify(before, now):
            result.totals[name] += 1
            if limit is None or len(result.lists[name]) < limit:
                item = Movement(kind=kind, pk=row.pk, label=label, ref=ref, before=before, now=now)
                result.lists[name].append(item)
                if name == "redated":
                    redated.append(item)
    # Reasons only for the re-dated items listed: a list cut to ``limit`` needs no more.
    reasons = _reasons(kind, [m.pk for m in redated], snapshot.taken_at, to.taken_at if to is not None else None)
    for item in redated:
        item.reasons = reasons.get(item.pk, [])
    return result
