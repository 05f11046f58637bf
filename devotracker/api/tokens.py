"""The API token model, as ``settings.API_TOKEN_MODEL`` names it (``app_label.ModelName``)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings


def token_model() -> Any:
    """The token model class: a ``find(key)`` class method, ``user``, ``scope``, ``last_used_at``
    and a ``Scope`` with ``WRITE``. Looked up in the app registry (cached there)."""
    return apps.get_model(settings.API_TOKEN_MODEL, require_ready=True)
