"""The pilots app's collections in ``/api/v1/``, mounted by :mod:`devotracker.api.urls`."""

from __future__ import annotations

from typing import Any

from . import views

# (collection, viewset, route basename)
routes: list[tuple[str, Any, str]] = [
    ("parties", views.PartyViewSet, "party"),
    ("pilots", views.PilotViewSet, "pilot"),
    ("boroughs", views.BoroughViewSet, "borough"),
]
