"""``/api/v1/dependencies/`` (issue 15): what waits on what.

Reading needs any token; creating and deleting need a write-scope token of a user the service
allows (the secretariat of the lead board of the waiting item's commitment, or an administrator),
through :mod:`commitments.dependencies`, as the commitment page's form does. Bodies are JSON, and
unknown fields are refused (400 naming each). A refused write changes nothing: 400 with field
messages (an unknown item, an item waiting on itself, a duplicate, a cycle with its chain named, a
dependency the sources give), 403 (roles), 404 (no such dependency).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from devotracker.api.permissions import TokenScopeAllowsWrite
from devotracker.api.renderers import JSONParser
from devotracker.api.schema import RETRY_AFTER, closed_body, created_location, document_read_viewset, errors
from devotracker.api.serializers import (
    ModelSerializer,
    NoUnknownFieldsSerializer,
    StrictCharField,
    StrictIntegerField,
    UserBriefSerializer,
    UTCDateTimeField,
)
from devotracker.api.throttling import TokenRateThrottle, TokenWriteRateThrottle
from devotracker.api.viewsets import INT_KEY, ReadViewSet

from .. import dependencies as deps
from .. import filtersets
from ..models import Dependency, StatusUpdate
from .serializers import ActionBriefSerializer, CommitmentBriefSerializer

LOCATION = created_location("The dependency just added.")


class DependencySerializer(ModelSerializer):
    """One item waiting on another. The waiting item is ``commitment`` or ``action`` (the other is
    null); what it waits on is ``prerequisite_commitment`` or ``prerequisite_action``. A dependency
    from the sources (``basis: "sources"``) says where: the inventory entry (``source_key``), its
    field (``source_field``) and the words or citation (``source_note``)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:dependency-detail")
    commitment = CommitmentBriefSerializer(read_only=True, allow_null=True, help_text="The waiting commitment, or null.")
    action = ActionBriefSerializer(read_only=True, allow_null=True, help_text="The waiting action, or null.")
    prerequisite_commitment = CommitmentBriefSerializer(read_only=True, allow_null=True, help_text="The commitment waited on, or null.")
    prerequisite_action = ActionBriefSerializer(read_only=True, allow_null=True, help_text="The action waited on, or null.")
    created_by = UserBriefSerializer(read_only=True, allow_null=True)
    created_at = UTCDateTimeField(read_only=True)

    class Meta:
        model = Dependency
        fields = [
            "url",
            "id",
            "commitment",
            "action",
            "prerequisite_commitment",
            "prerequisite_action",
            "basis",
            "source_key",
            "source_field",
            "source_note",
            "created_by",
            "created_at",
        ]


class DependencyInputSerializer(NoUnknownFieldsSerializer):
    """The body of ``POST /api/v1/dependencies/``: the waiting item (``commitment`` ref or
    ``action`` id) and what it waits on (``prerequisite_commitment`` ref or ``prerequisite_action``
    id), one of each."""

    commitment = StrictCharField(required=False, max_length=12, help_text="The waiting commitment's ref (or give action).")
    action = StrictIntegerField(required=False, min_value=1, max_value=2**63 - 1, help_text="The waiting action's id (or give commitment).")
    prerequisite_commitment = StrictCharField(required=False, max_length=12, help_text="The ref of the commitment it waits on.")
    prerequisite_action = StrictIntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="The id of the action it waits on."
    )


class DependencyInputBody(OpenApiSerializerExtension):
    """The body of ``POST /api/v1/dependencies/`` as the serializer checks it: no other keys
    (``additionalProperties: false``; an unknown key is a 400) and no NUL in the refs."""

    target_class = "commitments.api.dependencies.DependencyInputSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            closed_body(schema, texts=("commitment", "prerequisite_commitment"))
        return schema


def _find(data: dict[str, Any], prefix: str) -> Any:
    """The item named by ``<prefix>commitment`` / ``<prefix>action``, or a 400 on the field given."""
    commitment, action = data.get(f"{prefix}commitment"), data.get(f"{prefix}action")
    try:
        return deps.find_item(commitment=commitment, action=action)
    except deps.InvalidUpdate as exc:
        name = f"{prefix}action" if action is not None and commitment is None else f"{prefix}commitment"
        messages = exc.errors.get("prerequisite", [exc.message])
        if (commitment is None and action is None) or (commitment is not None and action is not None):
            messages = [f"Give {prefix}commitment (a ref) or {prefix}action (an id), one of them."]
        raise exceptions.ValidationError({name: messages}) from None


@document_read_viewset("dependencies", DependencySerializer)
class DependencyViewSet(ReadViewSet):
    """What waits on what, keyed by ``id``."""

    lookup_value_regex = INT_KEY
    lookup_field = "pk"
    serializer_class = DependencySerializer
    filterset_class = filtersets.DependencyFilterSet
    permission_classes = [*ReadViewSet.permission_classes, TokenScopeAllowsWrite]
    throttle_classes = [TokenRateThrottle, TokenWriteRateThrottle]
    parser_classes = [JSONParser]

    def get_queryset(self) -> Any:
        return Dependency.objects.select_related(
            "commitment", "action", "prerequisite_commitment", "prerequisite_action", "created_by"
        ).order_by("id")

    @extend_schema(
        summary="Add a dependency",
        description=(
            "The waiting item's lead board's secretariat (or an administrator) only. Refused with a 400 naming the field: "
            "an unknown item, an item waiting on itself, a dependency already there, and one that would close a cycle "
            "(the message names the chain)."
        ),
        request=DependencyInputSerializer,
        parameters=[LOCATION, RETRY_AFTER],
        responses={201: DependencySerializer, **errors(400, 401, 403, 413, 415, 429)},
    )
    def create(self, request: Request) -> Response:
        body = DependencyInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        dependent = _find(data, "")
        if not deps.can_manage(request.user, dependent):
            raise exceptions.PermissionDenied("Only the secretariat of the lead board of the waiting item's commitment can add this.")
        prerequisite = _find(data, "prerequisite_")
        field = "prerequisite_action" if "prerequisite_action" in data else "prerequisite_commitment"
        try:
            dependency = deps.add_dependency(dependent, prerequisite, by=request.user, source=StatusUpdate.Source.API)
        except deps.NotAllowed as exc:
            raise exceptions.PermissionDenied(exc.message) from None
        except deps.InvalidUpdate as exc:
            raise exceptions.ValidationError({field: exc.errors.get("prerequisite", [exc.message])}) from None
        answer = DependencySerializer(self.get_queryset().get(pk=dependency.pk), context=self.get_serializer_context()).data
        return Response(answer, status=status.HTTP_201_CREATED, headers={"Location": str(answer["url"])})

    @extend_schema(
        summary="Remove a dependency",
        description="One a secretariat added; one from the sources is corrected in the data (400).",
        request=None,
        parameters=[RETRY_AFTER],
        responses={204: OpenApiResponse(description="Removed."), **errors(400, 401, 403, 404, 429)},
    )
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        dependency = self.get_object()
        try:
            deps.remove_dependency(dependency, by=request.user, source=StatusUpdate.Source.API)
        except deps.NotAllowed as exc:
            raise exceptions.PermissionDenied(exc.message) from None
        except deps.InvalidUpdate as exc:
            raise exceptions.ValidationError(exc.errors or {"non_field_errors": [exc.message]}) from None
        return Response(status=status.HTTP_204_NO_CONTENT)
