"""End to end with a REAL Redis broker and a REAL Celery worker process on the PostgreSQL test
database: the overdue task sent through the broker, and fault drills that SIGKILL the worker in
the middle of the pass (before its transaction commits) and after it committed but before the
task was acknowledged. Redis redelivers the unacknowledged task (``acks_late``) to a new worker;
the redelivered run must leave exactly the right state and send no e-mail twice.

Needs ``REDIS_URL`` (scripts/test.sh starts a throwaway Redis and sets it).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from commitments.models import Action, Escalation, JobRun, OutboxMessage

from .conftest import TODAY, overdue_action

# The drills' switch: the worker then imports tests/jobs/fault_pause.py (see worker_settings.py).
FAULT_PAUSE_ENV = "TEST_FAULT_PAUSE"

pytestmark = [
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.postgresql(
        reason="a real Celery worker process reads the test database, which an in-memory SQLite test database is not; the quick start's own worker runs in tests/smoke"
    ),
]

VISIBILITY_TIMEOUT = 5  # seconds before Redis hands an unacknowledged task to another worker
FLAG_TASK = "commitments.tasks.flag_overdue_task"


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.fail("REDIS_URL is not set: the worker tests need a real Redis (scripts/test.sh starts one).", pytrace=False)
    import redis

    client = redis.Redis.from_url(url)
    client.ping()
    # Start from an empty queue: no task left over from another run may reach this worker.
    client.delete("celery", "unacked", "unacked_index", "unacked_mutex")
    return url


def _database_url() -> str:
    s = connection.settings_dict
    assert s["NAME"].startswith("test_"), "the worker must use the pytest test database"
    return f"postgres://{quote(s['USER'])}:{quote(s['PASSWORD'])}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


class Worker:
    """A real ``celery -A devotracker worker --pool=solo`` process (or, with ``beat=True``, a real
    ``celery -A devotracker beat``) and its log."""

    def __init__(self, env: dict[str, str], log: Path, *, beat: bool = False) -> None:
        self.log = log
        celery = Path(sys.executable).with_name("celery")
        if beat:
            args = ["beat", "--loglevel=INFO", "-s", str(log.with_suffix(".schedule"))]
        else:
            args = ["worker", "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                    "-n", f"jobs-{uuid.uuid4().hex[:8]}@localhost"]  # fmt: skip
        self.process = subprocess.Popen(
            [str(celery), "-A", "devotracker", *args], cwd=settings.BASE_DIR, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
        )
        ready = "beat: Starting" if beat else " ready."
        wait_for(lambda: ready in self.text() or self.process.poll() is not None, 60, "celery to start")
        assert self.process.poll() is None, self.text()

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, nothing flushed (a crash, an OOM kill)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def start_worker(transactional_db: Any, redis_url: str, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start workers on the test database (committed data: ``transactional_db``) and Redis."""
    workers: list[Worker] = []
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()

    def environment(**extra_env: str) -> dict[str, str]:
        return {
            **{key: value for key, value in os.environ.items() if key != FAULT_PAUSE_ENV},
            "DJANGO_SETTINGS_MODULE": "tests.jobs.worker_settings",
            "PYTHONPATH": str(settings.BASE_DIR),
            "DATABASE_URL": _database_url(),
            "CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "VAR_DIR": str(tmp_path / "var"),
            "SITE_URL": "https://devotracker.example.org",
            **extra_env,
        }

    def start(**extra_env: str) -> Worker:
        worker = Worker(environment(**extra_env), tmp_path / f"worker-{len(workers) + 1}.log")
        workers.append(worker)
        return worker

    def start_beat(**extra_env: str) -> Worker:
        beat = Worker(environment(**extra_env), tmp_path / f"beat-{len(workers) + 1}.log", beat=True)
        workers.append(beat)
        return beat

    start.mail_dir = mail_dir  # type: ignore[attr-defined]
    start.beat = start_beat  # type: ignore[attr-defined]
    yield start
    for worker in workers:
        worker.stop()


def send_flag_task(redis_url: str) -> str:
    """Send the task through the broker, as beat does (a separate producer: nothing in-process)."""
    from celery import Celery

    producer = Celery("producer", broker=redis_url)
    try:
        return producer.send_task(FLAG_TASK, kwargs={"today": TODAY.isoformat()}).id
    finally:
        producer.close()


def sent_emails(mail_dir: Path) -> list[tuple[str, str]]:
    """(Message-ID, To) of every e-mail the workers wrote, across all their files."""
    found = []
    for path in sorted(mail_dir.iterdir()):
        text = path.read_text(errors="replace")
        for block in text.split("-" * 79):
            mid = re.search(r"^Message-ID: (.+)$", block, re.M)
            to = re.search(r"^To: (.+)$", block, re.M)
            if mid and to:
                found.append((mid.group(1).strip(), to.group(1).strip()))
    return found


@pytest.fixture
def overdue_world(obligation: Any, owner: Any, officer: Any, secretary: Any) -> dict[str, Any]:
    """Three overdue actions: one owned (step 1 to the owner), one unowned (step 1 to the party's
    officer) and one 30 days into its overdue spell (steps 2 and 3 too): 5 steps in all, told to
    three people (the owner, the officer, the secretariat) in one e-mail each."""
    owned = overdue_action(obligation, owner=owner, description="Owned and late")
    unowned = overdue_action(obligation, description="Nobody owns this")
    old = overdue_action(obligation, owner=owner, days_late=45, description="Long overdue")
    Action.objects.filter(pk=old.pk).update(overdue_since=TODAY - dt.timedelta(days=30))
    return {"owned": owned, "unowned": unowned, "old": old, "steps": 5, "emails": 3}


def assert_right_final_state(world: dict[str, Any], mail_dir: Path) -> None:
    for key in ("owned", "unowned"):
        assert Action.objects.get(pk=world[key].pk).overdue_since == TODAY
    assert Action.objects.get(pk=world["old"].pk).escalation_level == 3
    steps = list(Escalation.objects.values_list("action_id", "step"))
    assert len(steps) == len(set(steps)) == world["steps"]  # every step once
    wait_for(lambda: OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0, 60, "the outbox to be delivered")
    assert OutboxMessage.objects.count() == world["emails"]
    emails = sent_emails(mail_dir)
    assert len(emails) == world["emails"], emails
    assert len({mid for mid, _ in emails}) == len(emails)  # no e-mail twice


def test_the_overdue_task_runs_through_redis_on_a_real_worker(start_worker: Any, redis_url: str, overdue_world: dict[str, Any]) -> None:
    start_worker()
    task_id = send_flag_task(redis_url)
    run = wait_for(lambda: JobRun.objects.filter(name="flag_overdue", outcome="success").first(), 60, "the overdue pass")
    assert run.task_id == task_id
    assert (run.counts["newly_overdue"], run.counts["messages_queued"], run.counts["escalated_step_3"]) == (2, 3, 1)
    assert_right_final_state(overdue_world, start_worker.mail_dir)
    owner_mail = [to for _, to in sent_emails(start_worker.mail_dir) if "olive@example.org" in to]
    assert owner_mail == ["olive@example.org"]  # owned step 1, old steps 1 and 3: one e-mail


def test_a_worker_killed_mid_pass_loses_nothing_and_the_redelivered_run_does_it_all_once(
    start_worker: Any, redis_url: str, overdue_world: dict[str, Any]
) -> None:
    first = start_worker(**{FAULT_PAUSE_ENV: "before_commit:120"})
    task_id = send_flag_task(redis_url)
    wait_for(lambda: "fault drill pause" in first.text(), 60, "the pass to reach its last statement")
    # Everything is written but not committed: nobody else sees any of it.
    assert not Action.objects.filter(overdue_since__isnull=False).exclude(pk=overdue_world["old"].pk).exists()
    assert not Escalation.objects.exists() and not OutboxMessage.objects.exists()
    assert JobRun.objects.get(task_id=task_id).outcome == "running"

    first.kill()
    started = time.monotonic()
    start_worker()
    run = wait_for(lambda: JobRun.objects.filter(task_id=task_id, outcome="success").first(), 90, "the redelivered pass")
    assert time.monotonic() - started >= VISIBILITY_TIMEOUT - 1  # it came back through Redis's redelivery
    assert (run.counts["newly_overdue"], run.counts["messages_queued"]) == (2, 3)
    abandoned = JobRun.objects.get(task_id=task_id, outcome="failure")
    assert abandoned.error.startswith("Abandoned")
    assert_right_final_state(overdue_world, start_worker.mail_dir)


def test_a_worker_killed_after_commit_before_acknowledging_sends_nothing_twice(
    start_worker: Any, redis_url: str, overdue_world: dict[str, Any]
) -> None:
    first = start_worker(**{FAULT_PAUSE_ENV: "after_commit:120"})
    task_id = send_flag_task(redis_url)
    wait_for(lambda: "fault drill pause" in first.text(), 60, "the pass to commit")
    # The pass committed (and queued its delivery) but the task was never acknowledged.
    assert Escalation.objects.count() == overdue_world["steps"]
    assert OutboxMessage.objects.count() == overdue_world["emails"]

    first.kill()
    start_worker()
    # The redelivered pass runs again and finds nothing left to do.
    run = wait_for(lambda: JobRun.objects.filter(task_id=task_id, outcome="success").first(), 90, "the redelivered pass")
    assert (run.counts["newly_overdue"], run.counts["messages_queued"], run.counts["escalated_step_1"]) == (0, 0, 0)
    assert JobRun.objects.get(task_id=task_id, outcome="failure").error.startswith("Abandoned")
    assert_right_final_state(overdue_world, start_worker.mail_dir)


# --- Redis down, then back: the request's hand-off fails fast, beat's sweep delivers ---------


class RedisServer:
    """A real ``redis-server`` on a free loopback port, which the test stops and starts again."""

    def __init__(self, folder: Path) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
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
        self.folder.mkdir(exist_ok=True)
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(["redis-server", *args], stdout=(self.folder / "redis.log").open("ab"), stderr=subprocess.STDOUT)
        wait_for(self.ping, 20, "redis-server to answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def test_with_redis_down_a_write_hands_off_once_and_beat_delivers_its_mail_once_redis_is_back(
    start_worker: Any, tmp_path: Path, monkeypatch: Any, obligation: Any, officer: Any
) -> None:
    import socket as socket_module

    from django.db import transaction

    from commitments import notifications
    from commitments.models import StatusUpdate
    from commitments.services import UpdateInput, record_update
    from commitments.tasks import deliver_outbox_task
    from devotracker.celery import app, hand_off

    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        broker = {"CELERY_BROKER_URL": server.url, "CELERY_RESULT_BACKEND": server.url}
        worker = start_worker(**broker)
        beat = start_worker.beat(**broker, TEST_DELIVERY_EVERY="2")
        # This process is the web side: it hands work to the same Redis.
        monkeypatch.setenv("CELERY_BROKER_URL", server.url)
        monkeypatch.setitem(app.conf, "broker_url", server.url)
        monkeypatch.setitem(app.conf, "task_always_eager", False)
        attempts = []
        real_connect = socket_module.socket.connect

        def counting_connect(sock: socket_module.socket, address: Any) -> Any:
            if isinstance(address, tuple) and len(address) >= 2 and address[1] == server.port:
                attempts.append(address)
            return real_connect(sock, address)

        monkeypatch.setattr(socket_module.socket, "connect", counting_connect)

        server.stop()  # Redis goes away
        with transaction.atomic():
            record_update(obligation, by=officer, version=obligation.version, data=UpdateInput(note="While Redis is down"))
            notifications.queue_email(dedupe_key="outage:1", to=["x@example.org"], subject="S", text="T", html="T")
        assert len(attempts) == 1  # the commit's hand-off: one attempt, no retry
        assert StatusUpdate.objects.filter(note="While Redis is down").exists()
        message = OutboxMessage.objects.get(dedupe_key="outage:1")
        assert message.sent_at is None and message.attempts == 0
        wait_for(lambda: "Cannot connect" in worker.text() or "Connection to broker lost" in worker.text(), 30, "the worker to notice")
        time.sleep(3)  # a beat tick or two go by: nothing can be delivered meanwhile
        assert OutboxMessage.objects.get(pk=message.pk).sent_at is None
        assert worker.process.poll() is None and beat.process.poll() is None  # both keep running

        server.start()  # Redis is back, empty: the hand-off's task was never in it
        wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).sent_at is not None, 90, "beat's delivery to send the mail")
        emails = [to for _, to in sent_emails(start_worker.mail_dir)]
        assert emails == ["x@example.org"]  # once
        assert worker.process.poll() is None and beat.process.poll() is None
        # And hand-offs work again straight away.
        hand_off(deliver_outbox_task)
        time.sleep(3)
        assert [to for _, to in sent_emails(start_worker.mail_dir)] == ["x@example.org"]  # nothing twice
    finally:
        server.stop()
