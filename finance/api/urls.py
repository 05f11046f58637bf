"""The finance app's part of ``/api/v1/`` (issue 16), mounted by :mod:`devotracker.api.urls`."""

from __future__ import annotations

from typing import Any

from . import views

# (collection, viewset, route basename), in the order the API's root lists them.
routes: list[tuple[str, Any, str]] = [
    ("funding-streams", views.FundingStreamViewSet, "fundingstream"),
    ("funding-lines", views.FundingLineViewSet, "fundingline"),
    ("capital-budgets", views.CapitalBudgetViewSet, "capitalbudget"),
    ("disposals", views.DisposalViewSet, "disposal"),
]
