"""The Celery application: configured from Django settings (``CELERY_`` namespace), and
:func:`hand_off`, how a request hands work to the broker without waiting for it."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from celery import Celery, Signature, Task
from kombu import Connection, pools

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devotracker.settings")

app = Celery("devotracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def reliable_job(**overrides: Any) -> dict[str, Any]:
    """The options of a scheduled job that must happen once whatever fails (``@shared_task(**reliable_job())``):
    late acknowledgement, so a worker killed mid-run leaves the message for another (every job's
    service is idempotent); retries with exponential back-off and jitter for the transient errors
    (the database or the broker briefly unreachable), and nothing else retried blindly; the
    project's time limits."""
    from django.conf import settings
    from django.db import InterfaceError, OperationalError
    from kombu.exceptions import OperationalError as BrokerError

    options: dict[str, Any] = {
        "bind": True,
        "acks_late": True,
        "reject_on_worker_lost": True,
        "autoretry_for": (OperationalError, InterfaceError, BrokerError),
        "retry_backoff": 5,
        "retry_backoff_max": 600,
        "retry_jitter": True,
        "max_retries": 5,
        "soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT,
        "time_limit": settings.CELERY_TASK_TIME_LIMIT,
    }
    return {**options, **overrides}


# --- handing work over from a request --------------------------------------------------------
#
# Follow-up work is already safe in the database when it is handed over (the outbox row, the
# Report row), and beat's every-minute outbox delivery picks up whatever was not handed over. So a
# request that has committed must never wait for the broker. With kombu's and Celery's defaults it
# does: a failed connection is retried for ``broker_connection_timeout`` (4 s) with sleeps in
# between, then once more, about 6 s per commit while Redis is down. The hand-off below makes one
# connection attempt, bounded by ``BROKER_HANDOFF_TIMEOUT`` (a host that drops packets fails as
# fast as one that refuses them), and publishes once. It uses a connection pool of its own, so the
# worker's and beat's patient reconnection (their defaults) is left as it is.

HANDOFF_DEFAULT_TIMEOUT = 0.25


def handoff_timeout() -> float:
    from django.conf import settings

    return float(getattr(settings, "BROKER_HANDOFF_TIMEOUT", HANDOFF_DEFAULT_TIMEOUT))


def handoff_transport_options() -> dict[str, Any]:
    """Transport options layered over ``CELERY_BROKER_TRANSPORT_OPTIONS`` for hand-offs."""
    timeout = handoff_timeout()
    return {
        "max_retries": 0,  # kombu: the first connection error is raised, no retry loop
        "socket_connect_timeout": timeout,  # Redis: connecting
        "socket_timeout": timeout,  # Redis: a server that accepts but does not answer
        "retry_on_timeout": False,  # redis-py: no retry of its own
    }


def handoff_connection() -> Connection:
    """A (lazy) broker connection with the fail-fast options; other transports (the quick start's
    filesystem broker) ignore the Redis ones."""
    return app.connection_for_write(connect_timeout=handoff_timeout(), transport_options=handoff_transport_options())


def hand_off_by_name(name: str, args: Iterable[Any] | None = None, kwargs: Mapping[str, Any] | None = None, **options: Any) -> None:
    """:func:`hand_off` for the task named ``name``: domain code schedules work by the task's name,
    so the modules a task calls never import the tasks module back. The signature publishes
    through the registered task where this process has imported it, by name otherwise."""
    hand_off(app.signature(name), args, kwargs, **options)


def hand_off(task: Task | Signature, args: Iterable[Any] | None = None, kwargs: Mapping[str, Any] | None = None, **options: Any) -> None:
    """Publish ``task`` for a worker, once, failing fast: for request paths, after a commit.

    No publish retry (``retry=False``), one connection attempt of at most ``BROKER_HANDOFF_TIMEOUT``
    seconds, and no result subscription (``ignore_result``: nobody waits for the answer, and
    subscribing would wait for the result backend too). Raises the broker's error at once; the
    caller logs it, and the work waits where it was recorded. Connections are pooled (one pool per
    broker URL and options), so a hand-off while the broker is up costs one round trip.
    """
    with pools.connections[handoff_connection()].acquire(block=True, timeout=handoff_timeout() + 1) as connection:
        task.apply_async(args=args, kwargs=kwargs, connection=connection, retry=False, ignore_result=True, **options)
