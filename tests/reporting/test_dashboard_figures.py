"""The dashboard's figures checked against a generated dataset whose every number is known
(``conftest.dataset``), and the edge cases: no data, an empty theme, everything complete."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from commitments.models import Action, Commitment, Obligation
from reporting.dashboards import RagSeries, Scope, backfill_tallies, build_dashboard, month_points, trend_days, week_points

from ..factories import ThemeFactory
from .conftest import THEME_NAMES, Dataset

pytestmark = pytest.mark.django_db


def counts(s: RagSeries) -> dict[str, int]:
    return {
        "red": s.red,
        "amber": s.amber,
        "green": s.green,
        "none": s.none,
        "total": s.total,
        "complete": s.complete,
        "overdue": s.overdue,
    }


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_totals_count_commitments_by_their_shown_rag_and_status(dataset: Dataset) -> None:
    d = build_dashboard(Scope(), on=dataset.today)

    # EST-01 shows its assessed red; the others their roll-up; UND-01 is outside the default agreements.
    assert counts(d.totals) == {"red": 1, "amber": 1, "green": 1, "none": 1, "total": 4, "complete": 1, "overdue": 0}
    summary = {row[0].value: row[1].value for row in d.summary.rows}
    assert summary["Commitments"] == 4
    assert summary["Obligations"] == 4
    assert summary["Obligations overdue"] == 1
    assert summary["Actions"] == 5
    assert summary["Actions overdue"] == 1


def test_not_pursued_items_are_closed_in_every_count(dataset: Dataset) -> None:
    """DESIGN.md §10: not_pursued closes an item like complete, so nothing counts it overdue or open."""
    d = build_dashboard(Scope(), on=dataset.today)
    assert (d.overdue_trend[-1].obligations, d.overdue_trend[-1].actions) == (1, 1)

    Obligation.objects.filter(pk=dataset.obligations["late"].pk).update(status="not_pursued")
    Action.objects.filter(pk=dataset.actions["late"].pk).update(status="not_pursued")
    Commitment.objects.filter(pk=dataset.commitments["EST-01"].pk).update(
        status="not_pursued", target_date=dataset.today - dt.timedelta(days=1)
    )
    d = build_dashboard(Scope(), on=dataset.today)

    summary = {row[0].value: row[1].value for row in d.summary.rows}
    assert summary["Obligations overdue"] == 0
    assert summary["Actions overdue"] == 0
    assert summary["Commitments past their target date"] == 0
    assert d.totals.overdue == 0
    assert d.overdue_items == []
    assert (d.overdue_trend[-1].obligations, d.overdue_trend[-1].actions) == (0, 0)
    assert {s.label: s.overdue for s in d.by_party.series} == {"Party A": 0, "Party B": 0}


def test_every_theme_is_listed_by_its_exact_name_even_when_empty(dataset: Dataset) -> None:
    d = build_dashboard(Scope(), on=dataset.today)

    assert [s.label for s in d.by_theme.series] == THEME_NAMES
    by_name = {s.label: counts(s) for s in d.by_theme.series}
    assert by_name["Capital and estates"] == {"red": 1, "amber": 1, "green": 0, "none": 0, "total": 2, "complete": 0, "overdue": 0}
    assert by_name["Integration - commissioning and payments"] == {
        "red": 0,
        "amber": 0,
        "green": 1,
        "none": 1,
        "total": 2,
        "complete": 1,
        "overdue": 0,
    }
    for empty in THEME_NAMES[2:]:
        assert counts(next(s for s in d.by_theme.series if s.label == empty))["total"] == 0
    # The table's total row adds up the rows.
    assert [c.value for c in d.by_theme.table.footer][1:] == [1, 1, 1, 1, 4, 1, 0]


def test_boards_pilots_and_parties_break_down_the_same_figures(dataset: Dataset) -> None:
    d = build_dashboard(Scope(), on=dataset.today)

    assert d.by_board is not None and d.by_pilot is not None
    boards = {s.label: counts(s) for s in d.by_board.series}
    assert boards["London Estates Board (LEB)"]["green"] == 1
    assert boards[f"{dataset.spb.name} (SPB)"] == {
        "red": 1,
        "amber": 1,
        "green": 0,
        "none": 0,
        "total": 2,
        "complete": 0,
        "overdue": 0,
    }
    assert boards["No lead board stated"]["none"] == 1
    assert {s.label: s.total for s in d.by_pilot.series} == {"North Central London estates pilot": 1}
    parties = {s.label: counts(s) for s in d.by_party.series}
    assert parties["Party A"] == {"red": 1, "amber": 1, "green": 0, "none": 0, "total": 2, "complete": 0, "overdue": 1}
    assert parties["Party B"] == {"red": 0, "amber": 0, "green": 1, "none": 1, "total": 2, "complete": 1, "overdue": 0}


def test_overdue_items_carry_owner_party_days_and_escalation_step(dataset: Dataset) -> None:
    d = build_dashboard(Scope(), on=dataset.today)

    rows = [(i.kind, i.ref, i.owner, i.party, i.days_overdue, i.escalation_label) for i in d.overdue_items]
    assert rows == [
        ("Action", "EST-01", "Olu Owner", "Party A", 40, "On the next Leaders' Committee report"),
        ("Obligation", "EST-01", "Olu Owner", "Party A", 10, "Lead board's secretariat told"),
    ]
    # The item due today and the completed ones are not overdue (DESIGN.md §10).
    assert "Sign the agreement" not in [i.description for i in d.overdue_items]


def test_due_windows_count_open_items_from_today(dataset: Dataset) -> None:
    d = build_dashboard(Scope(), on=dataset.today)

    windows = [(row[1].value, row[2].value) for row in d.due_table.rows]  # (obligations, actions)
    assert windows == [(1, 1), (2, 1), (2, 2)]  # 30, 60, 90 days
    soon = [row[2].value for row in d.due_soon_table.rows]
    assert soon == ["Party A's obligation under EST-02", "Agree the payment model"]


def test_including_every_agreement_widens_every_figure(dataset: Dataset) -> None:
    d = build_dashboard(Scope(all_agreements=True), on=dataset.today)

    assert counts(d.totals)["red"] == 2
    assert counts(d.totals)["total"] == 5
    assert sum(s.overdue for s in d.by_party.series) == 2


def test_every_figure_links_to_the_filtered_list_behind_it(dataset: Dataset) -> None:
    d = build_dashboard(Scope(), on=dataset.today)
    theme_row = d.by_theme.table.rows[0]
    red = theme_row[1]

    assert urlsplit(red.url).path == "/commitments/"
    assert query(red.url) == {"in_dashboards": ["true"], "theme": ["capital-and-estates"], "rating_used": ["red"]}
    assert query(theme_row[7].url)["overdue"] == ["true"]
    party_row = d.by_party.table.rows[0]
    assert urlsplit(party_row[1].url).path == "/obligations/"
    assert query(party_row[1].url) == {"in_dashboards": ["true"], "party": ["party-a"], "rating_used": ["red"]}
    due30 = d.due_table.rows[0][2].url
    assert urlsplit(due30).path == "/actions/"
    assert query(due30)["due_after"] == [(dataset.today - dt.timedelta(days=1)).isoformat()]
    assert query(due30)["due_before"] == [(dataset.today + dt.timedelta(days=31)).isoformat()]
    assert sorted(query(due30)["status"]) == ["in_progress", "not_started"]  # the open statuses
    board_none = d.by_board.table.rows[-1] if d.by_board else None
    assert board_none is not None and query(board_none[4].url)["board"] == ["none"]


def test_drill_down_links_select_exactly_the_rows_counted(dataset: Dataset) -> None:
    """Each link's parameters, run through the shared FilterSets, find as many rows as the figure."""
    from commitments.filtersets import ActionFilterSet, CommitmentFilterSet, ObligationFilterSet

    d = build_dashboard(Scope(), on=dataset.today)
    sets = {
        "/commitments/": (CommitmentFilterSet, Commitment),
        "/obligations/": (ObligationFilterSet, Obligation),
        "/actions/": (ActionFilterSet, Action),
    }
    tables = [d.summary, d.by_theme.table, d.by_party.table, d.due_table]
    assert d.by_board is not None
    tables.append(d.by_board.table)
    checked = 0
    for table in tables:
        for row in [*table.rows, *([table.footer] if table.footer else [])]:
            for cell in row:
                if not cell.url or not isinstance(cell.value, int):
                    continue
                filterset, model = sets[urlsplit(cell.url).path]
                from django.http import QueryDict

                fs = filterset(QueryDict(urlsplit(cell.url).query), queryset=model.objects.all())
                assert fs.is_valid(), (cell.url, fs.errors)
                assert fs.qs.count() == cell.value, (table.key, row[0].value, cell.url)
                checked += 1
    assert checked > 50


def test_an_empty_database_gives_zeros_not_errors(db: Any) -> None:
    d = build_dashboard(Scope())

    assert counts(d.totals)["total"] == 0
    assert d.by_theme.series == []
    assert d.overdue_items == []
    # Nothing tallied yet: each trend is today's point alone, at zero.
    assert [p.total for p in d.rag_trend] == [0] and [p.total for p in d.overdue_trend] == [0]


def test_one_theme_empty_still_shows_with_zeros(dataset: Dataset) -> None:
    ThemeFactory(slug="new-theme", name="A theme with nothing in it", order=99)
    d = build_dashboard(Scope(), on=dataset.today)

    last = d.by_theme.series[-1]
    assert last.label == "A theme with nothing in it"
    assert counts(last) == {"red": 0, "amber": 0, "green": 0, "none": 0, "total": 0, "complete": 0, "overdue": 0}


def test_when_everything_is_complete_nothing_is_overdue_or_due(dataset: Dataset) -> None:
    Obligation.objects.update(status="complete", progress=100)
    Action.objects.update(status="complete", completed_date=dataset.today)
    Commitment.objects.update(status="complete", rollup_status="complete", rag="green", rollup_rag="green")
    d = build_dashboard(Scope(all_agreements=True), on=dataset.today)

    assert d.totals.complete == d.totals.total == 5
    assert d.overdue_items == []
    assert [(row[1].value, row[2].value) for row in d.due_table.rows] == [(0, 0), (0, 0), (0, 0)]
    assert d.overdue_trend[-1].total == 0


# --- trends -----------------------------------------------------------------------------------


def test_month_and_week_points() -> None:
    on = dt.date(2026, 6, 15)
    months = month_points(on)
    assert len(months) == 24
    assert months[-1] == ("Jun 2026", on)
    assert months[-2] == ("May 2026", dt.date(2026, 5, 31))
    assert months[0] == ("Jul 2024", dt.date(2024, 7, 31))
    weeks = week_points(on)
    assert len(weeks) == 26 and weeks[-1] == on and weeks[0] == on - dt.timedelta(weeks=25)


def test_rag_trend_undoes_later_changes_month_by_month(themes: Any, party_a: Any) -> None:
    from commitments.models import StatusUpdate

    from ..factories import AgreementFactory, CommitmentFactory, ObligationFactory
    from .conftest import at

    on = dt.date(2026, 6, 15)
    c = CommitmentFactory(ref="EST-01", theme=themes[0], agreement=AgreementFactory())
    o = ObligationFactory(commitment=c, party=party_a, rag="green", due_date=None)
    common = {
        "target_type": "obligation",
        "commitment": c,
        "obligation": o,
        "party": party_a,
        "from_status": "in_progress",
        "to_status": "in_progress",
    }
    StatusUpdate.objects.create(**common, from_rag="red", to_rag="amber", version=2, created_at=at(dt.date(2026, 3, 20)))
    StatusUpdate.objects.create(**common, from_rag="amber", to_rag="green", version=3, created_at=at(dt.date(2026, 5, 5)))
    # A note with no RAG change changes nothing.
    StatusUpdate.objects.create(**common, from_rag="green", to_rag="green", version=4, created_at=at(dt.date(2026, 6, 1)))

    backfill_tallies(trend_days(on))
    trend = {p.label: (p.red, p.amber, p.green, p.none) for p in build_dashboard(Scope(), on=on).rag_trend}

    assert trend["Jun 2026"] == (0, 0, 1, 0)
    assert trend["May 2026"] == (0, 0, 1, 0)
    assert trend["Apr 2026"] == (0, 1, 0, 0)
    assert trend["Mar 2026"] == (0, 1, 0, 0)
    assert trend["Feb 2026"] == (1, 0, 0, 0)
    assert trend["Jul 2024"] == (1, 0, 0, 0)


def test_rag_trend_drops_items_before_they_were_created(themes: Any, party_a: Any) -> None:
    from commitments.models import StatusUpdate

    from ..factories import AgreementFactory, CommitmentFactory, ObligationFactory
    from .conftest import at

    on = dt.date(2026, 6, 15)
    c = CommitmentFactory(ref="EST-01", theme=themes[0], agreement=AgreementFactory())
    o = ObligationFactory(commitment=c, party=party_a, rag="amber", due_date=None)
    StatusUpdate.objects.create(
        target_type="obligation",
        commitment=c,
        obligation=o,
        party=party_a,
        from_status="",
        to_status="not_started",
        from_rag="",
        to_rag="amber",
        version=1,
        created_at=at(dt.date(2026, 4, 10)),
    )

    backfill_tallies(trend_days(on))
    trend = {p.label: p.total for p in build_dashboard(Scope(), on=on).rag_trend}

    assert trend["Jun 2026"] == 1 and trend["Apr 2026"] == 1
    assert trend["Mar 2026"] == 0


def test_overdue_trend_replays_due_dates_status_and_creation(themes: Any, party_a: Any) -> None:
    from commitments.models import StatusUpdate

    from ..factories import ActionFactory, AgreementFactory, CommitmentFactory, ObligationFactory
    from .conftest import at

    on = dt.date(2026, 6, 15)
    d = dt.timedelta
    c = CommitmentFactory(ref="EST-01", theme=themes[0], agreement=AgreementFactory())
    # Unchanged and open, due on-20: overdue on the weeks ending on, on-7 and on-14.
    steady = ObligationFactory(commitment=c, party=party_a, due_date=on - d(20))
    # Re-dated on on-5 from on-30 to on+30: overdue on on-7 ... on-28, not since.
    redated = ActionFactory(obligation=steady, due_date=on + d(30), original_due_date=on - d(30))
    StatusUpdate.objects.create(
        target_type="action",
        commitment=c,
        obligation=steady,
        action=redated,
        party=party_a,
        version=2,
        from_status="not_started",
        to_status="not_started",
        from_due_date=on - d(30),
        to_due_date=on + d(30),
        created_at=at(on - d(5)),
    )
    # Completed on on-10, due on-50: overdue on on-14 ... on-49, not since.
    done = ActionFactory(obligation=steady, due_date=on - d(50), status="complete", completed_date=on - d(10))
    StatusUpdate.objects.create(
        target_type="action",
        commitment=c,
        obligation=steady,
        action=done,
        party=party_a,
        version=2,
        from_status="in_progress",
        to_status="complete",
        from_due_date=on - d(50),
        to_due_date=on - d(50),
        created_at=at(on - d(10)),
    )
    # Created on on-3 already late (due on-40): overdue only on the last point.
    late_new = ActionFactory(obligation=steady, due_date=on - d(40))
    StatusUpdate.objects.create(
        target_type="action",
        commitment=c,
        obligation=steady,
        action=late_new,
        party=party_a,
        version=1,
        from_status="",
        to_status="not_started",
        to_due_date=on - d(40),
        created_at=at(on - d(3)),
    )

    backfill_tallies(trend_days(on))
    points = {(on - p.on).days // 7: (p.obligations, p.actions) for p in build_dashboard(Scope(), on=on).overdue_trend}

    assert [points[k][0] for k in range(6)] == [1, 1, 1, 0, 0, 0]
    # week k back: redated (1..4), done (2..7), late_new (0)
    expected_actions = {0: 1, 1: 1, 2: 2, 3: 2, 4: 2, 5: 1, 6: 1, 7: 1, 8: 0}
    assert {k: points[k][1] for k in expected_actions} == expected_actions


def test_a_commitment_in_two_pilots_counts_once_in_each(dataset: Dataset) -> None:
    from commitments.models import CommitmentPilot

    from ..factories import PilotFactory

    haringey = PilotFactory(slug="haringey-prevention", name="Haringey prevention pilot")
    CommitmentPilot.objects.create(commitment=dataset.commitments["EST-01"], pilot=haringey)
    CommitmentPilot.objects.create(commitment=dataset.commitments["EST-02"], pilot=haringey)

    d = build_dashboard(Scope(), on=dataset.today)
    assert d.by_pilot is not None
    pilots = {s.label: (s.red, s.amber, s.total) for s in d.by_pilot.series}

    assert pilots == {"North Central London estates pilot": (1, 0, 1), "Haringey prevention pilot": (1, 1, 2)}
    # The pilot's own dashboard counts the same commitments.
    assert build_dashboard(Scope(kind="pilot", pilot=haringey), on=dataset.today).totals.total == 2


def test_list_links_follow_the_script_prefix_though_their_paths_are_reversed_once() -> None:
    from django.urls import get_script_prefix, set_script_prefix

    from reporting.dashboards import list_url

    before = get_script_prefix()
    assert list_url("commitments:obligations", {"party": "camden"}) == "/obligations/?party=camden"
    try:
        set_script_prefix("/devotracker/")
        assert list_url("commitments:obligations", {"party": "camden"}) == "/devotracker/obligations/?party=camden"
    finally:
        set_script_prefix(before)
    assert list_url("commitments:obligations", {}) == "/obligations/"
