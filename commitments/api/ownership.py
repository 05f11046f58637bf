"""``POST /api/v1/commitments/{ref}/lead-board/``, ``POST /api/v1/obligations/{id}/owner/`` and
``POST /api/v1/actions/{id}/owner/``: assignments (issue 16, "nothing without an owner"), written
through :mod:`commitments.ownership` exactly as the browser forms write them. Mixed into the
viewsets of :mod:`.views`. Answers as the assurance rating's write does: 201 with the item and the
history row's address, 400 (field errors, nothing saved), 403, 404, 409 (with ``current``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
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
from ..models import StatusUpdate
from ..ownership import assign_lead_board, assign_owner, can_assign_lead_board, can_assign_owner
from . import serializers as s
from .assurance import LOCATION  # the 201's Location typed as a string, as schemathesis can check it

MAX_ASSIGNMENT_BODY = 64 * 1024

_OPTIONS: dict[str, Any] = {
    "detail": True,
    "methods": ["post"],
    "parser_classes": [JSONParser],
    "permission_classes": [permissions.IsAuthenticated, TokenScopeAllowsWrite],
    "throttle_classes": [TokenRateThrottle, TokenWriteRateThrottle],
}


class LeadBoardInputBody(OpenApiSerializerExtension):
    """The body as the serializer checks it: no other keys, no NUL character in the texts."""

    target_class = "commitments.api.serializers.LeadBoardInputSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            closed_body(schema, texts=("board", "reason"))
        return schema


class OwnerInputBody(OpenApiSerializerExtension):
    """The body as the serializer checks it: no other keys, no NUL character in the texts."""

    target_class = "commitments.api.serializers.OwnerInputSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            closed_body(schema, texts=("owner", "reason"))
        return schema


def _document(target: str, target_serializer: type[Any], request: type[Any], summary: str, who: str) -> Any:
    conflict = conflict_serializer(f"{target.capitalize()}{request.__name__.removesuffix('InputSerializer')}Conflict", target_serializer)
    return extend_schema(
        summary=summary,
        description=(
            f'{who} Send the version you saw as "version" (409 with the current state on a mismatch). A reason is '
            "required; an unknown value, one you may not choose or the one it already has is a 400 naming the field, "
            "and nothing is saved. The assignment publishes at once (also under a board that requires approval) and "
            "is a history row (before and after carry owner or lead_board). 201 answers with the new state and the "
            "history row's address in Location."
        ),
        request=request,
        parameters=[LOCATION, RETRY_AFTER],
        responses={
            201: target_serializer,
            **errors(400, 401, 403, 404),
            409: OpenApiResponse(conflict, description="Version conflict: current holds the target as it is now."),
            **errors(413, 415, 429),
        },
    )


def _write(view: Any, request: Request, *, serializer: type[Any], may: Any, write: Any, field: str, refused: str) -> Response:
    """The shared body of the three actions: roles first, then the body, then the service."""
    refuse_large_body(request, MAX_ASSIGNMENT_BODY)
    target = view.get_object()
    if not may(request.user, target):
        raise exceptions.PermissionDenied(refused)
    body = serializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    try:
        update = write(
            target,
            by=request.user,
            version=data["version"],
            reason=data["reason"],
            source=StatusUpdate.Source.API,
            **{field: data[field]},
        )
    except services.NotAllowed as exc:
        raise exceptions.PermissionDenied(exc.message) from None
    except services.VersionConflict as exc:
        raise VersionConflict(exc.message, extra={"current": view._represent(target)}) from None
    except services.InvalidUpdate as exc:
        raise exceptions.ValidationError(exc.errors or {"non_field_errors": [exc.message]}) from None
    location = reverse("api:statusupdate-detail", kwargs={"pk": update.pk}, request=request)
    return Response(view._represent(target), status=201, headers={"Location": location})


OWNER_WHO = (
    "Gives the item its owner, by username: an active officer of the party that owes it (anyone else is a 400). "
    "The owing party's officers, the secretariat of the lead board of its commitment (London Councils' Leaders' "
    "Committee secretariat where no board leads it) and administrators may; anyone else is a 403."
)


class CommitmentLeadBoardMixin:
    @_document(
        "commitment",
        s.CommitmentDetailSerializer,
        s.LeadBoardInputSerializer,
        "Give this commitment its lead board",
        "Gives the commitment its lead board, by code. London Councils' Leaders' Committee secretariat and administrators "
        "may choose any board; a board's secretariat may take a commitment no board leads for its own board (another "
        "board is a 400); anyone else, or a board's secretariat once a board leads it, is a 403.",
    )
    @action(url_path="lead-board", url_name="lead-board", **_OPTIONS)
    def lead_board(self, request: Request, ref: str | None = None) -> Response:
        """Give the commitment its lead board."""
        return _write(
            self,
            request,
            serializer=s.LeadBoardInputSerializer,
            may=can_assign_lead_board,
            write=assign_lead_board,
            field="board",
            refused="Your roles do not allow you to change this commitment's lead board.",
        )


class OwnerMixin:
    def _owner(self, request: Request) -> Response:
        return _write(
            self,
            request,
            serializer=s.OwnerInputSerializer,
            may=can_assign_owner,
            write=assign_owner,
            field="owner",
            refused="Your roles do not allow you to give this an owner.",
        )


class ObligationOwnerMixin(OwnerMixin):
    @_document("obligation", s.ObligationSerializer, s.OwnerInputSerializer, "Give this obligation its owner", OWNER_WHO)
    @action(url_path="owner", url_name="owner", **_OPTIONS)
    def owner(self, request: Request, pk: str | None = None) -> Response:
        """Give the obligation its owner."""
        return self._owner(request)


class ActionOwnerMixin(OwnerMixin):
    @_document("action", s.ActionSerializer, s.OwnerInputSerializer, "Give this action its owner", OWNER_WHO)
    @action(url_path="owner", url_name="owner", **_OPTIONS)
    def owner(self, request: Request, pk: str | None = None) -> Response:
        """Give the action its owner."""
        return self._owner(request)
