"""Values every page template needs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def service(request: HttpRequest) -> dict[str, Any]:
    return {
        "service_name": "DevoTracker",
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
