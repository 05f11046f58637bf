"""The job commands (flag_overdue, send_digests, deliver_outbox) and the Celery task wiring,
run eagerly in this process (the real worker is in test_worker.py)."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import OperationalError

from commitments import notifications, overdue, tasks
from commitments.models import Action, JobRun, OutboxMessage

from .conftest import TODAY, overdue_action

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)


def command(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


# --- commands ---------------------------------------------------------------------------------


def test_flag_overdue_prints_the_counts_for_a_fixed_london_day(obligation: Any, owner: Any) -> None:
    action = overdue_action(obligation, owner=owner, today=dt.date(2026, 7, 2))
    out = command("flag_overdue", "--date", "2026-07-02")
    assert "newly_overdue: 1\n" in out and "escalated_step_1: 1\n" in out and "today: 2026-07-02\n" in out
    action.refresh_from_db()
    assert action.overdue_since == dt.date(2026, 7, 2)
    run = JobRun.objects.get(name="flag_overdue")
    assert (run.outcome, run.counts["triggered_by"]) == ("success", "command")


def test_flag_overdue_refuses_a_date_that_is_not_one(db: Any) -> None:
    with pytest.raises(CommandError, match="--date must be a real date as YYYY-MM-DD"):
        command("flag_overdue", "--date", "2026-02-30")
    assert not JobRun.objects.exists()


def test_flag_overdue_with_deliver_sends_the_notices_too(obligation: Any, owner: Any) -> None:
    overdue_action(obligation, owner=owner)
    with time_machine.travel(NOW, tick=False):
        out = command("flag_overdue", "--date", TODAY.isoformat(), "--deliver")
    assert "delivery_sent: 1" in out
    assert [m.to for m in mail.outbox] == [[owner.email]]


def test_send_digests_daily_and_weekly(obligation: Any, officer: Any, secretary: Any) -> None:
    overdue_action(obligation)
    with time_machine.travel(NOW, tick=False):
        daily = command("send_digests", "--daily", "--date", TODAY.isoformat())
        weekly = command("send_digests", "--weekly", "--date", TODAY.isoformat())
        again = command("send_digests", "--date", TODAY.isoformat())  # daily is the default
        delivered = command("deliver_outbox")
    assert "queued: 1" in daily and "queued: 1" in weekly
    assert "already_queued: 1" in again and "queued: 0" in again
    assert "sent: 2" in delivered
    assert sorted(tuple(m.to) for m in mail.outbox) == [("alice@example.org",), ("sam@example.org",)]
    assert set(JobRun.objects.values_list("name", flat=True)) == {"officer_digests", "secretariat_digests"}


def test_send_digests_refuses_both_kinds_at_once(db: Any) -> None:
    with pytest.raises(CommandError):
        command("send_digests", "--daily", "--weekly")


def test_deliver_outbox_refuses_a_silly_limit(db: Any) -> None:
    with pytest.raises(CommandError, match="--limit must be 1 or more"):
        command("deliver_outbox", "--limit", "0")


# --- tasks: thin, retrying only transient errors ---------------------------------------------


def test_the_tasks_are_reliable_by_configuration() -> None:
    for task in (tasks.flag_overdue_task, tasks.send_officer_digests_task, tasks.send_secretariat_digests_task, tasks.deliver_outbox_task):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
        assert OperationalError in task.autoretry_for
        assert task.max_retries == 5 and task.retry_backoff
        assert task.soft_time_limit < task.time_limit
    # The names beat uses for these jobs (settings.CELERY_BEAT_SCHEDULE) are the registered ones.
    from django.conf import settings

    from devotracker.celery import app

    ours = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"].startswith("commitments.tasks.")}
    assert ours == {
        "commitments.tasks.flag_overdue_task",
        "commitments.tasks.send_officer_digests_task",
        "commitments.tasks.send_secretariat_digests_task",
        "commitments.tasks.deliver_outbox_task",
    }
    assert ours <= set(app.tasks)


def test_the_flag_task_runs_the_pass_and_returns_its_counts(obligation: Any, owner: Any) -> None:
    overdue_action(obligation, owner=owner)
    result = tasks.flag_overdue_task.apply(kwargs={"today": TODAY.isoformat()}, task_id="abc-123")
    assert result.successful(), result.traceback
    body = result.get()
    assert body["newly_overdue"] == 1 and body["messages_queued"] == 1
    run = JobRun.objects.get(pk=body["job_run"])
    assert (run.task_id, run.outcome, run.counts["triggered_by"]) == ("abc-123", "success", "beat")


def test_the_flag_task_retries_a_transient_database_error(obligation: Any, monkeypatch: Any) -> None:
    overdue_action(obligation)
    real = overdue.flag_overdue
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> dict[str, int]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(overdue, "flag_overdue", flaky)
    result = tasks.flag_overdue_task.apply(kwargs={"today": TODAY.isoformat()}, throw=False)
    assert result.successful(), result.traceback
    assert calls["n"] == 2
    assert list(JobRun.objects.order_by("started_at", "pk").values_list("outcome", flat=True)) == ["failure", "success"]
    assert Action.objects.get().overdue_since == TODAY


def test_the_flag_task_does_not_retry_a_bug(obligation: Any, monkeypatch: Any) -> None:
    def broken(**kwargs: Any) -> dict[str, int]:
        raise ValueError("a bug")

    monkeypatch.setattr(overdue, "flag_overdue", broken)
    result = tasks.flag_overdue_task.apply(throw=False)
    assert result.failed() and isinstance(result.result, ValueError)
    assert JobRun.objects.get().outcome == "failure"


def test_the_delivery_task_sends_what_is_queued(db: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        notifications.queue_email(dedupe_key="k", to=["x@example.org"], subject="S", text="T", html="<p>T</p>")
        result = tasks.deliver_outbox_task.apply()
    assert result.get()["sent"] == 1
    assert OutboxMessage.objects.get().sent_at == NOW


def test_a_broker_outage_never_fails_the_write_that_queued_mail(
    db: Any, monkeypatch: Any, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from kombu.exceptions import OperationalError as BrokerError

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise BrokerError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_outbox_task, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert notifications.queue_email(dedupe_key="k", to=["x@example.org"], subject="S", text="T", html="T") is True
    assert len(callbacks) == 1
    assert OutboxMessage.objects.filter(dedupe_key="k", sent_at__isnull=True).exists()  # beat's minute delivery will send it
    assert "could not enqueue outbox delivery" in caplog.text
