"""Reporting periods' pages (issue 13), mounted at /periods/: the list, a period with what changed
since the previous closed one, opening a period, and closing one after a confirmation page that
says what will be frozen. Thin: the services in :mod:`reporting.periods` check who may and what is
allowed; a refused write shows its reason in a GOV.UK error summary and changes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from commitments.lifecycle import london_today
from commitments.models import Action, Commitment, Obligation
from commitments.services import InvalidUpdate, NotAllowed

from ..comparisons import movement_sections
from ..forms import PeriodForm
from ..models import ReportingPeriod
from ..periods import PeriodConflict, builds_in_flight, can_manage_periods, close_period, open_period, previous_closed

# Longest list of movements shown on a period's page per kind (the counts are always whole).
MOVEMENT_LIMIT = 50


@require_safe
def period_list(request: HttpRequest) -> HttpResponse:
    """``/periods/``: every board's periods, open ones first, latest first."""
    periods = list(ReportingPeriod.objects.select_related("board", "snapshot", "closed_by").order_by("state", "-starts_on", "board__name"))
    return render(
        request,
        "reporting/period_list.html",
        {
            "open_periods": [p for p in periods if not p.is_closed],
            "closed_periods": [p for p in periods if p.is_closed],
            "can_manage": can_manage_periods(request.user),
        },
    )


def _movement_sections(period: ReportingPeriod) -> tuple[ReportingPeriod | None, list[dict[str, Any]]]:
    """What changed between the previous closed period and this one: to this one's frozen
    snapshot once it is closed, to today while it is open."""
    previous = previous_closed(period)
    if previous is None or previous.snapshot is None:
        return previous, []
    if period.snapshot is not None:
        return previous, movement_sections(previous.snapshot, on=period.snapshot.day, to=period.snapshot, limit=MOVEMENT_LIMIT)
    return previous, movement_sections(previous.snapshot, limit=MOVEMENT_LIMIT)


@require_safe
def period_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """``/periods/<id>/``: the period, its frozen snapshot, and what moved since the previous one."""
    period = get_object_or_404(ReportingPeriod.objects.select_related("board", "snapshot", "closed_by"), pk=pk)
    previous, sections = _movement_sections(period)
    return render(
        request,
        "reporting/period_detail.html",
        {
            "period": period,
            "previous": previous,
            "sections": sections,
            "limit": MOVEMENT_LIMIT,
            "can_close": not period.is_closed and can_manage_periods(request.user),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def period_add(request: HttpRequest) -> HttpResponse:
    """``/periods/new/``: open a period (London Councils' secretariat and administrators)."""
    if not can_manage_periods(request.user):
        raise PermissionDenied("Only London Councils' secretariat or an administrator can open a reporting period.")
    form = PeriodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            period = open_period(by=request.user, **form.cleaned_data)
        except NotAllowed:
            raise PermissionDenied("Only London Councils' secretariat or an administrator can open a reporting period.") from None
        except InvalidUpdate as exc:
            form.add_service_errors(exc.errors)
        else:
            messages.success(request, f"{period.name} is open.")
            return redirect("periods:detail", pk=period.pk)
    return render(request, "reporting/period_form.html", {"form": form, "back_url": reverse("periods:list")})


@require_http_methods(["GET", "HEAD", "POST"])
def period_close(request: HttpRequest, pk: int) -> HttpResponse:
    """``/periods/<id>/close/``: a confirmation page saying what will be frozen; POST closes."""
    period = get_object_or_404(ReportingPeriod.objects.select_related("board", "snapshot"), pk=pk)
    if not can_manage_periods(request.user):
        raise PermissionDenied("Only London Councils' secretariat or an administrator can close a reporting period.")
    error = ""
    if request.method == "POST":
        try:
            close_period(period, by=request.user)
        except NotAllowed:
            raise PermissionDenied("Only London Councils' secretariat or an administrator can close a reporting period.") from None
        except PeriodConflict as exc:
            error = exc.message
        else:
            messages.success(request, f"{period.name} is closed. Its figures are frozen as they stood today.")
            return redirect("periods:detail", pk=period.pk)
    context = {
        "period": period,
        "error": error,
        "errors": [("#close", error)] if error else [],
        "in_flight": builds_in_flight(period) if not period.is_closed else [],
        "counts": {
            "commitments": Commitment.objects.count(),
            "obligations": Obligation.objects.count(),
            "actions": Action.objects.count(),
        },
        "today": london_today(),
        "back_url": reverse("periods:detail", args=[period.pk]),
    }
    return render(request, "reporting/period_close.html", context, status=409 if error else 200)
