"""The reporting app's collections in ``/api/v1/``, mounted by :mod:`devotracker.api.urls`."""

from __future__ import annotations

from typing import Any

from . import views

# (collection, viewset, route basename)
routes: list[tuple[str, Any, str]] = [
    ("periods", views.PeriodViewSet, "period"),
]
