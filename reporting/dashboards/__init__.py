"""The Leaders' Committee dashboards (issue 6): one function reads every figure for a scope.

Split by what each part does: :mod:`.figures` (the value objects a page, chart, CSV file and paper
show), :mod:`.queries` (:func:`build_dashboard` and the queries behind it), :mod:`.trends` (the trends, read
from day-by-day tallies, and their reconstruction from the history) and :mod:`.tables` (the figures
laid out as linked tables). Callers import from the package.
"""

from .figures import (
    DUE_WINDOWS,
    RAG_KEYS,
    RAG_LABELS,
    Breakdown,
    Cell,
    Column,
    OverdueItem,
    RagSeries,
    Scope,
    Table,
    commitment_url,
    list_url,
)
from .queries import Dashboard, build_dashboard, due_item_list, overdue_item_list
from .tables import describe_update, update_target_label
from .trends import backfill_tallies, end_of_day, month_points, trend_days, week_points

__all__ = [
    "DUE_WINDOWS",
    "RAG_KEYS",
    "RAG_LABELS",
    "Breakdown",
    "Cell",
    "Column",
    "Dashboard",
    "OverdueItem",
    "RagSeries",
    "Scope",
    "Table",
    "backfill_tallies",
    "build_dashboard",
    "commitment_url",
    "describe_update",
    "due_item_list",
    "end_of_day",
    "list_url",
    "month_points",
    "overdue_item_list",
    "trend_days",
    "update_target_label",
    "week_points",
]
