"""The trends' tallies: written with each snapshot, reconstructed from the history for earlier days,
and read by every dashboard in two queries (reporting.dashboards.trends)."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from commitments.lifecycle import overdue_q
from commitments.models import StatusUpdate
from reporting.dashboards import Scope, backfill_tallies, build_dashboard, trend_days
from reporting.dashboards.trends import scope_grain
from reporting.models import Tally, TallyDay
from reporting.snapshots import take_snapshot, write_tallies

from .conftest import Dataset, at

pytestmark = pytest.mark.django_db


def scopes(ds: Dataset) -> list[Scope]:
    return [
        Scope(),
        Scope(all_agreements=True),
        Scope(kind="board", board=ds.spb),
        Scope(kind="board", board=ds.leb, all_agreements=True),
        Scope(kind="party", party=ds.party_a),
        Scope(kind="party", party=ds.party_b, all_agreements=True),
        Scope(kind="pilot", pilot=ds.pilot),
    ]


def tallied(scope: Scope, day: dt.date) -> Counter[tuple[str, str, bool]]:
    grain, key = scope_grain(scope)
    rows = Tally.objects.filter(day=day, grain=grain, key=key)
    if not scope.all_agreements:
        rows = rows.filter(agreement_id__in=_default_agreements())
    out: Counter[tuple[str, str, bool]] = Counter()
    for row in rows:
        out[(row.kind, row.rag, row.overdue)] += row.items
    return out


def _default_agreements() -> list[int]:
    from commitments.models import Agreement

    return list(Agreement.objects.filter(in_dashboards_by_default=True).values_list("pk", flat=True))


def counted(scope: Scope, day: dt.date) -> Counter[tuple[str, str, bool]]:
    """What the pages' own querysets count for ``scope`` on ``day``."""
    out: Counter[tuple[str, str, bool]] = Counter()
    for kind, qs in (("obligation", scope.obligations()), ("action", scope.actions())):
        late = set(qs.filter(overdue_q(day)).values_list("pk", flat=True))
        for pk, rag in qs.values_list("pk", "rag"):
            out[(kind, rag, pk in late)] += 1
    return out


def rows_of(day: dt.date) -> Counter[tuple[Any, ...]]:
    return Counter(Tally.objects.filter(day=day).values_list("kind", "grain", "key", "agreement_id", "rag", "overdue", "items"))


def test_a_snapshot_tallies_every_scope_as_the_pages_count_it(dataset: Dataset) -> None:
    take_snapshot(day=dataset.today)

    assert TallyDay.objects.get().source == TallyDay.Source.SNAPSHOT
    for scope in scopes(dataset):
        assert tallied(scope, dataset.today) == counted(scope, dataset.today), scope
    # An item in a pilot is counted in the pilot's grain once per pilot, and nowhere else twice.
    assert sum(tallied(Scope(all_agreements=True), dataset.today).values()) == 5 + 5


def test_reconstructing_a_day_with_no_later_change_gives_the_snapshot_s_tallies(dataset: Dataset) -> None:
    assert backfill_tallies([dataset.today]) == [dataset.today]
    reconstructed = rows_of(dataset.today)
    assert TallyDay.objects.get().source == TallyDay.Source.HISTORY

    Tally.objects.all().delete()
    TallyDay.objects.all().delete()
    write_tallies(dataset.today)

    assert reconstructed and rows_of(dataset.today) == reconstructed


def test_the_backfill_fills_only_days_without_tallies_and_can_be_re_run(dataset: Dataset) -> None:
    yesterday, earlier = dataset.today - dt.timedelta(days=1), dataset.today - dt.timedelta(days=8)
    write_tallies(yesterday)
    counted_yesterday = rows_of(yesterday)

    assert backfill_tallies([earlier, yesterday]) == [earlier]
    assert backfill_tallies([earlier, yesterday]) == []
    # The snapshot's day is left as it was counted.
    assert rows_of(yesterday) == counted_yesterday
    assert dict(TallyDay.objects.values_list("day", "source")) == {yesterday: "snapshot", earlier: "history"}


def test_the_backfill_undoes_later_changes(dataset: Dataset) -> None:
    """Re-dated from today-30 to today-10 five days ago, the late obligation was overdue 20 days ago
    as it is now; created twelve days ago, the done obligation did not exist 20 days ago."""
    o = dataset.obligations["done"]
    StatusUpdate.objects.create(
        target_type="obligation",
        commitment=o.commitment,
        obligation=o,
        party=o.party,
        version=1,
        from_status="",
        to_status="complete",
        to_rag="green",
        created_at=at(dataset.today - dt.timedelta(days=12)),
    )
    late = dataset.obligations["late"]
    StatusUpdate.objects.create(
        target_type="obligation",
        commitment=late.commitment,
        obligation=late,
        party=late.party,
        version=3,
        from_status="not_started",
        to_status="in_progress",
        from_rag="amber",
        to_rag="red",
        from_due_date=dataset.today - dt.timedelta(days=30),
        to_due_date=late.due_date,
        created_at=at(dataset.today - dt.timedelta(days=5)),
    )
    then = dataset.today - dt.timedelta(days=20)
    backfill_tallies([then])

    party_a = tallied(Scope(kind="party", party=dataset.party_a), then)
    # late: amber, not started, due today-30 (overdue on today-20); today: amber, due today (not yet).
    assert party_a[("obligation", "amber", True)] == 1
    assert party_a[("obligation", "red", True)] == 0
    party_b = tallied(Scope(kind="party", party=dataset.party_b, all_agreements=True), then)
    assert sum(n for (kind, _, _), n in party_b.items() if kind == "obligation") == 2  # "done" not yet created


def test_a_trend_point_shows_the_last_tallied_day_of_its_week_or_month(dataset: Dataset) -> None:
    on = dataset.today
    write_tallies(on - dt.timedelta(days=9))  # inside the week ending on-7
    write_tallies(on - dt.timedelta(days=10))  # earlier in the same week: not shown
    TallyDay.objects.create(day=on - dt.timedelta(days=15), source=TallyDay.Source.HISTORY)  # tallied, nothing in it

    d = build_dashboard(Scope(), on=on)

    assert [p.on for p in d.overdue_trend] == [on - dt.timedelta(days=15), on - dt.timedelta(days=9), on]
    assert d.overdue_trend[0].total == 0
    assert (d.overdue_trend[1].obligations, d.overdue_trend[1].actions) == (1, 1)  # o_late and a_late
    # Today's point is live: what the summary counts now.
    summary = {row[0].value: row[1].value for row in d.summary.rows}
    assert (d.overdue_trend[-1].obligations, d.overdue_trend[-1].actions) == (summary["Obligations overdue"], summary["Actions overdue"])
    months = {p.label: p.on for p in d.rag_trend}
    last_month = (on.replace(day=1) - dt.timedelta(days=1)).strftime("%b %Y")
    assert len(d.rag_trend) == 1 + (on.day <= 15) and (on.day > 15 or months[last_month] == on - dt.timedelta(days=9))


def test_a_board_s_pilot_s_and_party_s_trend_read_their_own_tallies(dataset: Dataset) -> None:
    on = dataset.today
    backfill_tallies(trend_days(on))
    for scope in scopes(dataset):
        point = build_dashboard(scope, on=on).overdue_trend[-2]
        figures = counted(scope, point.on)
        assert (point.obligations, point.actions) == (
            sum(n for (kind, _, late), n in figures.items() if kind == "obligation" and late),
            sum(n for (kind, _, late), n in figures.items() if kind == "action" and late),
        ), scope


def test_the_command_backfills_once(dataset: Dataset) -> None:
    out = io.StringIO()
    call_command("backfill_tallies", "--date", dataset.today.isoformat(), stdout=out)
    assert "Tallies reconstructed for" in out.getvalue()
    assert TallyDay.objects.count() == len(trend_days(dataset.today))
    out = io.StringIO()
    call_command("backfill_tallies", "--date", dataset.today.isoformat(), stdout=out)
    assert "already tallied" in out.getvalue()


def test_the_command_refuses_a_bad_date(db: Any) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("backfill_tallies", "--date", "yesterday")


def test_a_tally_day_is_recorded_even_when_there_is_nothing_to_count(db: Any) -> None:
    write_tallies(timezone.localdate())
    assert TallyDay.objects.count() == 1 and not Tally.objects.exists()
