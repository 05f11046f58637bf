"""Cross-cutting HTTP concerns: the content security policy, sign-in for every page, and a clean
503 when the database is unreachable."""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
import re
import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse

logger = logging.getLogger(__name__)

# static/js/init.mjs is an ES module: browsers refuse a module served with a non-JavaScript type,
# and Python only maps .mjs itself from 3.12 (or when the system's mime.types does).
mimetypes.add_type("text/javascript", ".mjs")

Handler = Callable[[HttpRequest], HttpResponse]


# Inline <script> elements without a src attribute (the API docs views may render one).
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)

# The API's human docs (Swagger UI, ReDoc) are third-party pages served from the sidecar package.
API_DOCS_PREFIXES = ("/api/v1/docs/", "/api/v1/redoc/")


def build_csp(nonce: str, *, script_hashes: tuple[str, ...] = (), workers_from_blob: bool = False) -> str:
    """The policy for one response: scripts only from our origin or carrying this response's nonce
    (never 'unsafe-inline'); everything else from our origin. Inline styles stay allowed because
    GOV.UK Frontend and Swagger UI set style attributes.

    ``script_hashes`` (base64 SHA-256 digests) and ``workers_from_blob`` are only used for the API
    docs pages: see :meth:`ContentSecurityPolicyMiddleware._docs_policy`.
    """
    script_src = ["'self'", f"'nonce-{nonce}'", *(f"'sha256-{digest}'" for digest in script_hashes)]
    directives = [
        "default-src 'self'",
        f"script-src {' '.join(script_src)}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    if workers_from_blob:
        directives.append("worker-src 'self' blob:")
    return "; ".join(directives)


class ContentSecurityPolicyMiddleware:
    """Send a strict Content-Security-Policy with a fresh nonce per response.

    Templates put ``nonce="{{ csp_nonce }}"`` on the one inline script GOV.UK Frontend needs (the
    ``js-enabled`` class); all other script is in files under /static/. A view that sets its own
    Content-Security-Policy header keeps it.

    The API docs pages are the only exception, and only on their paths: if the docs view inlines
    its start-up script (drf-spectacular's non-split views do), that exact script is allowed by its
    SHA-256 hash, which the page's own bytes fix, so nothing injected could run; ReDoc builds its
    search worker from a blob: URL, so workers may come from blob: there.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            if request.path.startswith(API_DOCS_PREFIXES):
                response["Content-Security-Policy"] = self._docs_policy(nonce, response)
            else:
                response["Content-Security-Policy"] = build_csp(nonce)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
        return response

    @staticmethod
    def _docs_policy(nonce: str, response: HttpResponse) -> str:
        hashes: tuple[str, ...] = ()
        is_html = response.get("Content-Type", "").startswith("text/html")
        if is_html and not response.streaming:
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            hashes = tuple(
                base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
                for body in _INLINE_SCRIPT.findall(response.content)
                if body.strip()
            )
        return build_csp(nonce, script_hashes=hashes, workers_from_blob=True)


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
        return database_unavailable_response(request, exception)


def database_unavailable_response(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """The 503 for a request that found the database unreachable: the API's JSON error shape under
    /api/ and /health/, the GOV.UK 503 page elsewhere; never a stack trace. Closes broken
    connections so the next request connects afresh (the web process recovers on its own).

    Also used by the 500 handler (``devotracker.views.server_error``): a database failure raised by
    a middleware (the session, the user) never reaches :meth:`process_exception`.
    """
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
        # No request context: the context processors would ask the database (the session,
        # the user, the header's roles) and fail again. The page needs static files only.
        body = render_to_string("503.html", {"service_name": "DevoTracker", "csp_nonce": getattr(request, "csp_nonce", "")})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = "5"
    return response
