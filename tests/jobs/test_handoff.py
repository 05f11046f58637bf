"""Handing work to the broker from a request fails fast (issue 11): while the broker is down a
write commits, its follow-up work stays in the outbox (or its report is marked failed, to build
again), and the hand-off tries the broker exactly once, with no retry loop. Counted, not timed:
every TCP connection this process opens to the dead broker's port is recorded. Timing figures
are the drill's (scripts/drill.sh handoff, docs/reliability.md)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from commitments import changes, notifications
from commitments.models import JobRun, Obligation, OutboxMessage, Report, StatusUpdate
from commitments.services import UpdateInput, record_update
from commitments.tasks import deliver_outbox_task
from devotracker import celery as celery_module
from devotracker.celery import app, hand_off, handoff_connection

from ..factories import MeetingFactory
from .conftest import overdue_action
from .test_notifications import closed_port

pytestmark = pytest.mark.django_db


class DeadBroker:
    """A Redis broker URL on a port nobody listens on, and every connection attempt made to it."""

    def __init__(self) -> None:
        self.port = closed_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.attempts = 0


@pytest.fixture
def dead_broker(monkeypatch: Any) -> Iterator[DeadBroker]:
    broker = DeadBroker()
    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", broker.url)
    monkeypatch.setitem(app.conf, "broker_url", broker.url)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    real_connect = socket.socket.connect

    def counting_connect(sock: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and len(address) >= 2 and address[1] == broker.port:
            broker.attempts += 1
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", counting_connect)
    yield broker


def test_the_hand_off_is_configured_to_fail_fast(settings: Any, monkeypatch: Any) -> None:
    settings.BROKER_HANDOFF_TIMEOUT = 0.25
    connection = handoff_connection()
    options = connection.transport_options
    assert options["max_retries"] == 0  # kombu: the first connection error is raised
    assert options["socket_connect_timeout"] == options["socket_timeout"] == 0.25  # Redis: bounded
    assert options["retry_on_timeout"] is False  # redis-py: no retry of its own
    assert connection.connect_timeout == 0.25
    # The project's own transport options are kept underneath (the worker's visibility timeout…).
    for key, value in app.conf.broker_transport_options.items():
        if key not in options or key in ("max_retries", "socket_connect_timeout", "socket_timeout", "retry_on_timeout"):
            continue
        assert options[key] == value
    # The worker's and beat's own connections keep Celery's patient defaults.
    assert "max_retries" not in app.conf.broker_transport_options
    assert app.conf.broker_connection_retry is not False

    published: list[dict[str, Any]] = []
    monkeypatch.setattr(deliver_outbox_task, "apply_async", lambda **kwargs: published.append(kwargs))
    hand_off(deliver_outbox_task)
    (call,) = published
    assert call["retry"] is False and call["ignore_result"] is True  # no publish retry, no result subscription
    assert call["connection"].transport_options["max_retries"] == 0


@pytest.mark.parametrize("writes", [1, 3])
def test_each_commit_while_the_broker_is_down_makes_one_attempt_and_keeps_its_message(
    writes: int, dead_broker: DeadBroker, obligation: Any, officer: Any, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(writes):
        version = Obligation.objects.get(pk=obligation.pk).version
        with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
            record_update(obligation, by=officer, version=version, data=UpdateInput(note=f"During the outage {n}"))
            notifications.queue_email(dedupe_key=f"follow-up:{n}", to=["x@example.org"], subject="S", text="T", html="T")
        # The outbox's hand-off, after the commit (besides the change log's nudge of the webhooks,
        # which with no subscription makes no broker attempt).
        assert len([c for c in callbacks if c is not changes._after_commit]) == 1
    assert dead_broker.attempts == writes  # exactly one connection attempt per hand-off
    assert StatusUpdate.objects.filter(note__startswith="During the outage").count() == writes
    assert OutboxMessage.objects.filter(sent_at__isnull=True, attempts=0).count() == writes  # for beat's delivery
    assert caplog.text.count("could not enqueue outbox delivery") == writes


def test_the_admin_s_overdue_pass_with_the_broker_down_answers_and_tries_once(
    dead_broker: DeadBroker, admin_user: Any, obligation: Any, owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    overdue_action(obligation, owner=owner, days_late=3)
    earlier = JobRun.objects.create(name="flag_overdue", outcome=JobRun.Outcome.SUCCESS)
    client = Client()
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/commitments/jobrun/", {"action": "run_overdue_pass", "_selected_action": [earlier.pk]})
    assert response.status_code == 302
    run = JobRun.objects.exclude(pk=earlier.pk).get()
    assert run.outcome == JobRun.Outcome.SUCCESS and run.counts["messages_queued"] == 1  # the owner's notice
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 1
    assert dead_broker.attempts == 1


def test_a_paper_asked_for_while_the_broker_is_down_is_failed_at_once_after_one_attempt(
    dead_broker: DeadBroker, board: Any, secretary: Any, django_capture_on_commit_callbacks: Any
) -> None:
    meeting = MeetingFactory(board=board)
    client = Client()
    client.force_login(secretary)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/meetings/{meeting.pk}/build/")
    assert response.status_code == 302
    report = Report.objects.get(meeting=meeting)
    assert report.state == Report.State.FAILED and "could not be queued" in report.error  # build it again later
    assert dead_broker.attempts == 1
    page = client.get(response["Location"])
    assert page.status_code == 200


def test_the_quick_start_filesystem_broker_still_takes_hand_offs(tmp_path: Path, monkeypatch: Any) -> None:
    folder = tmp_path / "queue"
    folder.mkdir()
    (tmp_path / "control").mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "store_processed": False,
        "control_folder": str(tmp_path / "control"),
    }
    monkeypatch.setenv("CELERY_BROKER_URL", "filesystem://")
    monkeypatch.setitem(app.conf, "broker_url", "filesystem://")
    monkeypatch.setitem(app.conf, "broker_transport_options", options)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    hand_off(deliver_outbox_task)
    hand_off(deliver_outbox_task)
    assert len(list(folder.glob("*.msg"))) == 2
    # What a worker on the same folders reads: the task, by name.
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue("celery")
        message = queue.get(timeout=2)
        assert message.headers["task"] == "commitments.tasks.deliver_outbox_task"
        message.ack()
        queue.close()


def test_the_hand_off_timeout_is_a_setting(settings: Any) -> None:
    settings.BROKER_HANDOFF_TIMEOUT = 1.5
    assert celery_module.handoff_transport_options()["socket_connect_timeout"] == 1.5
    assert handoff_connection().connect_timeout == 1.5
