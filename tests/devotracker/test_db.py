"""The bulk loads leave PostgreSQL's planner statistics up to date (devotracker.db)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.models import Action, Commitment, Dependency, Obligation, StatusUpdate
from devotracker.db import refresh_planner_statistics


def planner_rows(model: Any) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        return float(cursor.fetchone()[0])


@pytest.mark.postgresql(reason="planner statistics are PostgreSQL's")
def test_the_mou_and_demo_loads_leave_the_planner_knowing_their_rows(db: Any, settings: Any) -> None:
    """Until the statistics were refreshed, freshly loaded tables could pass for empty (after rows
    rolled back and vacuumed away, the planner takes a table's pages for holding none), and a board
    paper's at-risk list was planned as nested loops over every commitment, obligation and action:
    42 s on the demo data instead of milliseconds."""
    settings.DEMO_PASSWORD = "a-demo-password-1"
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command("load_mou", verbosity=0, **quiet)
    assert planner_rows(Commitment) == Commitment.objects.count() > 0
    assert planner_rows(Dependency) == Dependency.objects.count() > 0
    call_command("load_demo", **quiet)
    for model in (Obligation, Action, StatusUpdate):
        assert planner_rows(model) == model.objects.count() > 0, model.__name__


def test_refreshing_is_one_analyze_on_postgresql_and_nothing_on_sqlite(db: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        refresh_planner_statistics()
    expected = ["ANALYZE"] if connection.vendor == "postgresql" else []
    assert [q["sql"] for q in queries.captured_queries] == expected
