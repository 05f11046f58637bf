"""Every write to subscriptions (issue 14): one function per use case, each checking who may.

Administrators manage any organisation's subscriptions (the page and the Django admin); a partner
manages its own organisation's through the API with a write-scope token. The signing secret is
returned once, by :func:`register` and :func:`rotate_secret`, and never again.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from boards.models import ApiToken, Membership, Party

from . import destinations, dispatch, secrets
from .models import Event, EventType, Subscription

security = logging.getLogger("devotracker.security")

SUBSCRIBABLE = [choice for choice in EventType.values if choice != EventType.PING]


class NotAllowed(PermissionError):
    """The user may not manage this organisation's subscriptions."""


class Invalid(ValueError):
    """Input refused, with a message per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors

    def field_errors(self) -> dict[str, list[str]]:
        """The messages as forms and the API take them: a list per field."""
        return {field: [message] for field, message in self.errors.items()}


def can_manage(user: Any, party: Party) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_staff) or Membership.objects.filter(user=user, party=party).exists()


def parties_of(user: Any) -> list[Party]:
    """The organisations a user may manage subscriptions for, as a partner."""
    return list(Party.objects.filter(memberships__user=user).distinct().order_by("name"))


def clean(*, endpoint: str, event_types: Iterable[str]) -> tuple[str, list[str]]:
    """The address and event types, checked: :class:`Invalid` with a message per field."""
    errors: dict[str, str] = {}
    try:
        _scheme, host, _port = destinations.check_url(endpoint)
    except destinations.UnsafeDestination as exc:
        errors["endpoint"] = str(exc)
    else:
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and not destinations.is_public(literal):
            errors["endpoint"] = f"{literal} is not a public address."
    if "endpoint" in errors:
        security.warning("webhook endpoint refused", extra={"fields": {"endpoint": endpoint[:500], "reason": errors["endpoint"]}})
    wanted = list(dict.fromkeys(event_types))
    unknown = [name for name in wanted if name not in SUBSCRIBABLE]
    if unknown:
        errors["event_types"] = f"Not an event type: {', '.join(unknown)}. Choose from {', '.join(SUBSCRIBABLE)}."
    elif not wanted:
        errors["event_types"] = "Choose at least one event type."
    if errors:
        raise Invalid(errors)
    return endpoint, wanted


def register(
    *, by: Any, party: Party, token: ApiToken, endpoint: str, event_types: Iterable[str], description: str = "", contact_email: str = ""
) -> tuple[Subscription, str]:
    """Register a subscription; returns it with its signing secret (shown this once)."""
    if not can_manage(by, party):
        raise NotAllowed("You may only register webhooks for your own organisation.")
    if not token.is_active or not token.user.is_active:
        raise Invalid({"token": "This token is revoked or its user is inactive."})
    if not Membership.objects.filter(user=token.user, party=party).exists():
        # Events are read as the token: it must be the organisation's own.
        raise Invalid({"token": f"This token's user ({token.user}) is not a member of {party.name}: choose one of theirs."})
    endpoint, wanted = clean(endpoint=endpoint, event_types=event_types)
    secret = secrets.new_secret()
    subscription = Subscription.objects.create(
        party=party,
        token=token,
        endpoint=endpoint,
        event_types=wanted,
        description=description,
        contact_email=contact_email,
        secret=secrets.seal(secret),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    dispatch.start_following()
    return subscription, secret


def change(subscription: Subscription, *, by: Any, **fields: Any) -> Subscription:
    """Change the address, event types, description, contact or whether it is enabled. Enabling
    a disabled subscription clears its failure record; its waiting events are sent again."""
    if not can_manage(by, subscription.party):
        raise NotAllowed("You may only change your own organisation's webhooks.")
    if "endpoint" in fields or "event_types" in fields:
        # Checked again only when they change: an address refused since it was registered (plain
        # http:// allowed then, not now) must not stop the subscription being disabled.
        endpoint, wanted = clean(
            endpoint=fields.get("endpoint", subscription.endpoint), event_types=fields.get("event_types", subscription.event_types)
        )
        subscription.endpoint, subscription.event_types = endpoint, wanted
    for name in ("description", "contact_email"):
        if name in fields:
            setattr(subscription, name, fields[name])
    if "is_active" in fields and bool(fields["is_active"]) != subscription.is_active:
        subscription.is_active = bool(fields["is_active"])
        if subscription.is_active:
            subscription.disabled_at, subscription.disabled_reason, subscription.failing_since = None, "", None
            transaction.on_commit(lambda: dispatch.hand_off_delivery(subscription.pk))
        else:
            subscription.disabled_at, subscription.disabled_reason = timezone.now(), f"Disabled by {by}."
    subscription.save()
    return subscription


def rotate_secret(subscription: Subscription, *, by: Any, now: dt.datetime | None = None) -> str:
    """A new signing secret (returned once); the old one stays valid for
    ``WEBHOOK_SECRET_GRACE_SECONDS``, and deliveries meanwhile are signed with both."""
    if not can_manage(by, subscription.party):
        raise NotAllowed("You may only change your own organisation's webhooks.")
    now = now or timezone.now()
    secret = secrets.new_secret()
    try:
        secrets.unseal(subscription.secret)
    except secrets.SecretUnreadable:  # SECRET_KEY changed without a fallback: nothing to keep
        subscription.previous_secret, subscription.previous_secret_expires_at = "", None
    else:
        subscription.previous_secret = subscription.secret
        subscription.previous_secret_expires_at = now + dt.timedelta(seconds=float(settings.WEBHOOK_SECRET_GRACE_SECONDS))
    subscription.secret = secrets.seal(secret)
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return secret


def send_test(subscription: Subscription, *, by: Any) -> Event:
    """Queue a ``ping`` event for the subscription and ask for its delivery now."""
    if not can_manage(by, subscription.party):
        raise NotAllowed("You may only test your own organisation's webhooks.")
    now = timezone.now()
    data = {"subscription": subscription.pk, "party": subscription.party.slug, "message": "A test event from DevoTracker."}
    event = Event.objects.create(
        subscription=subscription, type=EventType.PING, body=dispatch.envelope(EventType.PING, now, data), created_at=now
    )
    transaction.on_commit(lambda: dispatch.hand_off_delivery(subscription.pk))
    return event


def redeliver(event: Event, *, by: Any) -> Event:
    """Send an event again, with the same ``webhook-id`` (receivers de-duplicate on it), its tries
    counted afresh."""
    if not can_manage(by, event.subscription.party):
        raise NotAllowed("You may only redeliver your own organisation's events.")
    event.state, event.attempts, event.next_attempt_at, event.delivered_at = Event.State.PENDING, 0, timezone.now(), None
    event.save(update_fields=["state", "attempts", "next_attempt_at", "delivered_at"])
    transaction.on_commit(lambda: dispatch.hand_off_delivery(event.subscription_id))
    return event


def remove(subscription: Subscription, *, by: Any) -> None:
    if not can_manage(by, subscription.party):
        raise NotAllowed("You may only remove your own organisation's webhooks.")
    subscription.delete()


def body_of(event: Event) -> Any:
    return json.loads(event.body)
