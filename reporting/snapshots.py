"""The daily snapshot of tracked state, and its retention (issue 13).

:func:`take_snapshot` records, for one London day, the state of every commitment, obligation and
action: three ``INSERT … SELECT`` statements, one per table, in one transaction with the
:class:`~reporting.models.Snapshot` row marked ``complete``. A job that dies half-way leaves nothing
(the transaction rolls back) and the next run takes the whole snapshot; a second run the same day
finds the complete snapshot and changes nothing.

The ``SELECT`` of each insert is an ORM queryset, so what a snapshot calls "shown state" and
"overdue" are the very expressions the pages and the API use (``with_shown_state``, the one
overdue rule in :mod:`commitments.lifecycle`); only the ``INSERT INTO … (columns)`` around it is
written out, because the ORM has no ``INSERT … SELECT`` (docs/decisions/0018-snapshots.md).

:func:`prune_snapshots` keeps every snapshot of the last ``SNAPSHOT_DAILY_DAYS`` days (90), then one
a week (the last one taken in each ISO week), and every frozen snapshot for ever.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import BigIntegerField, BooleanField, Case, Count, F, Field, Q, QuerySet, Value, When
from django.utils import timezone

from commitments.changes import log_mark
from commitments.lifecycle import london_today, overdue_case
from commitments.models import Action, Commitment, Obligation
from commitments.querysets import rating_used_expr

from .dashboards.windows import write_window_counts
from .models import ActionState, CommitmentState, ObligationState, Snapshot, Tally, TallyDay

logger = logging.getLogger("reporting.snapshots")


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.column is not None, name
    return field.column


def _insert_from(model: type[models.Model], columns: dict[str, Any], source: QuerySet[Any], *, counted: str | None = None) -> int:
    """``INSERT INTO model (columns) SELECT …`` from ``source`` annotated with one expression per
    column, in the columns' order. With ``counted``, the rows are grouped by the other columns and
    that column is given the number of rows in each group. Returns the number of rows inserted."""
    # Annotations under their own names (prefixed so none collides with a model field), selected
    # alone: the SELECT list is then exactly these expressions, in this order.
    aliased = {f"snap_{name}": expression for name, expression in columns.items() if name != counted}
    source = source.order_by().annotate(**aliased)
    if counted is not None:
        source = source.values(*aliased).annotate(snap_counted=Count("pk"))
        aliased["snap_counted"] = None
    query = source.values_list(*aliased).query
    sql, params = query.sql_with_params()
    names = [name for name in columns if name != counted] + ([counted] if counted is not None else [])
    fields = [connection.ops.quote_name(_column(model, name)) for name in names]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(fields)}) {sql}", params)
        return cursor.rowcount


def _state_columns(snapshot: Snapshot, day: dt.date, *, status: str, rag: str, progress: str, due: str) -> dict[str, Any]:
    return {
        "snapshot": Value(snapshot.pk),
        "status": F(status),
        "rag": F(rag),
        "progress": F(progress),
        "due_date": F(due),
        "overdue": overdue_case(day, date_field=due, status_field=status),
        "overdue_since": F("overdue_since"),
        "escalation_level": F("escalation_level"),
    }


def _write_rows(snapshot: Snapshot, day: dt.date) -> tuple[int, int, int]:
    commitments = _insert_from(
        CommitmentState,
        {
            **_state_columns(snapshot, day, status="shown_status_db", rag="shown_rag_db", progress="shown_progress_db", due="target_date"),
            "commitment_id": F("id"),
            "theme_id": F("theme_id"),
            "lead_board_id": F("lead_board_id"),
            "assessed": Case(When(assessed_at__isnull=False, then=Value(True)), default=Value(False), output_field=BooleanField()),
            "rollup_status": F("rollup_status"),
            "rollup_rag": F("rollup_rag"),
            "rollup_progress": F("rollup_progress"),
        },
        Commitment.objects.with_shown_state(),
    )
    obligations = _insert_from(
        ObligationState,
        {
            **_state_columns(snapshot, day, status="status", rag="rag", progress="progress", due="due_date"),
            "obligation_id": F("id"),
            "commitment_id": F("commitment_id"),
            "agreement_id": F("commitment__agreement_id"),
            "party_id": F("party_id"),
            "owner_id": F("owner_id"),
            "assurance_rag": F("assurance_rag"),
        },
        Obligation.objects.all(),
    )
    actions = _insert_from(
        ActionState,
        {
            **_state_columns(snapshot, day, status="status", rag="rag", progress="progress", due="due_date"),
            "action_id": F("id"),
            "obligation_id": F("obligation_id"),
            "commitment_id": F("obligation__commitment_id"),
            "agreement_id": F("obligation__commitment__agreement_id"),
            "party_id": F("obligation__party_id"),
            "owner_id": F("owner_id"),
        },
        Action.objects.all(),
    )
    return commitments, obligations, actions


def _tally_grains(item: str) -> list[tuple[str, Any, Q]]:
    """(grain, key expression, condition) of each grain of :class:`Tally`, for items whose
    obligation is reached by ``item`` ("" for obligations, "obligation__" for actions)."""
    commitment = f"{item}commitment__"
    return [
        (Tally.Grain.ALL, Value(None, output_field=BigIntegerField()), Q()),
        (Tally.Grain.PARTY, F(f"{item}party_id"), Q()),
        (Tally.Grain.BOARD, F(f"{commitment}lead_board_id"), Q()),
        (Tally.Grain.PILOT, F(f"{commitment}pilot_links__pilot_id"), Q(**{f"{commitment}pilot_links__isnull": False})),
    ]


def write_tallies(day: dt.date) -> int:
    """Count today's obligations and actions into the :class:`Tally` rows of ``day``, replacing any:
    one grouped ``INSERT … SELECT`` per kind and grain, over the live tables (run in the
    snapshot's transaction, so the counts are the snapshot's), with the one overdue rule. An
    obligation's ``rag`` there is its rating used (the assurance rating where one is given)."""
    Tally.objects.filter(day=day).delete()
    TallyDay.objects.update_or_create(day=day, defaults={"source": TallyDay.Source.SNAPSHOT})
    written = 0
    for kind, model, item in ((Tally.Kind.OBLIGATION, Obligation, ""), (Tally.Kind.ACTION, Action, "obligation__")):
        for grain, key, condition in _tally_grains(item):
            written += _insert_from(
                Tally,
                {
                    "day": Value(day),
                    "kind": Value(kind),
                    "grain": Value(grain),
                    "key": key,
                    "agreement_id": F(f"{item}commitment__agreement_id"),
                    # Obligations count by the rating used (issue 15), as the dashboards do today.
                    "rag": rating_used_expr() if model is Obligation else F("rag"),
                    "overdue": overdue_case(day),
                    "items": None,
                },
                model.objects.filter(condition),
                counted="items",
            )
    return written


def take_snapshot(*, day: dt.date | None = None, now: dt.datetime | None = None) -> tuple[Snapshot, bool]:
    """Record the state of everything on the London day ``day`` (today). Returns the snapshot and
    whether this call wrote it (False when that day's snapshot was already complete)."""
    day = day or london_today()
    now = now or timezone.now()
    existing = Snapshot.objects.filter(day=day, complete=True).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            # A row left incomplete cannot exist (the rows and the flag commit together), but a
            # snapshot written by an older release might: replace it.
            Snapshot.objects.filter(day=day, complete=False, frozen=False).delete()
            # The change log's mark is taken before the rows are read: a change that commits
            # later is "changed since" the snapshot, whether or not the rows saw it, so today's
            # figures (its counts plus what changed since) count it once (decision 0030).
            snapshot = Snapshot.objects.create(day=day, taken_at=now, log_mark=log_mark())
            counts = _write_rows(snapshot, day)
            snapshot.commitments, snapshot.obligations, snapshot.actions = counts
            write_window_counts(snapshot, day)
            write_tallies(day)
            snapshot.complete = True
            snapshot.save(update_fields=["commitments", "obligations", "actions", "complete"])
    except IntegrityError:
        # Two runs raced for the same day and the other committed first: its snapshot stands.
        return Snapshot.objects.get(day=day), False
    logger.info("snapshot taken", extra={"fields": {"day": day.isoformat(), "rows": sum(counts)}})
    return snapshot, True


def kept_days(days: Sequence[dt.date], today: dt.date, *, daily_days: int) -> set[dt.date]:
    """Of the days snapshots exist for, those retention keeps: every day of the last ``daily_days``
    days, then the last day of each ISO week."""
    cutoff = today - dt.timedelta(days=daily_days)
    keep = {d for d in days if d >= cutoff}
    last_of_week: dict[tuple[int, int], dt.date] = {}
    for d in days:
        if d < cutoff:
            week = d.isocalendar()[:2]
            last_of_week[week] = max(d, last_of_week.get(week, d))
    return keep | set(last_of_week.values())


def prune_snapshots(*, today: dt.date | None = None) -> int:
    """Delete the snapshots retention does not keep (never a frozen one). Returns how many."""
    today = today or london_today()
    daily_days = settings.SNAPSHOT_DAILY_DAYS
    candidates = Snapshot.objects.filter(frozen=False)
    days = list(candidates.values_list("day", flat=True))
    drop = [d for d in days if d not in kept_days(days, today, daily_days=daily_days)]
    if not drop:
        return 0
    with transaction.atomic():
        # State rows go with their snapshot (ON DELETE CASCADE in the ORM: one DELETE per table).
        deleted, _ = candidates.filter(day__in=drop).delete()
    logger.info("snapshots pruned", extra={"fields": {"days": len(drop), "rows": deleted}})
    return len(drop)


def daily_snapshot(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily job: take today's snapshot, then apply retention."""
    snapshot, written = take_snapshot(day=today)
    pruned = prune_snapshots(today=today)
    return {
        "written": int(written),
        "commitments": snapshot.commitments,
        "obligations": snapshot.obligations,
        "actions": snapshot.actions,
        "pruned": pruned,
    }


def latest_before(day: dt.date) -> Snapshot | None:
    """The most recent complete snapshot taken before the London day ``day``."""
    return Snapshot.objects.complete().filter(day__lt=day).order_by("-day").first()


__all__ = ["daily_snapshot", "kept_days", "latest_before", "prune_snapshots", "take_snapshot", "write_tallies"]
