"""``POST /api/v1/commitments/{ref}/assurance/`` and ``POST /api/v1/obligations/{id}/assurance/``:
the assurance rating (issue 15), written through :func:`commitments.assurance.record_assurance`,
exactly as the browser form writes it. Mixed into the two viewsets of :mod:`.views`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from devotracker.api.schema import closed_body

from ..assurance import can_assure, record_assurance
from . import serializers as s
from .item_writes import document_item_write, item_write_options, write_item

ASSURANCE_OPTIONS = item_write_options("assurance")


class AssuranceInputBody(OpenApiSerializerExtension):
    """The body as the serializer checks it: no other keys, no NUL character in the reason."""

    target_class = "commitments.api.serializers.AssuranceInputSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            closed_body(schema, texts=("reason",))
        return schema


def document_assurance(target: str, target_serializer: type[Any]) -> Any:
    return document_item_write(
        target,
        target_serializer,
        s.AssuranceInputSerializer,
        f"Give this {target}'s assurance rating",
        'Sets (or, with rag "", clears) the assurance rating, with a reason, as the browser form does. '
        "Only the secretariat of the lead board of the commitment (London Councils' Leaders' Committee "
        "secretariat where no board leads it) and administrators may; anyone else is a 403. Send the "
        'version you saw as "version" (409 with the current state on a mismatch). A reason is required '
        "and the rating must differ from the current one (400 otherwise). 201 answers with the new state "
        "and the history row's address in Location.",
    )


def write_assurance(view: Any, request: Request) -> Response:
    """The shared body of both actions."""
    return write_item(
        view,
        request,
        serializer=s.AssuranceInputSerializer,
        may=can_assure,
        refused="Your roles do not allow you to give this assurance rating.",
        write=record_assurance,
        fields=("rag", "reason"),
    )


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
