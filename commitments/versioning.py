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
