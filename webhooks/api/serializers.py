"""The webhooks' API representation and inputs (``/api/v1/webhooks/``, docs/api.md "Webhooks")."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers

from boards.models import Party
from devotracker.api.serializers import NoUnknownFieldsSerializer, StrictCharField, StrictChoiceField, UTCDateTimeField

from ..models import Attempt, Event, Subscription
from ..services import SUBSCRIBABLE


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false`` only (DRF would also take ``1``, ``"yes"``, ``"on"``…), as the
    schema says."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class SubscriptionSerializer(serializers.ModelSerializer):
    """A subscription as its organisation and administrators see it (never its secret)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:webhook-detail")
    deliveries = serializers.HyperlinkedIdentityField(view_name="api:webhook-deliveries", help_text="The delivery log.")
    party: serializers.SlugRelatedField[Party] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="The organisation it belongs to."
    )
    endpoint = serializers.URLField(read_only=True, help_text="Where events are sent.")
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE), read_only=True)
    token = serializers.CharField(source="token.prefix", read_only=True, help_text="The first characters of the token events are read as.")
    contact_email = serializers.EmailField(
        read_only=True, allow_blank=True, help_text="Told when the subscription is disabled after failing for a day; empty if none given."
    )
    disabled_at = UTCDateTimeField(read_only=True, allow_null=True)
    failing_since = UTCDateTimeField(
        read_only=True, allow_null=True, help_text="When deliveries started failing; null when the last one succeeded."
    )
    previous_secret_expires_at = UTCDateTimeField(
        read_only=True, allow_null=True, help_text="After a rotation, until when the previous secret also signs."
    )
    created_at = UTCDateTimeField(read_only=True)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "url",
            "party",
            "endpoint",
            "event_types",
            "description",
            "contact_email",
            "token",
            "is_active",
            "disabled_at",
            "disabled_reason",
            "failing_since",
            "previous_secret_expires_at",
            "created_at",
            "deliveries",
        ]
        read_only_fields = fields


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret (whsec_…): shown this once. Keep it.")

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class SubscriptionInputSerializer(NoUnknownFieldsSerializer):
    """The body of ``POST /webhooks/``. The subscription reads as the token that registers it,
    for that token's organisation (``party``: needed only when its user belongs to several)."""

    endpoint = serializers.URLField(
        max_length=500, help_text="https:// address of a public host (not a private, loopback or link-local address)."
    )
    event_types = serializers.ListField(child=StrictChoiceField(choices=SUBSCRIBABLE), min_length=1, max_length=len(SUBSCRIBABLE))
    description = StrictCharField(required=False, allow_blank=True, max_length=200)
    contact_email = serializers.EmailField(
        required=False, allow_blank=True, max_length=254, help_text="Told if the subscription is disabled."
    )
    party = StrictCharField(required=False, max_length=80, help_text="Your organisation's slug, if you belong to several.")


class SubscriptionChangeSerializer(NoUnknownFieldsSerializer):
    """The body of ``PATCH /webhooks/{id}/``: any of these."""

    endpoint = serializers.URLField(required=False, max_length=500)
    event_types = serializers.ListField(
        child=StrictChoiceField(choices=SUBSCRIBABLE), min_length=1, max_length=len(SUBSCRIBABLE), required=False
    )
    description = StrictCharField(required=False, allow_blank=True, max_length=200)
    contact_email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    is_active = StrictBooleanField(required=False, help_text="false pauses deliveries; true resumes them.")


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(read_only=True, help_text="The new signing secret: shown this once.")
    previous_secret_expires_at = UTCDateTimeField(read_only=True, help_text="Until when the previous secret also signs.")


class AttemptSerializer(serializers.ModelSerializer):
    at = UTCDateTimeField(read_only=True)
    outcome = serializers.ChoiceField(choices=Attempt.Outcome.choices, read_only=True)

    class Meta:
        model = Attempt
        fields = ["at", "outcome", "status_code", "latency_ms", "error", "response_body"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    """One event for the subscription: what it is about, where its delivery stands, its tries."""

    id = serializers.CharField(source="msg_id", read_only=True, help_text="The webhook-id header: the same on every try.")
    state = serializers.ChoiceField(choices=Event.State.choices, read_only=True)
    created_at = UTCDateTimeField(read_only=True)
    next_attempt_at = UTCDateTimeField(read_only=True, allow_null=True, help_text="The next try, while pending.")
    delivered_at = UTCDateTimeField(read_only=True, allow_null=True)
    tries = AttemptSerializer(source="attempt_log", many=True, read_only=True, help_text="Newest first.")
    payload = serializers.SerializerMethodField(help_text="The body sent.")

    class Meta:
        model = Event
        fields = [
            "id",
            "type",
            "resource",
            "key",
            "version",
            "cursor",
            "state",
            "attempts",
            "created_at",
            "next_attempt_at",
            "delivered_at",
            "tries",
            "payload",
        ]
        read_only_fields = fields

    def get_payload(self, event: Event) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(event.body)
        return payload
