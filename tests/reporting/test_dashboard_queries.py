"""The dashboard runs a constant number of SQL queries whatever the number of commitments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pilots.models import Pilot
from reporting.dashboards import Dashboard, Scope, build_dashboard

from .conftest import client_for

pytestmark = pytest.mark.django_db

# Every part of the dashboard for all of London (each read when first used): themes, default agreements, commitments grouped by
# theme/board/RAG/status/overdue, boards, commitments grouped by pilot, pilots, obligations grouped
# by party, obligation windows, action windows, overdue obligations, overdue actions, obligations
# due soon, actions due soon, the latest updates' ids and rows, and the trends' tallied days and
# their tallies, and the commitments and the obligations whose two ratings disagree (issue 15),
# and the commitments and the actions waiting on a prerequisite at risk (issue 15, + 2), and, on
# the London dashboard only, the finance and estates figures (issue 16, + 8: the funding lines'
# totals, the receipts, funding by sub-region, pilot, stream and year, receipts by sub-region and
# by status; each one GROUP BY or aggregate, whatever the number of lines or disposals), and the
# day's snapshot counts (+ 1: with none, as here, each kind is counted whole; with one, what changed
# since is read instead, tests/reporting/test_windows.py).
LONDON_QUERIES = 19 + 2 + 8 + 1
# A party's view has every breakdown but no finance section.
PARTY_QUERIES = 19 + 2
# A board's view has no board breakdown (one query fewer); a pilot's no pilot breakdown (two).
BOARD_QUERIES = 18 + 2
PILOT_QUERIES = 17 + 2


def read_all(dashboard: Dashboard) -> None:
    """Use every part a page can show."""
    dashboard.tables()
    assert dashboard.default_agreements is not None and dashboard.boards and dashboard.pilots is not None
    assert dashboard.parties is not None


def test_build_dashboard_runs_the_same_queries_for_10_and_100_commitments(
    grow: Callable[[int], None], django_assert_num_queries: Any
) -> None:
    grow(10)
    with django_assert_num_queries(LONDON_QUERIES):
        small = build_dashboard(Scope())
        read_all(small)
    grow(90)
    with django_assert_num_queries(LONDON_QUERIES):
        large = build_dashboard(Scope())
        read_all(large)

    # The data did grow, so the constant count is not an empty page's.
    assert (small.totals.total, large.totals.total) == (10, 100)
    assert large.overdue_trend[-1].actions == 100
    assert large.summary.rows[10][1].value == 100  # actions overdue: counted in full...
    assert len(large.overdue_items) == 50  # ...listed up to 50


@pytest.mark.parametrize(("kind", "expected"), [("board", BOARD_QUERIES), ("pilot", PILOT_QUERIES), ("party", PARTY_QUERIES)])
def test_scoped_dashboards_run_a_constant_number_of_queries(
    grow: Callable[[int], None], board: Any, django_assert_num_queries: Any, kind: str, expected: int
) -> None:
    grow(10)
    pilot = Pilot.objects.get(slug="grow-pilot")
    from boards.models import Party

    party = Party.objects.get(slug="grow-party-3")
    # A new Scope per build, as each request makes: a scope reads the default agreements once.
    scope = {
        "board": lambda: Scope(kind="board", board=board),
        "pilot": lambda: Scope(kind="pilot", pilot=pilot),
        "party": lambda: Scope(kind="party", party=party),
    }[kind]
    with django_assert_num_queries(expected):
        read_all(build_dashboard(scope()))
    grow(90)
    with django_assert_num_queries(expected):
        read_all(build_dashboard(scope()))


@pytest.mark.parametrize(
    "path", ["/dashboard/", "/dashboard/boards/spb/", "/dashboard/pilots/grow-pilot/", "/dashboard/?format=csv&table=theme"]
)
def test_dashboard_pages_run_the_same_queries_for_10_and_100_commitments(grow: Callable[[int], None], viewer: Any, path: str) -> None:
    client = client_for(viewer)
    grow(10)
    with CaptureQueriesContext(connection) as small:
        assert client.get(path).status_code == 200
    grow(90)
    with CaptureQueriesContext(connection) as large:
        assert client.get(path).status_code == 200

    assert len(large.captured_queries) == len(small.captured_queries)
    # The page adds only the session, the user and the header's roles to the dashboard's own.
    assert len(large.captured_queries) <= LONDON_QUERIES + 4


def test_building_reads_nothing_and_each_page_reads_only_its_own_part(grow: Callable[[int], None], viewer: Any) -> None:
    """A page pays only for the figures it shows: the summary reads the commitments' grouping, the
    obligation and action counts, the boards and the pilots, never the party breakdown, the lists
    or the trends; the trends page reads the tallies."""
    grow(10)
    with CaptureQueriesContext(connection) as built:
        build_dashboard(Scope())
    assert len(built.captured_queries) == 0
    client = client_for(viewer)
    with CaptureQueriesContext(connection) as summary:
        assert client.get("/dashboard/").status_code == 200
    sql = "\n".join(q["sql"] for q in summary.captured_queries)
    assert "reporting_tally" not in sql  # the trends
    assert '"boards_party"."slug"' not in sql  # the party breakdown
    assert "commitments_statusupdate" not in sql and "LIMIT 50" not in sql  # the latest updates, the item lists
    assert "commitments_commitmentpilot" not in sql  # the pilot breakdown
    # its parts (+ the commitments and actions waiting on a prerequisite at risk, issue 15; + the
    # finance section's funding totals and receipts, issue 16; + the day's snapshot counts, issue 13),
    # plus the session, the user and the header's roles
    assert len(summary.captured_queries) <= 6 + 2 + 2 + 1 + 4
    with CaptureQueriesContext(connection) as trends:
        assert client.get("/dashboard/trends/").status_code == 200
    assert "reporting_tally" in "\n".join(q["sql"] for q in trends.captured_queries)


def test_postgresql_has_the_statistics_of_lead_board_and_agreement_together() -> None:
    """Without them the planner assumes a board's commitments spread over the agreements as all
    commitments do, and scans every action to count a board's few (commitments migration 0008)."""
    if connection.vendor != "postgresql":
        pytest.skip("extended statistics are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT stxkind FROM pg_statistic_ext WHERE stxname = 'commitment_board_agreement'")
        row = cursor.fetchone()
    assert row is not None and set(row[0]) >= {"m", "f"}  # mcv and functional dependencies
