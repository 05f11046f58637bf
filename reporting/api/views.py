"""The reporting app's API views: reporting periods, read-only (they are opened and closed on their
pages, where the services check who may), and each closed period's frozen rows."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound

from boards.models import Party
from commitments.models import Commitment
from devotracker.api.schema import document_read_viewset
from devotracker.api.viewsets import INT_KEY, ReadViewSet

from .. import filtersets
from ..models import ActionState, CommitmentState, ObligationState, ReportingPeriod
from ..periods import frozen_snapshot
from . import serializers as s


@document_read_viewset("periods", s.PeriodSerializer)
class PeriodViewSet(ReadViewSet):
    """Reporting periods, keyed by ``id``."""

    lookup_value_regex = INT_KEY
    lookup_field = "pk"
    serializer_class = s.PeriodSerializer
    filterset_class = filtersets.PeriodFilterSet
    queryset = ReportingPeriod.objects.select_related("board", "closed_by", "snapshot")


PERIOD = OpenApiParameter("period", OpenApiTypes.INT, OpenApiParameter.PATH, description="The reporting period's id.")


class _FrozenViewSet(ReadViewSet):
    """A closed period's frozen rows of one kind: 404 for an unknown period, and for an open one
    (its figures are frozen only when it closes)."""

    lookup_value_regex = INT_KEY
    state_model: Any = None

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator, with no period
            return self.state_model.objects.none()
        try:
            snapshot = frozen_snapshot(int(self.kwargs["period"]))
        except LookupError as exc:
            raise NotFound(str(exc)) from None
        commitment = Commitment.objects.filter(pk=OuterRef("commitment_id"))
        rows = self.state_model.objects.filter(snapshot=snapshot).annotate(ref=Subquery(commitment.values("ref")[:1]))
        if hasattr(self.state_model, "party_id"):
            rows = rows.annotate(party=Subquery(Party.objects.filter(pk=OuterRef("party_id")).values("slug")[:1]))
        return rows.order_by(self.lookup_field)


@document_read_viewset("frozen commitments of a closed period", s.CommitmentStateSerializer, key="commitment id", path_parameters=[PERIOD])
class CommitmentStateViewSet(_FrozenViewSet):
    """Each commitment's state in a closed period's snapshot, keyed by the commitment's id."""

    state_model = CommitmentState
    lookup_field = "commitment_id"
    serializer_class = s.CommitmentStateSerializer
    filterset_class = filtersets.CommitmentStateFilterSet


@document_read_viewset("frozen obligations of a closed period", s.ObligationStateSerializer, key="obligation id", path_parameters=[PERIOD])
class ObligationStateViewSet(_FrozenViewSet):
    """Each obligation's state in a closed period's snapshot, keyed by the obligation's id."""

    state_model = ObligationState
    lookup_field = "obligation_id"
    serializer_class = s.ObligationStateSerializer
    filterset_class = filtersets.ObligationStateFilterSet


@document_read_viewset("frozen actions of a closed period", s.ActionStateSerializer, key="action id", path_parameters=[PERIOD])
class ActionStateViewSet(_FrozenViewSet):
    """Each action's state in a closed period's snapshot, keyed by the action's id."""

    state_model = ActionState
    lookup_field = "action_id"
    serializer_class = s.ActionStateSerializer
    filterset_class = filtersets.ActionStateFilterSet
