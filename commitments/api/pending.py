"""``/api/v1/pending-updates/``: updates awaiting a secretariat's approval (issue 15), for those
who may see them (their author, their party's officers, the deciding board's secretariat), and
the decisions on them: ``approve``, ``return`` and ``withdraw``, through the same services as the
browser (:mod:`commitments.services`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, permissions, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from boards.api.serializers import BoardBriefSerializer, PartyBriefSerializer
from devotracker.api.errors import ApiError, refuse_large_body
from devotracker.api.permissions import TokenScopeAllowsWrite
from devotracker.api.renderers import JSONParser
from devotracker.api.schema import RETRY_AFTER, ErrorSerializer, document_read_viewset, errors
from devotracker.api.serializers import ModelSerializer, NoUnknownFieldsSerializer, StrictCharField, UserBriefSerializer
from devotracker.api.throttling import TokenRateThrottle, TokenWriteRateThrottle
from devotracker.api.viewsets import INT_KEY, ReadViewSet

from .. import filtersets, services
from ..models import PendingUpdate
from ..services import MAX_TEXT
from .serializers import ActionBriefSerializer, CommitmentBriefSerializer, ObligationBriefSerializer

# A decision is a comment of at most 5,000 characters.
MAX_DECISION_BODY = 64 * 1024


class AskedSerializer(serializers.Serializer):
    """What the update asks to change; null where it leaves a field as it is."""

    status = serializers.CharField(allow_null=True)
    rag = serializers.CharField(allow_null=True, help_text='"" clears the rating; null leaves it.')
    progress = serializers.IntegerField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)


class PendingUpdateSerializer(ModelSerializer):
    """An update awaiting approval (``state`` ``submitted``) or decided: who asked what, of which
    board, and the decision. ``published`` is the history row an approval wrote."""

    url = serializers.HyperlinkedIdentityField(view_name="api:pendingupdate-detail")
    commitment = CommitmentBriefSerializer(read_only=True)
    obligation = ObligationBriefSerializer(read_only=True, allow_null=True)
    action = ActionBriefSerializer(read_only=True, allow_null=True)
    party = PartyBriefSerializer(read_only=True, allow_null=True)
    board = BoardBriefSerializer(read_only=True)
    author = UserBriefSerializer(read_only=True, allow_null=True)
    decided_by = UserBriefSerializer(read_only=True, allow_null=True)
    asked = serializers.SerializerMethodField()
    evidence = serializers.ListField(child=serializers.CharField(), read_only=True)
    published: serializers.HyperlinkedRelatedField[Any] = serializers.HyperlinkedRelatedField(
        view_name="api:statusupdate-detail", read_only=True, allow_null=True
    )

    class Meta:
        model = PendingUpdate
        fields = [
            "url",
            "id",
            "state",
            "target_type",
            "commitment",
            "obligation",
            "action",
            "party",
            "board",
            "author",
            "source",
            "created_at",
            "base_version",
            "asked",
            "reason",
            "note",
            "evidence",
            "decided_by",
            "decided_at",
            "comment",
            "published",
        ]

    @extend_schema_field(AskedSerializer)
    def get_asked(self, obj: PendingUpdate) -> dict[str, Any]:
        return {
            "status": obj.status or None,
            "rag": obj.rag if obj.changes_rag else None,
            "progress": obj.progress,
            "due_date": obj.due_date.isoformat() if obj.due_date else None,
        }


class DecisionInputSerializer(NoUnknownFieldsSerializer):
    """The body of ``approve`` and ``return``: a comment (required to return)."""

    comment = StrictCharField(required=False, allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False)


DECISION_OPTIONS: dict[str, Any] = {
    "detail": True,
    "methods": ["post"],
    "parser_classes": [JSONParser],
    "permission_classes": [permissions.IsAuthenticated, TokenScopeAllowsWrite],
    "throttle_classes": [TokenRateThrottle, TokenWriteRateThrottle],
}


def _document_decision(summary: str, description: str, ok: Any) -> Any:
    return extend_schema(
        summary=summary,
        description=description,
        request=DecisionInputSerializer,
        parameters=[RETRY_AFTER],
        responses={
            200: ok,
            **errors(400, 401, 403, 404),
            409: OpenApiResponse(ErrorSerializer, description="Already decided: code already_decided."),
            **errors(413, 415, 429),
        },
    )


@document_read_viewset("pending updates", PendingUpdateSerializer)
class PendingUpdateViewSet(ReadViewSet):
    """Updates awaiting approval, and decided ones, that the caller may see."""

    lookup_value_regex = INT_KEY
    lookup_field = "pk"
    serializer_class = PendingUpdateSerializer
    filterset_class = filtersets.PendingUpdateFilterSet

    def get_queryset(self) -> Any:
        return PendingUpdate.objects.visible_to(self.request.user).for_list()

    def _decide(self, request: Request, decide: Any) -> Response:
        refuse_large_body(request, MAX_DECISION_BODY)
        pending = self.get_object()
        body = DecisionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            decide(pending, by=request.user, **body.validated_data)
        except services.NotAllowed as exc:
            raise exceptions.PermissionDenied(exc.message) from None
        except services.AlreadyDecided as exc:
            raise Conflict(exc.message) from None
        except services.InvalidUpdate as exc:
            raise exceptions.ValidationError(exc.errors or {"non_field_errors": [exc.message]}) from None
        return Response(self.get_serializer(PendingUpdate.objects.for_list().get(pk=pending.pk)).data)

    @_document_decision(
        "Approve and publish this update",
        "The deciding board's secretariat (not the update's author) publishes it: the item's state changes and a "
        "status update is written with the officer as author. 409 when it is already decided; 400 when it no longer "
        "applies to the item as it is now (return it instead).",
        PendingUpdateSerializer,
    )
    @action(url_path="approve", url_name="approve", **DECISION_OPTIONS)
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, services.approve_update)

    @_document_decision(
        "Return this update to its author",
        "The deciding board's secretariat returns it with a comment (required): nothing is published and the author "
        "is told. 409 when it is already decided.",
        PendingUpdateSerializer,
    )
    @action(url_path="return", url_name="return", **DECISION_OPTIONS)
    def return_(self, request: Request, pk: str | None = None) -> Response:
        def decide(pending: PendingUpdate, *, by: Any, comment: str = "") -> Any:
            return services.return_update(pending, by=by, comment=comment)

        return self._decide(request, decide)

    @_document_decision(
        "Withdraw your own update", "Its author takes it back while it awaits approval; the comment is ignored.", PendingUpdateSerializer
    )
    @action(url_path="withdraw", url_name="withdraw", **DECISION_OPTIONS)
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        def decide(pending: PendingUpdate, *, by: Any, comment: str = "") -> Any:
            return services.withdraw_update(pending, by=by)

        return self._decide(request, decide)


class Conflict(ApiError):
    status_code = 409
    default_detail = "This update has already been decided."
    default_code = "already_decided"
