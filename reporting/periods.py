"""Reporting periods (issue 13): opening one, closing it (which freezes a snapshot), and finding a
meeting's period. Every write is a service here, checked against the user's role.

Who: London Councils' secretariat (the secretariat of Leaders' Committee, the board whose cycle the
periods follow) and administrators open and close periods; everyone signed in reads them.

Closing a period freezes the snapshot of the closing day (taken then if the day's has not been
taken yet): from then on neither the period nor its snapshot can change (:mod:`reporting.models`).
Closing is refused, with nothing changed, when the period is already closed or when a paper for
one of its meetings is being built (the paper would mix live and frozen figures).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from boards.models import Board, Meeting, Membership
from commitments import changes
from commitments.lifecycle import london_today
from commitments.models import Change, Report
from commitments.services import InvalidUpdate, NotAllowed, ServiceError
from devotracker.celery import hand_off_by_name

from .models import LEADERS_COMMITTEE_CODE, ReportingPeriod, Snapshot
from .opendata import OPEN_DATA_TASK
from .snapshots import take_snapshot

logger = logging.getLogger(__name__)

# The years the product accepts for any date (as the services do for due dates).
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
MAX_NAME_LENGTH = ReportingPeriod._meta.get_field("name").max_length or 120


class PeriodConflict(ServiceError):
    """The period is not in a state that allows this (already closed, a build in flight)."""

    code = "conflict"


def can_manage_periods(user: Any) -> bool:
    """London Councils' secretariat (of Leaders' Committee) and administrators."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role=Membership.Role.SECRETARIAT, board__code=LEADERS_COMMITTEE_CODE).exists()


def _overlapping(board: Board, starts_on: dt.date, ends_on: dt.date, *, exclude: int | None = None) -> ReportingPeriod | None:
    qs = ReportingPeriod.objects.filter(board=board, starts_on__lte=ends_on, ends_on__gte=starts_on)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("starts_on").first()


def open_period(*, board: Board, name: str, starts_on: dt.date, ends_on: dt.date, by: Any) -> ReportingPeriod:
    """Open a reporting period of ``board`` from ``starts_on`` to ``ends_on`` (inclusive).

    Raises NotAllowed for a user who may not manage periods, and InvalidUpdate (per field) for an
    empty or over-long name, a name the board already uses, an end before the start, or dates
    overlapping another period of the board. Periods of one board are opened one at a time (the
    board's row is locked), so two overlapping periods cannot both be accepted."""
    if not can_manage_periods(by):
        raise NotAllowed("Only London Councils' secretariat or an administrator can open a reporting period.")
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Enter a name for the period"]
    elif len(name) > MAX_NAME_LENGTH:
        errors["name"] = [f"Name must be {MAX_NAME_LENGTH} characters or fewer"]
    for field, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not EARLIEST <= day <= LATEST:
            errors[field] = [f"The date must be between {EARLIEST.year} and {LATEST.year}"]
    if not errors.keys() & {"starts_on", "ends_on"} and ends_on < starts_on:
        errors["ends_on"] = ["The last day must be the same as or after the first day"]
    with transaction.atomic():
        Board.objects.select_for_update().filter(pk=board.pk).first()
        if "name" not in errors and ReportingPeriod.objects.filter(board=board, name__iexact=name).exists():
            errors["name"] = [f"{board.name} already has a period called {name}"]
        if not errors.keys() & {"starts_on", "ends_on"}:
            other = _overlapping(board, starts_on, ends_on)
            if other is not None:
                errors["starts_on"] = [
                    f"The dates overlap {other.name} ({other.starts_on:%-d %B %Y} to {other.ends_on:%-d %B %Y}): periods of a board cannot overlap"
                ]
        if errors:
            raise InvalidUpdate("The period was not opened.", errors)
        period = ReportingPeriod.objects.create(board=board, name=name, starts_on=starts_on, ends_on=ends_on)
        changes.record(period, Change.Op.CREATE)
        return period


def builds_in_flight(period: ReportingPeriod) -> list[Report]:
    """Papers being built for the meetings of ``period`` (its board, inside its dates)."""
    return list(
        Report.objects.filter(
            meeting__board=period.board,
            meeting__date__gte=period.starts_on,
            meeting__date__lte=period.ends_on,
            state__in=[Report.State.PENDING, Report.State.BUILDING],
        ).defer("html")
    )


def close_period(period: ReportingPeriod, *, by: Any, now: dt.datetime | None = None) -> ReportingPeriod:
    """Close ``period``: freeze the snapshot of today (London), record who closed it and when.

    Raises NotAllowed, or PeriodConflict when it is already closed or a paper for one of its
    meetings is being built; in every refused case nothing changes."""
    if not can_manage_periods(by):
        raise NotAllowed("Only London Councils' secretariat or an administrator can close a reporting period.")
    now = now or timezone.now()
    with transaction.atomic():
        locked = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
        if locked.is_closed:
            raise PeriodConflict(f"{locked.name} is already closed (on {timezone.localtime(locked.closed_at):%-d %B %Y}).")
        in_flight = builds_in_flight(locked)
        if in_flight:
            raise PeriodConflict(
                f"A paper for {locked.name} is being built ({in_flight[0].title}). Close the period when the build has finished."
            )
        snapshot, _ = take_snapshot(day=timezone.localdate(now), now=now)
        # Another board's period closed the same day may have frozen it already: it is shared.
        Snapshot.objects.filter(pk=snapshot.pk, frozen=False).update(frozen=True)
        locked.state = ReportingPeriod.State.CLOSED
        locked.snapshot = snapshot
        locked.closed_at = now
        locked.closed_by = by if getattr(by, "is_authenticated", False) else None
        locked.save()
        changes.record(locked, event=Change.Event.CLOSED)
        # The closed period's figures are published as open data once the close is committed.
        transaction.on_commit(_publish_open_data)
    return locked


def _publish_open_data() -> None:
    """Queue the open data build (a broker that is down is logged; the daily build catches up)."""
    try:
        hand_off_by_name(OPEN_DATA_TASK)
    except Exception as exc:  # the broker is down or refuses the message
        logger.warning("could not queue the open data build", extra={"fields": {"error": type(exc).__name__}})


def frozen_snapshot(period_id: int) -> Snapshot:
    """The snapshot closed period ``period_id`` froze. LookupError, with a message for the reader,
    when there is no such period or it is still open."""
    period = ReportingPeriod.objects.filter(pk=period_id).select_related("snapshot").first()
    if period is None:
        raise LookupError("No reporting period has this id.")
    if period.snapshot is None:
        raise LookupError(f"{period.name} is open: its figures are frozen when it is closed.")
    return period.snapshot


def period_for(board: Board | int, day: dt.date) -> ReportingPeriod | None:
    """The period of ``board`` that contains the London day ``day``, if any."""
    board_id = board if isinstance(board, int) else board.pk
    return ReportingPeriod.objects.filter(board_id=board_id, starts_on__lte=day, ends_on__gte=day).select_related("snapshot").first()


def period_for_meeting(meeting: Meeting) -> ReportingPeriod | None:
    """The period a meeting's papers report on: its board's period containing the meeting's date."""
    return period_for(meeting.board_id, meeting.date)


def previous_closed(
    period: ReportingPeriod | None, *, board: Board | int | None = None, before: dt.date | None = None
) -> ReportingPeriod | None:
    """The last closed period of the board before ``period`` (or before the day ``before``): the one
    "what changed since the last report" compares with."""
    board_id: int | None
    if period is not None:
        board_id, day = period.board_id, period.starts_on
    else:
        board_id = board if isinstance(board, int) or board is None else board.pk
        day = before or london_today()
    qs = ReportingPeriod.objects.filter(state=ReportingPeriod.State.CLOSED, starts_on__lt=day).select_related("snapshot")
    if board_id is not None:
        qs = qs.filter(board_id=board_id)
    return qs.order_by("-starts_on").first()


def last_report(board: Board | None = None) -> ReportingPeriod | None:
    """The closed period a dashboard compares today with ("since the last report"): the board's
    latest, for a board's dashboard, else the Leaders' Committee's latest (whose cycle London-wide
    reporting follows), else any board's latest."""
    latest = (
        ReportingPeriod.objects.filter(state=ReportingPeriod.State.CLOSED, snapshot__isnull=False)
        .select_related("snapshot", "board")
        .order_by("-starts_on", "-pk")
    )
    found = latest.filter(board=board).first() if board is not None else None
    return found or latest.filter(board__code=LEADERS_COMMITTEE_CODE).first() or latest.first()
