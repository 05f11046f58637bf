"""Cross-cutting HTTP concerns: the content security policy, sign-in for every page, and a clean
503 when the database is unreachable."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import OperationalError, InterfaceError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

logger = logging.getLogger(__name__)

Handler = Callable[[HttpRequest], HttpResponse]


class ContentSecurityPolicyMiddleware:
    """Send a strict Content-Security-Policy: no inline script except with this response's nonce.

    Templates put ``nonce="{{ csp_nonce }}"`` on the one inline script GOV.UK Frontend needs (the
    ``js-enabled`` class). The API docs page (Swagger UI from the sidecar) needs inline styles only.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = (
                "default-src 'self'; "
                f"script-src 'self' 'nonce-{nonce}'; "
                "style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:; "
                "font-src 'self' data:; "
                "connect-src 'self'; "
                "object-src 'none'; "
                "base-uri 'self'; "
                "form-action 'self'; "
                "frame-ancestors 'none'"
            )
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


# Paths an anonymous visitor may reach (DESIGN.md §10): the sign-in pages, the health endpoint,
# the API docs and schema, static files and the footer pages the law requires to be public.
PUBLIC_PREFIXES = (
    "/accounts/login/",
    "/accounts/password_reset",
    "/health/",
    "/static/",
    "/api/",  # the API answers 401 itself (DRF), and its docs and schema are public
    "/accessibility/",
    "/privacy/",
    "/cookies/",
    "/favicon.ico",
)


class LoginRequiredMiddleware:
    """Send anonymous visitors of any page but the public ones to the sign-in page."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            login_url = reverse(settings.LOGIN_URL)
            return redirect(f"{login_url}?next={request.get_full_path()}")
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """Answer 503 (HTML for pages, the API's JSON error shape for the API) when the database cannot
    be reached, instead of a stack trace; the next request tries a fresh connection."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning("database unavailable", extra={"fields": {"path": request.path, "error": type(exception).__name__}})
        from django.db import connections

        for conn in connections.all():
            conn.close_if_unusable_or_obsolete()
        if request.path.startswith("/api/") or request.path.startswith("/health/"):
            response: HttpResponse = JsonResponse(
                {"detail": "The service is temporarily unavailable. Try again shortly.", "code": "service_unavailable", "errors": {}},
                status=503,
            )
        else:
            response = render(request, "503.html", status=503)
        response["Retry-After"] = "5"
        return response
