"""The version of the data as a whole, for caching figures that are costly to compute (issue 7).

On PostgreSQL the version is the transaction snapshot (``pg_current_snapshot()``: xmin, xmax and
the transactions running): two statements with the same snapshot see exactly the same committed
rows, and every commit of a transaction that wrote anything changes it. So a figure cached under
the snapshot it was computed from is only ever served to a reader who would compute the same
figure. (The newest change-log id would not do alone: a writer that took an id first but commits
last leaves it unchanged; see commitments.changes.) Inside a transaction that has itself written,
its own uncommitted rows are in no snapshot, so there is no version and nothing is cached.

On SQLite (the quick start) writers are serialised and change-log ids follow commit order, so the
newest change-log id is the version.

The price of exactness: any committed write anywhere (a session, a token's last use) makes a new
version, so a busy site recomputes more often. What is cached must therefore also be fast enough
to compute; the cache takes repeated reads off the database, it does not hide a slow query.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

# One expression, so callers can fold it into a query they make anyway.
POSTGRES_VERSION_SQL = "CASE WHEN pg_current_xact_id_if_assigned() IS NULL THEN pg_current_snapshot()::text END"


def data_version() -> str | None:
    """The current version of the data (see the module docstring), or None: do not cache."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {POSTGRES_VERSION_SQL}")
            row = cursor.fetchone()
        return row[0] if row else None
    if connection.in_atomic_block:
        return None
    from .models import Change

    newest = Change.objects.order_by("-id").values_list("id", flat=True).first()
    return str(newest or 0)


# The change log's head and the validators built on it, in one statement. The validator is exact:
# - no transaction with an id is running (xmin = xmax): every change-log row with an id up to the
#   newest is final, so the newest id alone says which rows are visible ("h<id>"). A write outside
#   the change log (a token's last use, a session) leaves it as it is.
# - a writing transaction is running elsewhere: one of them may hold a lower id and commit later
#   (see commitments.changes), so the snapshot itself is the validator ("s…"), as for the cache.
# - this transaction has written (tests; the API's reads do not write inside a transaction): its
#   own rows are in the head it reads, so the transaction and the head ("w…").
_POSTGRES_HEAD_SQL = f"""
SELECT c.id, c.at, {POSTGRES_VERSION_SQL},
  CASE
    WHEN pg_current_xact_id_if_assigned() IS NOT NULL THEN 'w' || pg_current_xact_id_if_assigned()::text || ':' || coalesce(c.id, 0)
    WHEN pg_snapshot_xmin(pg_current_snapshot()) = pg_snapshot_xmax(pg_current_snapshot()) THEN 'h' || coalesce(c.id, 0)
    ELSE 's' || pg_current_snapshot()::text
  END
FROM (SELECT 1) one LEFT JOIN ({{newest}}) c ON true
"""


def data_head() -> tuple[int | None, dt.datetime | None, str | None, str]:
    """(id, at) of the newest change-log row, the version of the data (:func:`data_version`: what
    a cached figure is keyed by; None inside a transaction that has written) and the validator of
    everything the API serves (what its ETags are built from; see ``_POSTGRES_HEAD_SQL``), read in
    one query (an index-only look-up). Named by ``settings.API_DATA_HEAD`` for ``devotracker.api``."""
    from .models import Change

    newest = Change.objects.order_by("-id").values("id", "at")[:1]
    if connection.vendor == "postgresql":
        sql, params = newest.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(_POSTGRES_HEAD_SQL.format(newest=sql), params)
            change_id, at, version, validator = cursor.fetchone()
        return change_id, at, version, validator
    # SQLite: writers are serialised, so the newest id is exact outside a transaction.
    row = newest.first()
    change_id, at = (row["id"], row["at"]) if row else (None, None)
    if connection.in_atomic_block:
        return change_id, at, None, f"w{change_id or 0}"
    return change_id, at, str(change_id or 0), f"h{change_id or 0}"
