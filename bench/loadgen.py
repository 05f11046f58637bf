"""Generate load data at named scales, fast, reproducibly (``manage.py generate_load_data``).

``mou``   the real MoU data plus the demo loader's two years of history.
``large`` the real data plus 100,000 commitments, 500,000 obligations, 1,000,000 actions and
          5,000,000 status updates shaped like the real ones: every theme, lead boards (a share
          with none), 500 further parties, due dates spread over three years with a share overdue,
          status and RAG mixes like a living programme. Generated on PostgreSQL with set-based
          ``INSERT … SELECT generate_series`` statements, seeded with ``setseed`` so a seed always
          gives the same rows.

The generated rows are marked ``is_demo`` where the model has the flag, and their refs start with
``GEN-`` so they never collide with the inventory's refs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management import call_command
from django.db import connection, transaction

from devotracker.db import refresh_planner_statistics

SCALES = {
    "large": {
        "commitments": 100_000,
        "obligations_per_commitment": 5,
        "actions_per_obligation": 2,
        "updates_per_action": 5,
        "parties": 500,
    },
    "medium": {
        "commitments": 10_000,
        "obligations_per_commitment": 5,
        "actions_per_obligation": 2,
        "updates_per_action": 5,
        "parties": 100,
    },
    "small": {"commitments": 1_000, "obligations_per_commitment": 5, "actions_per_obligation": 2, "updates_per_action": 5, "parties": 50},
}


@dataclass
class Step:
    name: str
    rows: int
    seconds: float


def _timed(steps: list[Step], name: str, fn: Callable[[], int]) -> None:
    started = time.perf_counter()
    rows = fn()
    steps.append(Step(name, rows, time.perf_counter() - started))


def _exec(sql: str, params: list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount


def _command(name: str, **options: Any) -> int:
    call_command(name, verbosity=0, **options)
    return 0


def generate_mou() -> list[Step]:
    steps: list[Step] = []
    _timed(steps, "load_mou", lambda: _command("load_mou"))
    _timed(steps, "load_demo", lambda: _command("load_demo", reset=True))
    return steps


def generate_large(scale: str = "large", seed: float = 0.42) -> list[Step]:
    """Add the synthetic rows of ``scale`` on top of the real data (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The large scales are generated with PostgreSQL's generate_series: set DATABASE_URL to a PostgreSQL database.")
    size = SCALES[scale]
    steps: list[Step] = []
    call_command("load_mou", verbosity=0)
    n_commitments = size["commitments"]
    per_ob, per_act, per_upd, n_parties = (
        size["obligations_per_commitment"],
        size["actions_per_obligation"],
        size["updates_per_action"],
        size["parties"],
    )
    with transaction.atomic():
        # Foreign-key checks still pending in this transaction (when it is not the command's own,
        # e.g. a test's) would forbid the index and TRUNCATE statements below: run them now.
        _exec("SET CONSTRAINTS ALL IMMEDIATE")
        _exec("SET CONSTRAINTS ALL DEFERRED")
        # One backend, no parallel workers: random() then follows setseed() deterministically.
        _exec("SET LOCAL max_parallel_workers_per_gather = 0")
        if _is_superuser():
            # The generated rows are consistent by construction; skipping the deferred foreign-key
            # triggers (replica mode) saves checking millions of references at COMMIT.
            _exec("SET LOCAL session_replication_role = replica")
        _exec("SELECT setseed(%s)", [seed])
        _exec(
            "DELETE FROM commitments_change WHERE resource IN ('commitments','obligations','actions','status-updates') AND key LIKE 'GEN-%%'"
        )
        _timed(steps, "clear previous generated rows", _clear_generated)
        # Maintaining a dozen secondary indexes row by row costs several times the inserts
        # themselves (random-order keys such as created_at touch a different page per row); one
        # sorted build per index afterwards is much cheaper. The indexes that back constraints
        # (primary keys, unique) stay: the inserts rely on them. Measured in docs/benchmarks.md.
        dropped: list[tuple[str, str]] = []
        _timed(steps, "drop secondary indexes", lambda: _drop_secondary_indexes(BULK_TABLES, dropped))
        # An empty history table is truncated in this transaction: on a server with
        # wal_level=minimal (bench/run.sh's) the 5,000,000 rows then skip the write-ahead log,
        # because the table's new file is only made visible by this COMMIT. Elsewhere it changes
        # nothing. Never done to a table that still holds rows (real or demo history).
        # Updates awaiting approval point at the history row their approval wrote, so PostgreSQL
        # truncates the two together, and only when both are empty.
        _exec("LOCK TABLE commitments_statusupdate, commitments_pendingupdate IN ACCESS EXCLUSIVE MODE")
        if not _exists("SELECT 1 FROM commitments_statusupdate LIMIT 1") and not _exists("SELECT 1 FROM commitments_pendingupdate LIMIT 1"):
            # Deleting history rows earlier in this transaction (a re-run) leaves deferred
            # foreign-key checks pending on them, which TRUNCATE refuses: run them now.
            _exec("SET CONSTRAINTS ALL IMMEDIATE")
            _exec("SET CONSTRAINTS ALL DEFERRED")
            _exec("TRUNCATE commitments_statusupdate, commitments_pendingupdate")
        _timed(
            steps,
            "parties",
            lambda: _exec(
                """
                INSERT INTO boards_party (slug, name, type, collective, peripheral, notes, source, updated_at)
                SELECT 'gen-party-' || g, 'Generated partner ' || g,
                       (ARRAY['local_authority','nhs_local','nhs_national','national_government','regional_government'])[1 + g %% 5],
                       false, false, '', 'generated load data', now()
                FROM generate_series(1, %s) g
                ON CONFLICT (slug) DO NOTHING
                """,
                [n_parties],
            ),
        )
        _timed(
            steps,
            "commitments",
            lambda: _exec(
                """
                WITH themes AS (SELECT array_agg(id ORDER BY "order") ids FROM commitments_theme),
                     agreements AS (SELECT array_agg(id ORDER BY id) ids FROM commitments_agreement),
                     boards AS (SELECT array_agg(id ORDER BY id) ids FROM boards_board WHERE is_mou_board)
                INSERT INTO commitments_commitment
                    (status, rag, progress, version, escalation_level, created_at, updated_at, ref, key, title, summary,
                     agreement_id, theme_id, subtheme, kind, framing, lead_board_id, lead_board_basis, target_date,
                     target_date_precision, timing, amount, conditions, notes, rollup_status, rollup_rag, rollup_progress)
                SELECT 'not_started', '', 0, 1, 0, now() - (random() * interval '730 days'), now() - (random() * interval '365 days'),
                       'GEN-' || lpad(g::text, 7, '0'), 'gen-' || g,
                       'Generated commitment ' || g || ': deliver a devolved function with partners',
                       'A commitment generated for load testing, shaped like the MoU''s commitments.',
                       a.ids[1 + g %% array_length(a.ids, 1)], t.ids[1 + g %% array_length(t.ids, 1)], '',
                       (ARRAY['commitment','exploration','opportunity','delegation','establishment'])[1 + g %% 5], 'will',
                       CASE WHEN g %% 4 = 0 THEN NULL ELSE b.ids[1 + g %% array_length(b.ids, 1)] END,
                       CASE WHEN g %% 4 = 0 THEN 'not_stated' WHEN g %% 4 = 1 THEN 'inferred' ELSE 'stated' END,
                       CASE WHEN g %% 3 = 0 THEN NULL ELSE current_date + ((random() * 1095)::int - 365) END,
                       CASE WHEN g %% 3 = 0 THEN '' ELSE 'day' END, '', '', '', '', 'not_started', '', 0
                FROM generate_series(1, %s) g, themes t, agreements a, boards b
                """,
                [n_commitments],
            ),
        )
        # random() in a subquery's select list is evaluated once per row (PostgreSQL does not
        # flatten subqueries with volatile outputs), so each row gets its own status and dates.
        _timed(
            steps,
            "obligations",
            lambda: _exec(
                """
                WITH parties AS (SELECT array_agg(id ORDER BY id) ids FROM boards_party)
                INSERT INTO commitments_obligation
                    (status, rag, progress, version, escalation_level, created_at, updated_at, commitment_id, party_id, due_date, is_demo)
                SELECT s.status, CASE WHEN s.status = 'not_started' THEN '' ELSE (ARRAY['green','green','amber','red'])[1 + floor(s.r2 * 4)::int] END,
                       CASE s.status WHEN 'complete' THEN 100 WHEN 'in_progress' THEN floor(s.r3 * 90)::int ELSE 0 END,
                       1 + %s, 0, s.created_at, s.updated_at, s.cid,
                       p.ids[1 + ((s.cid * %s + s.k) %% array_length(p.ids, 1))], s.due, true
                FROM (
                    SELECT c.id cid, c.created_at, c.updated_at, k,
                           (ARRAY['not_started','in_progress','in_progress','in_progress','complete'])[1 + floor(random() * 5)::int] status,
                           random() r2, random() r3, current_date + (floor(random() * 1095)::int - 365) due
                    FROM commitments_commitment c CROSS JOIN generate_series(0, %s - 1) k
                    WHERE c.ref LIKE 'GEN-%%'
                ) s CROSS JOIN parties p
                """,
                [per_upd, per_ob, per_ob],
            ),
        )
        _timed(
            steps,
            "actions",
            lambda: _exec(
                """
                INSERT INTO commitments_action
                    (status, rag, progress, version, escalation_level, created_at, updated_at, obligation_id, description,
                     due_date, original_due_date, completed_date, is_demo)
                SELECT x.status, CASE WHEN x.status = 'not_started' THEN '' ELSE (ARRAY['green','green','amber','red'])[1 + floor(x.r2 * 4)::int] END,
                       CASE x.status WHEN 'complete' THEN 100 WHEN 'in_progress' THEN floor(x.r3 * 90)::int ELSE 0 END,
                       1 + %s, 0, x.created_at, x.updated_at, x.oid, 'Generated milestone ' || x.k || ' of obligation ' || x.oid,
                       x.due, x.due, CASE WHEN x.status = 'complete' THEN LEAST(x.due, current_date) END, true
                FROM (
                    SELECT d.*,
                           CASE WHEN d.due < current_date
                                THEN (ARRAY['complete','complete','complete','complete','complete','complete','in_progress','not_started'])[1 + floor(d.r1 * 8)::int]
                                ELSE (ARRAY['not_started','not_started','in_progress','in_progress','complete'])[1 + floor(d.r1 * 5)::int] END AS status
                    FROM (
                        SELECT o.id oid, o.created_at, o.updated_at, k, random() r1, random() r2, random() r3,
                               current_date + (floor(random() * 1095)::int - 365) due
                        FROM commitments_obligation o
                        JOIN commitments_commitment c ON c.id = o.commitment_id AND c.ref LIKE 'GEN-%%'
                        CROSS JOIN generate_series(1, %s) k
                    ) d
                ) x
                """,
                [per_upd, per_act],
            ),
        )
        _timed(
            steps,
            "status updates",
            lambda: _exec(
                """
                INSERT INTO commitments_statusupdate
                    (target_type, commitment_id, obligation_id, action_id, party_id, created_at, source, from_status, to_status,
                     from_rag, to_rag, from_progress, to_progress, version, reason, note, evidence, is_demo)
                SELECT 'action', o.commitment_id, o.id, a.id, o.party_id,
                       now() - ((%s - k) * interval '120 days') - (random() * interval '100 days'), 'demo',
                       CASE WHEN k = 1 THEN 'not_started' ELSE 'in_progress' END,
                       CASE WHEN k = %s THEN a.status ELSE 'in_progress' END,
                       CASE WHEN k = 1 THEN '' ELSE 'amber' END,
                       CASE WHEN k = %s THEN a.rag ELSE (ARRAY['green','amber','red'])[1 + floor(random() * 3)::int] END,
                       (k - 1) * 15, CASE WHEN k = %s THEN a.progress ELSE k * 15 END,
                       k + 1, 'Generated update', 'Progress recorded for load testing.', '[]'::jsonb, true
                FROM commitments_action a JOIN commitments_obligation o ON o.id = a.obligation_id
                CROSS JOIN generate_series(1, %s) k
                WHERE a.description LIKE 'Generated milestone%%'
                """,
                [per_upd, per_upd, per_upd, per_upd, per_upd],
            ),
        )
        # Before the rebuild: the UPDATE then has only the constraint indexes to keep up.
        _timed(steps, "commitment roll-ups", _rollups)
        _timed(steps, "rebuild secondary indexes", lambda: _rebuild_indexes(dropped))
        _timed(
            steps,
            "change log",
            lambda: _exec(
                """
                INSERT INTO commitments_change (resource, key, object_id, op, version, at)
                SELECT 'commitments', ref, id, 'create', version, created_at FROM commitments_commitment WHERE ref LIKE 'GEN-%%'
                """
            ),
        )
    _timed(steps, "analyze", lambda: refresh_planner_statistics() or 0)
    return steps


# The tables the generator fills in bulk, whose secondary indexes are rebuilt once afterwards.
BULK_TABLES = ("commitments_commitment", "commitments_obligation", "commitments_action", "commitments_statusupdate")


def _drop_secondary_indexes(tables: tuple[str, ...], dropped: list[tuple[str, str]]) -> int:
    """Drop the indexes of ``tables`` that back no constraint, remembering their definitions in
    ``dropped`` (name, CREATE INDEX statement) for :func:`_rebuild_indexes`. Inside the caller's
    transaction, so a failure leaves every index in place."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('%%I.%%I', i.schemaname, i.indexname)::regclass)
            ORDER BY i.tablename, i.indexname
            """,
            [list(tables)],
        )
        rows = cursor.fetchall()
        for name, definition in rows:
            cursor.execute(f'DROP INDEX "{name}"')
            dropped.append((name, definition))
    return len(rows)


def _rebuild_indexes(dropped: list[tuple[str, str]]) -> int:
    """Create again the indexes :func:`_drop_secondary_indexes` dropped, each in one sorted pass."""
    with connection.cursor() as cursor:
        # Without superuser rights the foreign-key triggers stay on, and their deferred checks of
        # the rows just inserted must run before PostgreSQL allows an index build on the table.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        # Index builds sort; give them memory (this session only, undone at COMMIT).
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _name, definition in dropped:
            cursor.execute(definition)
    return len(dropped)


def _exists(sql: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone() is not None


def _is_superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def _clear_generated() -> int:
    rows = _exec(
        "DELETE FROM commitments_statusupdate WHERE commitment_id IN (SELECT id FROM commitments_commitment WHERE ref LIKE 'GEN-%%')"
    )
    rows += _exec(
        "DELETE FROM commitments_action WHERE obligation_id IN (SELECT o.id FROM commitments_obligation o JOIN commitments_commitment c ON c.id = o.commitment_id WHERE c.ref LIKE 'GEN-%%')"
    )
    rows += _exec(
        "DELETE FROM commitments_obligation WHERE commitment_id IN (SELECT id FROM commitments_commitment WHERE ref LIKE 'GEN-%%')"
    )
    rows += _exec("DELETE FROM commitments_commitment WHERE ref LIKE 'GEN-%%'")
    return rows


def _rollups() -> int:
    """The roll-up rule of services.rollup_of, as one set-based UPDATE."""
    return _exec(
        """
        UPDATE commitments_commitment c SET
            rollup_status = CASE WHEN r.n_complete = r.n THEN 'complete' WHEN r.n_not_started = r.n THEN 'not_started' ELSE 'in_progress' END,
            rollup_rag = CASE WHEN r.worst = 3 THEN 'red' WHEN r.worst = 2 THEN 'amber' WHEN r.worst = 1 THEN 'green' ELSE '' END,
            rollup_progress = r.mean
        FROM (
            SELECT commitment_id, count(*) n,
                   count(*) FILTER (WHERE status = 'complete') n_complete,
                   count(*) FILTER (WHERE status = 'not_started') n_not_started,
                   max(CASE rag WHEN 'red' THEN 3 WHEN 'amber' THEN 2 WHEN 'green' THEN 1 ELSE 0 END) worst,
                   round(avg(progress))::int mean
            FROM commitments_obligation GROUP BY commitment_id
        ) r
        WHERE r.commitment_id = c.id AND c.ref LIKE 'GEN-%%'
        """
    )
