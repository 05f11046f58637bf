"""Approval before publishing (issue 15): the updates awaiting a secretariat's decision, one
update's page with the decision form, and withdrawing one's own. Every decision goes through
:mod:`commitments.services` (``approve_update``, ``return_update``, ``withdraw_update``), which
checks the role again and refuses a second decision."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ..forms import DecisionForm
from ..models import PendingUpdate
from ..services import AlreadyDecided, InvalidUpdate, NotAllowed, approve_update, can_write, return_update, withdraw_update

LIST_LIMIT = 200


def pending_list(request: HttpRequest) -> HttpResponse:
    """``/approvals/``: updates awaiting the user's decision (their boards'), and the updates the
    user or their organisations submitted, newest first. Three queries (memberships 2, rows 1 each)."""
    visible = PendingUpdate.objects.visible_to(request.user).for_list()
    to_decide = list(PendingUpdate.objects.decidable_by(request.user).submitted().for_list().order_by("created_at", "id")[:LIST_LIMIT])
    decide_ids = {p.pk for p in to_decide}
    submitted = [p for p in visible.order_by("-created_at", "-id")[:LIST_LIMIT] if p.pk not in decide_ids]
    return render(request, "commitments/pending_list.html", {"to_decide": to_decide, "submitted": submitted, "limit": LIST_LIMIT})


@require_http_methods(["GET", "POST"])
def pending_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """``/approvals/<id>/``: one update awaiting approval (or decided), what it would change on
    the item as published now, and — for its board's secretariat — the decision form."""
    pending = get_object_or_404(PendingUpdate.objects.visible_to(request.user).for_list(), pk=pk)
    can_decide = (
        pending.is_open
        and pending.author_id != request.user.pk
        and PendingUpdate.objects.decidable_by(request.user).filter(pk=pending.pk).exists()
    )
    form = DecisionForm()
    if request.method == "POST":
        if not can_decide:
            raise PermissionDenied("You may not decide this update.")
        form = DecisionForm(request.POST)
        if form.is_valid():
            comment = form.cleaned_data["comment"]
            try:
                if form.cleaned_data["decision"] == "approve":
                    approve_update(pending, by=request.user, comment=comment)
                    messages.success(request, "The update has been approved and published.")
                else:
                    return_update(pending, by=request.user, comment=comment)
                    messages.success(request, "The update has been returned to the officer, who has been told.")
            except NotAllowed as exc:
                raise PermissionDenied(exc.message) from None
            except (AlreadyDecided, InvalidUpdate) as exc:
                form.add_service_errors(getattr(exc, "errors", None) or {"__all__": [exc.message]})
            else:
                return redirect("commitments:pending-list")
    return render(
        request,
        "commitments/pending_detail.html",
        {
            "pending": pending,
            "form": form,
            "can_decide": can_decide,
            "can_withdraw": pending.is_open and pending.author_id == request.user.pk,
            "can_resubmit": pending.state == PendingUpdate.State.RETURNED and can_write(request.user, pending.target),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def pending_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """``/approvals/<id>/withdraw/`` (POST): the author takes back an update awaiting approval."""
    pending = get_object_or_404(PendingUpdate.objects.visible_to(request.user), pk=pk)
    try:
        withdraw_update(pending, by=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from None
    except AlreadyDecided as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your update has been withdrawn. Nothing was published.")
    return redirect("commitments:pending-detail", pk=pending.pk)
