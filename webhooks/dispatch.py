"""Events from the change log to subscribers' endpoints (issue 14).

Two steps, each restartable from what the database holds:

1. **Fan-out** (:func:`fan_out`). The change log is the one history of every write
   (:mod:`commitments.changes`): a follower reads it after its :class:`~webhooks.models.Cursor`,
   only changes that are final (the feed's own rule), turns each into event types
   (:func:`event_types`), and for each subscription that wants one and may read the resource writes
   an :class:`~webhooks.models.Event`: the outbox. The events and the cursor's step are one
   transaction, so a crash repeats a batch or none of it, and nothing is lost when Redis or a
   receiver is down: the events wait in the database.
2. **Delivery** (:func:`deliver`). One deliverer per subscription at a time (a lease on its row)
   sends its due events oldest first, signed as the Standard Webhooks specification says, never
   overtaking an earlier undelivered event about the same resource (in order per resource).
   A failure is retried with exponential back-off and jitter for about a day
   (:func:`retry_delay`); a subscription failing for a day (``WEBHOOK_DISABLE_AFTER``) is
   disabled and its contact told. Each try is an :class:`~webhooks.models.Attempt`.

Delivery is at least once: a receiver de-duplicates on ``webhook-id``, and recovers anything it
missed (a disabled spell) from ``/api/v1/changes/?after=`` the last ``cursor`` it saw.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import random
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from commitments.api.views import encode_cursor
from commitments.changes import changes_after, feed_head
from commitments.models import Change
from commitments.notifications.outbox import queue_email
from devotracker.api.represent import represent
from devotracker.celery import hand_off_by_name

from . import destinations, secrets
from .models import Attempt, Cursor, Event, EventType, Subscription

logger = logging.getLogger("webhooks")
security = logging.getLogger("devotracker.security")

FAN_OUT_TASK = "webhooks.tasks.fan_out_task"
DELIVER_TASK = "webhooks.tasks.deliver_task"
CURSOR = "webhooks"
BATCH = 500


# --- from a change to events -------------------------------------------------------------------


def event_types(change: Change) -> list[tuple[str, dict[str, Any]]]:
    """The event types a change of the log is, each with what the event adds to its envelope (an
    escalation's step). Deletes and resources no event is about give none."""
    resource, op, event = change.resource, change.op, change.event
    if op == Change.Op.DELETE:
        return []
    if event.startswith("escalated-") and resource in ("obligations", "actions"):
        return [(EventType.ITEM_ESCALATED, {"step": int(event.rpartition("-")[2])})]
    if resource == "commitments":
        return [(EventType.COMMITMENT_UPDATED, {})]
    if resource == "obligations":
        return [(EventType.OBLIGATION_UPDATED, {})]
    if resource == "actions":
        if event == Change.Event.OVERDUE:
            return [(EventType.ACTION_OVERDUE, {})]
        return [(EventType.ACTION_CREATED if op == Change.Op.CREATE else EventType.ACTION_UPDATED, {})]
    if resource == "reports" and event == Change.Event.PUBLISHED:
        return [(EventType.PAPER_PUBLISHED, {})]
    if resource == "periods" and event == Change.Event.CLOSED:
        return [(EventType.PERIOD_CLOSED, {})]
    return []


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def envelope(event_type: str, at: dt.datetime, data: Any, **about: Any) -> str:
    """An event's body: ``type``, ``timestamp`` and ``data`` as the specification recommends, then
    what the event is about (``resource``, ``key``, ``version``, ``cursor``, ``step``)."""
    return json.dumps({"type": event_type, "timestamp": _utc(at), "data": data, **about}, separators=(",", ":"), sort_keys=False)


def start_following() -> None:
    """Make the follower's cursor at the feed's head if there is none yet: called when a
    subscription is registered, so every change committed after that is followed (events start
    from when webhooks start, not from the beginning of history)."""
    if not Cursor.objects.filter(name=CURSOR).exists():
        txid, change_id = feed_head()
        Cursor.objects.get_or_create(name=CURSOR, defaults={"txid": txid, "change_id": change_id})


def _locked_cursor() -> Cursor:
    """The follower's cursor, locked for this transaction."""
    start_following()
    return Cursor.objects.select_for_update().get(name=CURSOR)


def fan_out(*, limit: int = BATCH) -> tuple[int, set[int]]:
    """Turn the next ``limit`` final changes of the log into events, in one transaction with the
    cursor's step. Returns the changes read and the subscriptions given events."""
    with transaction.atomic():
        cursor = _locked_cursor()
        subscriptions = list(Subscription.objects.receiving().select_related("token__user"))
        if not subscriptions:
            # Nobody listens: skip to the head (what happened meanwhile is in the feed).
            txid, change_id = feed_head()
            if (txid, change_id) > (cursor.txid, cursor.change_id):
                cursor.txid, cursor.change_id = txid, change_id
                cursor.save(update_fields=["txid", "change_id", "updated_at"])
            return 0, set()
        rows = changes_after(cursor.txid, cursor.change_id, limit)
        if not rows:
            return 0, set()
        events = list(_events(rows, subscriptions))
        Event.objects.bulk_create(events, batch_size=500)
        cursor.txid, cursor.change_id = rows[-1].txid, rows[-1].id
        cursor.save(update_fields=["txid", "change_id", "updated_at"])
    return len(rows), {event.subscription_id for event in events}


def _events(rows: Iterable[Change], subscriptions: list[Subscription]) -> Iterable[Event]:
    shown: dict[tuple[str, str, int], dict[str, Any] | None] = {}
    for change in rows:
        kinds = event_types(change)
        if not kinds:
            continue
        for subscription in subscriptions:
            if change.at < subscription.created_at:
                continue
            for event_type, extra in kinds:
                if not subscription.wants(event_type):
                    continue
                seen_as = (change.resource, change.key, subscription.token_id)
                if seen_as not in shown:
                    # As this subscriber's token reads it: None when it may not (or it is gone).
                    shown[seen_as] = represent(change.resource, change.key, user=subscription.token.user, token=subscription.token)
                data = shown[seen_as]
                if data is None:
                    continue
                version = data.get("version", change.version) if isinstance(data, dict) else change.version
                cursor = encode_cursor(change.txid, change.id)
                about = {"resource": change.resource, "key": change.key, "version": version, "cursor": cursor, **extra}
                yield Event(
                    subscription=subscription,
                    type=event_type,
                    resource=change.resource,
                    key=change.key,
                    object_id=change.object_id,
                    version=version,
                    cursor=cursor,
                    body=envelope(event_type, change.at, data, **about),
                )


# --- delivery ----------------------------------------------------------------------------------


def max_attempts() -> int:
    return int(settings.WEBHOOK_MAX_ATTEMPTS)


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try: base × 4^(attempts-1), capped, ±20 % jitter
    (5 s, 20 s, 80 s, 5 min, 21 min, 85 min, 5.7 h, then 8 h: ten tries span about a day)."""
    base, cap = float(settings.WEBHOOK_RETRY_BASE_SECONDS), float(settings.WEBHOOK_RETRY_MAX_SECONDS)
    delay = min(base * 4 ** max(attempts - 1, 0), cap)
    return dt.timedelta(seconds=delay * random.uniform(0.8, 1.2))


def due(subscription: Subscription, now: dt.datetime) -> QuerySet[Event]:
    """The subscription's events due now that no earlier undelivered event about the same resource
    holds back, oldest first."""
    earlier = Event.objects.filter(
        subscription_id=subscription.pk,
        state=Event.State.PENDING,
        resource=OuterRef("resource"),
        object_id=OuterRef("object_id"),
        id__lt=OuterRef("id"),
    )
    return (
        Event.objects.filter(subscription_id=subscription.pk, state=Event.State.PENDING, next_attempt_at__lte=now)
        .filter(Q(object_id__isnull=True) | ~Exists(earlier))
        .order_by("id")
    )


class Signer:
    """Signs with the subscription's secret and, during a rotation's grace period, the previous
    one too: the ``webhook-signature`` header then holds both, and either verifies."""

    def __init__(self, subscription: Subscription, now: dt.datetime) -> None:
        self.webhooks = [Webhook(secrets.unseal(subscription.secret))]  # SecretUnreadable: the caller's
        if subscription.previous_secret and subscription.previous_secret_expires_at and subscription.previous_secret_expires_at > now:
            # Rotated away from a secret that can no longer be read: the new one alone signs.
            with contextlib.suppress(secrets.SecretUnreadable):
                self.webhooks.append(Webhook(secrets.unseal(subscription.previous_secret)))

    def headers(self, msg_id: str, at: dt.datetime, body: bytes) -> dict[str, str]:
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": " ".join(hook.sign(msg_id, at, body) for hook in self.webhooks),
        }


def deliver(subscription_id: int, *, budget: float | None = None) -> dict[str, int]:
    """Send the subscription's due events, for at most ``budget`` seconds, if no other deliverer
    holds its lease. Returns the counts ``delivered``, ``failed`` and ``refused``."""
    budget = float(settings.WEBHOOK_DELIVERY_BUDGET_SECONDS if budget is None else budget)
    counts = {"delivered": 0, "failed": 0, "refused": 0}
    now = timezone.now()
    lease = now + dt.timedelta(seconds=budget + 60)
    taken = (
        Subscription.objects.filter(pk=subscription_id, is_active=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=lease)
    )
    if not taken:
        return counts
    try:
        subscription = Subscription.objects.select_related("party", "created_by").get(pk=subscription_id)
        try:
            signer = Signer(subscription, now)
        except secrets.SecretUnreadable as exc:
            # SECRET_KEY changed without the old one in SECRET_KEY_FALLBACKS: nothing can be signed.
            disable(subscription, reason=f"{exc} Rotate the secret to resume.")
            return counts
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline and subscription.is_active:
            batch = list(due(subscription, timezone.now())[:50])
            if not batch:
                break
            held: set[tuple[str, int]] = set()
            for event in batch:
                about = (event.resource, event.object_id) if event.object_id is not None else None
                if about in held or time.monotonic() >= deadline or not subscription.is_active:
                    continue
                outcome = attempt(subscription, event, signer)
                counts[outcome] += 1
                if outcome != Attempt.Outcome.DELIVERED and about is not None:
                    held.add(about)
    finally:
        Subscription.objects.filter(pk=subscription_id, lease_until=lease).update(lease_until=None)
    return counts


def attempt(subscription: Subscription, event: Event, signer: Signer) -> str:
    """One try to deliver ``event``; records it and what follows. Returns the outcome."""
    at = timezone.now()
    body = event.body.encode()
    status: int | None = None
    latency: int | None = None
    kept = error = ""
    try:
        answer = destinations.post(subscription.endpoint, body, signer.headers(event.msg_id, at, body))
    except destinations.UnsafeDestination as exc:
        outcome, error = Attempt.Outcome.REFUSED, str(exc)
        security.warning(
            "webhook delivery refused", extra={"fields": {"subscription": subscription.pk, "url": subscription.endpoint, "reason": error}}
        )
    except destinations.DeliveryError as exc:
        outcome, error = Attempt.Outcome.FAILED, str(exc)
    else:
        status, latency, kept = answer.status, answer.latency_ms, answer.body
        if 200 <= answer.status < 300:
            outcome = Attempt.Outcome.DELIVERED
        else:
            outcome = Attempt.Outcome.FAILED
            error = "A redirect, not followed." if 300 <= answer.status < 400 else f"Answered {answer.status}."
    with transaction.atomic():
        Attempt.objects.create(
            event=event, at=at, outcome=outcome, status_code=status, latency_ms=latency, error=error[:300], response_body=kept
        )
        event.attempts += 1
        if outcome == Attempt.Outcome.DELIVERED:
            event.state, event.delivered_at, event.next_attempt_at = Event.State.DELIVERED, timezone.now(), None
        elif event.attempts >= max_attempts():
            event.state, event.next_attempt_at = Event.State.FAILED, None
        else:
            event.next_attempt_at = at + retry_delay(event.attempts)
        event.save(update_fields=["attempts", "state", "delivered_at", "next_attempt_at"])
        _note_health(subscription, ok=outcome == Attempt.Outcome.DELIVERED, at=at)
    return str(outcome)


def _note_health(subscription: Subscription, *, ok: bool, at: dt.datetime) -> None:
    """Track how long the subscription has been failing; disable it after a day of failures."""
    if ok:
        if subscription.failing_since is not None:
            subscription.failing_since = None
            Subscription.objects.filter(pk=subscription.pk).update(failing_since=None)
        return
    if subscription.failing_since is None:
        subscription.failing_since = at
        Subscription.objects.filter(pk=subscription.pk).update(failing_since=at)
        return
    if at - subscription.failing_since >= dt.timedelta(seconds=float(settings.WEBHOOK_DISABLE_AFTER_SECONDS)):
        disable(subscription, reason=f"Every delivery failed from {subscription.failing_since:%-d %B %Y %H:%M} UTC for a day.", at=at)


def disable(subscription: Subscription, *, reason: str, at: dt.datetime | None = None) -> None:
    """Stop sending to a subscription and tell its contact (once per disabling)."""
    at = at or timezone.now()
    subscription.is_active, subscription.disabled_at, subscription.disabled_reason = False, at, reason[:300]
    Subscription.objects.filter(pk=subscription.pk).update(is_active=False, disabled_at=at, disabled_reason=reason[:300])
    logger.warning("webhook subscription disabled", extra={"fields": {"subscription": subscription.pk, "reason": reason}})
    to = [address for address in [subscription.contact_email or getattr(subscription.created_by, "email", "")] if address]
    if to:
        page = f"{settings.SITE_URL}/webhooks/{subscription.pk}/"
        text = (
            f"DevoTracker has stopped sending events to {subscription.endpoint} for {subscription.party.name}.\n\n"
            f"{reason}\n\nEvents after this are not prepared while it is disabled; each one is in the change feed "
            f"(/api/v1/changes/?after= the last cursor you received). Once the endpoint answers again, an "
            f"administrator can enable the subscription on {page}.\n"
        )
        queue_email(
            dedupe_key=f"webhook-disabled:{subscription.pk}:{at.isoformat()}",
            to=to,
            subject=f"Webhook subscription disabled: {subscription.endpoint}",
            text=text,
            html="".join(f"<p>{line}</p>" for line in text.split("\n\n")),
        )


# --- hand-offs ---------------------------------------------------------------------------------


def nudge() -> None:
    """After a commit that recorded changes: ask a worker to fan them out, when anyone listens
    (one indexed query on a small table; with no subscription, no broker round trip). A broker
    that is down loses nothing (the periodic sweep finds the changes in the log)."""
    try:
        if not Subscription.objects.receiving().exists():
            return
        if _pending(FAN_OUT_PENDING):
            return
        hand_off_by_name(FAN_OUT_TASK)
    except Exception as exc:  # the log is the record; the sweep catches up
        cache.delete(FAN_OUT_PENDING)
        logger.warning("could not hand off the webhooks fan-out", extra={"fields": {"error": type(exc).__name__}})


# A hand-off already waiting for a worker makes another one pointless: the task clears its flag
# when it starts, so a commit after that start hands off again (nothing waits for the sweep).
# With CACHE_URL on Redis the flag is shared by every process; with the quick start's in-process
# cache a process may skip hand-offs for PENDING_SECONDS after its last one (the sweep covers it).
FAN_OUT_PENDING = "webhooks:fan-out-pending"
PENDING_SECONDS = 5


def _pending(key: str) -> bool:
    """True when a hand-off for ``key`` is already waiting; otherwise marks one as waiting."""
    return not cache.add(key, 1, timeout=PENDING_SECONDS)


def delivery_pending_key(subscription_id: int) -> str:
    return f"webhooks:deliver-pending:{subscription_id}"


def subscriptions_due(now: dt.datetime | None = None) -> list[int]:
    """Enabled subscriptions with an event due and no deliverer holding them."""
    now = now or timezone.now()
    return list(
        Subscription.objects.filter(is_active=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(Exists(Event.objects.filter(subscription=OuterRef("pk"), state=Event.State.PENDING, next_attempt_at__lte=now)))
        .values_list("pk", flat=True)
    )


def next_due(subscription_id: int) -> dt.datetime | None:
    return (
        Event.objects.filter(subscription_id=subscription_id, state=Event.State.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def hand_off_delivery(subscription_id: int, countdown: float | None = None) -> None:
    """Ask a worker to deliver a subscription's due events (once: not when a hand-off is already
    waiting), now or after ``countdown`` seconds (a retry due soon)."""
    try:
        if not countdown and _pending(delivery_pending_key(subscription_id)):
            return
        if countdown:
            hand_off_by_name(DELIVER_TASK, args=[subscription_id], countdown=countdown)
        else:
            hand_off_by_name(DELIVER_TASK, args=[subscription_id])
    except Exception as exc:
        cache.delete(delivery_pending_key(subscription_id))
        logger.warning("could not hand off a webhook delivery", extra={"fields": {"error": type(exc).__name__}})
