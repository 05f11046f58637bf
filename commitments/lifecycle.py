"""The lifecycle of a trackable item: its status vocabulary and the one overdue rule (DESIGN.md §10).

An item is *closed* when its status is ``complete`` or ``not_pursued`` (``not_pursued`` needs a
reason, like any change of status); otherwise it is *open*. An item is *overdue* when its due date
is before today in Europe/London and it is open. An item due today is not overdue; an item with no
due date never is. "Overdue" is never stored: the daily pass (:mod:`commitments.overdue`) only
records ``overdue_since`` and the escalation steps it takes.

This module is the rule's only home, in each form a caller needs: :func:`is_overdue` for Python
values (template tags, replays of history), :func:`overdue_q` / :func:`overdue_case` for querysets
and aggregates, :func:`overdue_sql` for the raw SQL of the overdue pass, and :func:`open_q` for the
partial indexes whose condition is "open". Every other module takes the rule from here.

It imports nothing from the app, so models, querysets and everything above them can import it
without a cycle.
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db import models
from django.db.models import BooleanField, Case, Q, Value, When
from django.utils import timezone


class Status(models.TextChoices):
    """Lifecycle status (DESIGN.md §10). Values are a contract with partners."""

    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETE = "complete", "Complete"
    NOT_PURSUED = "not_pursued", "Not pursued"

    @classmethod
    def closed(cls) -> tuple[str, ...]:
        """The statuses that close an item: it can no longer be overdue."""
        return CLOSED_STATUSES

    @classmethod
    def open(cls) -> tuple[str, ...]:
        """The statuses of an item still being worked on."""
        return OPEN_STATUSES


CLOSED_STATUSES: tuple[str, ...] = (Status.COMPLETE.value, Status.NOT_PURSUED.value)
OPEN_STATUSES: tuple[str, ...] = tuple(s for s in Status.values if s not in CLOSED_STATUSES)


def london_today() -> dt.date:
    """Today in Europe/London (the project's TIME_ZONE): the calendar every overdue rule uses."""
    return timezone.localdate()


def is_closed(status: str) -> bool:
    return status in CLOSED_STATUSES


def is_overdue(due: dt.date | None, status: str, on: dt.date | None = None) -> bool:
    """Whether an item due on ``due`` with ``status`` is overdue on the London day ``on`` (today)."""
    return due is not None and due < (on or london_today()) and not is_closed(status)


def days_overdue(due: dt.date | None, status: str, on: dt.date | None = None) -> int:
    """Whole days an item is past its due date on ``on`` (today); 0 when it is not overdue."""
    today = on or london_today()
    return (today - due).days if due is not None and is_overdue(due, status, today) else 0


# How the conditions are spelt matters. They are the conditions of the partial indexes on open
# (and flagged-but-closed) items as well as of the queries that should use those indexes, and
# PostgreSQL uses a partial index only when it can prove the query's predicate implies the index's:
# identical clauses prove it trivially. One comparison per status (``status <> 'complete' AND
# status <> 'not_pursued'``) rather than ``NOT IN``: PostgreSQL prints such a condition back in the
# same form, so an index rebuilt from its printed definition (bench.loadgen does) is the same.


def open_q(*, status_field: str = "status") -> Q:
    """The "open" condition: the status is none of the closed ones."""
    return reduce(and_, (~Q(**{status_field: status}) for status in CLOSED_STATUSES))


def closed_q(*, status_field: str = "status") -> Q:
    """The "closed" condition: complete or not pursued."""
    return reduce(or_, (Q(**{status_field: status}) for status in CLOSED_STATUSES))


def overdue_q(on: dt.date | None = None, *, date_field: str = "due_date", status_field: str = "status") -> Q:
    """The overdue condition for rows with a due date and a status (commitments pass
    ``date_field="target_date"`` and their shown status)."""
    return Q(**{f"{date_field}__lt": on or london_today()}) & open_q(status_field=status_field)


def not_overdue_arms(on: dt.date | None = None) -> list[Q]:
    """The negation of :func:`overdue_q` as separate arms (closed; due today or later; no due
    date), whose union is every item that is not overdue on ``on``. Each arm is one a partial
    index on flagged items can answer, which one ``NOT (overdue)`` condition is not: the overdue
    pass clears flagged items arm by arm and so never reads every flagged row (issue 12)."""
    return [closed_q(), Q(due_date__gte=on or london_today()), Q(due_date__isnull=True)]


def overdue_case(on: dt.date | None = None, **kwargs: Any) -> Case:
    """``overdue_q`` as a boolean annotation (``is_overdue``)."""
    return Case(When(overdue_q(on, **kwargs), then=Value(True)), default=Value(False), output_field=BooleanField())


def _sql_literal(value: str) -> str:
    # The values are the fixed identifiers above, never input; the check keeps it that way.
    if not value.replace("_", "").isalpha():
        raise ValueError(f"not a status value: {value!r}")
    return f"'{value}'"


def open_sql(alias: str = "t") -> str:
    """The "open" condition as SQL on table (or alias) ``alias``, spelt clause for clause as
    :func:`open_q` (and so as the partial indexes' conditions)."""
    return " AND ".join(f"{alias}.status <> {_sql_literal(status)}" for status in CLOSED_STATUSES)


def overdue_sql(alias: str = "t", *, today: str = "%(today)s") -> str:
    """The overdue condition as SQL on table alias ``alias``; ``today`` is the placeholder (or
    expression) for the London day the rule is applied on."""
    return f"{alias}.due_date < {today} AND {open_sql(alias)}"
