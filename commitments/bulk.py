"""Set-based services: writes of tracked state over many rows at once, with their history.

Part of the services layer (docs/decisions/0001): what :func:`commitments.services.record_update`
does for one item, these functions do for every item a rule selects, in the caller's transaction,
writing the state, its :class:`StatusUpdate`, its change-log rows (:mod:`commitments.changes`),
:class:`Escalation` rows and :class:`OutboxMessage` rows together. The overdue pass
(:mod:`commitments.overdue`) is their caller today; the loaders and the benchmark's bulk writes
use :func:`commitments.changes.record_bulk` for the change log the same way.

Why raw SQL here (docs/decisions/0014): the ORM has no ``INSERT … SELECT``, and the pass must
issue the same few statements whatever the number of rows, hold no rows in memory, and stay
idempotent. Every change is a conditional ``UPDATE … WHERE`` or an ``INSERT … SELECT … ON
CONFLICT DO NOTHING`` whose row count is trusted. The SQL runs on PostgreSQL and on SQLite (the
quick start), differing only in the JSON functions.

How a flagged row is written once: the UPDATE that flags an item sets its final escalation level
for day 0 and stamps ``updated_at`` with the pass's ``now``; the statements that follow (change
log, step-1 escalations) find "the rows this pass just flagged" as level, ``overdue_since`` = today
and ``updated_at`` = now, through the index on (escalation_level, overdue_since). Recipients are
found by joining per-party and per-board address lists computed once per statement, not looked up
row by row. Cleared items (rare: closed or re-dated behind the write path's back) still carry a
transient mark for the few statements that follow them.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F

from boards.models import Board, Membership

from . import escalation
from .changes import record_select
from .lifecycle import CLOSED_STATUSES, not_overdue_arms, overdue_q, overdue_sql
from .models import Action, Change, Escalation, Obligation, OutboxMessage, Status, StatusUpdate
from .notifications.outbox import ESCALATIONS_KIND

# A transient marker for escalation_level, only ever seen inside the pass's own transaction: it
# names "the rows this run just cleared" so that the history and change-log INSERTs that follow
# select exactly those rows with no ids carried in memory (and a second run stamping the same
# instant cannot mistake the first run's rows for its own). Readers never see it (READ COMMITTED):
# cleared rows are reset to 0 before the pass commits.
_CLEARED_MARK = 32000


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
        SELECT '{ESCALATIONS_KIND}', {key}, {payload}, %(now)s, %(now)s, 0, ''
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
    """``escalation_level < step`` as an IN list of the levels it allows: a list of equalities is what an index on (escalation_level, …) can seek."""
    return ", ".join(str(level) for level in range(step))


def _cutoff(today: dt.date, days: int) -> Any:
    """The latest ``overdue_since`` that is at least ``days`` days overdue on ``today``, adapted."""
    return connection.ops.adapt_datefield_value(today - dt.timedelta(days=days))


def _probe(*probes: tuple[Any, tuple[str, ...]]) -> tuple[str, tuple[Any, ...]]:
    """One statement asking whether each of the querysets of ``probes`` (queryset, the columns its
    partial index is in order of) has a row; :func:`_what_to_do` runs it.

    Each is asked as its first row in the index's order, ``(SELECT … ORDER BY col LIMIT 1) IS NOT
    NULL``, not ``EXISTS``: PostgreSQL plans an ``EXISTS`` to stop at its first row, and where its
    estimate of the matching rows is stale (after the daily passes, "unflagged and due before today"
    is estimated at a fifth of the table and is nought) it reads the whole table in the hope of an
    early one (~150 ms); walking the partial index in order finds the answer in its first entries
    (~0.02 ms). A plain index scan also marks the entries of rows flagged on earlier days (dead until
    vacuum) as dead, so later passes skip them."""
    parts: list[str] = []
    params: list[Any] = []
    for queryset, order in probes:
        sql, args = queryset.order_by(*order).values("pk")[:1].query.sql_with_params()
        parts.append(f"({sql}) IS NOT NULL")
        params.extend(args)
    return f"SELECT {', '.join(parts)}", tuple(params)


def _pass_rows(model: type[Action] | type[Obligation], today: dt.date) -> tuple[list[Any], Any]:
    """The items of ``model`` the pass changes on ``today``: flagged but no longer overdue, one
    queryset per arm of "not overdue" (each answered by a partial index on flagged items), and
    newly overdue."""
    to_clear = [model.objects.filter(arm, overdue_since__isnull=False) for arm in not_overdue_arms(today)]
    return to_clear, model.objects.filter(overdue_since__isnull=True).filter(overdue_q(today))


@functools.lru_cache(maxsize=8)
def _what_to_do_sql(kind: str, today: dt.date, steps: tuple[tuple[int, int], ...], vendor: str) -> tuple[str, tuple[Any, ...]]:
    """The statement of :func:`_what_to_do`, compiled once per day (the ORM takes ~3 ms to compile
    its subqueries, more than they take to run): the items of ``kind`` to clear, one per arm of
    "not overdue" (each answered by a partial index on flagged items), newly overdue, and behind
    their step on the ladder, one per step, as the level update spells it."""
    model = Action if kind == "action" else Obligation
    to_clear, newly_overdue = _pass_rows(model, today)
    behind_step = [
        model.objects.filter(overdue_q(today), escalation_level__in=list(range(step)), overdue_since__lte=today - dt.timedelta(days=days))
        for step, days in steps
    ]
    by_due, by_ladder = ("due_date",), ("escalation_level", "overdue_since")
    return _probe(*zip(to_clear, [("pk",), by_due, by_due], strict=True), (newly_overdue, by_due), *((qs, by_ladder) for qs in behind_step))


def _what_to_do(target: _Target, today: dt.date, steps: list[tuple[int, int]]) -> tuple[list[bool], bool, bool]:
    """What the pass has to do for ``target`` on ``today``, in one statement: which arms of "not
    overdue" have items to clear, whether any item is newly overdue, whether any is behind its step."""
    sql, params = _what_to_do_sql(target.kind, today, tuple(steps), connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = [bool(value) for value in cursor.fetchone()]
    arms = len(not_overdue_arms(today))
    return found[:arms], found[arms], any(found[arms + 1 :])


def _execute(sql: str, params: Mapping[str, Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


# --- who is told at each step ---------------------------------------------------------------


def _recipients_sql(step: int, target: _Target) -> tuple[str, str]:
    """(board expression, JSON e-mail list expression) for an escalation step of ``target``."""
    user = get_user_model()._meta.db_table
    membership, board = Membership._meta.db_table, Board._meta.db_table
    lead_board = f"COALESCE(c.lead_board_id, (SELECT b.id FROM {board} b WHERE UPPER(b.code) = '{escalation.FALLBACK_BOARD_CODE}'))"
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


def _step_one_sql(target: _Target) -> tuple[str, str]:
    """(extra joins, JSON e-mail list) of step 1 for many rows at once: the owner when they can be
    reached, otherwise every officer of the party that owes the item. The officers' addresses are
    grouped by party once for the statement and joined, not looked up per row."""
    user = get_user_model()._meta.db_table
    membership = Membership._meta.db_table
    if connection.vendor == "postgresql":
        officers = (
            f"SELECT m.party_id, jsonb_agg(DISTINCT u.email ORDER BY u.email) AS emails FROM {membership} m "
            f"JOIN {user} u ON u.id = m.user_id WHERE m.role = 'officer' AND u.is_active AND u.email <> '' GROUP BY m.party_id"
        )
        owner_list = "jsonb_build_array(ow.email)"
    else:
        officers = (
            "SELECT x.party_id, json_group_array(x.email) AS emails FROM "
            f"(SELECT DISTINCT m.party_id, u.email FROM {membership} m JOIN {user} u ON u.id = m.user_id "
            "WHERE m.role = 'officer' AND u.is_active AND u.email <> '' ORDER BY m.party_id, u.email) x GROUP BY x.party_id"
        )
        owner_list = "json_array(ow.email)"
    joins = (
        f"LEFT JOIN {user} ow ON ow.id = t.owner_id AND ow.is_active AND ow.email <> '' "
        f"LEFT JOIN ({officers}) po ON po.party_id = {target.party_id}"
    )
    return joins, f"CASE WHEN ow.id IS NOT NULL THEN {owner_list} ELSE COALESCE(po.emails, {_json('[]')}) END"


def _take_step(target: _Target, step: int, where: str, params: Mapping[str, Any], recipients: tuple[str, str] | None = None) -> int:
    """``INSERT … SELECT`` the escalation step ``step`` for the items of ``target`` matching
    ``where`` (param ``step``), with who is told; ``recipients`` (joins, list expression) replaces
    the per-row lookup. ON CONFLICT on the unique constraints makes a repeat impossible, even for
    two passes at once. Returns the steps taken."""
    board_sql, notified_sql = _recipients_sql(step, target)
    # Issue 16: a step that goes to a board went to the default board because no board leads the
    # commitment (the board expression's fallback arm); step 1 goes to no board.
    fell_sql = "(1 = 0)" if board_sql == "NULL" else f"(c.lead_board_id IS NULL AND {board_sql} IS NOT NULL)"
    joins = ""
    if recipients is not None:
        joins, notified_sql = recipients
    return _execute(
        f"""
        INSERT INTO {Escalation._meta.db_table}
            (target_type, obligation_id, action_id, commitment_id, step, overdue_since, created_at, board_id, notified,
             fell_to_default_board)
        SELECT '{target.kind}', {target.obligation_id}, {target.action_id}, c.id, %(step)s, t.overdue_since,
            %(now)s, {board_sql}, {notified_sql}, {fell_sql}
        FROM {target.from_sql} {joins}
        WHERE {where}
        ON CONFLICT DO NOTHING
        """,
        params,
    )


def _record_steps(target: _Target, steps: Iterable[int], params: Mapping[str, Any], now: dt.datetime) -> None:
    """Record in the change log each escalation step this pass (stamp ``now``) took for the items
    of ``target``: one row per item and step, its event ``escalated-<step>``."""
    item_id = "action_id" if target.kind == "action" else "obligation_id"
    only_obligations = "" if target.kind == "action" else "AND e.action_id IS NULL"
    for step in steps:
        record_select(
            target.resource,
            f"""SELECT CAST(t.id AS TEXT), t.id, t.version FROM {Escalation._meta.db_table} e JOIN {target.table} t ON t.id = e.{item_id}
                WHERE e.created_at = %(now)s AND e.step = %(step)s AND e.target_type = '{target.kind}' {only_obligations}""",
            {**params, "step": step},
            at=now,
            event=f"escalated-{step}",
        )


def _model(target: _Target) -> type[Action] | type[Obligation]:
    return Action if target.kind == "action" else Obligation


def flag_overdue_items(*, today: dt.date, now: dt.datetime, steps: list[tuple[int, int]] | None = None) -> dict[str, int]:
    """Record what the dates say about every obligation and action on the London day ``today``.

    In the caller's transaction (the overdue pass holds it and its lock), for each kind of item:
    (b) items no longer overdue but still marked get ``overdue_since`` cleared, a system
    :class:`StatusUpdate` saying why, their open escalation steps resolved, and change-log rows;
    (a) items newly overdue get ``overdue_since`` = ``today`` and their day-0 level, written once,
    with change-log rows and their day-0 escalation steps (who was told in ``notified``);
    (c) items further up the ladder (``steps``, default :func:`commitments.escalation.ladder`) get
    the steps their days overdue call for, and their ``escalation_level``. Finally one
    :class:`OutboxMessage` per person told of anything, listing all of it. ``now`` stamps every
    row written. Returns the counts ``newly_overdue``, ``cleared``, ``escalated_step_<n>``,
    ``escalations_resolved`` and ``messages_queued``.
    """
    steps = steps if steps is not None else escalation.ladder()
    counts: dict[str, int] = {"newly_overdue": 0, "cleared": 0, "escalations_resolved": 0, "messages_queued": 0}
    counts.update({f"escalated_step_{step}": 0 for step, _ in steps})
    history = StatusUpdate._meta.db_table
    escalations = Escalation._meta.db_table
    # The steps an item takes on the day it is first seen overdue, and the level that leaves it at.
    day_zero = [step for step, days in steps if days <= 0]
    level_zero = max(day_zero, default=0)
    for target in _targets():
        p = _params(today=today, now=now, cleared=_CLEARED_MARK, level_zero=level_zero, **_CLOSED_PARAMS)
        before = {step: counts[f"escalated_step_{step}"] for step, _ in steps}

        # What there is to do, in one statement (each arm of "not overdue", newly overdue, behind
        # on the ladder); the writes that would find nothing are not run.
        clear_arms, any_newly_overdue, any_behind = _what_to_do(target, today, steps)
        to_clear, newly_overdue = _pass_rows(_model(target), today)

        # (b) No longer overdue (closed, re-dated, or due date removed) but still marked: one
        # UPDATE per arm that has any.
        cleared = sum(
            arm.update(overdue_since=None, escalation_level=_CLEARED_MARK, version=F("version") + 1, updated_at=now)
            for arm, found in zip(to_clear, clear_arms, strict=True)
            if found
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
            record_select(
                "status-updates",
                f"""SELECT CAST(s.id AS TEXT), s.id, CAST(NULL AS INTEGER) FROM {history} s JOIN {target.table} t ON {target.history_match}
                    WHERE t.escalation_level = %(cleared)s AND s.created_at = %(now)s
                      AND s.source = '{StatusUpdate.Source.SYSTEM}' AND s.version = t.version""",
                p,
                op=Change.Op.CREATE,
                at=now,
            )
            record_select(
                target.resource,
                f"SELECT CAST(t.id AS TEXT), t.id, t.version FROM {target.table} t WHERE t.escalation_level = %(cleared)s",
                p,
                at=now,
            )
            # Their overdue spell has ended: resolve its steps. Items completed or re-dated
            # through record_update had theirs resolved there, in the same transaction, and
            # nothing else writes overdue_since; so only the items cleared here can have open
            # steps of an ended spell, and the pass need not read every open step (issue 7).
            item_id = "action_id" if target.kind == "action" else "obligation_id"
            only_obligations = "" if target.kind == "action" else "AND action_id IS NULL"
            counts["escalations_resolved"] += _execute(
                f"""
                UPDATE {escalations} SET resolved_at = %(now)s
                WHERE resolved_at IS NULL {only_obligations}
                  AND {item_id} IN (SELECT t.id FROM {target.table} t WHERE t.escalation_level = %(cleared)s)
                """,
                p,
            )
            _model(target).objects.filter(escalation_level=_CLEARED_MARK).update(escalation_level=0)

        # (a) Newly overdue: the conditional UPDATE is the whole test; its row count is the number
        # of items this run was first to see overdue. It writes each row once, at its day-0 level.
        flagged = (
            newly_overdue.update(overdue_since=today, escalation_level=level_zero, version=F("version") + 1, updated_at=now)
            if any_newly_overdue
            else 0
        )
        counts["newly_overdue"] += flagged
        # "The rows this pass just flagged", found through the index on (level, overdue_since).
        just_flagged = "t.escalation_level = %(level_zero)s AND t.overdue_since = %(today)s AND t.updated_at = %(now)s"
        if flagged:
            record_select(
                target.resource,
                f"SELECT CAST(t.id AS TEXT), t.id, t.version FROM {target.table} t WHERE {just_flagged}",
                p,
                at=now,
                event=Change.Event.OVERDUE,
            )
            for step in day_zero:
                # Step 1's recipients by join (one grouping per statement); a day-0 step above it
                # (a ladder configured so) takes the general form.
                recipients = _step_one_sql(target) if step == Escalation.Step.OWNER else None
                counts[f"escalated_step_{step}"] += _take_step(target, step, just_flagged, {**p, "step": step}, recipients)

        # (c) The ladder for items flagged on earlier days (and any flagged without a step): one
        # INSERT … SELECT per step. ``escalation_level < step`` skips items already past the step
        # cheaply (this pass's flagged rows are at their day-0 level already). Only when some item
        # was behind its step before this pass flagged any (clearing only takes items off it).
        cutoffs = {f"cutoff_{step}": _cutoff(today, days) for step, days in steps}
        arms = [f"t.escalation_level IN ({_levels_below(step)}) AND t.overdue_since <= %(cutoff_{step})s" for step, _ in steps]
        behind_sql = f"t.overdue_since IS NOT NULL AND {overdue_sql('t')} AND ({' OR '.join(f'({arm})' for arm in arms)})"
        if not flagged and not any_behind:
            continue
        for step, days in steps:
            behind = f"t.overdue_since IS NOT NULL AND t.overdue_since <= %(cutoff)s AND t.escalation_level IN ({_levels_below(step)}) AND {overdue_sql('t')}"
            counts[f"escalated_step_{step}"] += _take_step(target, step, behind, {**p, "step": step, "cutoff": _cutoff(today, days)})
        # Each step taken is a change of its item in the log (the webhooks' item.escalated), said
        # once per step: the rows this pass wrote, found by its stamp.
        taken = {step: counts[f"escalated_step_{step}"] for step, _ in steps}
        _record_steps(target, [step for step, n in taken.items() if n > before[step]], p, now)
        # escalation_level: the highest step reached in this overdue spell. It is bookkeeping for
        # the ladder, not part of any representation partners read, so no version bump.
        level_case = (
            "CASE "
            + " ".join(f"WHEN overdue_since <= %(cutoff_{step})s THEN {step}" for step, _ in reversed(steps[1:]))
            + f" ELSE {steps[0][0]} END"
        )
        # "escalation_level < the level its days overdue call for" (``behind_sql``), spelt as one
        # arm per step (level below the step and overdue since its cutoff) so that the index on
        # (escalation_level, overdue_since) finds the few rows that move (issue 7).
        _execute(f"UPDATE {target.table} AS t SET escalation_level = {level_case} WHERE {behind_sql}", {**p, **cutoffs})

    # One e-mail per person told of anything new, listing all of it, queued in this transaction
    # (outbox): a first pass over a backlog sends each person one message.
    if any(counts[f"escalated_step_{step}"] for step, _ in steps):
        counts["messages_queued"] = _execute(_grouped_notices_sql(), _params(now=now))
    return counts


__all__ = ["flag_overdue_items"]
