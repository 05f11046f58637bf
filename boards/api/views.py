"""The boards app's API views: thin viewsets over its querysets and FilterSets (DESIGN.md §6)."""

from __future__ import annotations

from devotracker.api.schema import document_read_viewset
from devotracker.api.viewsets import ReadViewSet

from ..filtersets import BoardFilterSet
from ..models import Board
from .serializers import BoardSerializer


@document_read_viewset("boards", BoardSerializer, key="code (any case)")
class BoardViewSet(ReadViewSet):
    """Governance bodies, keyed by ``code`` matched case-insensitively."""

    lookup_field = "code"
    lookup_expr = "iexact"
    serializer_class = BoardSerializer
    filterset_class = BoardFilterSet
    queryset = Board.objects.select_related("chair", "owner", "reports_to", "supports")
