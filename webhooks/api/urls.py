"""The webhooks app's collection in ``/api/v1/``, mounted by :mod:`devotracker.api.urls`."""

from __future__ import annotations

from typing import Any

from . import views

routes: list[tuple[str, Any, str]] = [
    ("webhooks", views.WebhookViewSet, "webhook"),
]
