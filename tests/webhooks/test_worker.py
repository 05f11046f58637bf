"""Webhooks with a REAL Celery worker on Redis (issue 14): a commit in this process hands the
fan-out to the broker, the worker prepares the event and delivers it to a real receiver, retrying
after a 500 on its own schedule (the task comes back for it)."""

from __future__ import annotations

from typing import Any

import pytest

from boards.models import ApiToken
from commitments import services as commitment_services
from webhooks import dispatch, services
from webhooks.models import Event, EventType

from ..jobs.test_worker import redis_url, start_worker, wait_for  # noqa: F401 (fixtures)
from .conftest import Receiver

pytestmark = [
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.serial,
    pytest.mark.postgresql(reason="a real Celery worker process reads the test database, which an in-memory SQLite test database is not"),
]


def test_a_commit_reaches_the_receiver_through_the_worker_with_a_retry(
    start_worker: Any,  # noqa: F811 (the fixture imported above)
    receiver: Receiver,
    obligation: Any,
    officer: Any,
    partner: Any,
    admin_user: Any,
    settings: Any,
) -> None:
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    worker = start_worker(
        SECRET_KEY=settings.SECRET_KEY,  # the secrets are sealed under the site's key
        WEBHOOKS_ALLOW_HTTP="true",
        WEBHOOKS_ALLOWED_NETWORKS="127.0.0.1/32",
        WEBHOOK_RETRY_BASE_SECONDS="0.5",
        WEBHOOK_RETRY_MAX_SECONDS="1",
    )
    token = ApiToken.issue(user=partner, scope=ApiToken.Scope.READ)[0]
    subscription, secret = services.register(
        by=admin_user, party=obligation.party, token=token, endpoint=receiver.url, event_types=[EventType.OBLIGATION_UPDATED]
    )
    dispatch.fan_out()  # start the follower at the head
    receiver.answer(500)
    obligation.refresh_from_db()
    commitment_services.record_update(
        obligation, by=officer, version=obligation.version, data=commitment_services.UpdateInput(progress=70, note="Through the worker")
    )
    try:
        wait_for(lambda: Event.objects.filter(state=Event.State.DELIVERED).exists(), 60, "the worker to deliver the event")
    except AssertionError:
        raise AssertionError(worker.text()) from None
    assert len(receiver.received) == 2, worker.text()
    events = receiver.verified(secret)
    assert [e["type"] for e in events] == ["obligation.updated", "obligation.updated"]
    assert events[0]["data"]["progress"] == 70
    assert len(receiver.unique(secret)) == 1
    assert subscription.events.get().attempts == 2
