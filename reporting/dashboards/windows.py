"""The obligations' and actions' figures of a dashboard (total, open, overdue, escalated, with no
owner, due within 30, 60 and 90 days), and how all of London's are read fast (issue 13).

The figures are defined once, by :func:`window_aggregates`: conditional counts by the one overdue
rule (:mod:`commitments.lifecycle`), the ownership rule and the ratings rule. The same definition
counts three kinds of rows, because the state rows of a snapshot carry the fields it reads under
the same names:

- **the live tables**, for any scope (:func:`count_windows`): one aggregate over every row in scope;
- **a snapshot's state rows**, by agreement, when the day's snapshot is taken
  (:func:`write_window_counts`): stored as :class:`~reporting.models.WindowCounts`;
- **the rows changed since that snapshot**, live and as the snapshot recorded them.

For all of London that is half of a million obligations and a million actions, ~1 s of counting at
the large scale, which every write would make the next viewer wait for. So London's figures for
the day of a snapshot are the snapshot's counts plus, for each item with a change recorded after
the snapshot's mark in the change log (:func:`commitments.changes.changed_since`), its live
contribution minus the one the snapshot recorded (:func:`london_windows`): counts are sums over
items, so this is exact, and it reads only the changed items (decision 0030). Before the day's
snapshot is taken, or when more than :data:`DELTA_LIMIT` items have changed since it, the live
tables are counted whole.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count, Q, QuerySet

from commitments.changes import changed_since
from commitments.lifecycle import open_q, overdue_q
from commitments.models import Escalation
from commitments.ownership import unowned_q
from commitments.querysets import ratings_disagree_q

from ..models import ActionState, ObligationState, Snapshot, Tally, WindowCounts
from .figures import DUE_WINDOWS, Scope

# Past this many items changed since the day's snapshot, London's figures are counted whole: a
# longer list of ids costs more than it saves (the first overdue pass changes ~200,000 at once).
DELTA_LIMIT = 20_000

KINDS: dict[str, tuple[str, type[Any]]] = {
    # dashboard key -> (change-log resource, state model)
    "obligations": ("obligations", ObligationState),
    "actions": ("actions", ActionState),
}
TALLY_KIND = {"obligations": Tally.Kind.OBLIGATION, "actions": Tally.Kind.ACTION}


def rating_counts(own: str) -> dict[str, Count]:
    """How many rows of a group carry an assurance rating, and how many of those disagree with the
    owner's rating ``own``: conditional counts in the grouping query itself (no query of their own)."""
    return {"assured": Count("pk", filter=~Q(assurance_rag="")), "disagree": Count("pk", filter=ratings_disagree_q(own))}


def window_aggregates(on: dt.date, *, ratings: bool = False) -> dict[str, Any]:
    """The figures, as aggregates over obligation or action rows (live or state rows) on ``on``;
    with ``ratings`` (obligations), how many carry an assurance rating and how many disagree."""
    aggregates: dict[str, Any] = {
        "total": Count("pk"),
        "open": Count("pk", filter=open_q()),
        "overdue": Count("pk", filter=overdue_q(on)),
        # Escalated to Leaders' Committee: step 3 recorded by the daily pass and still overdue.
        "escalated": Count("pk", filter=overdue_q(on) & Q(escalation_level__gte=Escalation.Step.COMMITTEE)),
        # Nothing without an owner (issue 16): open, with no owner (commitments.ownership.unowned_q).
        "unowned": Count("pk", filter=unowned_q("obligation")),
    }
    for days in DUE_WINDOWS:
        aggregates[f"due{days}"] = Count("pk", filter=open_q() & Q(due_date__gte=on, due_date__lte=on + dt.timedelta(days=days)))
    if ratings:
        aggregates.update(rating_counts("rag"))
    return aggregates


def count_windows(qs: QuerySet[Any], on: dt.date, *, ratings: bool = False) -> dict[str, int]:
    """The figures of the rows ``qs``: one query."""
    return qs.aggregate(**window_aggregates(on, ratings=ratings))


def count_live(live: dict[str, QuerySet[Any]], on: dt.date) -> dict[str, dict[str, int]]:
    """The figures of each kind's rows ``live`` (obligations with their ratings): one query each."""
    return {key: count_windows(qs, on, ratings=key == "obligations") for key, qs in live.items()}


def write_window_counts(snapshot: Snapshot, day: dt.date) -> int:
    """Count the snapshot's own state rows by agreement into :class:`WindowCounts` (in the
    snapshot's transaction): one grouped query per kind. Returns the rows written."""
    rows: list[WindowCounts] = []
    for key, (_resource, model) in KINDS.items():
        aggregates = window_aggregates(day, ratings=key == "obligations")
        for row in model.objects.filter(snapshot=snapshot).values("agreement_id").annotate(**aggregates).order_by():
            agreement = row.pop("agreement_id")
            rows.append(WindowCounts(snapshot=snapshot, kind=TALLY_KIND[key], agreement_id=agreement, counts=row))
    WindowCounts.objects.bulk_create(rows)
    return len(rows)


def london_windows(scope: Scope, on: dt.date, live: dict[str, QuerySet[Any]]) -> dict[str, dict[str, int]]:
    """All of London's figures on ``on`` by kind, ``live`` being the scope's obligations and
    actions: from the day's snapshot and what changed since when that is exact and cheaper (see the
    module's docstring), else by counting the live rows. One query for the snapshot's counts, one
    for the changed ids, and two per kind with changes (their live and their recorded figures)."""
    agreements = None if scope.all_agreements else {a.pk for a in scope.default_agreements}
    base = list(
        WindowCounts.objects.filter(snapshot__day=on, snapshot__complete=True)
        .exclude(snapshot__log_mark="")
        .values_list("snapshot_id", "snapshot__log_mark", "kind", "agreement_id", "counts")
    )
    changed = changed_since(base[0][1], [resource for resource, _ in KINDS.values()], DELTA_LIMIT) if base else None
    if changed is None:
        return count_live(live, on)
    snapshot_id = base[0][0]
    figures: dict[str, dict[str, int]] = {}
    for key, (resource, model) in KINDS.items():
        ratings = key == "obligations"
        total: Counter[str] = Counter(dict.fromkeys(window_aggregates(on, ratings=ratings), 0))
        for _sid, _mark, kind, agreement, counts in base:
            if kind == TALLY_KIND[key] and (agreements is None or agreement in agreements):
                total.update(counts)
        ids = changed[resource]
        if ids:
            total.update(count_windows(live[key].filter(pk__in=ids), on, ratings=ratings))
            recorded = model.objects.filter(snapshot_id=snapshot_id, **{f"{key[:-1]}_id__in": ids})
            if agreements is not None:
                recorded = recorded.filter(agreement_id__in=agreements)
            total.subtract(count_windows(recorded, on, ratings=ratings))
        figures[key] = dict(total)
    return figures
