"""The reporting app's collections in ``/api/v1/``, mounted by :mod:`devotracker.api.urls`."""

from __future__ import annotations

from typing import Any

from . import views

# (collection, viewset, route basename)
routes: list[tuple[str, Any, str]] = [
    ("periods", views.PeriodViewSet, "period"),
    # A closed period's frozen rows, under the period (not listed at the API's root).
    (r"periods/(?P<period>[0-9]+)/commitments", views.CommitmentStateViewSet, "period-commitment"),
    (r"periods/(?P<period>[0-9]+)/obligations", views.ObligationStateViewSet, "period-obligation"),
    (r"periods/(?P<period>[0-9]+)/actions", views.ActionStateViewSet, "period-action"),
]
