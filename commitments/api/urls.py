"""The commitments app's part of ``/api/v1/``: its collections (mounted by the router in
:mod:`devotracker.api.urls`) and the sync feed's addresses."""

from __future__ import annotations

from typing import Any

from . import pending, views
from .dependencies import DependencyViewSet

# (collection, viewset, route basename), in the order the API's root lists them.
routes: list[tuple[str, Any, str]] = [
    ("agreements", views.AgreementViewSet, "agreement"),
    ("themes", views.ThemeViewSet, "theme"),
    ("commitments", views.CommitmentViewSet, "commitment"),
    ("obligations", views.ObligationViewSet, "obligation"),
    ("actions", views.ActionViewSet, "action"),
    ("status-updates", views.StatusUpdateViewSet, "statusupdate"),
    ("dependencies", DependencyViewSet, "dependency"),
    ("pending-updates", pending.PendingUpdateViewSet, "pendingupdate"),
    ("meetings", views.MeetingViewSet, "meeting"),
    ("reports", views.ReportViewSet, "report"),
]
