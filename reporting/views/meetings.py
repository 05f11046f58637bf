"""Meeting pages (issue 6): the meetings, each meeting's papers with a "Build" button for those who
may build them, the papers' HTML and PDF, and a JSON status for the page's progress display.

Thin: reads through :mod:`reporting.papers` helpers, the one write through
:func:`reporting.builds.request_report` (which checks permission: NotAllowed becomes 403).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from boards.models import Meeting
from commitments.models import Report
from commitments.services import NotAllowed

from ..builds import can_build_report, in_flight, reports_for_meeting, request_report
from ..papers import report_kind_for

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@require_safe
def meeting_list(request: HttpRequest) -> HttpResponse:
    """``/meetings/``: upcoming meetings (soonest first), then past ones, each with its latest
    paper. Two queries: meetings with their boards, and their reports without the HTML."""
    latest = Prefetch("reports", queryset=Report.objects.defer("html").order_by("-requested_at", "-pk"), to_attr="report_list")
    meetings = list(Meeting.objects.select_related("board").prefetch_related(latest).order_by("date", "pk"))
    today = timezone.localdate()
    upcoming = [m for m in meetings if m.date >= today]
    past = [m for m in meetings if m.date < today][::-1]
    return render(request, "meetings/list.html", {"upcoming": upcoming, "past": past, "today": today})


@require_safe
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """``/meetings/<id>/``: the meeting, its papers (newest first) and, for those permitted, the
    button that builds a new one."""
    meeting = get_object_or_404(Meeting.objects.select_related("board"), pk=pk)
    reports = reports_for_meeting(meeting)
    return render(
        request,
        "meetings/detail.html",
        {
            "meeting": meeting,
            "reports": reports,
            "kind": report_kind_for(meeting),
            "kind_label": Report.Kind(report_kind_for(meeting)).label,
            "can_build": can_build_report(request.user, meeting),
            "in_flight": in_flight(reports),
        },
    )


@require_POST
def build(request: HttpRequest, pk: int) -> HttpResponse:
    """``POST /meetings/<id>/build/``: ask for a new build of the meeting's paper, then back to
    the meeting's page, which shows its progress. 403 for users who may not build it."""
    meeting = get_object_or_404(Meeting.objects.select_related("board"), pk=pk)
    try:
        report = request_report(meeting, by=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    report.refresh_from_db(fields=["state"])
    if report.state == Report.State.READY:
        messages.success(request, f"The {report.get_kind_display()} has been built.")
    elif report.state == Report.State.FAILED:
        messages.error(request, f"The {report.get_kind_display()} could not be built. {report.error}")
    else:
        messages.info(request, f"The {report.get_kind_display()} is being built. This page shows its progress.")
    return redirect(f"{reverse('meetings:detail', args=[meeting.pk])}#reports")


def _ready_report(pk: int) -> Report:
    report = get_object_or_404(Report.objects.select_related("meeting__board"), pk=pk)
    if report.state != Report.State.READY:
        raise Http404("This paper has not been built.")
    return report


@require_safe
def report_html(request: HttpRequest, pk: int) -> HttpResponse:
    """``/meetings/reports/<id>/``: the paper as built (its stored, standalone HTML)."""
    report = _ready_report(pk)
    response = HttpResponse(report.html, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "private, max-age=0"
    return response


def _download(report: Report, field: str, content_type: str) -> FileResponse:
    stored = getattr(report, field)
    if not stored:
        raise Http404(f"This paper has no {field.upper()} copy.")
    try:
        handle = stored.open("rb")
    except FileNotFoundError as exc:
        raise Http404(f"This paper's {field.upper()} copy is missing.") from exc
    return FileResponse(handle, as_attachment=True, filename=stored.name.rsplit("/", 1)[-1], content_type=content_type)


@require_safe
def report_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """``/meetings/reports/<id>/pdf/``: the paper's PDF as a download."""
    return _download(_ready_report(pk), "pdf", "application/pdf")


@require_safe
def report_docx(request: HttpRequest, pk: int) -> FileResponse:
    """``/meetings/reports/<id>/docx/``: the paper as an editable Word document (papers built before
    Word copies existed have none: 404, and the meeting page offers no link)."""
    return _download(_ready_report(pk), "docx", DOCX_TYPE)


def status_payload(report: Report) -> dict[str, Any]:
    """What the meeting page's progress display needs to know about one build."""
    ready = report.state == Report.State.READY
    return {
        "id": report.pk,
        "state": report.state,
        "state_label": report.get_state_display(),
        "built_at": report.built_at.isoformat().replace("+00:00", "Z") if report.built_at else None,
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "html_url": reverse("meetings:report", args=[report.pk]) if ready else None,
        "pdf_url": reverse("meetings:report-pdf", args=[report.pk]) if ready and report.pdf else None,
        "docx_url": reverse("meetings:report-docx", args=[report.pk]) if ready and report.docx else None,
        "error": report.error,
    }


@require_safe
def report_status(request: HttpRequest, pk: int) -> JsonResponse:
    """``/meetings/reports/<id>/status/``: a build's state as JSON (polled by the meeting page)."""
    report = get_object_or_404(Report.objects.defer("html"), pk=pk)
    response = JsonResponse(status_payload(report))
    response["Cache-Control"] = "no-store"
    return response
