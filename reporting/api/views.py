"""The reporting app's API views: reporting periods, read-only (they are opened and closed on their
pages, where the services check who may)."""

from __future__ import annotations

from devotracker.api.schema import document_read_viewset
from devotracker.api.viewsets import INT_KEY, ReadViewSet

from ..filtersets import PeriodFilterSet
from ..models import ReportingPeriod
from .serializers import PeriodSerializer


@document_read_viewset("periods", PeriodSerializer)
class PeriodViewSet(ReadViewSet):
    """Reporting periods, keyed by ``id``."""

    lookup_value_regex = INT_KEY
    lookup_field = "pk"
    serializer_class = PeriodSerializer
    filterset_class = PeriodFilterSet
    queryset = ReportingPeriod.objects.select_related("board", "closed_by", "snapshot")
