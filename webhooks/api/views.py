"""``/api/v1/webhooks/``: a partner's own organisation's subscriptions (issue 14).

Reading needs any token of a member of the organisation (administrators see all); registering,
changing, testing, rotating and redelivering need a write-scope token, and the subscription reads
as the token that registered it. The secret is in the answer to ``POST`` and to
``rotate-secret/`` only.

Bodies are JSON only. Reads carry no ``ETag``: the API's validators follow the change log, and a
subscription and its delivery log change without any change of the data it serves (a validator
from the log would answer 304 to a stale copy).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from boards.models import ApiToken, Party
from devotracker.api.mixins import ApiViewMixin
from devotracker.api.permissions import TokenScopeAllowsWrite
from devotracker.api.renderers import JSONParser
from devotracker.api.schema import RETRY_AFTER, created_location, errors
from devotracker.api.throttling import TokenRateThrottle, TokenWriteRateThrottle
from devotracker.api.viewsets import INT_KEY

from .. import services
from ..models import Event, Subscription
from . import schema as _bodies_schema  # noqa: F401  # registers the request bodies' schema extensions
from . import serializers as s

MSG_ID = r"msg_[0-9a-f]{32}"
LOCATION = created_location("The subscription just registered.")


def _refused(exc: services.Invalid) -> exceptions.ValidationError:
    return exceptions.ValidationError(exc.field_errors())


@extend_schema_view(
    list=extend_schema(
        summary="List your organisation's webhook subscriptions",
        parameters=[RETRY_AFTER],
        responses={200: s.SubscriptionSerializer, **errors(400, 401, 404, 406, 429)},
    ),
    retrieve=extend_schema(
        summary="One webhook subscription",
        parameters=[RETRY_AFTER],
        responses={200: s.SubscriptionSerializer, **errors(401, 404, 406, 429)},
    ),
    destroy=extend_schema(
        summary="Remove a webhook subscription",
        parameters=[RETRY_AFTER],
        responses={204: OpenApiResponse(description="Removed, with its delivery log."), **errors(401, 403, 404, 429)},
    ),
)
class WebhookViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Webhook subscriptions, keyed by ``id``."""

    serializer_class = s.SubscriptionSerializer
    lookup_value_regex = INT_KEY
    filter_backends: list[Any] = []
    permission_classes = [*viewsets.GenericViewSet.permission_classes, TokenScopeAllowsWrite]
    throttle_classes = [TokenRateThrottle, TokenWriteRateThrottle]
    parser_classes = [JSONParser]
    csv_export = False  # a list of subscriptions is not a table to download
    unconditional_actions = ("list", "retrieve", "deliveries")

    def get_queryset(self) -> QuerySet[Subscription]:
        if getattr(self, "swagger_fake_view", False):
            return Subscription.objects.none()
        return Subscription.objects.visible_to(self.request.user).select_related("party", "token").order_by("id")

    def _token(self, request: Request) -> ApiToken:
        token = request.auth
        if not isinstance(token, ApiToken):
            raise exceptions.PermissionDenied(
                "Register webhooks with your organisation's API token (administrators: use the webhooks page)."
            )
        return token

    @extend_schema(
        summary="Register a webhook subscription",
        description=(
            "For your own organisation, reading as the token used here. The answer holds the signing secret, "
            "shown this once. The endpoint must be https:// and, if it is an IP address, a public one; a host "
            "name is resolved and checked at every delivery."
        ),
        request=s.SubscriptionInputSerializer,
        parameters=[LOCATION, RETRY_AFTER],
        responses={201: s.SubscriptionCreatedSerializer, **errors(400, 401, 403, 413, 415, 429)},
    )
    def create(self, request: Request) -> Response:
        token = self._token(request)
        body = s.SubscriptionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        mine = services.parties_of(request.user)
        party: Party | None
        if "party" in data:
            party = next((p for p in mine if p.slug == data["party"]), None)
            if party is None:
                raise exceptions.ValidationError({"party": ["Not an organisation you belong to."]})
        elif len(mine) == 1:
            party = mine[0]
        else:
            problem = "You belong to no organisation." if not mine else "You belong to several organisations: say which (party)."
            raise exceptions.ValidationError({"party": [problem]})
        try:
            subscription, secret = services.register(
                by=request.user,
                party=party,
                token=token,
                endpoint=data["endpoint"],
                event_types=data["event_types"],
                description=data.get("description", ""),
                contact_email=data.get("contact_email", ""),
            )
        except services.Invalid as exc:
            raise _refused(exc) from None
        except services.NotAllowed as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        answer = s.SubscriptionCreatedSerializer(subscription, context=self.get_serializer_context()).data
        answer["secret"] = secret
        return Response(answer, status=status.HTTP_201_CREATED, headers={"Location": answer["url"]})

    @extend_schema(
        summary="Change a webhook subscription",
        request=s.SubscriptionChangeSerializer,
        parameters=[RETRY_AFTER],
        responses={200: s.SubscriptionSerializer, **errors(400, 401, 403, 404, 413, 415, 429)},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        subscription = self.get_object()
        body = s.SubscriptionChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        try:
            services.change(subscription, by=request.user, **fields)
        except services.Invalid as exc:
            raise _refused(exc) from None
        except services.NotAllowed as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(self.get_serializer(subscription).data)

    def perform_destroy(self, instance: Subscription) -> None:
        try:
            services.remove(instance, by=self.request.user)
        except services.NotAllowed as exc:
            raise exceptions.PermissionDenied(str(exc)) from None

    @extend_schema(
        summary="Rotate the signing secret",
        description="A new secret, shown this once; the previous one also signs until previous_secret_expires_at.",
        request=None,
        parameters=[RETRY_AFTER],
        responses={200: s.SecretSerializer, **errors(401, 403, 404, 429)},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        subscription = self.get_object()
        try:
            secret = services.rotate_secret(subscription, by=request.user)
        except services.NotAllowed as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(s.SecretSerializer({"secret": secret, "previous_secret_expires_at": subscription.previous_secret_expires_at}).data)

    @extend_schema(
        summary="Send a test event (ping)",
        request=None,
        parameters=[RETRY_AFTER],
        responses={201: s.DeliverySerializer, **errors(401, 403, 404, 429)},
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        subscription = self.get_object()
        try:
            event = services.send_test(subscription, by=request.user)
        except services.NotAllowed as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(s.DeliverySerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The delivery log: this subscription's events, newest first",
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, enum=Event.State.values, description="Only events in this state."),
            RETRY_AFTER,
        ],
        responses={200: s.DeliverySerializer(many=True), **errors(400, 401, 404, 406, 429)},
    )
    @action(detail=True, methods=["get"], url_path="deliveries", url_name="deliveries")
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        subscription = self.get_object()
        events = subscription.delivery_log()
        state = request.query_params.get("state")
        if state is not None:
            if state not in Event.State.values:
                raise exceptions.ValidationError({"state": [f"Choose one of {', '.join(Event.State.values)}."]})
            events = events.filter(state=state)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(s.DeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Deliver an event again (same webhook-id)",
        parameters=[
            OpenApiParameter("msg_id", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=f"^{MSG_ID}$", description="The event's id."),
            RETRY_AFTER,
        ],
        request=None,
        responses={200: s.DeliverySerializer, **errors(401, 403, 404, 429)},
    )
    @action(detail=True, methods=["post"], url_path=rf"deliveries/(?P<msg_id>{MSG_ID})/redeliver", url_name="redeliver")
    def redeliver(self, request: Request, pk: str | None = None, msg_id: str = "") -> Response:
        subscription = self.get_object()
        event = get_object_or_404(subscription.events.all(), msg_id=msg_id)
        try:
            services.redeliver(event, by=request.user)
        except services.NotAllowed as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(s.DeliverySerializer(subscription.delivery_log().get(pk=event.pk)).data)
