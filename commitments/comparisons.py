"""``?compare_to=<period>`` on the API's commitments and obligations lists: each item's state in a
closed reporting period's frozen snapshot, beside today's (issue 13).

Reporting periods and snapshots belong to the reporting app, which sits above this one
(decision 0017), so this module names no period itself: the reporting app registers the function
that annotates the previous state when it loads (``reporting.apps``), the way it registers its
models with the change log. Without a comparison the same names are annotated as nulls, so a
representation always has the same fields (``previous`` is null).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django.db import models
from django.db.models import QuerySet, Value

Kind = Literal["commitments", "obligations"]

# The previous state's annotations (``previous_<name>``) and their types.
PREVIOUS: dict[str, models.Field[Any, Any]] = {
    "status": models.CharField(),
    "rag": models.CharField(),
    "progress": models.IntegerField(),
    "due_date": models.DateField(),
    "overdue": models.BooleanField(),
}

# (queryset, period id, kind) -> the queryset annotated with ``previous_*``; raises LookupError
# with a message for a period that does not exist or is not closed.
Provider = Callable[[QuerySet[Any], int, Kind], QuerySet[Any]]
_provider: list[Provider] = []


def register(provider: Provider) -> None:
    """Name the function that reads a period's frozen state (the reporting app calls this)."""
    _provider[:] = [provider]


def with_previous(queryset: QuerySet[Any], period: int | None, kind: Kind) -> QuerySet[Any]:
    """``queryset`` with ``previous_*`` annotated: the item's state in closed period ``period``, or
    nulls when no period is named. Raises LookupError (with a message) for an unknown or open period."""
    if period is None:
        return queryset.annotate(**{f"previous_{name}": Value(None, output_field=field) for name, field in PREVIOUS.items()})
    if not _provider:
        raise LookupError("Comparisons with reporting periods are not available.")
    return _provider[0](queryset, period, kind)
