"""The Leaders' Committee dashboards (issue 6): one function reads every figure for a scope.

Split by what each part does: :mod:`.figures` (the value objects a page, chart, CSV file and paper
show), :mod:`.queries` (:func:`build_dashboard` and the queries and trend replays behind it) and
:mod:`.tables` (the figures laid out as linked tables). Callers import from the package.
"""

from .figures import (
    DUE_WINDOWS,
    RAG_KEYS,
    RAG_LABELS,
    Breakdown,
    Cell,
    Column,
    Dashboard,
    OverdueItem,
    RagSeries,
    Scope,
    Table,
    commitment_url,
    list_url,
)
from .queries import (
    build_dashboard,
    due_item_list,
    end_of_day,
    month_points,
    obligation_rag_trend,
    overdue_item_list,
    overdue_trend_points,
    week_points,
)
from .tables import describe_update, update_target_label

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
    "build_dashboard",
    "commitment_url",
    "describe_update",
    "due_item_list",
    "end_of_day",
    "list_url",
    "month_points",
    "obligation_rag_trend",
    "overdue_item_list",
    "overdue_trend_points",
    "update_target_label",
    "week_points",
]
