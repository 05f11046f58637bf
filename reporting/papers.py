"""The Leaders' Committee report and the boards' outstanding-actions papers (issue 6).

A paper is built for a :class:`~boards.models.Meeting` in London Councils' committee-paper shape:
title, item number, report by, date, contact, summary, recommendations, the body (by theme for
Leaders' Committee; overdue and due-before-the-next-meeting items for a board), financial, legal
and equalities implications, and appendices. It is rendered once from a template to HTML, and the
same HTML is printed to PDF by WeasyPrint; both are stored on a new
:class:`~commitments.models.Report` row, so every build is kept with its date and a past paper
stays as it was when it was built.

The write path follows the services' pattern: :func:`request_report` checks who may ask, creates
the ``pending`` row and queues the Celery task after commit; :func:`build_report` (run by
:mod:`reporting.tasks`) moves the row to ``building``, renders, stores, and marks it
``ready`` or ``failed``. Every user's text (descriptions, notes, names) is escaped by the template
engine, so hostile input prints as text in the HTML and the PDF.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from boards.models import Board, Meeting
from commitments import changes, escalation
from commitments.dependencies import at_risk_items
from commitments.models import Agreement, Change, Citation, Commitment, Escalation, JobRun, Report, Status, StatusUpdate, Theme
from commitments.ownership import unowned_q
from commitments.sources import format_date
from finance.figures import FinanceFigures, money_total
from finance.models import LINE_FLAGGED, FundingLine, year_label

from . import frozen as frozen_figures
from .charts import amount_bar_chart, rag_bar_chart
from .comparisons import KIND_HEADINGS, movement_counts
from .dashboards import (
    RAG_KEYS,
    OverdueItem,
    RagSeries,
    Scope,
    describe_update,
    due_item_list,
    end_of_day,
    overdue_item_list,
    update_target_label,
)
from .dashboards.figures import owner_label, rating_note
from .dashboards.finance import MONEY_KEYS, short_pounds
from .dashboards.queries import disagreement_list, obligation_label
from .models import LEADERS_COMMITTEE_CODE, ReportingPeriod, Snapshot
from .periods import period_for_meeting, previous_closed
from .word import html_to_docx

logger = logging.getLogger(__name__)
# WeasyPrint logs every layout step at INFO; a worker building papers needs only its warnings.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# The four boards of the MoU get outstanding-actions papers; London Councils' committees (Leaders'
# Committee, the Executive) get the committee report on delivery of the MoU.
CHANGES_WITHOUT_PREVIOUS_MEETING_DAYS = 90
# Longest list on the Leaders' Committee report's front pages; the appendices list everything.
FRONT_LIST_LIMIT = 5
NEXT_MEETING_FALLBACK_DAYS = 90


def report_kind_for(meeting: Meeting) -> str:
    """Which paper a meeting gets: the committee report for a committee (Leaders' Committee, the
    Executive), else the board's outstanding-actions paper."""
    board = meeting.board
    if board.code.upper() == LEADERS_COMMITTEE_CODE or board.kind == Board.Kind.COMMITTEE:
        return Report.Kind.LEADERS_COMMITTEE
    return Report.Kind.BOARD_PAPER


def report_title(meeting: Meeting, kind: str) -> str:
    if kind == Report.Kind.LEADERS_COMMITTEE:
        return f"{meeting.board.name}, {meeting.date:%-d %B %Y}: health and care devolution, delivery of the MoU commitments"
    return f"{meeting.board.name}, {meeting.date:%-d %B %Y}: outstanding actions"


def build_report(report_id: int, *, now: dt.datetime | None = None) -> Report | None:
    """Build the paper of a ``pending`` (or interrupted ``building``) Report: render its HTML,
    print it to PDF, store both with ``as_of`` (the London day of the figures) and ``built_at``.

    Idempotent: a report already ``ready`` or ``failed`` is left alone (a redelivered task does
    nothing), so each Report row is built at most once and stays as it was. Records a JobRun.
    Returns the report, or None when there is no such row. Never raises for a failed build: the
    row says ``failed`` with the error, and the user can build again.
    """
    now = now or timezone.now()
    moved = Report.objects.filter(pk=report_id, state__in=[Report.State.PENDING, Report.State.BUILDING]).update(
        state=Report.State.BUILDING, updated_at=now
    )
    report = Report.objects.select_related("meeting__board").filter(pk=report_id).first()
    if report is None or not moved:
        return report
    changes.record_bulk(Report, [report_id])
    job = JobRun.objects.create(name="build_report", task_id=report.task_id, started_at=now)
    try:
        frozen = paper_snapshot(report.meeting)
        as_of = frozen.day if frozen is not None else timezone.localdate(now)
        html = render_paper(report.meeting, report.kind, as_of=as_of, built_at=now, frozen=frozen)
        pdf = html_to_pdf(html)
        docx = html_to_docx(html, title=report.title)
        report.html = html
        report.as_of = as_of
        report.built_at = timezone.now()
        report.state = Report.State.READY
        report.error = ""
        report.pdf.save(pdf_filename(report), ContentFile(pdf), save=False)
        report.docx.save(paper_filename(report, "docx"), ContentFile(docx), save=False)
        report.save(update_fields=["html", "as_of", "built_at", "state", "error", "pdf", "docx", "updated_at"])
        changes.record(report, event=Change.Event.PUBLISHED)
        job.outcome, job.counts = (
            JobRun.Outcome.SUCCESS,
            {
                "report": report.pk,
                "pdf_bytes": len(pdf),
                "docx_bytes": len(docx),
                "html_chars": len(html),
            },
        )
    except Exception as exc:
        logger.exception("report build failed", extra={"fields": {"report": report_id}})
        report.state = Report.State.FAILED
        report.error = f"{type(exc).__name__}: {exc}"[:2000]
        report.save(update_fields=["state", "error", "updated_at"])
        changes.record(report)
        job.outcome, job.error = JobRun.Outcome.FAILURE, report.error
    job.finished_at = timezone.now()
    job.save(update_fields=["outcome", "counts", "error", "finished_at"])
    return report


def pdf_filename(report: Report) -> str:
    return paper_filename(report, "pdf")


def paper_filename(report: Report, extension: str) -> str:
    """The name a built paper's file is stored and downloaded under: board, date, item, kind, build."""
    meeting = report.meeting
    kind = "leaders-committee-report" if report.kind == Report.Kind.LEADERS_COMMITTEE else "outstanding-actions"
    item = f"-item-{meeting.item_number}" if meeting.item_number else ""
    safe_item = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in item)
    return f"{meeting.board.code.lower()}-{meeting.date:%Y-%m-%d}{safe_item}-{kind}-{report.pk}.{extension}"


# --- rendering --------------------------------------------------------------------------------


def html_to_pdf(html: str) -> bytes:
    """Print the paper's HTML to a tagged PDF with WeasyPrint.

    Nothing outside the document is fetched: only ``data:`` URLs are allowed, so no text in a
    paper can make the builder reach the network or the file system.
    """
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=["data"], fail_on_errors=False)
    return bytes(HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(pdf_tags=True))


@dataclass
class ThemeSection:
    """One theme's part of the Leaders' Committee report."""

    theme: Theme
    number: str
    counts: RagSeries
    commitments: list[Commitment] = field(default_factory=list)
    changes: list[StatusUpdate] = field(default_factory=list)
    overdue: list[OverdueItem] = field(default_factory=list)


@dataclass
class EscalatedItem:
    step_label: str
    kind: str
    ref: str
    description: str
    owner: str
    party: str
    due_date: dt.date | None
    overdue_since: dt.date
    days_overdue: int


def _previous_meeting(meeting: Meeting) -> Meeting | None:
    return Meeting.objects.filter(board=meeting.board, date__lt=meeting.date).order_by("-date", "-pk").first()


def _next_meeting(meeting: Meeting) -> Meeting | None:
    return Meeting.objects.filter(board=meeting.board, date__gt=meeting.date).order_by("date", "pk").first()


def changes_window(meeting: Meeting, as_of: dt.date) -> tuple[dt.datetime, dt.datetime, Meeting | None, str]:
    """The period "since the last meeting": from the start of the previous meeting's day (London)
    to the end of this meeting's day, or of ``as_of`` when the paper is built before it. Without a
    previous meeting of the same board, the 90 days before. Returns (start, end, previous, words)."""
    previous = _previous_meeting(meeting)
    last_day = min(meeting.date, as_of)
    end = end_of_day(last_day)
    if previous is not None:
        start = end_of_day(previous.date - dt.timedelta(days=1))
        words = f"since the last meeting of the {meeting.board.name} on {previous.date:%-d %B %Y} (to {last_day:%-d %B %Y})"
    else:
        first_day = last_day - dt.timedelta(days=CHANGES_WITHOUT_PREVIOUS_MEETING_DAYS)
        start = end_of_day(first_day - dt.timedelta(days=1))
        words = (
            f"in the {CHANGES_WITHOUT_PREVIOUS_MEETING_DAYS} days to {last_day:%-d %B %Y} "
            f"(no earlier meeting of the {meeting.board.name} is recorded)"
        )
    return start, end, previous, words


def _escalated_items(scope: Scope, as_of: dt.date, frozen: Snapshot | None = None) -> list[EscalatedItem]:
    """Open step-3 escalations ("on the next Leaders' Committee report") under the scope; with
    ``frozen``, those open when the snapshot was taken, with their items' frozen due dates and owners."""
    is_open = frozen_figures.open_escalations(frozen) if frozen is not None else Q(resolved_at__isnull=True)
    rows = list(
        Escalation.objects.filter(is_open, step=Escalation.Step.COMMITTEE, commitment__in=scope.commitments())
        .select_related("commitment", "obligation__party", "obligation__owner", "action__owner", "action__obligation__party")
        .order_by("overdue_since", "pk")
    )
    states = frozen_figures.states_of(frozen, rows) if frozen is not None else {}
    owners = get_user_model().objects.in_bulk({s.owner_id for s in states.values() if s.owner_id})
    out: list[EscalatedItem] = []
    for e in rows:
        target: Any = e.action or e.obligation
        if target is None:
            continue
        state = states.get(("action", e.action_id) if e.action_id else ("obligation", e.obligation_id or 0))
        if state is not None:
            target = SimpleNamespace(due_date=state.due_date, owner=owners.get(state.owner_id))
        if e.action is not None:
            kind, description, party = "Action", e.action.description, e.action.obligation.party.name
        else:
            kind, party = "Obligation", e.obligation.party.name  # type: ignore[union-attr]
            description = obligation_label(party, e.commitment.ref)
        owner = owner_label(target.owner)
        out.append(
            EscalatedItem(
                step_label=e.get_step_display(),
                kind=kind,
                ref=e.commitment.ref,
                description=description,
                owner=owner,
                party=party,
                due_date=target.due_date,
                overdue_since=e.overdue_since,
                days_overdue=(as_of - target.due_date).days if target.due_date else 0,
            )
        )
    return out


def _counts(commitments: list[Any], label: str, *, frozen: bool = False) -> RagSeries:
    """RAG, complete and overdue counts of commitments annotated by ``for_list`` (shown state),
    RAG by the rating used (issue 15: the assurance rating where one is given), with how many carry
    an assurance rating and how many disagree (none in a frozen snapshot, which keeps one rating)."""
    s = RagSeries(label)
    for c in commitments:
        s.add(
            c.rating_used_db,
            1,
            complete=c.shown_status_db == Status.COMPLETE,
            overdue=bool(c.is_overdue),
            progress=c.shown_progress_db or 0,
        )
        if not frozen and c.assurance_rag:
            s.add_ratings(1, int(c.assurance_rag != c.shown_rag_db))
    return s


def _ratings(scope: Scope, totals: RagSeries, frozen: Snapshot | None) -> dict[str, Any]:
    """What a paper says of the two ratings (issue 15): which rating its counts use, and where the
    ratings disagree (live figures only: a closed period's snapshot keeps the shown RAG alone)."""
    if frozen is not None:
        note = (
            f"RAG counts use the ratings frozen with the period's figures on {frozen.day:%-d %B %Y} "
            "(the owner's own, or the lead board's assessment); assurance ratings are not part of a frozen snapshot."
        )
        return {"rating_note": note, "disagreements": [], "ratings_frozen": True}
    return {
        "rating_note": rating_note(totals.assured, totals.total, "commitments"),
        "disagreements": disagreement_list(scope.commitments(), scope.obligations()),
        "ratings_frozen": False,
    }


def _unowned(scope: Scope, as_of: dt.date, frozen: Snapshot | None) -> dict[str, Any]:
    """How many open items in the paper's scope nobody answers for (issue 16): commitments with no
    lead board, obligations and actions with no owner (``commitments.ownership.unowned_q``, the
    worklist's rule), with the worklist's address. Live figures only: a frozen snapshot keeps no
    owners. Three counts."""
    if frozen is not None:
        return {"unowned": None, "unowned_frozen": True}
    return {
        "unowned": {
            "commitments": scope.commitments().with_shown_state().filter(unowned_q("commitment")).count(),  # type: ignore[attr-defined]
            "obligations": scope.obligations().filter(unowned_q("obligation")).count(),
            "actions": scope.actions().filter(unowned_q("action")).count(),
        },
        "unowned_frozen": False,
        "worklist_url": f"{settings.SITE_URL}{reverse('commitments:worklist')}",
    }


def _updates(scope: Scope, start: dt.datetime, end: dt.datetime, frozen: Snapshot | None) -> list[StatusUpdate]:
    """The scope's history from ``start`` to ``end``, oldest first; with ``frozen``, only what had
    been recorded when the snapshot was taken."""
    if frozen is not None:
        end = min(end, frozen.taken_at + dt.timedelta(microseconds=1))
    return list(scope.updates().filter(created_at__gte=start, created_at__lt=end).for_timeline().order_by("created_at", "id"))  # type: ignore[attr-defined]


def _at_risk(scope: Scope, as_of: dt.date, frozen: Snapshot | None) -> dict[str, Any]:
    """Items waiting on a prerequisite at risk (issue 15), live figures only: a closed period's
    snapshot keeps no dependencies."""
    if frozen is not None:
        return {"at_risk": [], "at_risk_frozen": True}
    return {"at_risk": at_risk_items(scope.commitments(), scope.actions(), as_of), "at_risk_frozen": False}


# The board whose paper carries the strategic plan for capital investment (issue 16): the London
# Estates Board's; Leaders' Committee receives it too ("reports on the work of the London Estates
# Board and the strategic plan for capital investment", 5 December 2017, items 10-12).
ESTATES_BOARD_CODE = "LEB"


def financial_year_of(day: dt.date) -> int:
    """The financial year (April to March) a day falls in, by the year it starts: 1 March 2019 → 2018."""
    return day.year if day.month >= 4 else day.year - 1


def finance_context(as_of: dt.date, frozen: Snapshot | None = None) -> dict[str, Any]:
    """The finance and estates section of a paper (issue 16): funding allocated, committed and
    spent by stream and sub-region; the capital budget of the year of ``as_of`` (else the latest)
    and its profile by quarter; receipts expected, realised and retained by sub-region; every
    disposal with the board's recommendation and the decision; what does not add up. Money is not
    part of a closed period's snapshot: a paper built from one shows the figures recorded when it
    is built, and says so. A fixed number of queries (:class:`finance.figures.FinanceFigures`)."""
    figures = FinanceFigures()
    year = financial_year_of(as_of)
    budgets = figures.budgets
    budget = next((b for b in budgets if b.year == year), budgets[0] if budgets else None)
    chart = (
        amount_bar_chart(
            chart_id="paper-finance-chart",
            title="Funding by sub-region: allocated, committed and spent",
            rows=figures.by_sub_region,
            keys=MONEY_KEYS,
            fmt=short_pounds,
        )
        if figures.by_sub_region
        else ""
    )
    return {
        "finance": {
            "totals": figures.totals,
            "streams": figures.by_stream,
            "by_sub_region": figures.by_sub_region,
            "by_sub_region_total": money_total(figures.by_sub_region),
            "by_pilot": [r for r in figures.by_pilot if r.key],
            "receipts": figures.receipts,
            "receipts_by_sub_region": figures.receipts_by_sub_region,
            "budget": budget,
            "year_label": year_label(year),
            "disposals": figures.disposal_list(),
            "flags": figures.flags,
            "flagged_total": figures.flagged_total,
            "flagged_lines": list(FundingLine.objects.filter(LINE_FLAGGED).select_related("stream").order_by("stream__name", "pk")),
            "chart": chart,
            "not_frozen": frozen is not None,
        }
    }


def leaders_committee_context(meeting: Meeting, as_of: dt.date, frozen: Snapshot | None = None) -> dict[str, Any]:
    """Everything the Leaders' Committee report shows, as of the London day ``as_of``; with
    ``frozen`` (the closed period's snapshot, whose day ``as_of`` is), from that snapshot."""
    scope = Scope()
    themes = list(Theme.objects.order_by("order", "name"))
    if frozen is not None:
        commitments = frozen_figures.commitments(frozen, scope)
        overdue = frozen_figures.overdue_item_list(frozen, scope)
    else:
        commitments = list(
            Commitment.objects.filter(pk__in=scope.commitments().values("pk")).for_list(as_of).order_by("theme__order", "ref")
        )
        overdue = overdue_item_list(scope.obligations(), scope.actions(), as_of)
    start, end, previous, window_words = changes_window(meeting, as_of)
    updates = _updates(scope, start, end, frozen)

    by_theme: dict[int, list[Commitment]] = defaultdict(list)
    for c in commitments:
        by_theme[c.theme_id].append(c)
    overdue_by_theme: dict[int | None, list[OverdueItem]] = defaultdict(list)
    for item in overdue:
        overdue_by_theme[item.theme_id].append(item)
    updates_by_theme: dict[int, list[StatusUpdate]] = defaultdict(list)
    for u in updates:
        updates_by_theme[u.commitment.theme_id].append(u)

    sections = [
        ThemeSection(
            theme=t,
            number=f"A.{i}",
            counts=_counts(by_theme[t.pk], t.name, frozen=frozen is not None),
            commitments=by_theme[t.pk],
            changes=updates_by_theme[t.pk],
            overdue=overdue_by_theme[t.pk],
        )
        for i, t in enumerate(themes, start=1)
    ]
    totals = _counts(commitments, "All commitments", frozen=frozen is not None)
    escalated = _escalated_items(scope, as_of, frozen)
    previous_period, movement = movement_since_last_period(meeting, as_of, frozen)
    agreements = list(Agreement.objects.filter(in_dashboards_by_default=True).order_by("date", "slug"))
    sources = source_documents([c.pk for c in commitments])
    chart = (
        rag_bar_chart(chart_id="paper-theme-chart", title="Commitments by theme and RAG rating", series=[s.counts for s in sections])
        if commitments
        else ""
    )
    return {
        # The front of the report (two pages at most): headline figures and movement since the last
        # closed period, the decisions sought (escalated items), the top risks. The full lists are
        # the appendices.
        "previous_period": previous_period,
        "movement": movement,
        "escalated_top": escalated[:FRONT_LIST_LIMIT],
        "red_top": sorted((c for c in commitments if c.rating_used_db == "red"), key=lambda c: (c.shown_progress_db or 0, c.ref))[
            :FRONT_LIST_LIMIT
        ],
        "front_limit": FRONT_LIST_LIMIT,
        "sections": sections,
        "totals": totals,
        "overdue": overdue,
        "overdue_obligations": sum(1 for i in overdue if i.kind == "Obligation"),
        "overdue_actions": sum(1 for i in overdue if i.kind == "Action"),
        "escalated": escalated,
        "updates": updates,
        "previous": previous,
        "window_words": window_words,
        "commitments": commitments,
        "agreements": agreements,
        "sources": sources,
        "chart": chart,
        **_ratings(scope, totals, frozen),
        **_at_risk(scope, as_of, frozen),
        **_unowned(scope, as_of, frozen),
        **finance_context(as_of, frozen),
    }


def movement_since_last_period(
    meeting: Meeting, as_of: dt.date, frozen: Snapshot | None = None, scope: Scope | None = None
) -> tuple[ReportingPeriod | None, list[dict[str, Any]]]:
    """The last closed reporting period of the meeting's board before this meeting's period (or
    before the meeting), and how many commitments and obligations (of ``scope``, when given: a
    board paper's) moved since its frozen figures (to today's, or to ``frozen``'s): one row per
    kind with the counts of :data:`reporting.comparisons.MOVEMENTS`, counted in the database."""
    period = period_for_meeting(meeting)
    previous = previous_closed(period) if period is not None else previous_closed(None, board=meeting.board_id, before=meeting.date)
    if previous is None or previous.snapshot is None:
        return previous, []
    within = scope.items() if scope is not None else {}
    rows = []
    for kind, heading in KIND_HEADINGS:
        counts = movement_counts(previous.snapshot, kind, on=as_of, to=frozen, within=within.get(kind))
        rows.append({"label": heading, **counts})
    return previous, rows


def source_documents(commitment_ids: list[int]) -> list[dict[str, Any]]:
    """The documents the given commitments are taken from, as a reference list reads them
    (publisher, title, date, link) with how many of the commitments each is cited for, oldest
    first: the paper's appendix of sources. One query."""
    rows = (
        Citation.objects.filter(commitment_id__in=commitment_ids)
        .values("publisher", "document_title", "document_date", "document_date_precision", "url")
        .annotate(commitments=Count("commitment", distinct=True))
        .order_by("document_date", "publisher", "document_title")
    )
    return [{**r, "date_text": format_date(r["document_date"], r["document_date_precision"] or "day")} for r in rows]


def board_paper_context(meeting: Meeting, as_of: dt.date, frozen: Snapshot | None = None) -> dict[str, Any]:
    """Everything a board's outstanding-actions paper shows: what the board leads that is overdue
    or due before its next meeting, with target date, responsible officer and party, and what
    changed since the board last met."""
    board = meeting.board
    scope = Scope(kind="board", board=board, all_agreements=True)
    nxt = _next_meeting(meeting)
    horizon = nxt.date if nxt is not None else meeting.date + dt.timedelta(days=NEXT_MEETING_FALLBACK_DAYS)
    horizon_words = (
        f"before the board's next meeting on {nxt.date:%-d %B %Y}"
        if nxt is not None
        else f"by {horizon:%-d %B %Y} (no later meeting of the board is recorded yet; {NEXT_MEETING_FALLBACK_DAYS} days after this one)"
    )
    # Due from today up to the day before the next meeting (an item due on the meeting day itself
    # is not yet late when the board meets).
    until = horizon - dt.timedelta(days=1)
    if frozen is not None:
        overdue = frozen_figures.overdue_item_list(frozen, scope)
        due = frozen_figures.due_item_list(frozen, scope, until=until) if horizon > as_of else []
        commitments = frozen_figures.commitments(frozen, Scope(kind="board", board=board, all_agreements=True))
    else:
        overdue = overdue_item_list(scope.obligations(), scope.actions(), as_of)
        due = due_item_list(scope.obligations(), scope.actions(), as_of, days=0, until=until) if horizon > as_of else []
        commitments = list(Commitment.objects.filter(lead_board=board).for_list(as_of).order_by("theme__order", "ref"))
    start, end, previous, window_words = changes_window(meeting, as_of)
    updates = _updates(scope, start, end, frozen)
    escalated = _escalated_items(scope, as_of, frozen)
    previous_period, movement = movement_since_last_period(meeting, as_of, frozen, scope)
    totals = _counts(commitments, "Commitments the board leads", frozen=frozen is not None)
    return {
        "previous_period": previous_period,
        "movement": movement,
        "overdue": overdue,
        "due": due,
        "horizon": horizon,
        "horizon_words": horizon_words,
        "next_meeting": nxt,
        "updates": updates,
        "previous": previous,
        "window_words": window_words,
        "commitments": commitments,
        "totals": totals,
        "escalated": escalated,
        **_ratings(scope, totals, frozen),
        **_at_risk(scope, as_of, frozen),
        **_unowned(scope, as_of, frozen),
        **(finance_context(as_of, frozen) if board.code.upper() == ESTATES_BOARD_CODE else {}),
    }


def paper_snapshot(meeting: Meeting) -> Snapshot | None:
    """The frozen snapshot a meeting's papers are built from: its reporting period's, once the
    period is closed (None while it is open, or when the meeting is in no period)."""
    period = period_for_meeting(meeting)
    return period.snapshot if period is not None and period.is_closed else None


def render_paper(
    meeting: Meeting, kind: str, *, as_of: dt.date, built_at: dt.datetime | None = None, frozen: Snapshot | None = None
) -> str:
    """The paper's complete, standalone HTML document (also the PDF's source): as of the London day
    ``as_of`` from the live data, or, given ``frozen`` (:func:`paper_snapshot`; ``as_of`` is then its
    day), from that snapshot, so that rebuilding it later gives the same content."""
    context: dict[str, Any] = {
        "meeting": meeting,
        "board": meeting.board,
        "kind": kind,
        "as_of": as_of,
        "built_at": timezone.localtime(built_at or timezone.now()),
        "title": report_title(meeting, kind),
        "rag_keys": RAG_KEYS,
        "escalate_committee_days": escalation.committee_after_days(),
        "describe_update": describe_update,
        "frozen": frozen,
    }
    if kind == Report.Kind.LEADERS_COMMITTEE:
        context.update(leaders_committee_context(meeting, as_of, frozen))
        template = "reports/leaders_committee.html"
    else:
        context.update(board_paper_context(meeting, as_of, frozen))
        template = "reports/board_paper.html"
    for u in context.get("updates", []):
        # Precomputed so the template needs no method calls with arguments.
        u.summary_text = describe_update(u)
        u.target_text = update_target_label(u)
    return render_to_string(template, context)
