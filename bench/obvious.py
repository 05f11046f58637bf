"""The obvious implementation of the two benchmarked API lists, for comparison only (issue 7).

What a competent developer writes first with DRF: a viewset over ``Model.objects.all()`` with
nested ``ModelSerializer``s, computed fields as ``SerializerMethodField``s and links as
``HyperlinkedIdentityField``s, the shared FilterSets and the same pagination, and no query tuning
(no ``select_related``, no ``prefetch_related``, no annotations). It renders the same fields as
DevoTracker's ``/api/v1/commitments/`` and ``/api/v1/actions/``, so the comparison measures the
implementation, not the payload.

Mounted only by :mod:`bench.urls` (``/api/obvious/commitments/``, ``/api/obvious/actions/``), never by
DevoTracker's own URLconf. Read-only: a write here would bypass the services.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers, viewsets

from boards.models import Board, Party
from commitments import filtersets, lifecycle
from commitments.dependencies import troubles
from commitments.models import Action, Agreement, Commitment, CommitmentPilot, Dependency, Obligation, Theme
from devotracker.api.pagination import PageNumberPagination
from devotracker.api.serializers import UTCDateTimeField


class UserSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class PartySerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:party-detail", lookup_field="slug")

    class Meta:
        model = Party
        fields = ["url", "slug", "name"]


class BoardSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:board-detail", lookup_field="code")

    class Meta:
        model = Board
        fields = ["url", "code", "name"]


class ThemeSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:theme-detail", lookup_field="slug")

    class Meta:
        model = Theme
        fields = ["url", "slug", "name"]


class AgreementSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:agreement-detail", lookup_field="slug")

    class Meta:
        model = Agreement
        fields = ["url", "slug", "short_name"]


class CommitmentBriefSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:commitment-detail", lookup_field="ref")

    class Meta:
        model = Commitment
        fields = ["url", "ref", "title"]


class PilotLinkSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedRelatedField(source="pilot", view_name="api:pilot-detail", lookup_field="slug", read_only=True)
    slug = serializers.CharField(source="pilot.slug")
    name = serializers.CharField(source="pilot.name")

    class Meta:
        model = CommitmentPilot
        fields = ["url", "slug", "name", "basis"]


def is_overdue(due: Any, status: str) -> bool:
    return lifecycle.is_overdue(due, status)


def dependency_serializer(other: str) -> type[serializers.ModelSerializer]:
    """A dependency seen from one end: the other end's commitment (ref) or action (id)."""

    class Other(serializers.ModelSerializer):
        url = serializers.HyperlinkedIdentityField(view_name="api:dependency-detail")
        commitment = serializers.CharField(source=f"{other}commitment.ref", allow_null=True)
        action = serializers.IntegerField(source=f"{other}action_id", allow_null=True)

        class Meta:
            model = Dependency
            fields = ["url", "id", "commitment", "action"]

    return Other


class DependentsSerializer(serializers.ModelSerializer):
    """at_risk (each dependency's prerequisite tested in Python), waiting_on and holding_up."""

    at_risk = serializers.SerializerMethodField()
    waiting_on = dependency_serializer("prerequisite_")(source="waiting_on_links", many=True)
    holding_up = dependency_serializer("")(source="holding_up_links", many=True)

    def get_at_risk(self, obj: Any) -> bool:
        if lifecycle.is_closed(obj.rule_status):
            return False
        return any(troubles(d.prerequisite_commitment or d.prerequisite_action) for d in obj.waiting_on_links.all())


class ObligationSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:obligation-detail")
    party = PartySerializer()
    owner = UserSerializer(allow_null=True)
    overdue = serializers.SerializerMethodField()
    updated_at = UTCDateTimeField()

    class Meta:
        model = Obligation
        fields = [
            "url",
            "id",
            "party",
            "owner",
            "status",
            "rag",
            "progress",
            "version",
            "due_date",
            "overdue",
            "overdue_since",
            "updated_at",
        ]

    def get_overdue(self, obj: Obligation) -> bool:
        return is_overdue(obj.due_date, obj.status)


class CommitmentSerializer(DependentsSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:commitment-detail", lookup_field="ref")
    agreement = AgreementSerializer()
    theme = ThemeSerializer()
    lead_board = BoardSerializer(allow_null=True)
    co_lead_boards = BoardSerializer(many=True)
    pilots = PilotLinkSerializer(source="pilot_links", many=True)
    parent = CommitmentBriefSerializer(allow_null=True)
    status = serializers.CharField(source="shown_status")
    rag = serializers.CharField(source="shown_rag")
    progress = serializers.IntegerField(source="shown_progress")
    due_date = serializers.DateField(source="target_date")
    overdue = serializers.SerializerMethodField()
    assessment = serializers.SerializerMethodField()
    rollup = serializers.SerializerMethodField()
    assessment_differs = serializers.BooleanField()
    assurance = serializers.SerializerMethodField()
    previous = serializers.SerializerMethodField()
    obligations = ObligationSerializer(many=True)
    updates_url = serializers.SerializerMethodField()
    updated_at = UTCDateTimeField()
    created_at = UTCDateTimeField()

    class Meta:
        model = Commitment
        fields = [
            "url", "ref", "key", "title", "summary", "kind", "framing", "agreement", "theme", "subtheme", "lead_board",
            "lead_board_basis", "co_lead_boards", "pilots", "parent", "target_date", "target_date_precision", "due_date",
            "timing", "amount", "conditions", "status", "rag", "progress", "version", "overdue", "overdue_since",
            "updated_at", "created_at", "assessment", "rollup", "assessment_differs", "self_assessed_rag", "assurance_rag",
            "assurance", "rating_used", "rating_source", "ratings_disagree", "at_risk", "waiting_on", "holding_up", "previous",
            "obligations", "updates_url",
        ]  # fmt: skip

    def get_overdue(self, obj: Commitment) -> bool:
        return is_overdue(obj.target_date, obj.shown_status)

    def get_assessment(self, obj: Commitment) -> dict[str, Any] | None:
        if not obj.is_assessed:
            return None
        by = UserSerializer(obj.assessed_by).data if obj.assessed_by else None
        return {
            "status": obj.status,
            "rag": obj.rag,
            "progress": obj.progress,
            "assessed_at": UTCDateTimeField().to_representation(obj.assessed_at),
            "assessed_by": by,
        }

    def get_assurance(self, obj: Commitment) -> dict[str, Any]:
        return {
            "rag": obj.assurance_rag,
            "by": obj.assurance_by.username if obj.assurance_by else None,
            "at": UTCDateTimeField().to_representation(obj.assurance_at) if obj.assurance_at else None,
            "reason": obj.assurance_reason,
        }

    def get_previous(self, obj: Commitment) -> None:
        return None  # only with ?compare_to= (a reporting period), which the benchmark does not ask for

    def get_rollup(self, obj: Commitment) -> dict[str, Any]:
        return {"status": obj.rollup_status, "rag": obj.rollup_rag, "progress": obj.rollup_progress}

    def get_updates_url(self, obj: Commitment) -> str:
        return self.context["request"].build_absolute_uri(f"/api/v1/status-updates/?commitment={obj.ref}")


class ObligationBriefSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:obligation-detail")
    party = PartySerializer()

    class Meta:
        model = Obligation
        fields = ["url", "id", "party"]


class ActionSerializer(DependentsSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:action-detail")
    obligation = ObligationBriefSerializer()
    commitment = CommitmentBriefSerializer(source="obligation.commitment")
    owner = UserSerializer(allow_null=True)
    overdue = serializers.SerializerMethodField()
    updates_url = serializers.SerializerMethodField()
    updated_at = UTCDateTimeField()
    created_at = UTCDateTimeField()

    class Meta:
        model = Action
        fields = [
            "url", "id", "obligation", "commitment", "description", "owner", "status", "rag", "progress", "version", "due_date",
            "overdue", "overdue_since", "updated_at", "original_due_date", "completed_date", "created_at", "is_demo", "at_risk",
            "waiting_on", "holding_up", "updates_url",
        ]  # fmt: skip

    def get_overdue(self, obj: Action) -> bool:
        return is_overdue(obj.due_date, obj.status)

    def get_updates_url(self, obj: Action) -> str:
        return self.context["request"].build_absolute_uri(f"/api/v1/status-updates/?action={obj.pk}")


class CommitmentViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Commitment.objects.all()
    serializer_class = CommitmentSerializer
    filterset_class = filtersets.CommitmentFilterSet
    filter_backends = [DjangoFilterBackend]
    pagination_class = PageNumberPagination
    lookup_field = "ref"


class ActionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Action.objects.all()
    serializer_class = ActionSerializer
    filterset_class = filtersets.ActionFilterSet
    filter_backends = [DjangoFilterBackend]
    pagination_class = PageNumberPagination


urlpatterns = [
    path("commitments/", CommitmentViewSet.as_view({"get": "list"}), name="obvious-commitments"),
    path("actions/", ActionViewSet.as_view({"get": "list"}), name="obvious-actions"),
]
