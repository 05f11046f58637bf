"""Webhook subscriptions and their outbox (issue 14).

A :class:`Subscription` is a partner organisation's HTTPS endpoint, the event types it wants and
the API token whose read rights and representation its events carry. Events come from the change
log (:mod:`commitments.changes`), followed from a :class:`Cursor`; each event for each subscription
is an :class:`Event` row, the outbox, written in one transaction with the cursor's step, and each
try to deliver it is an :class:`Attempt`, the delivery log the subscriber reads.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from boards.models import ApiToken, Party


class EventType(models.TextChoices):
    COMMITMENT_UPDATED = "commitment.updated", "A commitment changed"
    OBLIGATION_UPDATED = "obligation.updated", "An obligation changed"
    ACTION_CREATED = "action.created", "An action was added"
    ACTION_UPDATED = "action.updated", "An action changed"
    ACTION_OVERDUE = "action.overdue", "An action was first flagged overdue"
    ITEM_ESCALATED = "item.escalated", "An obligation or action went up the escalation ladder"
    PAPER_PUBLISHED = "paper.published", "A committee paper was published"
    PERIOD_CLOSED = "period.closed", "A reporting period was closed"
    PING = "ping", "A test event"


def new_message_id() -> str:
    """A Standard Webhooks message id (``webhook-id``): unique, kept across retries."""
    return f"msg_{uuid.uuid4().hex}"


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def receiving(self) -> SubscriptionQuerySet:
        """Subscriptions events are prepared for: enabled, with a token still valid for a user
        still active (a revoked token reads nothing, so is told nothing)."""
        return self.filter(is_active=True, token__revoked_at__isnull=True, token__user__is_active=True)

    def visible_to(self, user: Any) -> SubscriptionQuerySet:
        """Administrators see every subscription; anyone else their own organisations'."""
        if getattr(user, "is_staff", False):
            return self
        return self.filter(party__memberships__user=user).distinct()


class Subscription(models.Model):
    """A partner organisation's endpoint for events."""

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="webhook_subscriptions")
    token = models.ForeignKey(
        ApiToken,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        help_text="Events carry what this token may read, as the API shows it to this token.",
    )
    endpoint = models.URLField(max_length=500, help_text="The HTTPS address events are sent to.")
    event_types = models.JSONField(default=list, help_text="The event types wanted.")
    description = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True, help_text="Told when the subscription is disabled after failing for a day.")
    # Signing secrets, encrypted (webhooks.secrets): a database dump holds no usable secret.
    secret = models.TextField(editable=False)
    previous_secret = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False, help_text="When deliveries started failing.")
    lease_until = models.DateTimeField(null=True, blank=True, editable=False, help_text="One deliverer at a time holds the lease.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["party__name", "endpoint", "id"]

    def __str__(self) -> str:
        return f"{self.party} → {self.endpoint}"

    def wants(self, event_type: str) -> bool:
        return event_type == EventType.PING or event_type in self.event_types

    def delivery_log(self) -> models.QuerySet[Event]:
        """Its events, newest first, each with its tries (newest first): the delivery log the page
        and the API show."""
        return self.events.prefetch_related(models.Prefetch("attempt_log", queryset=Attempt.objects.order_by("-at", "-id"))).order_by("-id")


class Event(models.Model):
    """One event for one subscription: the outbox row, kept until delivered or given up."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be delivered"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Given up"

    msg_id = models.CharField(max_length=40, unique=True, default=new_message_id, editable=False)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=24, choices=EventType.choices)
    # What the event is about (empty for a ping): the change log's resource and key.
    resource = models.CharField(max_length=20, blank=True)
    key = models.CharField(max_length=100, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    cursor = models.CharField(max_length=80, blank=True, help_text="The change feed's cursor of the change (?after= recovers a gap).")
    body = models.TextField(help_text="The JSON body, exactly as signed and sent.")
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The deliverer's question: this subscription's events due now.
            models.Index(fields=["subscription", "next_attempt_at"], condition=Q(state="pending"), name="webhook_event_due"),
            # Order per resource: is an earlier event about the same thing still waiting?
            models.Index(fields=["subscription", "resource", "object_id", "id"], condition=Q(state="pending"), name="webhook_event_order"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.resource} {self.key}".strip()


class Attempt(models.Model):
    """One try to deliver an event: the delivery log."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        REFUSED = "refused", "Refused (unsafe address)"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    response_body = models.TextField(blank=True, help_text="The start of the response's body.")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.outcome} {self.status_code or ''}".strip()


class Cursor(models.Model):
    """Where the webhooks' follower of the change log has read to (one row)."""

    name = models.CharField(max_length=20, primary_key=True)
    txid = models.BigIntegerField(default=0)
    change_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at ({self.txid}, {self.change_id})"
