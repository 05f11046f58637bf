"""``POST /api/v1/commitments/{ref}/assurance/`` and ``POST /api/v1/obligations/{id}/assurance/``:
the assurance rating (issue 15), written through :func:`commitments.assurance.record_assurance`,
exactly as the browser form writes it. Mixed into the two viewsets of :mod:`.views`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from devotracker.api.errors import VersionConflict, refuse_large_body
from devotracker.api.permissions import TokenScopeAllowsWrite
from devotracker.api.renderers import JSONParser
from devotracker.api.schema import RETRY_AFTER, closed_body, conflict_serializer, errors
from devotracker.api.throttling import TokenRateThrottle, TokenWriteRateThrottle

from .. import services
from ..assurance import can_assure, record_assurance
from ..models import StatusUpdate
from . import serializers as s

MAX_ASSURANCE_BODY = 64 * 1024
# The 201's Location: the history row's absolute address. Typed as a string: schemathesis cannot
# check a header typed as a URI (its validator fails on the parsed value, not on the answer).
LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    description="The status update this write created (an absolute URL).",
)

ASSURANCE_OPTIONS: dict[str, Any] = {
    "detail": True,
    "methods": ["post"],
    "url_path": "assurance",
    "url_name": "assurance",
    "parser_classes": [JSONParser],
    "permission_classes": [permissions.IsAuthenticated, TokenScopeAllowsWrite],
    "throttle_classes": [TokenRateThrottle, TokenWriteRateThrottle],
}


class AssuranceInputBody(OpenApiSerializerExtension):
    """The body as the serializer checks it: no other keys, no NUL character in the reason."""

    target_class = "commitments.api.serializers.AssuranceInputSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            closed_body(schema, texts=("reason",))
        return schema


def document_assurance(target: str, target_serializer: type[Any]) -> Any:
    conflict = conflict_serializer(f"{target.capitalize()}AssuranceConflict", target_serializer)
    return extend_schema(
        summary=f"Give this {target}'s assurance rating",
        description=(
            'Sets (or, with rag "", clears) the assurance rating, with a reason, as the browser form does. '
            "Only the secretariat of the lead board of the commitment (London Councils' Leaders' Committee "
            "secretariat where no board leads it) and administrators may; anyone else is a 403. Send the "
            'version you saw as "version" (409 with the current state on a mismatch). A reason is required '
            "and the rating must differ from the current one (400 otherwise). 201 answers with the new state "
            "and the history row's address in Location."
        ),
        request=s.AssuranceInputSerializer,
        parameters=[LOCATION, RETRY_AFTER],
        responses={
            201: target_serializer,
            **errors(400, 401, 403, 404),
            409: OpenApiResponse(conflict, description="Version conflict: current holds the target as it is now."),
            **errors(413, 415, 429),
        },
    )


def write_assurance(view: Any, request: Request) -> Response:
    """The shared body of both actions: roles first, then the body, then the service."""
    refuse_large_body(request, MAX_ASSURANCE_BODY)
    target = view.get_object()
    if not can_assure(request.user, target):
        raise exceptions.PermissionDenied("Your roles do not allow you to give this assurance rating.")
    body = s.AssuranceInputSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    try:
        update = record_assurance(
            target, by=request.user, version=data["version"], rag=data["rag"], reason=data["reason"], source=StatusUpdate.Source.API
        )
    except services.NotAllowed as exc:
        raise exceptions.PermissionDenied(exc.message) from None
    except services.VersionConflict as exc:
        raise VersionConflict(exc.message, extra={"current": view._represent(target)}) from None
    except services.InvalidUpdate as exc:
        raise exceptions.ValidationError(exc.errors or {"non_field_errors": [exc.message]}) from None
    location = reverse("api:statusupdate-detail", kwargs={"pk": update.pk}, request=request)
    return Response(view._represent(target), status=201, headers={"Location": location})


class CommitmentAssuranceMixin:
    @document_assurance("commitment", s.CommitmentDetailSerializer)
    @action(**ASSURANCE_OPTIONS)
    def assurance(self, request: Request, ref: str | None = None) -> Response:
        """Give the commitment's assurance rating (its lead board's secretariat)."""
        return write_assurance(self, request)


class ObligationAssuranceMixin:
    @document_assurance("obligation", s.ObligationSerializer)
    @action(**ASSURANCE_OPTIONS)
    def assurance(self, request: Request, pk: str | None = None) -> Response:
        """Give the obligation's assurance rating (its commitment's lead board's secretariat)."""
        return write_assurance(self, request)
