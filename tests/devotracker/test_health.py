"""GET /health/: public JSON, 200 when the database is reachable."""

from __future__ import annotations

import pytest

from commitments.models import JobRun

pytestmark = pytest.mark.django_db


def test_health_is_public_json(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert "broker" in body and "last_overdue_run" in body
    assert response["Cache-Control"] == "no-store"


def test_health_reports_the_last_successful_overdue_run(client):
    from django.utils import timezone

    JobRun.objects.create(name="flag_overdue", outcome="success", finished_at=timezone.now())
    body = client.get("/health/").json()
    assert body["last_overdue_run"] is not None and body["last_overdue_run_age_seconds"] >= 0


def test_anonymous_pages_redirect_to_sign_in(client):
    response = client.get("/commitments/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
