"""Project-level views: the home page's redirect, the public footer pages, the health endpoint and
the error pages."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_safe


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok"
    except Exception as exc:  # any failure means "unreachable" to a health check
        return False, type(exc).__name__


def _broker_ok() -> tuple[bool, str]:
    """Whether the Celery broker answers (a connection, not a worker ping: workers may be busy)."""
    from devotracker.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:  # any failure means "unreachable"
        return False, type(exc).__name__


def health(request: HttpRequest) -> JsonResponse:
    """``GET /health/``: 200 when the database is reachable, 503 when not (DESIGN.md §10).

    The broker's reachability and the age of the last successful overdue pass are reported too;
    they do not change the status code, because pages and writes keep working without them.
    """
    started = time.monotonic()
    db_ok, db_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    body: dict[str, Any] = {
        "status": "ok" if db_ok else "unavailable",
        "database": db_detail,
        "broker": broker_detail,
        "time": timezone.now().isoformat().replace("+00:00", "Z"),
    }
    if db_ok:
        from commitments.models import JobRun

        last = JobRun.objects.filter(name="flag_overdue", outcome=JobRun.Outcome.SUCCESS).order_by("-finished_at").first()
        body["last_overdue_run"] = last.finished_at.isoformat().replace("+00:00", "Z") if last and last.finished_at else None
        body["last_overdue_run_age_seconds"] = (
            int((timezone.now() - last.finished_at).total_seconds()) if last and last.finished_at else None
        )
    body["broker_ok"] = broker_ok
    body["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    response = JsonResponse(body, status=200 if db_ok else 503)
    response["Cache-Control"] = "no-store"
    return response


def _first_url(*names: str) -> str | None:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """``/``: send each signed-in user to where their work is.

    Officers and secretariat members go to My work (what their parties owe, what their boards
    lead); viewers (the ``viewers`` group), staff and anyone else signed in go to the dashboard.
    Anonymous visitors never get here (LoginRequiredMiddleware sends them to sign in). While a
    destination page does not exist, a plain page of links is shown instead of an error.
    """
    from boards.accounts import roles_of

    roles = roles_of(request.user)
    if roles.has_work:
        target = _first_url("commitments:my-work", "dashboard:index", "commitments:list")
    else:
        target = _first_url("dashboard:index", "commitments:list")
    if target:
        return HttpResponseRedirect(target)
    return TemplateResponse(request, "pages/home.html", {"roles": roles})


def _page_facts() -> dict[str, Any]:
    """Facts the footer pages state, read from settings so the pages cannot drift from them."""
    from django.contrib.messages.storage.cookie import CookieStorage

    return {
        "contact_email": getattr(settings, "SERVICE_CONTACT_EMAIL", ""),
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "messages_cookie": CookieStorage.cookie_name,
        "session_hours": max(1, round(settings.SESSION_COOKIE_AGE / 3600)),
        "csrf_days": max(1, round(settings.CSRF_COOKIE_AGE / 86400)),
    }


@require_safe
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    """``/accessibility/``: the accessibility statement (public; PSBAR 2018 model form)."""
    return TemplateResponse(request, "pages/accessibility.html", _page_facts())


@require_safe
def privacy_notice(request: HttpRequest) -> HttpResponse:
    """``/privacy/``: the privacy notice (public; UK GDPR articles 13 and 14)."""
    return TemplateResponse(request, "pages/privacy.html", _page_facts())


@require_safe
def cookies(request: HttpRequest) -> HttpResponse:
    """``/cookies/``: the cookies the service sets (essential only, so there is no banner)."""
    return TemplateResponse(request, "pages/cookies.html", _page_facts())


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


# Paths whose errors are answered in the API's JSON error shape rather than as GOV.UK pages.
JSON_ERROR_PREFIXES = ("/api/", "/health/")


def server_error(request: HttpRequest) -> HttpResponse:
    """500 page. Rendered without context processors or the user: whatever failed (the database,
    a template, the session) must not fail again here, so the page needs only static files. Under
    /api/ and /health/ the answer is the API's JSON error shape instead, with code ``server_error``.

    An unreachable database is not a bug but an outage: it answers 503 (see
    :func:`devotracker.middleware.database_unavailable_response`). Django calls this handler
    while the exception is being handled, so ``sys.exc_info()`` names it; this is the only place
    that sees a failure raised by a middleware (loading the session or the user) rather than a view.
    """
    import sys

    from django.db import InterfaceError, OperationalError
    from django.template import loader

    failure = sys.exc_info()[1]
    if isinstance(failure, (OperationalError, InterfaceError)):
        from .middleware import database_unavailable_response

        return database_unavailable_response(request, failure)

    if request.path.startswith(JSON_ERROR_PREFIXES):
        # Partner systems parse every API answer as JSON: a bug is still the API's error shape
        # (docs/api.md §7), never the HTML page. The exception is logged by Django, not shown.
        return JsonResponse(
            {"detail": "Sorry, there is a problem with the service. Try again later.", "code": "server_error", "errors": {}},
            status=500,
        )

    try:
        template = loader.get_template("500.html")
        body = template.render({"service_name": "DevoTracker", "csp_nonce": getattr(request, "csp_nonce", "")})
    except Exception:  # the error page of last resort must not raise
        body = '<!DOCTYPE html><html lang="en-GB"><title>Sorry, there is a problem with the service</title><h1>Sorry, there is a problem with the service</h1><p>Try again later.</p></html>'
    return HttpResponse(body, status=500)


__all__ = ["accessibility_statement", "cookies", "forbidden", "health", "home", "not_found", "privacy_notice", "server_error"]
