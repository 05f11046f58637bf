"""Database housekeeping shared by the apps' bulk loads."""

from __future__ import annotations

from django.db import connection


def refresh_planner_statistics() -> None:
    """Bring PostgreSQL's planner statistics up to date after a bulk load (``ANALYZE``), as its
    documentation advises: until autovacuum gets to them, the planner may take freshly filled
    tables for empty and choose nested loops whose cost grows with the product of the tables' rows
    (a board paper's at-risk list ran for minutes on the demo data in a new database). Inside a
    transaction it counts that transaction's own rows too. Nothing to do on SQLite, whose planner
    keeps no statistics unless asked to."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
