"""Faults, the quick and deterministic versions (the long ones, under load, are scripts/drill.sh):

- **PostgreSQL unreachable**: every page answers the GOV.UK 503 page and every API call the API's
  503 error shape, with no stack trace and nothing saved; when the database is back the same
  process serves again (nothing restarted). Simulated by pointing the connection at a closed port.
- **Redis unreachable as the cache**: a miss, not an error (django-redis with ``DJANGO_REDIS_IGNORE_EXCEPTIONS``): dashboards,
  lists, rate limits and writes go on.
- **Redis stopped during use**, with a real ``redis-server`` and a real Celery worker: pages and
  writes keep working, the overdue pass's notices wait in the transactional outbox, a report build
  is refused with a message (not a 500); when Redis is back the worker delivers every notice exactly
  once (counted in the file-based e-mail backend), and a second delivery sends nothing again.
- **A worker killed mid-task**: tests/jobs/test_worker.py (SIGKILL before the commit and after it,
  before the acknowledgement); it runs in this suite too.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from commitments.models import Obligation, OutboxMessage, Report, StatusUpdate

from ..conftest import token_client
from ..factories import MeetingFactory
from ..jobs import conftest as jobs_fixtures
from ..jobs import test_worker as worker_drills
from ..jobs.conftest import TODAY, overdue_action
from ..jobs.test_worker import sent_emails, wait_for

# The jobs tests' fixtures, requested by name below: a user who owns overdue actions, and real
# Celery workers on the test database (whose ``redis_url`` this module overrides).
owner = jobs_fixtures.owner
start_worker = worker_drills.start_worker

LEAKS = (b"Traceback", b"OperationalError", b"psycopg2", b"connection to server", b'File "')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_clean_503(response: Any, *, api: bool) -> None:
    """A 503 that says "try again" and nothing about the machinery behind it."""
    body = response.content
    assert response.status_code == 503, (response.status_code, body[:200])
    assert response["Retry-After"] == "5"
    assert not any(leak in body for leak in LEAKS), body[:500]
    if api:
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "service_unavailable" and set(response.json()) >= {"detail", "code", "errors"}
    else:
        assert response["Content-Type"].startswith("text/html")
        assert b"Sorry, the service is unavailable" in body


@contextmanager
def database_unreachable() -> Iterator[None]:
    """Point this thread's database connection at a port nobody listens on, then put it back."""
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


# --- PostgreSQL -----------------------------------------------------------------------------------


@pytest.mark.postgresql(
    reason="a database server that goes away is simulated by pointing the connection at a closed port; an SQLite file has no server to lose"
)
@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_is_a_clean_503_and_the_same_process_recovers(obligation: Any, officer: Any, write_token: str) -> None:
    browser = Client(raise_request_exception=False)
    browser.force_login(officer)
    partner = token_client(write_token)
    partner.raise_request_exception = False
    anonymous = Client(raise_request_exception=False)
    update_url = f"/obligations/{obligation.pk}/update/"
    form = {"version": obligation.version, "status": "in_progress", "progress": 30, "reason": "Started", "note": "Sent during the outage"}

    with database_unreachable():
        for path in ("/my-work/", "/commitments/", "/dashboard/", update_url):
            assert_clean_503(browser.get(path), api=False)
        assert_clean_503(browser.post(update_url, form), api=False)
        assert_clean_503(anonymous.post("/accounts/login/", {"username": "alice", "password": "x"}), api=False)
        assert_clean_503(partner.get("/api/v1/commitments/"), api=True)
        assert_clean_503(
            partner.post(f"/api/v1/obligations/{obligation.pk}/updates/", {"note": "x", "version": obligation.version}, format="json"),
            api=True,
        )
        health = anonymous.get("/health/")
        assert health.status_code == 503 and health.json()["status"] == "unavailable"

    # The database is back: the same clients, the same process, no restart.
    assert browser.get("/my-work/").status_code == 200
    assert partner.get("/api/v1/commitments/").status_code == 200
    assert anonymous.get("/health/").status_code == 200
    assert StatusUpdate.objects.filter(obligation=obligation).count() == 0  # nothing from the outage was saved
    assert browser.post(update_url, form).status_code == 302  # and the write the outage refused now lands
    assert Obligation.objects.get(pk=obligation.pk).version == obligation.version + 1


# --- Redis as the cache ---------------------------------------------------------------------------


def unreachable_cache() -> dict[str, Any]:
    """The production cache setting (CACHE_URL=redis://…) pointed at a port nobody listens on."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }


@pytest.mark.django_db
def test_with_the_cache_unreachable_pages_and_the_api_still_read_and_write(
    settings: Any, obligation: Any, officer: Any, write_token: str
) -> None:
    settings.CACHES = unreachable_cache()
    browser = Client()
    browser.force_login(officer)
    for path in ("/dashboard/", "/dashboard/parties/party-a/", "/my-work/", "/commitments/"):
        assert browser.get(path).status_code == 200, path  # the dashboards cache their figures
    partner = token_client(write_token)
    assert partner.get("/api/v1/commitments/").status_code == 200  # rate limits and cached counts
    response = partner.post(
        f"/api/v1/obligations/{obligation.pk}/updates/", {"note": "Cache is down", "version": obligation.version}, format="json"
    )
    assert response.status_code == 201, response.content[:300]


def test_the_fail_safe_cache_answers_a_miss_and_skips_writes(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    from django.core.cache import caches

    settings.CACHES = unreachable_cache()
    cache = caches["default"]
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="devotracker.cache"):
        assert cache.get("k", "default") == "default" and cache.get_many(["a", "b"]) == {}
        cache.set("k", 1)
        assert not cache.add("k", 1) and not cache.delete("k") and not cache.has_key("k")
        assert cache.incr("k") is None  # no counter to return; callers treat it as "no limit known"
    assert time.monotonic() - started < 5  # connection refused is answered at once, not retried for long
    # Each ignored failure is logged (settings: DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS), with its cause.
    ignored = [record for record in caplog.records if record.name == "devotracker.cache"]
    assert len(ignored) == 7 and all(record.exc_info for record in ignored)


# --- Redis stopped during use, with a real worker -------------------------------------------------


class ThrowawayRedis:
    """A real ``redis-server`` on a free loopback port that the test can stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.exceptions.ConnectionError:
            return False

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(["redis-server", *args], stdout=log, stderr=subprocess.STDOUT)
        wait_for(self.ping, 20, "redis-server to answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        assert not self.ping()


@pytest.fixture
def throwaway_redis(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(throwaway_redis: ThrowawayRedis) -> str:
    """Overrides tests/jobs/test_worker.py's: the worker uses the Redis this test stops."""
    return throwaway_redis.url


@contextmanager
def web_broker(url: str) -> Iterator[None]:
    """Point this process's Celery app (the web side, which enqueues) at ``url``."""
    from devotracker.celery import app

    def reset_pools() -> None:
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        if "amqp" in app.__dict__:
            app.amqp._producer_pool = None

    # Celery reads CELERY_BROKER_URL and CELERY_RESULT_BACKEND from the environment before any
    # configuration, even a Celery(broker=...) argument (scripts/test.sh sets both to the suite's own
    # Redis), so the variables are switched too, for this app and the "beat" producer below.
    names = ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
    saved_env = {name: os.environ.get(name) for name in names}
    saved = app.conf.broker_url, app.conf.broker_transport_options
    reset_pools()
    app.conf.broker_url, app.conf.broker_transport_options = url, {"visibility_timeout": 5}
    os.environ.update(dict.fromkeys(names, url))
    try:
        with app.connection_for_write() as conn:
            assert conn.port == int(url.rsplit(":", 1)[1].split("/")[0])  # really the Redis this test stops
        yield
    finally:
        reset_pools()
        app.conf.broker_url, app.conf.broker_transport_options = saved
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def beat_sends_delivery(url: str) -> dict[str, int]:
    """Send the outbox delivery through the broker as beat does, and wait for the worker's answer."""
    from celery import Celery

    producer = Celery("beat", broker=url, backend=url)
    try:
        return producer.send_task("commitments.tasks.deliver_outbox_task").get(timeout=90)  # type: ignore[no-any-return]
    finally:
        producer.close()


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.postgresql(
    reason="a real Celery worker process reads the test database, which an in-memory SQLite test database is not; the quick start's own worker runs in tests/smoke"
)
def test_redis_stopped_during_use_holds_notices_in_the_outbox_and_sends_each_once_when_back(
    start_worker: Any, throwaway_redis: ThrowawayRedis, settings: Any, obligation: Any, officer: Any, owner: Any, secretary: Any,
    write_token: str, board: Any,
) -> None:  # fmt: skip
    # Three actions newly overdue: step 1 for each, told to the owner (two of them, in one e-mail)
    # or the party's two officers (the officer and the partner account): three escalation e-mails.
    overdue_action(obligation, owner=owner, description="Owned and late")
    overdue_action(obligation, description="Nobody owns this")
    overdue_action(obligation, owner=owner, days_late=45, description="Long overdue")
    notices = 3
    meeting = MeetingFactory(board=board)
    start_worker()
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",  # as production's CACHE_URL=redis://… selects
            "LOCATION": throwaway_redis.url.replace("/0", "/2"),
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    browser = Client()
    browser.force_login(officer)
    builder = Client()
    builder.force_login(secretary)
    partner: APIClient = token_client(write_token)

    with web_broker(throwaway_redis.url):
        throwaway_redis.stop()  # Redis goes away while the service is in use

        assert browser.get("/my-work/").status_code == 200
        version = Obligation.objects.get(pk=obligation.pk).version
        form = {
            "version": version,
            "status": "in_progress",
            "rag": "amber",
            "progress": 20,
            "reason": "Started",
            "note": "During the outage",
        }
        assert browser.post(f"/obligations/{obligation.pk}/update/", form).status_code == 302
        api = partner.post(
            f"/api/v1/obligations/{obligation.pk}/updates/", {"note": "API during the outage", "version": version + 1}, format="json"
        )
        assert api.status_code == 201
        started = time.monotonic()
        call_command("flag_overdue", date=TODAY.isoformat())  # commits; its hand-off to Celery fails quietly
        assert time.monotonic() - started < 30
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == notices
        assert sent_emails(start_worker.mail_dir) == []
        # A report build cannot be queued: the page says so instead of failing.
        response = builder.post(f"/meetings/{meeting.pk}/build/", follow=True)
        # The page keeps working. Whether the hand-off fails at once ("could not be built") or
        # kombu accepts it for later depends on how quickly the client notices Redis is gone;
        # either way nothing is lost: the report is failed (and can be rebuilt) or still pending.
        assert response.status_code == 200
        latest = Report.objects.filter(meeting=meeting).latest("requested_at")
        assert b"could not be built" in response.content or latest.state in (Report.State.PENDING, Report.State.FAILED)
        assert Report.objects.get(meeting=meeting).state in (Report.State.PENDING, Report.State.FAILED)
        health = Client().get("/health/").json()
        assert health["status"] == "ok" and health["broker_ok"] is False

        throwaway_redis.start()  # Redis is back (empty: nothing was kept in it)

        counts = beat_sends_delivery(throwaway_redis.url)
        assert counts["sent"] == notices
        wait_for(lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(), 60, "the outbox to empty")
        emails = sent_emails(start_worker.mail_dir)
        assert len(emails) == notices and len({mid for mid, _ in emails}) == notices

        # The next tick of beat finds nothing left to send: nothing goes twice.
        assert beat_sends_delivery(throwaway_redis.url)["sent"] == 0
        assert len(sent_emails(start_worker.mail_dir)) == notices
    assert StatusUpdate.objects.filter(obligation=obligation, target_type="obligation").count() == 2  # both outage writes kept
