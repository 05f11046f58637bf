"""What the API's writes of one fact about an item share (the assurance rating in :mod:`.assurance`,
the lead board and the owner in :mod:`.ownership`): the action's options, its documentation, and
its body: roles first, then the body, then the service, answering 201 with the item and the
history row's address, 400 (field errors, nothing saved), 403, 404, 409 (with ``current``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from devotracker.api.errors import VersionConflict, refuse_large_body
from devotracker.api.permissions import TokenScopeAllowsWrite
from devotracker.api.renderers import JSONParser
from devotracker.api.schema import RETRY_AFTER, conflict_serializer, errors
from devotracker.api.throttling import TokenRateThrottle, TokenWriteRateThrottle

from .. import services
from ..models import StatusUpdate

MAX_ITEM_WRITE_BODY = 64 * 1024
# The 201's Location: the history row's absolute address. Typed as a string: schemathesis cannot
# check a header typed as a URI (its validator fails on the parsed value, not on the answer).
LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    description="The status update this write created (an absolute URL).",
)


def item_write_options(path: str) -> dict[str, Any]:
    """``@action``'s options for ``POST …/{key}/<path>/``."""
    return {
        "detail": True,
        "methods": ["post"],
        "url_path": path,
        "url_name": path,
        "parser_classes": [JSONParser],
        "permission_classes": [permissions.IsAuthenticated, TokenScopeAllowsWrite],
        "throttle_classes": [TokenRateThrottle, TokenWriteRateThrottle],
    }


def document_item_write(target: str, target_serializer: type[Any], request: type[Any], summary: str, description: str) -> Any:
    """The schema of one such action on ``target`` (its 409's body is named after the target and
    the request serializer: ``CommitmentAssuranceConflict``, ``ObligationOwnerConflict``, …)."""
    conflict = conflict_serializer(f"{target.capitalize()}{request.__name__.removesuffix('InputSerializer')}Conflict", target_serializer)
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        parameters=[LOCATION, RETRY_AFTER],
        responses={
            201: target_serializer,
            **errors(400, 401, 403, 404),
            409: OpenApiResponse(conflict, description="Version conflict: current holds the target as it is now."),
            **errors(413, 415, 429),
        },
    )


def write_item(
    view: Any,
    request: Request,
    *,
    serializer: type[Any],
    may: Callable[[Any, Any], bool],
    refused: str,
    write: Callable[..., StatusUpdate],
    fields: tuple[str, ...],
) -> Response:
    """The body of each action: roles first, then the body, then the service ``write``, given the
    version, the source and the body's ``fields``."""
    refuse_large_body(request, MAX_ITEM_WRITE_BODY)
    target = view.get_object()
    if not may(request.user, target):
        raise exceptions.PermissionDenied(refused)
    body = serializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    try:
        update = write(
            target, by=request.user, version=data["version"], source=StatusUpdate.Source.API, **{name: data[name] for name in fields}
        )
    except services.NotAllowed as exc:
        raise exceptions.PermissionDenied(exc.message) from None
    except services.VersionConflict as exc:
        raise VersionConflict(exc.message, extra={"current": view._represent(target)}) from None
    except services.InvalidUpdate as exc:
        raise exceptions.ValidationError(exc.errors or {"non_field_errors": [exc.message]}) from None
    location = reverse("api:statusupdate-detail", kwargs={"pk": update.pk}, request=request)
    return Response(view._represent(target), status=201, headers={"Location": location})
