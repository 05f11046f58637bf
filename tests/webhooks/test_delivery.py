"""Webhooks end to end against a real HTTP receiver (issue 14): events from the one history
writer, signed as the Standard Webhooks specification says, retried after 500s and time-outs,
de-duplicated on their id, delivered in order per resource, a gap recovered from the change
feed, secrets rotated with a grace period and kept encrypted, and a subscription that fails for a
day disabled with its contact told.

The database is committed for real (``transactional_db``): the follower only reads changes whose
transaction has finished, as the feed serves them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from boards.models import ApiToken
from commitments import services as commitment_services
from commitments.models import Change, OutboxMessage
from commitments.overdue import flag_overdue
from webhooks import dispatch, secrets, services
from webhooks.models import Attempt, Event, EventType, Subscription

from ..factories import ActionFactory
from .conftest import Receiver

# serial: the follower reads only changes every running transaction can see (as the feed serves
# them), so other tests' open transactions on the same server would hold events back.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("local_receivers"), pytest.mark.serial]


def subscribe(receiver: Receiver, token: ApiToken, admin: Any, types: list[str] | None = None) -> tuple[Subscription, str]:
    return services.register(
        by=admin,
        party=token.user.memberships.first().party,
        token=token,
        endpoint=receiver.url,
        event_types=types or list(services.SUBSCRIBABLE),
        contact_email="integrations@party-a.example.org",
    )


def pump(subscription: Subscription, *, rounds: int = 50) -> None:
    """What the worker does: fan the log out, then deliver until nothing is due."""
    while dispatch.fan_out()[0]:
        pass
    for _ in range(rounds):
        dispatch.deliver(subscription.pk, budget=5)
        upcoming = dispatch.next_due(subscription.pk)
        if upcoming is None:
            return
        wait = (upcoming - timezone.now()).total_seconds()
        if wait > 0:
            import time

            time.sleep(min(wait, 0.2))


def update(target: Any, by: Any, **data: Any) -> None:
    target.refresh_from_db()
    commitment_services.record_update(target, by=by, version=target.version, data=commitment_services.UpdateInput(**data))


def api_get(token_key: str, url: str) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_key}")
    return client.get(url).json()


def test_an_update_is_delivered_signed_with_the_resource_as_the_token_reads_it(
    receiver: Receiver, obligation: Any, officer: Any, partner: Any, admin_user: Any, settings: Any
) -> None:
    settings.SITE_URL = "http://testserver"  # the test client's host, so links compare equal
    token, key = ApiToken.issue(user=partner, scope=ApiToken.Scope.READ)
    subscription, secret = subscribe(receiver, token, admin_user, [EventType.OBLIGATION_UPDATED])
    dispatch.fan_out()  # the follower starts at the head: nothing before the subscription is sent
    update(obligation, officer, progress=40, note="Halfway")
    pump(subscription)

    events = receiver.verified(secret)
    assert [e["type"] for e in events] == ["obligation.updated"]
    event = events[0]
    assert event["data"] == api_get(key, f"/api/v1/obligations/{obligation.pk}/")
    assert event["data"]["progress"] == 40
    assert event["version"] == event["data"]["version"] and event["key"] == str(obligation.pk)
    headers = receiver.received[0].headers
    assert headers["webhook-id"].startswith("msg_") and headers["webhook-signature"].startswith("v1,")
    # Signed with this secret only: another secret does not verify.
    assert receiver.verified(secrets.new_secret()) == []
    # The cursor is the feed's: the change is the first one after it.
    change = Change.objects.filter(resource="obligations", object_id=obligation.pk).latest("id")
    feed = api_get(key, f"/api/v1/changes/?after={event['cursor']}")
    assert all(row["url"] != event["data"]["url"] or row["version"] != change.version for row in feed["results"])
    delivered = Event.objects.get()
    assert delivered.state == Event.State.DELIVERED and delivered.attempt_log.get().status_code == 200


def test_retries_after_a_500_and_a_time_out_then_delivers_once_per_id(
    receiver: Receiver, obligation: Any, officer: Any, partner_token: ApiToken, admin_user: Any
) -> None:
    subscription, secret = subscribe(receiver, partner_token, admin_user, [EventType.OBLIGATION_UPDATED])
    dispatch.fan_out()
    receiver.answer(500)
    receiver.answer(200, delay=1.5)  # longer than the read time-out (0.5 s): a failure
    update(obligation, officer, progress=10, note="Started")
    pump(subscription)

    assert len(receiver.received) == 3
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len(receiver.unique(secret)) == 1
    tries = list(Event.objects.get().attempt_log.order_by("at", "id"))
    assert [(t.outcome, t.status_code) for t in tries] == [("failed", 500), ("failed", None), ("delivered", 200)]
    assert tries[1].error == "Timed out waiting for the answer."
    subscription.refresh_from_db()
    assert subscription.failing_since is None and subscription.is_active


def test_events_about_one_resource_arrive_in_order_and_redelivery_repeats_the_id(
    receiver: Receiver, obligation: Any, officer: Any, partner_token: ApiToken, admin_user: Any
) -> None:
    subscription, secret = subscribe(receiver, partner_token, admin_user, [EventType.ACTION_CREATED, EventType.ACTION_UPDATED])
    dispatch.fan_out()
    action = ActionFactory(obligation=obligation, due_date=timezone.localdate() + dt.timedelta(days=30))
    Change.objects.create(resource="actions", key=str(action.pk), object_id=action.pk, op=Change.Op.CREATE, version=action.version)
    receiver.answer(503)  # the first event fails: the next one about the same action must wait
    update(action, officer, progress=20, note="One")
    update(action, officer, progress=30, note="Two")
    pump(subscription)

    bodies = [json.loads(r.body) for r in receiver.received]
    assert [b["type"] for b in bodies] == ["action.created", "action.created", "action.updated", "action.updated"]
    seen = receiver.unique(secret)
    assert len(seen) == 3  # the retried one once, after de-duplication
    cursors = [e["cursor"] for e in seen.values()]
    assert len(set(cursors)) == 3

    # Redeliver: the same id again, so a receiver that de-duplicates does nothing twice.
    first = Event.objects.order_by("id").first()
    assert first is not None
    services.redeliver(first, by=admin_user)
    pump(subscription)
    assert receiver.received[-1].headers["webhook-id"] == first.msg_id
    assert len(receiver.unique(secret)) == 3


def test_a_gap_is_recovered_from_the_change_feed(receiver: Receiver, obligation: Any, officer: Any, partner: Any, admin_user: Any) -> None:
    token, key = ApiToken.issue(user=partner, scope=ApiToken.Scope.READ)
    subscription, secret = subscribe(receiver, token, admin_user, [EventType.OBLIGATION_UPDATED])
    dispatch.fan_out()
    update(obligation, officer, progress=5, note="Seen")
    pump(subscription)
    last_cursor = receiver.verified(secret)[-1]["cursor"]

    services.change(subscription, by=admin_user, is_active=False)  # e.g. disabled after a day of failures
    update(obligation, officer, progress=6, note="Missed")
    pump(subscription)
    assert len(receiver.received) == 1

    missed = api_get(key, f"/api/v1/changes/?after={last_cursor}")["results"]
    assert [(row["resource"], row["version"]) for row in missed if row["resource"] == "obligations"] == [
        ("obligations", Subscription.objects.get().token and obligation.__class__.objects.get(pk=obligation.pk).version)
    ]


def test_overdue_and_each_escalation_step_are_events(receiver: Receiver, obligation: Any, partner_token: ApiToken, admin_user: Any) -> None:
    subscription, secret = subscribe(receiver, partner_token, admin_user, [EventType.ACTION_OVERDUE, EventType.ITEM_ESCALATED])
    dispatch.fan_out()
    today = timezone.localdate()
    action = ActionFactory(obligation=obligation, due_date=today - dt.timedelta(days=20), original_due_date=today - dt.timedelta(days=20))
    flag_overdue(today=today)
    pump(subscription)
    kinds = [(e["type"], e.get("step")) for e in receiver.verified(secret)]
    assert sorted(kinds) == [("action.overdue", None), ("item.escalated", 1)]
    flag_overdue(today=today)  # nothing new: no new event
    pump(subscription)
    assert len(receiver.received) == 2
    flag_overdue(today=today + dt.timedelta(days=15))  # 14 days on: the lead board's secretariat (step 2)
    pump(subscription)
    kinds = [(e["type"], e.get("step")) for e in receiver.verified(secret)]
    assert kinds[2:] == [("item.escalated", 2)]
    assert {e["key"] for e in receiver.verified(secret)} == {str(action.pk)}


def test_a_revoked_token_is_sent_nothing(
    receiver: Receiver, obligation: Any, officer: Any, partner_token: ApiToken, admin_user: Any
) -> None:
    subscription, _secret = subscribe(receiver, partner_token, admin_user)
    dispatch.fan_out()
    partner_token.revoke()
    update(obligation, officer, progress=50, note="Private now")
    pump(subscription)
    assert receiver.received == [] and not Event.objects.exists()


def test_rotation_signs_with_both_secrets_for_the_grace_period(
    receiver: Receiver, partner_token: ApiToken, admin_user: Any, settings: Any
) -> None:
    subscription, old = subscribe(receiver, partner_token, admin_user)
    new = services.rotate_secret(subscription, by=admin_user)
    services.send_test(subscription, by=admin_user)
    pump(subscription)
    assert len(receiver.verified(old)) == 1 and len(receiver.verified(new)) == 1
    assert len(receiver.received[0].headers["webhook-signature"].split(" ")) == 2

    Subscription.objects.filter(pk=subscription.pk).update(previous_secret_expires_at=timezone.now() - dt.timedelta(seconds=1))
    services.send_test(subscription, by=admin_user)
    pump(subscription)
    assert len(receiver.verified(old)) == 1 and len(receiver.verified(new)) == 2


def test_secrets_are_stored_encrypted(receiver: Receiver, partner_token: ApiToken, admin_user: Any) -> None:
    subscription, secret = subscribe(receiver, partner_token, admin_user)
    stored = Subscription.objects.values_list("secret", flat=True).get(pk=subscription.pk)
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    assert secrets.unseal(stored) == secret


def test_a_subscription_failing_for_a_day_is_disabled_and_its_contact_told(
    receiver: Receiver, partner_token: ApiToken, admin_user: Any
) -> None:
    subscription, _secret = subscribe(receiver, partner_token, admin_user)
    receiver.answer(500, times=5)
    services.send_test(subscription, by=admin_user)
    dispatch.deliver(subscription.pk, budget=5)
    subscription.refresh_from_db()
    assert subscription.failing_since is not None and subscription.is_active
    Subscription.objects.filter(pk=subscription.pk).update(failing_since=timezone.now() - dt.timedelta(hours=25))
    Event.objects.update(next_attempt_at=timezone.now())
    dispatch.deliver(subscription.pk, budget=5)
    subscription.refresh_from_db()
    assert not subscription.is_active and "for a day" in subscription.disabled_reason
    message = OutboxMessage.objects.get(dedupe_key__startswith="webhook-disabled:")
    assert message.payload["to"] == ["integrations@party-a.example.org"]
    # Disabled: nothing more is sent, and the waiting event stays for when it is enabled again.
    sent = len(receiver.received)
    Event.objects.update(next_attempt_at=timezone.now())
    dispatch.deliver(subscription.pk, budget=5)
    assert len(receiver.received) == sent
    services.change(subscription, by=admin_user, is_active=True)
    pump(subscription)
    assert Event.objects.get().state == Event.State.DELIVERED


def test_a_redirect_is_not_followed(receiver: Receiver, partner_token: ApiToken, admin_user: Any, settings: Any) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60  # no second try within this test
    subscription, _secret = subscribe(receiver, partner_token, admin_user)
    receiver.answer(302, headers={"Location": receiver.url.replace("/hook", "/elsewhere")})
    services.send_test(subscription, by=admin_user)
    dispatch.deliver(subscription.pk, budget=1)
    assert [r.path for r in receiver.received] == ["/hook"]
    attempt = Attempt.objects.get()
    assert attempt.outcome == Attempt.Outcome.FAILED and attempt.status_code == 302 and "redirect" in attempt.error


def test_the_log_keeps_the_start_of_a_long_answer(receiver: Receiver, partner_token: ApiToken, admin_user: Any) -> None:
    subscription, _secret = subscribe(receiver, partner_token, admin_user)
    receiver.answer(200, body=b"x" * 50_000)
    services.send_test(subscription, by=admin_user)
    dispatch.deliver(subscription.pk, budget=2)
    attempt = Attempt.objects.get()
    assert attempt.outcome == Attempt.Outcome.DELIVERED and attempt.response_body == "x" * 1024


def test_a_changed_secret_key_needs_its_fallback_or_a_rotation(
    receiver: Receiver, partner_token: ApiToken, admin_user: Any, settings: Any
) -> None:
    subscription, old = subscribe(receiver, partner_token, admin_user)
    first_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = [first_key]  # the documented way: the old key still decrypts
    services.send_test(subscription, by=admin_user)
    pump(subscription)
    assert len(receiver.verified(old)) == 1

    settings.SECRET_KEY_FALLBACKS = []  # changed without a fallback: nothing can be signed
    services.send_test(subscription, by=admin_user)
    dispatch.deliver(subscription.pk, budget=2)
    subscription.refresh_from_db()
    assert not subscription.is_active and "cannot be decrypted" in subscription.disabled_reason
    assert len(receiver.received) == 1

    new = services.rotate_secret(subscription, by=admin_user)  # the way back: a new secret, then enable
    services.change(subscription, by=admin_user, is_active=True)
    pump(subscription)
    assert len(receiver.received) == 2 and len(receiver.verified(new)) == 1
    assert receiver.received[-1].headers["webhook-signature"].count("v1,") == 1
