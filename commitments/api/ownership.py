"""``POST /api/v1/commitments/{ref}/lead-board/``, ``POST /api/v1/obligations/{id}/owner/`` and
``POST /api/v1/actions/{id}/owner/``: assignments (issue 16, "nothing without an owner"), written
through :mod:`commitments.ownership` exactly as the browser forms write them. Mixed into the
viewsets of :mod:`.views`. Answers as the assurance rating's write does: 201 with the item and the
history row's address, 400 (field errors, nothing saved), 403, 404, 409 (with ``current``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from devotracker.api.schema import closed_body

from ..ownership import assign_lead_board, assign_owner, can_assign_lead_board, can_assign_owner
from . import serializers as s
from .item_writes import document_item_write, item_write_options, write_item


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
    return document_item_write(
        target,
        target_serializer,
        request,
        summary,
        f'{who} Send the version you saw as "version" (409 with the current state on a mismatch). A reason is '
        "required; an unknown value, one you may not choose or the one it already has is a 400 naming the field, "
        "and nothing is saved. The assignment publishes at once (also under a board that requires approval) and "
        "is a history row (before and after carry owner or lead_board). 201 answers with the new state and the "
        "history row's address in Location.",
    )


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
    @action(**item_write_options("lead-board"))
    def lead_board(self, request: Request, ref: str | None = None) -> Response:
        """Give the commitment its lead board."""
        return write_item(
            self,
            request,
            serializer=s.LeadBoardInputSerializer,
            may=can_assign_lead_board,
            write=assign_lead_board,
            fields=("board", "reason"),
            refused="Your roles do not allow you to change this commitment's lead board.",
        )


class OwnerMixin:
    def _owner(self, request: Request) -> Response:
        return write_item(
            self,
            request,
            serializer=s.OwnerInputSerializer,
            may=can_assign_owner,
            write=assign_owner,
            fields=("owner", "reason"),
            refused="Your roles do not allow you to give this an owner.",
        )


class ObligationOwnerMixin(OwnerMixin):
    @_document("obligation", s.ObligationSerializer, s.OwnerInputSerializer, "Give this obligation its owner", OWNER_WHO)
    @action(**item_write_options("owner"))
    def owner(self, request: Request, pk: str | None = None) -> Response:
        """Give the obligation its owner."""
        return self._owner(request)


class ActionOwnerMixin(OwnerMixin):
    @_document("action", s.ActionSerializer, s.OwnerInputSerializer, "Give this action its owner", OWNER_WHO)
    @action(**item_write_options("owner"))
    def owner(self, request: Request, pk: str | None = None) -> Response:
        """Give the action its owner."""
        return self._owner(request)
