"""The assurance rating form (issue 15): ``/commitments/<ref>/assurance/`` and
``/obligations/<id>/assurance/``, for the secretariat that gives it (the lead board's, or Leaders'
Committee's where no board leads) and administrators. Permission is checked before the form is
shown and again by :func:`commitments.assurance.record_assurance`, which writes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ..assurance import assurer_label, can_assure, record_assurance
from ..forms import AssuranceForm
from ..models import Commitment, Obligation
from ..templatetags.tracker import possessive
from .common import post_item_write
from .lists import commitment_or_404


def _assurance_page(request: HttpRequest, *, item: Any, commitment: Commitment, heading: str, what: str) -> HttpResponse:
    if not can_assure(request.user, item):
        raise PermissionDenied("Only the secretariat that gives this assurance rating, or an administrator, may give it.")
    back_url = reverse("commitments:detail", args=[commitment.ref])
    conflict = None
    if request.method == "POST":
        form, conflict, saved = post_item_write(
            request, item, AssuranceForm, record_assurance, fields=("rag", "reason"), refusal="You may not give this assurance rating."
        )
        if saved:
            messages.success(request, f"The assurance rating of {what} has been saved.")
            return redirect(f"{back_url}#ratings")
    else:
        form = AssuranceForm(initial={"version": item.version, "rag": item.assurance_rag})
    return render(
        request,
        "commitments/assurance_form.html",
        {
            "form": form,
            "item": item,
            "commitment": commitment,
            "heading": heading,
            "what": what,
            "assurer": assurer_label(item),
            "back_url": back_url,
            "conflict": conflict,
        },
        status=200,
    )


@require_http_methods(["GET", "POST"])
def commitment_assurance(request: HttpRequest, ref: str) -> HttpResponse:
    """``/commitments/<ref>/assurance/``: the commitment's assurance rating."""
    commitment = commitment_or_404(ref, Commitment.objects.select_related("lead_board", "theme", "assurance_by"))
    return _assurance_page(
        request, item=commitment, commitment=commitment, heading=f"Assurance rating of {commitment.ref}", what=commitment.ref
    )


@require_http_methods(["GET", "POST"])
def obligation_assurance(request: HttpRequest, pk: int) -> HttpResponse:
    """``/obligations/<id>/assurance/``: one party's obligation's assurance rating."""
    obligation = get_object_or_404(Obligation.objects.select_related("commitment__lead_board", "party", "assurance_by"), pk=pk)
    what = f"{possessive(obligation.party.name)} obligation under {obligation.commitment.ref}"
    return _assurance_page(request, item=obligation, commitment=obligation.commitment, heading=f"Assurance rating of {what}", what=what)
