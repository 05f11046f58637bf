"""The report build end to end: the task goes through a REAL Redis broker to a REAL Celery worker
process working on the PostgreSQL test database, which builds the paper and stores its PDF.

Needs ``REDIS_URL`` and ``CELERY_BROKER_URL`` pointing at a Redis (scripts/test.sh starts one).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from commitments.models import JobRun, Report
from reporting.builds import request_report

from .conftest import THEME_NAMES, Dataset

pytestmark = [
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.postgresql(
        reason="a real Celery worker process reads the test database, which an in-memory SQLite test database is not; the quick start's own worker runs in tests/smoke"
    ),
    pytest.mark.django_db(transaction=True),
]


def _database_url() -> str:
    s = connection.settings_dict
    assert s["NAME"].startswith("test_"), "the worker must use the pytest test database"
    return f"postgres://{quote(s['USER'])}:{quote(s['PASSWORD'])}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.fixture
def worker(transactional_db: Any, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    from devotracker.celery import app

    broker = os.environ.get("REDIS_URL") or ""
    if not broker or not str(app.conf.broker_url).startswith("redis"):
        pytest.fail("REDIS_URL and CELERY_BROKER_URL must point at a Redis (scripts/test.sh starts one).", pytrace=False)
    import redis

    redis.Redis.from_url(str(app.conf.broker_url)).delete("celery", "unacked", "unacked_index")
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "devotracker.settings",
        "DATABASE_URL": _database_url(),
        "CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": str(app.conf.broker_url),
        "CELERY_RESULT_BACKEND": str(app.conf.broker_url),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    celery = Path(sys.executable).with_name("celery")
    process = subprocess.Popen(
        [str(celery), "-A", "devotracker", "worker", "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-n", f"reports-{uuid.uuid4().hex[:8]}@localhost"],
        cwd=settings.BASE_DIR, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while " ready." not in log.read_text(errors="replace") and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert process.poll() is None and " ready." in log.read_text(errors="replace"), log.read_text(errors="replace")
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_real_worker_builds_the_requested_report(worker: Any, dataset: Dataset, lc_meeting: Any, secretary: Any, settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    report = request_report(lc_meeting, by=secretary)  # commits, then sends the task to Redis

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if report.state in (Report.State.READY, Report.State.FAILED):
            break
        time.sleep(0.5)

    assert report.state == Report.State.READY, report.error
    assert Path(report.pdf.path).read_bytes().startswith(b"%PDF")
    for name in THEME_NAMES:
        assert name in report.html
    assert JobRun.objects.get(name="build_report").task_id == report.task_id
