"""The dashboards' trends, read from day-by-day tallies (issue 13).

A trend point is the sum of a few :class:`~reporting.models.Tally` rows: how many obligations (or
actions) of the dashboard's scope had each RAG, and how many were overdue, at the end of a past
London day. The day's snapshot writes them (:func:`reporting.snapshots.write_tallies`), so a
dashboard reads its 24 monthly and 26 weekly points with two indexed queries whatever the size of the
history, instead of replaying the history on every request; today's point is always today's live
figure.

Days before the first snapshot have no tallies until :func:`backfill_tallies` reconstructs them
from the status history (``manage.py backfill_tallies``, run once after loading data with history;
the quick start runs it): it walks every item back from its current state through its updates,
newest first, as the trend replay of the first dashboards did, and counts it on each day asked for.
An update whose ``from_status`` is empty records the item's creation: before it the item did not
exist. Backfilled tallies count each item under its commitment's lead board, agreement and pilots
as they are today.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Subquery, Sum, Value

from commitments.lifecycle import is_overdue
from commitments.models import Action, Agreement, CommitmentPilot, Obligation, StatusUpdate

from ..models import Tally, TallyDay
from .figures import LONDON, TREND_MONTHS, TREND_WEEKS, OverdueTrendPoint, RagTrendPoint, Scope, rag_key

# --- the calendar of the trends ----------------------------------------------------------------


def end_of_day(day: dt.date) -> dt.datetime:
    """The instant a London day ends (the next day's midnight in Europe/London, DST-aware)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=LONDON)


def month_points(on: dt.date, months: int = TREND_MONTHS) -> list[tuple[str, dt.date]]:
    """The last day of each of the last ``months`` months, oldest first; the current month's
    point is ``on`` itself (its end has not come yet)."""
    points: list[tuple[str, dt.date]] = []
    year, month = on.year, on.month
    for _ in range(months):
        first = dt.date(year, month, 1)
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        last = min(nxt - dt.timedelta(days=1), on)
        points.append((first.strftime("%b %Y"), last))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return points[::-1]


def week_points(on: dt.date, weeks: int = TREND_WEEKS) -> list[dt.date]:
    """``on`` and the same weekday in each of the previous ``weeks - 1`` weeks, oldest first."""
    return [on - dt.timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]


# What one item contributes to a day: (agreement, party, lead board, pilots, rag, overdue).
_Base = tuple[int, int, int | None, tuple[int, ...], str, bool]


def scope_grain(scope: Scope) -> tuple[str, int | None]:
    """The tally grain and key that count exactly the items of a dashboard's ``scope``."""
    if scope.pilot is not None:
        return Tally.Grain.PILOT, scope.pilot.pk
    if scope.board is not None:
        return Tally.Grain.BOARD, scope.board.pk
    if scope.party is not None:
        return Tally.Grain.PARTY, scope.party.pk
    return Tally.Grain.ALL, None


def trend_days(on: dt.date) -> list[dt.date]:
    """The past days the trends of London day ``on`` show: the end of each of the last 23 months
    and the same weekday in each of the last 25 weeks (today's point is live)."""
    months = [day for _, day in month_points(on)[:-1]]
    weeks = week_points(on)[:-1]
    return sorted(set(months) | set(weeks))


def _figures(scope: Scope, since: dt.date, before: dt.date) -> dict[dt.date, Counter[tuple[str, str, bool]]]:
    """The scope's tallies of the tallied days in [since, before), summed per (kind, rag, overdue):
    two queries (the days, then their counts)."""
    out: dict[dt.date, Counter[tuple[str, str, bool]]] = {
        day: Counter() for day in TallyDay.objects.filter(day__gte=since, day__lt=before).values_list("day", flat=True)
    }
    grain, key = scope_grain(scope)
    rows = Tally.objects.filter(grain=grain, day__gte=since, day__lt=before)
    rows = rows.filter(key=key) if key is not None else rows.filter(key__isnull=True)
    if not scope.all_agreements:
        rows = rows.filter(agreement_id__in=Subquery(Agreement.objects.filter(in_dashboards_by_default=True).values("pk")))
    for day, kind, rag, overdue, items in (
        rows.values("day", "kind", "rag", "overdue").annotate(n=Sum("items")).order_by().values_list("day", "kind", "rag", "overdue", "n")
    ):
        out.setdefault(day, Counter())[(kind, rag, overdue)] += items
    return out


def _latest(figures: dict[dt.date, Any], after: dt.date, until: dt.date) -> dt.date | None:
    """The latest day with figures in (after, until]."""
    days = [d for d in figures if after < d <= until]
    return max(days, default=None)


def trends(
    scope: Scope, on: dt.date, *, rag_today: dict[str, int], overdue_today: tuple[int, int]
) -> tuple[list[RagTrendPoint], list[OverdueTrendPoint]]:
    """The RAG mix of the scope's obligations at the end of each of the last 24 months, and its
    overdue obligations and actions in each of the last 26 weeks: one query. A past point shows
    the latest tallied day inside its month or week (and is left out when there is none); the
    last point of each is today's live figure (``rag_today``, ``overdue_today``)."""
    months, weeks = month_points(on), week_points(on)
    figures = _figures(scope, min(dt.date(months[0][1].year, months[0][1].month, 1), weeks[0] - dt.timedelta(days=6)), on)

    rag_points: list[RagTrendPoint] = []
    for label, end in months[:-1]:
        day = _latest(figures, dt.date(end.year, end.month, 1) - dt.timedelta(days=1), end)
        if day is not None:
            mix = Counter[str]()
            for (kind, rag, _), n in figures[day].items():
                if kind == Tally.Kind.OBLIGATION:
                    mix[rag_key(rag)] += n
            rag_points.append(RagTrendPoint(label, day, **mix))
    rag_points.append(RagTrendPoint(months[-1][0], on, **rag_today))

    overdue_points: list[OverdueTrendPoint] = []
    for end in weeks[:-1]:
        day = _latest(figures, end - dt.timedelta(days=7), end)
        if day is not None:
            counts = Counter[str]()
            for (kind, _, overdue), n in figures[day].items():
                if overdue:
                    counts[f"{kind}s"] += n
            overdue_points.append(OverdueTrendPoint(day, **counts))
    overdue_points.append(OverdueTrendPoint(on, *overdue_today))
    return rag_points, overdue_points


# --- reconstructing past tallies from the history ---------------------------------------------


def _items(kind: str) -> Iterator[tuple[Any, ...]]:
    """Every item of ``kind`` in id order: id, status, rag, assurance rag ("" for actions, which
    have none), due date, agreement, party, lead board, commitment."""
    if kind == Tally.Kind.OBLIGATION:
        qs: Any = Obligation.objects.values_list(
            "pk",
            "status",
            "rag",
            "assurance_rag",
            "due_date",
            "commitment__agreement_id",
            "party_id",
            "commitment__lead_board_id",
            "commitment_id",
        )
    else:
        qs = Action.objects.annotate(no_assurance=Value("")).values_list(
            "pk",
            "status",
            "rag",
            "no_assurance",
            "due_date",
            "obligation__commitment__agreement_id",
            "obligation__party_id",
            "obligation__commitment__lead_board_id",
            "obligation__commitment_id",
        )
    return qs.order_by("pk").iterator(chunk_size=5000)


def _updates(kind: str, since: dt.datetime) -> Iterator[tuple[Any, ...]]:
    """The updates of items of ``kind`` made at or after ``since``, by item, newest first: item
    id, when, from status, from rag, from due date, from and to assurance rag."""
    item = "action_id" if kind == Tally.Kind.ACTION else "obligation_id"
    qs = StatusUpdate.objects.filter(target_type=kind, created_at__gte=since)
    if kind == Tally.Kind.OBLIGATION:
        qs = qs.filter(action__isnull=True)
    return (
        qs.order_by(item, "-created_at", "-id")
        .values_list(item, "created_at", "from_status", "from_rag", "from_due_date", "from_assurance_rag", "to_assurance_rag")
        .iterator(chunk_size=5000)
    )


def _replay_counts(kind: str, days: Sequence[dt.date], pilots: dict[int, tuple[int, ...]]) -> Counter[tuple[dt.date, _Base]]:
    """Walk every item of ``kind`` back from its current state through its updates (newest first)
    and count it on each of ``days`` (ascending) on which it existed, by its rating used then (its
    assurance rating where it had one: an update whose two assurance ratings differ changed it)."""
    boundaries = [end_of_day(day) for day in days]
    counts: Counter[tuple[dt.date, _Base]] = Counter()
    history = itertools.groupby(_updates(kind, boundaries[0]), key=lambda row: row[0])
    pending = next(history, None)
    for pk, status, rag, assurance, due, agreement, party, board, commitment in _items(kind):
        while pending is not None and pending[0] < pk:  # updates of items since deleted
            pending = next(history, None)
        updates: list[tuple[Any, ...]] = []
        if pending is not None and pending[0] == pk:
            updates = list(pending[1])
            pending = next(history, None)
        in_pilots = pilots.get(commitment, ())
        exists, i = True, 0
        for d in range(len(days) - 1, -1, -1):
            boundary = boundaries[d]
            while i < len(updates) and updates[i][1] >= boundary:
                _, _, from_status, from_rag, from_due, from_assurance, to_assurance = updates[i]
                if from_assurance != to_assurance:
                    assurance = from_assurance
                if from_status:
                    status, rag, due = from_status, from_rag, from_due
                else:  # undoing the item's creation: it did not exist before
                    exists = False
                i += 1
            if not exists:
                break
            counts[(days[d], (agreement, party, board, in_pilots, assurance or rag, is_overdue(due, status, days[d])))] += 1
    return counts


def _tally_rows(kind: str, counts: Counter[tuple[dt.date, _Base]]) -> Iterator[Tally]:
    """The :class:`Tally` rows of ``counts``, in every grain."""
    grains: Counter[tuple[dt.date, str, int | None, int, str, bool]] = Counter()
    for (day, (agreement, party, board, in_pilots, rag, overdue)), n in counts.items():
        grains[(day, Tally.Grain.ALL, None, agreement, rag, overdue)] += n
        grains[(day, Tally.Grain.PARTY, party, agreement, rag, overdue)] += n
        grains[(day, Tally.Grain.BOARD, board, agreement, rag, overdue)] += n
        for pilot in in_pilots:
            grains[(day, Tally.Grain.PILOT, pilot, agreement, rag, overdue)] += n
    for (day, grain, key, agreement, rag, overdue), n in grains.items():
        yield Tally(day=day, kind=kind, grain=grain, key=key, agreement_id=agreement, rag=rag, overdue=overdue, items=n)


def backfill_tallies(days: Iterable[dt.date]) -> list[dt.date]:
    """Reconstruct, from the status history, the tallies of each of ``days`` that has none, in one
    transaction (all of them or none). Returns the days written, oldest first."""
    with transaction.atomic():
        days = set(days)
        missing = sorted(days - set(TallyDay.objects.filter(day__in=days).values_list("day", flat=True)))
        if not missing:
            return []
        pilots: dict[int, tuple[int, ...]] = {}
        for commitment, pilot in CommitmentPilot.objects.order_by("commitment_id", "pilot_id").values_list("commitment_id", "pilot_id"):
            pilots[commitment] = (*pilots.get(commitment, ()), pilot)
        for kind in (Tally.Kind.OBLIGATION, Tally.Kind.ACTION):
            Tally.objects.bulk_create(_tally_rows(kind, _replay_counts(kind, missing, pilots)), batch_size=2000)
        TallyDay.objects.bulk_create([TallyDay(day=day, source=TallyDay.Source.HISTORY) for day in missing])
    return missing


__all__ = ["backfill_tallies", "end_of_day", "month_points", "scope_grain", "trend_days", "trends", "week_points"]
