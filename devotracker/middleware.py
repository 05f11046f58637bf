"""Cross-cutting HTTP concerns: the policy headers django-csp does not send, sign-in for every
page, and a clean 503 when the database is unreachable."""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
import re
from collections.abc import Callable

from csp.constants import SELF
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

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def docs_script_hashes(response: HttpResponse) -> tuple[str, ...]:
    """The base64 SHA-256 digests of the inline scripts of an HTML page (rendering it if needed)."""
    if not response.get("Content-Type", "").startswith("text/html") or response.streaming:
        return ()
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    return tuple(
        base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") for body in _INLINE_SCRIPT.findall(response.content) if body.strip()
    )


class PolicyHeadersMiddleware:
    """Send Permissions-Policy, and widen the content security policy on the API docs pages only.

    The policy itself, with a fresh nonce per response, is django-csp's
    (``csp.middleware.CSPMiddleware``, configured by ``CONTENT_SECURITY_POLICY`` in settings;
    docs/decisions/0010-django-csp.md). This middleware sits inside it, so what it puts on the
    response reaches django-csp before the header is written.

    The API docs pages are the only exception, and only on their paths: if the docs view inlines
    its start-up script (drf-spectacular's non-split views do), that exact script is allowed by its
    SHA-256 hash, which the page's own bytes fix, so nothing injected could run; ReDoc builds its
    search worker from a blob: URL, so workers may come from blob: there.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(API_DOCS_PREFIXES):
            hashes = docs_script_hashes(response)
            # django-csp appends these to the settings' directives for this response only.
            response._csp_update = {  # type: ignore[attr-defined]
                "script-src": [f"'sha256-{digest}'" for digest in hashes],
                "worker-src": [SELF, "blob:"],
            }
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
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
    "/open-data/",  # published under the Open Government Licence, for anyone (issue 14)
    "/public/",  # the public progress view (issue 15; off unless PUBLIC_VIEW, then 404)
    "/favicon.ico",
)


class LoginRequiredMiddleware:
    """Send anonymous visitors of any page but the public ones to the sign-in page."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The path first: a public page never loads the session or the user (it is the same for
        # everyone, so it can be cached, and costs no query for either).
        if not request.path.startswith(PUBLIC_PREFIXES) and not request.user.is_authenticated:
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
    logger.warning(
        "database unavailable",
        extra={"fields": {"path": request.path, "error": type(exception).__name__, "message": str(exception)[:300]}},
    )
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
