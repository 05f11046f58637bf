"""The pilots app's API views: thin viewsets over its querysets and FilterSets (DESIGN.md §6)."""

from __future__ import annotations

from django.db.models import Prefetch

from boards.filtersets import PartyFilterSet
from boards.models import Party
from devotracker.api.schema import document_read_viewset
from devotracker.api.viewsets import ReadViewSet

from ..filtersets import BoroughFilterSet, PilotFilterSet
from ..models import Borough, Pilot
from .serializers import BoroughSerializer, PartySerializer, PilotSerializer


@document_read_viewset("parties", PartySerializer, key="slug")
class PartyViewSet(ReadViewSet):
    """Organisations that can owe obligations (each London borough is one)."""

    lookup_field = "slug"
    serializer_class = PartySerializer
    filterset_class = PartyFilterSet
    queryset = Party.objects.select_related("borough")


@document_read_viewset("pilots", PilotSerializer, key="slug")
class PilotViewSet(ReadViewSet):
    """The devolution pilots and their member boroughs."""

    lookup_field = "slug"
    serializer_class = PilotSerializer
    filterset_class = PilotFilterSet
    queryset = Pilot.objects.select_related("sub_region").prefetch_related(Prefetch("boroughs", queryset=Borough.objects.order_by("name")))


@document_read_viewset("boroughs", BoroughSerializer, key="slug")
class BoroughViewSet(ReadViewSet):
    """London's 33 local authorities."""

    lookup_field = "slug"
    serializer_class = BoroughSerializer
    filterset_class = BoroughFilterSet
    queryset = Borough.objects.select_related("party", "sub_region").prefetch_related(
        Prefetch("pilots", queryset=Pilot.objects.order_by("name"))
    )
