"""Project-level views: the health endpoint and the error pages."""

from __future__ import annotations

import time
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "unreachable" to a health check
        return False, type(exc).__name__


def _broker_ok() -> tuple[bool, str]:
    """Whether the Celery broker answers (a connection, not a worker ping: workers may be busy)."""
    from devotracker.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:  # noqa: BLE001
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


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


__all__ = ["forbidden", "health", "not_found", "server_error"]
