"""Reporting periods (issue 13): who may open and close them, the checks that refuse bad periods with
nothing changed, and closing freezing a snapshot no one can change afterwards."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from boards.models import Board, Membership
from commitments.models import Report
from commitments.services import InvalidUpdate, NotAllowed
from reporting.models import FrozenError, ReportingPeriod, Snapshot
from reporting.periods import (
    PeriodConflict,
    can_manage_periods,
    close_period,
    open_period,
    period_for_meeting,
    previous_closed,
)

from ..factories import ActionFactory, BoardFactory, MeetingFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

MARCH = (dt.date(2027, 2, 1), dt.date(2027, 3, 31))


def _open(
    lc_board: Board, by: Any, name: str = "Leaders' Committee, March 2027", dates: tuple[dt.date, dt.date] = MARCH
) -> ReportingPeriod:
    return open_period(board=lc_board, name=name, starts_on=dates[0], ends_on=dates[1], by=by)


def test_who_may_manage_periods(lc_board: Board, lc_secretariat: Any) -> None:
    spb_secretariat = UserFactory()
    MembershipFactory(user=spb_secretariat, role=Membership.Role.SECRETARIAT, board=BoardFactory(code="SPB"), party=None)
    officer = UserFactory()
    assert can_manage_periods(lc_secretariat)
    assert can_manage_periods(UserFactory(is_staff=True))
    assert not can_manage_periods(spb_secretariat)
    assert not can_manage_periods(officer)
    assert not can_manage_periods(UserFactory(is_staff=True, is_active=False))
    with pytest.raises(NotAllowed):
        _open(lc_board, officer)
    assert not ReportingPeriod.objects.exists()


@pytest.mark.parametrize(
    ("name", "dates", "field"),
    [
        ("", MARCH, "name"),
        ("x" * 121, MARCH, "name"),
        ("Backwards", (dt.date(2027, 3, 31), dt.date(2027, 2, 1)), "ends_on"),
        ("Overlapping", (dt.date(2027, 3, 15), dt.date(2027, 4, 30)), "starts_on"),
        ("leaders' committee, march 2027", (dt.date(2027, 5, 1), dt.date(2027, 5, 31)), "name"),
    ],
)
def test_a_bad_period_is_refused_per_field_and_nothing_is_written(
    lc_board: Board, lc_secretariat: Any, name: str, dates: tuple[dt.date, dt.date], field: str
) -> None:
    first = _open(lc_board, lc_secretariat)
    with pytest.raises(InvalidUpdate) as refused:
        _open(lc_board, lc_secretariat, name=name, dates=dates)
    assert field in refused.value.errors
    assert list(ReportingPeriod.objects.all()) == [first]


def test_periods_of_different_boards_may_overlap(lc_board: Board, lc_secretariat: Any) -> None:
    _open(lc_board, lc_secretariat)
    other = open_period(board=BoardFactory(code="SPB"), name="SPB, March 2027", starts_on=MARCH[0], ends_on=MARCH[1], by=lc_secretariat)
    assert other.pk is not None


def test_closing_freezes_the_day_s_snapshot_and_records_who(lc_board: Board, lc_secretariat: Any) -> None:
    ActionFactory()
    period = _open(lc_board, lc_secretariat)

    closed = close_period(period, by=lc_secretariat)

    assert closed.state == ReportingPeriod.State.CLOSED and closed.closed_by == lc_secretariat
    snapshot = Snapshot.objects.get()
    assert closed.snapshot == snapshot and snapshot.frozen and snapshot.complete and snapshot.actions == 1
    assert snapshot.day == timezone.localdate()
    # Neither can change now, even through the models an admin uses.
    closed.name = "Renamed"
    with pytest.raises(FrozenError):
        closed.save()
    with pytest.raises(FrozenError):
        closed.delete()
    with pytest.raises(FrozenError):
        snapshot.delete()


def test_closing_again_is_refused_with_nothing_changed(lc_board: Board, lc_secretariat: Any) -> None:
    period = close_period(_open(lc_board, lc_secretariat), by=lc_secretariat)
    closed_at = period.closed_at
    with pytest.raises(PeriodConflict, match="already closed"):
        close_period(period, by=UserFactory(is_staff=True))
    period.refresh_from_db()
    assert (period.closed_at, period.closed_by) == (closed_at, lc_secretariat)


def test_closing_with_a_build_in_flight_is_refused(lc_board: Board, lc_secretariat: Any) -> None:
    period = _open(lc_board, lc_secretariat)
    meeting = MeetingFactory(board=lc_board, date=dt.date(2027, 3, 20))
    Report.objects.create(meeting=meeting, kind=Report.Kind.LEADERS_COMMITTEE, state=Report.State.BUILDING, title="LC paper", task_id="t1")

    with pytest.raises(PeriodConflict, match="being built"):
        close_period(period, by=lc_secretariat)

    period.refresh_from_db()
    assert period.state == ReportingPeriod.State.OPEN and not Snapshot.objects.exists()


def test_an_officer_cannot_close_a_period(lc_board: Board, lc_secretariat: Any) -> None:
    period = _open(lc_board, lc_secretariat)
    with pytest.raises(NotAllowed):
        close_period(period, by=UserFactory())
    period.refresh_from_db()
    assert period.state == ReportingPeriod.State.OPEN


def test_a_meeting_s_period_and_the_previous_closed_one(lc_board: Board, lc_secretariat: Any) -> None:
    january = _open(lc_board, lc_secretariat, name="LC, January 2027", dates=(dt.date(2026, 12, 1), dt.date(2027, 1, 31)))
    march = _open(lc_board, lc_secretariat)
    meeting = MeetingFactory(board=lc_board, date=dt.date(2027, 3, 20))
    assert period_for_meeting(meeting) == march
    assert period_for_meeting(MeetingFactory(board=lc_board, date=dt.date(2027, 6, 1))) is None
    assert previous_closed(march) is None  # January is still open
    close_period(january, by=lc_secretariat)
    assert previous_closed(march) == january


def test_the_admin_reads_periods_and_snapshots_but_cannot_change_them(lc_board: Board, lc_secretariat: Any, admin_client: Any) -> None:
    period = close_period(_open(lc_board, lc_secretariat), by=lc_secretariat)
    for url in ("/admin/reporting/reportingperiod/", f"/admin/reporting/reportingperiod/{period.pk}/change/", "/admin/reporting/snapshot/"):
        assert admin_client.get(url).status_code == 200
    response = admin_client.post(f"/admin/reporting/reportingperiod/{period.pk}/change/", {"name": "Renamed"})
    assert response.status_code == 403
    assert admin_client.post(f"/admin/reporting/snapshot/{period.snapshot_id}/delete/", {"post": "yes"}).status_code == 403
    period.refresh_from_db()
    assert period.name == "Leaders' Committee, March 2027" and Snapshot.objects.filter(pk=period.snapshot_id, frozen=True).exists()
