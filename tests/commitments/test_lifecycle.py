"""The one overdue rule (commitments.lifecycle, DESIGN.md §10): due before today in Europe/London
and still open; ``complete`` and ``not_pursued`` close an item; due today is not overdue. Every form
of the rule (Python, queryset, annotation, model method, the pass's SQL) gives the same answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection

from commitments import lifecycle
from commitments.lifecycle import CLOSED_STATUSES, OPEN_STATUSES, Status, is_overdue, overdue_q, overdue_sql
from commitments.models import Action, Commitment, Obligation
from commitments.templatetags.tracker import commitment_overdue, days_overdue

from ..factories import ActionFactory, CommitmentFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 5, 10)
DAY = dt.timedelta(days=1)


def test_complete_and_not_pursued_close_an_item_and_the_rest_are_open() -> None:
    assert Status.closed() == CLOSED_STATUSES == ("complete", "not_pursued")
    assert Status.open() == OPEN_STATUSES == ("not_started", "in_progress")
    assert set(CLOSED_STATUSES) | set(OPEN_STATUSES) == set(Status.values)


# The rule as a table: (days due before today, status) -> overdue.
CASES = [
    (due_offset, status, due_offset < 0 and status in ("not_started", "in_progress"))
    for due_offset in (-1, 0, 1)  # due yesterday, today, tomorrow
    for status in Status.values
]


def _action(due: dt.date, status: str) -> Action:
    extra = {"completed_date": due, "progress": 100} if status == Status.COMPLETE else {}
    return ActionFactory(due_date=due, original_due_date=due, status=status, **extra)


@pytest.mark.parametrize(("due_offset", "status", "expected"), CASES, ids=[f"{o:+d}-{s}" for o, s, _ in CASES])
def test_every_form_of_the_rule_agrees_for_each_status_and_day(due_offset: int, status: str, expected: bool) -> None:
    due = TODAY + due_offset * DAY
    action = _action(due, status)

    assert is_overdue(due, status, TODAY) is expected
    assert action.is_overdue_on(TODAY) is expected
    assert Action.objects.filter(overdue_q(TODAY), pk=action.pk).exists() is expected
    assert Action.objects.with_overdue(TODAY).get(pk=action.pk).is_overdue is expected
    assert (action.pk in set(Action.objects.overdue(TODAY).values_list("pk", flat=True))) is expected
    assert (action.pk in set(Action.objects.not_overdue(TODAY).values_list("pk", flat=True))) is not expected
    assert (action.pk in set(Action.objects.open().values_list("pk", flat=True))) is (status in OPEN_STATUSES)
    # The pass's raw SQL fragment, run as the pass runs it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {Action._meta.db_table} t WHERE t.id = %(pk)s AND {overdue_sql('t')}",
            {"pk": action.pk, "today": connection.ops.adapt_datefield_value(TODAY)},
        )
        assert cursor.fetchone()[0] == int(expected)
    assert lifecycle.days_overdue(due, status, TODAY) == (1 if expected else 0)


def test_no_due_date_is_never_overdue() -> None:
    assert not is_overdue(None, Status.IN_PROGRESS, TODAY)
    assert lifecycle.days_overdue(None, Status.IN_PROGRESS, TODAY) == 0


@pytest.mark.parametrize(
    ("due", "before_midnight_utc", "after_midnight_utc"),
    [
        # GMT: London midnight is 00:00 UTC.
        (dt.date(2026, 1, 14), "2026-01-14T23:59:59+00:00", "2026-01-15T00:00:00+00:00"),
        # BST: London midnight is 23:00 UTC the evening before.
        (dt.date(2026, 7, 1), "2026-07-01T22:59:59+00:00", "2026-07-01T23:00:00+00:00"),
    ],
    ids=["gmt", "bst"],
)
def test_the_day_turns_at_london_midnight_and_a_not_pursued_item_stays_closed(
    due: dt.date, before_midnight_utc: str, after_midnight_utc: str
) -> None:
    open_item = _action(due, Status.IN_PROGRESS)
    dropped = _action(due, Status.NOT_PURSUED)
    with time_machine.travel(dt.datetime.fromisoformat(before_midnight_utc), tick=False):
        assert not open_item.is_overdue_on()  # still its due day in London
        assert not Action.objects.overdue().exists()
    with time_machine.travel(dt.datetime.fromisoformat(after_midnight_utc), tick=False):
        assert open_item.is_overdue_on()
        assert not dropped.is_overdue_on()
        assert list(Action.objects.overdue().values_list("pk", flat=True)) == [open_item.pk]
        assert days_overdue(due, Status.IN_PROGRESS) == 1
        assert days_overdue(due, Status.NOT_PURSUED) == 0


def test_a_commitment_is_judged_by_its_target_date_and_shown_status() -> None:
    past = dt.date(2025, 12, 31)
    late = CommitmentFactory(target_date=past, rollup_status=Status.IN_PROGRESS)
    dropped = CommitmentFactory(target_date=past, rollup_status=Status.NOT_PURSUED)
    assessed_dropped = CommitmentFactory(target_date=past, rollup_status=Status.IN_PROGRESS)
    Commitment.objects.filter(pk=assessed_dropped.pk).update(status=Status.NOT_PURSUED, assessed_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    assessed_dropped.refresh_from_db()

    assert set(Commitment.objects.overdue(on=TODAY).values_list("pk", flat=True)) == {late.pk}
    assert [c.is_overdue_on(TODAY) for c in (late, dropped, assessed_dropped)] == [True, False, False]
    with time_machine.travel(dt.datetime(2026, 5, 10, 12, tzinfo=dt.UTC), tick=False):
        assert [commitment_overdue(c) for c in (late, dropped, assessed_dropped)] == [True, False, False]


def test_an_annotated_item_keeps_the_model_method() -> None:
    """Querysets annotate ``is_overdue``; the method has another name so both can be read."""
    action = _action(TODAY - DAY, Status.IN_PROGRESS)
    annotated = Action.objects.with_overdue(TODAY).get(pk=action.pk)
    assert annotated.is_overdue is True
    assert annotated.is_overdue_on(TODAY) is True
    assert annotated.is_closed is False
    assert _action(TODAY - DAY, Status.NOT_PURSUED).is_closed is True


# --- the partial indexes follow the rule --------------------------------------------------------


def _plan(sql: str, params: Any, table: str = "", index: str = "") -> str:
    with connection.cursor() as cursor:
        # With sequential scans priced out, the planner takes a partial index whenever it can prove
        # the query's predicate implies the index's condition, and only then.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SAVEPOINT plan_only")
        if index:
            # On near-empty test tables every index costs the same and the planner's pick among
            # equals is arbitrary: leave it only the index under test (DDL rolls back below).
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname <> %s AND indexdef NOT LIKE %s",
                [table, index, "%UNIQUE%"],
            )
            for (other,) in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{other}"')
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("ROLLBACK TO SAVEPOINT plan_only")
        return plan


def _uses(index: str, model: Any, sql: str, params: Any) -> bool:
    plan = _plan(sql, params, model._meta.db_table, index)
    # "Index Scan using x", "Index Only Scan using x" or "Bitmap Index Scan on x".
    return f" using {index} " in plan or plan.endswith(f" using {index}") or f"Bitmap Index Scan on {index}" in plan


@pytest.mark.postgresql(reason="partial index use is a PostgreSQL plan")
@pytest.mark.parametrize("model", [Action, Obligation], ids=["action", "obligation"])
def test_the_overdue_pass_s_queries_use_the_partial_indexes_on_open_items(model: type[Action] | type[Obligation]) -> None:
    prefix = model._meta.model_name
    # (a) flagging: the pass's UPDATE filters unflagged items by the rule.
    flag_sql, flag_params = (
        model.objects.filter(overdue_since__isnull=True).filter(overdue_q(TODAY)).order_by().values("pk").query.sql_with_params()
    )
    assert _uses(f"{prefix}_unflagged_due", model, flag_sql, flag_params)
    # ... and not one whose condition the query does not imply (the check can fail).
    assert not _uses(f"{prefix}_flagged_closed", model, flag_sql, flag_params)
    # The "overdue" filters of pages and the API.
    open_sql, open_params = model.objects.filter(overdue_q(TODAY)).order_by().values("pk").query.sql_with_params()
    assert _uses(f"{prefix}_open_due", model, open_sql, open_params)
    # The raw SQL fragment matches the same indexes.
    raw = f"SELECT t.id FROM {model._meta.db_table} t WHERE t.overdue_since IS NULL AND {overdue_sql('t')}"
    assert _uses(f"{prefix}_unflagged_due", model, raw, {"today": TODAY})
    # Clearing: flagged items that are closed.
    closed_sql, closed_params = (
        model.objects.filter(overdue_since__isnull=False).filter(lifecycle.closed_q()).order_by().values("pk").query.sql_with_params()
    )
    assert _uses(f"{prefix}_flagged_closed", model, closed_sql, closed_params), _plan(
        closed_sql, closed_params, model._meta.db_table, f"{prefix}_flagged_closed"
    )
