"""Pilot pages: the five devolution pilots, their boroughs and the commitments they concern.

``pilots`` never imports from ``commitments`` (DESIGN.md §2): a pilot's commitments are reached
through the ``commitment_links`` reverse relation (with the basis of each link).
"""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Pilot


def pilot_list(request: HttpRequest) -> HttpResponse:
    """``/pilots/``: each pilot with its boroughs and how many commitments concern it.
    Queries: pilots with counts (1), their boroughs (1)."""
    pilots = list(
        Pilot.objects.select_related("sub_region")
        .prefetch_related("boroughs")
        .annotate(commitment_count=Count("commitment_links", distinct=True))
        .order_by("status", "name")
    )
    return render(request, "pilots/pilot_list.html", {"pilots": pilots})


def pilot_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """``/pilots/<slug>/``: the pilot, its boroughs, and the commitments it concerns with the
    basis of each link and their shown state. Queries: 3, whatever the number of rows."""
    pilot = get_object_or_404(Pilot.objects.select_related("sub_region"), slug=slug)
    boroughs = list(pilot.boroughs.select_related("sub_region").order_by("name"))
    links = list(pilot.commitment_links.select_related("commitment__theme", "commitment__lead_board").order_by("commitment__ref"))
    return render(request, "pilots/pilot_detail.html", {"pilot": pilot, "boroughs": boroughs, "links": links})
