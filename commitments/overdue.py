"""The daily overdue pass: flag, clear and escalate overdue obligations and actions (issue 5).

"Overdue" itself is always computed from dates by the one rule in :mod:`commitments.lifecycle`
(DESIGN.md §10: due before today in Europe/London and still open; ``complete`` and ``not_pursued``
close an item), and this pass's SQL takes it from there (``overdue_q``, ``overdue_sql``). The pass
only *records* what the dates say, so that Leaders' Committee sees the items and owners are chased
first:

(a) ``overdue_since`` = today for items newly seen overdue;
(b) ``overdue_since`` cleared, open escalation steps resolved and a history row written for items
    that stopped being overdue (closed, re-dated or undated) behind the write path's back
    (``record_update`` normally clears them itself);
(c) the escalation ladder by days overdue: step 1 the owner (or the party's officers) on day 0,
    step 2 the lead board's secretariat (the SPB's when the commitment has no lead board) after
    ``ESCALATE_TO_SECRETARIAT_AFTER_DAYS``, step 3 the next Leaders' Committee report after
    ``ESCALATE_TO_COMMITTEE_AFTER_DAYS``. Each step is one :class:`Escalation` row recording who
    was told; the e-mails are queued in the transactional outbox in the same transaction, one per
    person told of anything in this pass, listing all of it (issue 11: a first pass over a backlog
    is one message per person, not one per item).

How it stays correct and cheap (after healthchecks' ``sendalerts``): every change is a
conditional ``UPDATE … WHERE`` or an ``INSERT … SELECT … ON CONFLICT DO NOTHING`` whose row count
is trusted, so the pass issues the same statements whatever the number of rows, holds no rows in
memory, and is idempotent: a second run the same day finds nothing to change and queues nothing.
The unique constraints on Escalation make a repeated step impossible even for two runs racing.
Everything happens in one transaction, so a worker killed mid-run leaves nothing half done and
the redelivered task simply does the whole pass.

The SQL is written out rather than built with the ORM because the ORM has no ``INSERT … SELECT``;
it runs on PostgreSQL and on SQLite (the quick start), differing only in the JSON functions.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from boards.models import Board, Membership

from .lifecycle import CLOSED_STATUSES, overdue_q, overdue_sql
from .models import Action, Change, Escalation, JobRun, Obligation, OutboxMessage, Status, StatusUpdate

logger = logging.getLogger("commitments.jobs")

JOB_NAME = "flag_overdue"
# One e-mail per recipient per pass, payload {"to": address, "escalation_ids": [...]}
# (commitments.notifications delivers it).
ESCALATION_MESSAGE_KIND = "email.escalations"
FALLBACK_BOARD_CODE = "SPB"

# Transient markers for escalation_level, only ever seen inside the pass's own transaction: they
# name "the rows this run just cleared / flagged" so that the history and change-log INSERTs that
# follow select exactly those rows with no ids carried in memory (and a second run stamping the
# same instant cannot mistake the first run's rows for its own). Readers never see them (READ
# COMMITTED): cleared rows are reset to 0, and the ladder's level UPDATE turns flagged rows into
# their real level, before the pass commits. Each flagged row is written twice, not three times.
_CLEARED_MARK = 32000
_FLAGGED_MARK = 32001

# The PostgreSQL advisory lock that serialises passes ("DEVTRKOV" as a 64-bit number).
_PASS_LOCK_KEY = int.from_bytes(b"DEVTRKOV", "big") & 0x7FFF_FFFF_FFFF_FFFF

# Fault drills (tests/jobs/test_worker.py): ``DEVOTRACKER_FAULT_PAUSE=before_commit:30`` or
# ``after_commit:30`` makes the pass sleep at that point so a drill can kill the worker there.
# Unset in every real deployment; read on each run.
FAULT_PAUSE_ENV = "DEVOTRACKER_FAULT_PAUSE"


@dataclass(frozen=True)
class _Target:
    """How one kind of trackable item (action or obligation) is reached in SQL."""

    kind: str  # Escalation/StatusUpdate target_type
    resource: str  # sync-feed resource name (commitments.changes.RESOURCES)
    table: str
    from_sql: str  # FROM … JOIN … with aliases t (the item), c (its commitment)
    obligation_id: str
    action_id: str
    party_id: str
    # StatusUpdate rows belonging to this item (alias s) — obligations' own rows have no action.
    history_match: str


def _targets() -> list[_Target]:
    action, obligation = Action._meta.db_table, Obligation._meta.db_table
    commitment = Obligation._meta.get_field("commitment").related_model._meta.db_table  # type: ignore[union-attr]
    return [
        _Target(
            kind="obligation",
            resource="obligations",
            table=obligation,
            from_sql=f"{obligation} t JOIN {commitment} c ON c.id = t.commitment_id",
            obligation_id="t.id",
            action_id="NULL",
            party_id="t.party_id",
            history_match="s.obligation_id = t.id AND s.action_id IS NULL",
        ),
        _Target(
            kind="action",
            resource="actions",
            table=action,
            from_sql=f"{action} t JOIN {obligation} o ON o.id = t.obligation_id JOIN {commitment} c ON c.id = o.commitment_id",
            obligation_id="t.obligation_id",
            action_id="t.id",
            party_id="o.party_id",
            history_match="s.action_id = t.id",
        ),
    ]


# --- the SQL dialect bits -------------------------------------------------------------------


def _json(literal: str) -> str:
    """A JSON constant in the database's JSON column type."""
    return f"'{literal}'::jsonb" if connection.vendor == "postgresql" else f"'{literal}'"


def _email_list(predicate: str) -> str:
    """A scalar subquery: the sorted, distinct e-mail addresses of active users matching
    ``predicate`` (alias ``u``) as a JSON array, or NULL when there are none."""
    user = get_user_model()._meta.db_table
    if connection.vendor == "postgresql":
        return f"(SELECT jsonb_agg(DISTINCT u.email ORDER BY u.email) FROM {user} u WHERE u.is_active AND u.email <> '' AND ({predicate}))"
    # SQLite before 3.44 has no ORDER BY inside aggregates: aggregate over an ordered subquery.
    return (
        "(SELECT CASE WHEN COUNT(*) = 0 THEN NULL ELSE json_group_array(x.email) END FROM "
        f"(SELECT DISTINCT u.email FROM {user} u WHERE u.is_active AND u.email <> '' AND ({predicate}) ORDER BY u.email) x)"
    )


def _json_object(pairs: Mapping[str, str]) -> str:
    args = ", ".join(f"'{key}', {expr}" for key, expr in pairs.items())
    return f"jsonb_build_object({args})" if connection.vendor == "postgresql" else f"json_object({args})"


def _grouped_notices_sql() -> str:
    """``INSERT … SELECT`` of this pass's escalation e-mails, one per recipient.

    Every address in the ``notified`` list of an escalation created at ``%(now)s`` (this pass's
    stamp) gets one message listing the ids of all the escalations it is told of, in id order;
    addresses that differ only in case are one recipient. The dedupe key is the pass's first
    escalation id and the recipient's rank: escalation ids belong to exactly one pass, so the key
    can never match another pass's message (a second run creates no escalations and queues nothing).
    """
    outbox, escalation = OutboxMessage._meta.db_table, Escalation._meta.db_table
    key = "'escalations:' || CAST(MIN(MIN(x.id)) OVER () AS TEXT) || ':' || CAST(ROW_NUMBER() OVER (ORDER BY LOWER(x.email)) AS TEXT)"
    if connection.vendor == "postgresql":
        told = f"{escalation} e CROSS JOIN LATERAL jsonb_array_elements_text(e.notified) AS r(email)"
        ids = "jsonb_agg(x.id ORDER BY x.id)"
        rows = f"SELECT e.id, r.email FROM {told} WHERE e.created_at = %(now)s AND e.notified <> {_json('[]')}"
    else:
        # SQLite before 3.44 has no ORDER BY inside aggregates: aggregate over an ordered subquery.
        # json(): the window functions of the key make SQLite compute the aggregate in a subquery,
        # which drops its "is JSON" mark, and json_object would then store the array as a string.
        told = f"{escalation} e, json_each(e.notified) r"
        ids = "json(json_group_array(x.id))"
        rows = f"SELECT e.id, r.value AS email FROM {told} WHERE e.created_at = %(now)s AND e.notified <> {_json('[]')} ORDER BY e.id"
    payload = _json_object({"to": "MIN(x.email)", "escalation_ids": ids})
    # WHERE true: SQLite would otherwise read the ON of ON CONFLICT as a join constraint.
    return f"""
        INSERT INTO {outbox} (kind, dedupe_key, payload, created_at, available_at, attempts, last_error)
        SELECT '{ESCALATION_MESSAGE_KIND}', {key}, {payload}, %(now)s, %(now)s, 0, ''
        FROM ({rows}) x
        WHERE true
        GROUP BY LOWER(x.email)
        ON CONFLICT DO NOTHING
    """


def _params(**values: Any) -> dict[str, Any]:
    """Adapt dates and datetimes the way the ORM does, so raw SQL compares equal to ORM writes."""
    ops = connection.ops
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dt.datetime):
            out[key] = ops.adapt_datetimefield_value(value)
        elif isinstance(value, dt.date):
            out[key] = ops.adapt_datefield_value(value)
        else:
            out[key] = value
    return out


# Why a closed item's overdue record was cleared, for its history row: one CASE arm per closed
# status, so a status that closes an item has a reason here or the module fails to import.
_CLOSED_REASONS: dict[str, str] = {Status.COMPLETE: "No longer overdue: completed", Status.NOT_PURSUED: "No longer overdue: not pursued"}
_CLOSED_PARAMS: dict[str, str] = {
    **{f"closed_{i}": status for i, status in enumerate(CLOSED_STATUSES)},
    **{f"closed_reason_{i}": _CLOSED_REASONS[status] for i, status in enumerate(CLOSED_STATUSES)},
}


def _closed_reasons_sql(alias: str) -> str:
    """The ``WHEN`` arms giving the reason a closed item is no longer overdue (params ``_CLOSED_PARAMS``)."""
    return " ".join(f"WHEN {alias}.status = %(closed_{i})s THEN %(closed_reason_{i})s" for i in range(len(CLOSED_STATUSES)))


def _levels_below(step: int) -> str:
    """``escalation_level < step`` (or carrying this run's flagged mark) as an IN list of the
    levels it allows: a list of equalities is what an index on (escalation_level, …) can seek."""
    return ", ".join(str(level) for level in [*range(step), _FLAGGED_MARK])


def _cutoff(today: dt.date, days: int) -> Any:
    """The latest ``overdue_since`` that is at least ``days`` days overdue on ``today``, adapted."""
    return connection.ops.adapt_datefield_value(today - dt.timedelta(days=days))


def _execute(sql: str, params: Mapping[str, Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


# --- who is told at each step ---------------------------------------------------------------


def _recipients_sql(step: int, target: _Target) -> tuple[str, str]:
    """(board expression, JSON e-mail list expression) for an escalation step of ``target``."""
    user = get_user_model()._meta.db_table
    membership, board = Membership._meta.db_table, Board._meta.db_table
    lead_board = f"COALESCE(c.lead_board_id, (SELECT b.id FROM {board} b WHERE UPPER(b.code) = '{FALLBACK_BOARD_CODE}'))"
    owner_reachable = f"EXISTS (SELECT 1 FROM {user} ow WHERE ow.id = t.owner_id AND ow.is_active AND ow.email <> '')"
    officers = f"u.id IN (SELECT m.user_id FROM {membership} m WHERE m.role = 'officer' AND m.party_id = {target.party_id})"
    secretariat = f"u.id IN (SELECT m.user_id FROM {membership} m WHERE m.role = 'secretariat' AND m.board_id = {lead_board})"
    # The owner when they can be reached; otherwise every officer of the party that owes it.
    owner_or_officers = f"(u.id = t.owner_id OR (NOT {owner_reachable} AND {officers}))"
    if step == Escalation.Step.OWNER:
        return "NULL", f"COALESCE({_email_list(owner_or_officers)}, {_json('[]')})"
    if step == Escalation.Step.SECRETARIAT:
        return lead_board, f"COALESCE({_email_list(secretariat)}, {_json('[]')})"
    # Step 3: the secretariat puts it on the report; the owner hears that it is going there.
    return lead_board, f"COALESCE({_email_list(f'{secretariat} OR {owner_or_officers}')}, {_json('[]')})"


# --- the pass -------------------------------------------------------------------------------


def _fault_pause(point: str) -> None:
    raw = os.environ.get(FAULT_PAUSE_ENV, "")
    name, _, seconds = raw.partition(":")
    if name == point and seconds:
        logger.warning("fault drill pause", extra={"fields": {"point": point, "seconds": seconds}})
        time.sleep(float(seconds))


def ladder() -> list[tuple[int, int]]:
    """The escalation steps with the days overdue each needs, from settings (DESIGN.md §10)."""
    return [
        (Escalation.Step.OWNER, 0),
        (Escalation.Step.SECRETARIAT, int(settings.ESCALATE_TO_SECRETARIAT_AFTER_DAYS)),
        (Escalation.Step.COMMITTEE, int(settings.ESCALATE_TO_COMMITTEE_AFTER_DAYS)),
    ]


def flag_overdue(*, today: dt.date | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Run the overdue pass over every obligation and action, set-based, in one transaction.

    ``today`` is the London day the rules are applied on (default: today in Europe/London, from
    ``now``); ``now`` stamps history rows, escalations and messages (default: the clock).

    Writes: ``overdue_since``/``version``/``updated_at`` of items newly overdue or no longer
    overdue, a system :class:`StatusUpdate` for each item cleared, :class:`Escalation` rows for
    steps newly reached (with ``notified``), ``escalation_level``, ``resolved_at`` of steps whose
    overdue spell ended, change-log rows for the sync feed, and one :class:`OutboxMessage` per
    person told of any new step, listing every step they are told of (delivery is scheduled after
    commit). Returns the counts: ``newly_overdue``, ``cleared``, ``escalated_step_1..3``,
    ``escalations_resolved``, ``messages_queued`` (e-mails, one per recipient).
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    steps = ladder()
    counts: dict[str, int] = {"newly_overdue": 0, "cleared": 0, "escalations_resolved": 0, "messages_queued": 0}
    counts.update({f"escalated_step_{step}": 0 for step, _ in steps})
    change = Change._meta.db_table
    history = StatusUpdate._meta.db_table

    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One pass at a time (beat's and an administrator's click, say): the second waits, then
            # finds nothing to do. Without this they would still be correct, but could deadlock on
            # each other's rows and fall back to a retry. SQLite's IMMEDIATE transactions already
            # serialise writers.
            _execute("SELECT pg_advisory_xact_lock(%(key)s)", {"key": _PASS_LOCK_KEY})
        for target in _targets():
            p = _params(today=today, now=now, cleared=_CLEARED_MARK, flagged=_FLAGGED_MARK, **_CLOSED_PARAMS)

            # (b) No longer overdue (closed, re-dated, or due date removed) but still marked.
            cleared = (
                _model(target)
                .objects.filter(overdue_since__isnull=False)
                .exclude(overdue_q(today))
                .update(overdue_since=None, escalation_level=_CLEARED_MARK, version=F("version") + 1, updated_at=now)
            )
            counts["cleared"] += cleared
            if cleared:
                # The history row says why (DESIGN.md §10: nothing changes without one).
                _execute(
                    f"""
                    INSERT INTO {history} (target_type, commitment_id, obligation_id, action_id, party_id, author_id,
                        created_at, source, from_status, to_status, from_rag, to_rag, from_progress, to_progress,
                        from_due_date, to_due_date, version, reason, note, evidence, is_demo)
                    SELECT '{target.kind}', c.id, {target.obligation_id}, {target.action_id}, {target.party_id}, NULL,
                        %(now)s, '{StatusUpdate.Source.SYSTEM}', t.status, t.status, t.rag, t.rag, t.progress, t.progress,
                        t.due_date, t.due_date, t.version,
                        CASE {_closed_reasons_sql("t")}
                             WHEN t.due_date IS NULL THEN 'No longer overdue: due date removed'
                             ELSE 'No longer overdue: re-dated to ' || CAST(t.due_date AS TEXT) END,
                        '', {_json("[]")}, %(false)s
                    FROM {target.from_sql}
                    WHERE t.escalation_level = %(cleared)s
                    """,
                    {**p, "false": False},
                )
                # ... and the sync feed hears of each new history row (signals do not fire here).
                _execute(
                    f"""
                    INSERT INTO {change} (resource, key, object_id, op, version, at)
                    SELECT 'status-updates', CAST(s.id AS TEXT), s.id, '{Change.Op.CREATE}', NULL, %(now)s
                    FROM {history} s JOIN {target.table} t ON {target.history_match}
                    WHERE t.escalation_level = %(cleared)s AND s.created_at = %(now)s
                      AND s.source = '{StatusUpdate.Source.SYSTEM}' AND s.version = t.version
                    """,
                    p,
                )

            # (a) Newly overdue: the conditional UPDATE is the whole test; its row count is the
            # number of items this run was first to see overdue.
            flagged = (
                _model(target)
                .objects.filter(overdue_since__isnull=True)
                .filter(overdue_q(today))
                .update(overdue_since=today, escalation_level=_FLAGGED_MARK, version=F("version") + 1, updated_at=now)
            )
            counts["newly_overdue"] += flagged
            if cleared or flagged:
                _execute(
                    f"""
                    INSERT INTO {change} (resource, key, object_id, op, version, at)
                    SELECT '{target.resource}', CAST(t.id AS TEXT), t.id, '{Change.Op.UPDATE}', t.version, %(now)s
                    FROM {target.table} t WHERE t.escalation_level IN (%(cleared)s, %(flagged)s)
                    """,
                    p,
                )
            if cleared:
                # Their overdue spell has ended: resolve its steps. Items completed or re-dated
                # through record_update had theirs resolved there, in the same transaction, and
                # nothing else writes overdue_since; so only the items cleared here can have open
                # steps of an ended spell, and the pass need not read every open step (issue 7).
                item_id = "action_id" if target.kind == "action" else "obligation_id"
                only_obligations = "" if target.kind == "action" else "AND action_id IS NULL"
                counts["escalations_resolved"] += _execute(
                    f"""
                    UPDATE {Escalation._meta.db_table} SET resolved_at = %(now)s
                    WHERE resolved_at IS NULL {only_obligations}
                      AND {item_id} IN (SELECT t.id FROM {target.table} t WHERE t.escalation_level = %(cleared)s)
                    """,
                    p,
                )
                _model(target).objects.filter(escalation_level=_CLEARED_MARK).update(escalation_level=0)

            # (c) The ladder: one INSERT … SELECT per step. ``escalation_level < step`` skips items
            # already past the step cheaply (the flagged mark counts as level 0); ON CONFLICT on the
            # unique constraints is what makes a repeat impossible, even for two passes at once.
            for step, days in steps:
                board_sql, notified_sql = _recipients_sql(step, target)
                counts[f"escalated_step_{step}"] += _execute(
                    f"""
                    INSERT INTO {Escalation._meta.db_table}
                        (target_type, obligation_id, action_id, commitment_id, step, overdue_since, created_at, board_id, notified)
                    SELECT '{target.kind}', {target.obligation_id}, {target.action_id}, c.id, %(step)s, t.overdue_since,
                        %(now)s, {board_sql}, {notified_sql}
                    FROM {target.from_sql}
                    WHERE t.overdue_since IS NOT NULL AND t.overdue_since <= %(cutoff)s
                      AND t.escalation_level IN ({_levels_below(step)})
                      AND {overdue_sql("t")}
                    ON CONFLICT DO NOTHING
                    """,
                    {**p, "step": step, "cutoff": _cutoff(today, days)},
                )
            # escalation_level: the highest step reached in this overdue spell (this also replaces the
            # flagged mark: every flagged row is overdue, so it gets level 1 or more). It is bookkeeping
            # for the ladder, not part of any representation partners read, so no version bump.
            level_case = (
                "CASE "
                + " ".join(f"WHEN overdue_since <= %(cutoff_{step})s THEN {step}" for step, _ in reversed(steps[1:]))
                + f" ELSE {steps[0][0]} END"
            )
            # "escalation_level < the level its days overdue call for", spelt as one arm per step
            # (level below the step and overdue since its cutoff) so that the index on
            # (escalation_level, overdue_since) finds the few rows that move (issue 7).
            behind = " OR ".join(
                f"(escalation_level IN ({_levels_below(step)}) AND overdue_since <= %(cutoff_{step})s)" for step, _ in steps
            )
            _execute(
                f"""
                UPDATE {target.table} SET escalation_level = {level_case}
                WHERE overdue_since IS NOT NULL AND {overdue_sql(target.table)}
                  AND ({behind})
                """,
                {**p, **{f"cutoff_{step}": _cutoff(today, days) for step, days in steps}},
            )

        # One e-mail per person told of anything new, listing all of it, queued in this
        # transaction (outbox): a first pass over a backlog sends each person one message.
        if any(counts[f"escalated_step_{step}"] for step, _ in steps):
            counts["messages_queued"] = _execute(_grouped_notices_sql(), _params(now=now))
        if counts["messages_queued"]:
            from .notifications import schedule_delivery

            schedule_delivery()
        _fault_pause("before_commit")
    return counts


def _model(target: _Target) -> type[Action] | type[Obligation]:
    return Action if target.kind == "action" else Obligation


# --- the job around it ----------------------------------------------------------------------


def _abandon_stale_runs(task_id: str) -> int:
    """Mark runs that can no longer be running as failed: a run of this very task (the broker
    redelivered it, so the first attempt's worker died) and any run older than the hard limit."""
    limit = dt.timedelta(seconds=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 900)) * 2)
    stale = Q(started_at__lt=timezone.now() - limit)
    if task_id:
        stale |= Q(task_id=task_id)
    return JobRun.objects.filter(stale, name=JOB_NAME, outcome=JobRun.Outcome.RUNNING).update(
        outcome=JobRun.Outcome.FAILURE,
        finished_at=timezone.now(),
        error="Abandoned: the worker stopped before this run finished; nothing it did was kept, and the pass ran again.",
    )


def run_flag_overdue(
    triggered_by: str,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    task_id: str = "",
    reraise: bool = False,
) -> JobRun:
    """Run :func:`flag_overdue` as a recorded job (beat, the admin's "Run the overdue pass now",
    the ``flag_overdue`` command).

    Writes a :class:`JobRun` named ``flag_overdue`` (what /health/ reports the age of) with the
    counts, ``duration_ms``, ``today`` and ``triggered_by``, and one structured log line. On
    failure the JobRun records the error; the exception is re-raised only when ``reraise`` (the
    Celery task, so it can retry), otherwise the failed JobRun is returned. Returns the JobRun.
    """
    started = time.monotonic()
    abandoned = _abandon_stale_runs(task_id)
    run = JobRun.objects.create(name=JOB_NAME, task_id=task_id[:64], counts={"triggered_by": triggered_by})
    fields: dict[str, Any] = {"job": JOB_NAME, "run": run.pk, "triggered_by": triggered_by, "task_id": task_id or "-"}
    if abandoned:
        fields["abandoned_runs"] = abandoned
    try:
        counts: dict[str, Any] = dict(flag_overdue(today=today, now=now))
        _fault_pause("after_commit")
    except Exception as exc:
        run.outcome = JobRun.Outcome.FAILURE
        run.error = f"{type(exc).__name__}: {exc}"[:4000]
        run.finished_at = timezone.now()
        run.counts = {"triggered_by": triggered_by, "duration_ms": round((time.monotonic() - started) * 1000)}
        try:
            run.save(update_fields=["outcome", "error", "finished_at", "counts"])
        except Exception:  # the database may be what failed; the log line still goes out
            logger.warning("could not record the failed run", extra={"fields": fields})
        logger.error("flag_overdue failed", exc_info=True, extra={"fields": {**fields, "error": type(exc).__name__}})
        if reraise:
            raise
        return run
    counts["duration_ms"] = round((time.monotonic() - started) * 1000)
    counts["today"] = (today or timezone.localdate(now or timezone.now())).isoformat()
    counts["triggered_by"] = triggered_by
    run.counts = counts
    run.outcome = JobRun.Outcome.SUCCESS
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "outcome", "finished_at"])
    logger.info("flag_overdue finished", extra={"fields": {**fields, **counts}})
    return run


# --- for the management commands -----------------------------------------------------------


def parse_london_day(value: str | None) -> dt.date | None:
    """Parse ``--date YYYY-MM-DD`` (a London calendar day); a bad value is a clear CommandError."""
    from django.core.management.base import CommandError

    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be a real date as YYYY-MM-DD, for example 2026-03-29, not {value!r}.") from None


def format_counts(counts: Mapping[str, Any]) -> str:
    """``name: value`` lines in a stable order: what the job commands print."""
    return "\n".join(f"{key}: {counts[key]}" for key in sorted(counts))


__all__ = ["JOB_NAME", "flag_overdue", "format_counts", "ladder", "parse_london_day", "run_flag_overdue"]
