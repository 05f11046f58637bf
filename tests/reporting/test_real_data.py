"""The dashboard and the Leaders' Committee report on the real MoU data (``load_mou``) with the
demo history (``load_demo``): theme names exactly as the data spells them, the committee's own
5 December 2017 meeting (Item 8), and trends drawn from two years of history."""

from __future__ import annotations

import io
from html import unescape
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from boards.models import Meeting
from commitments.models import Commitment
from reporting.dashboards import Scope, build_dashboard
from reporting.papers import render_paper, report_kind_for

from .conftest import THEME_NAMES

pytestmark = pytest.mark.django_db


@pytest.fixture
def real_data(db: Any, settings: Any) -> None:
    settings.DEMO_PASSWORD = "a-demo-password-for-tests"
    call_command("load_mou", stdout=io.StringIO(), stderr=io.StringIO())
    call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())
    # As the quick start does: the trends' past figures, reconstructed from the demo's history.
    call_command("backfill_tallies", stdout=io.StringIO())


def test_the_dashboard_on_the_real_data(real_data: None) -> None:
    d = build_dashboard(Scope())

    assert [s.label for s in d.by_theme.series] == THEME_NAMES
    # The MoU (65) and the 2015 Agreement (8) by default; all 83 with every agreement.
    assert d.totals.total == Commitment.objects.filter(agreement__in_dashboards_by_default=True).count() == 73
    assert build_dashboard(Scope(all_agreements=True)).totals.total == 83
    assert d.by_board is not None and d.by_pilot is not None
    assert {"London Health Board (LHB)", "No lead board stated"} <= {s.label for s in d.by_board.series}
    assert len(d.by_pilot.series) >= 5
    # Two years of demo history make the trends move, at every point.
    assert len(d.rag_trend) == 24 and len(d.overdue_trend) == 26
    assert len({(p.red, p.amber, p.green, p.none) for p in d.rag_trend}) > 1
    # Today's point of the weekly trend is today's overdue count.
    summary = {row[0].value: row[1].value for row in d.summary.rows}
    assert d.overdue_trend[-1].obligations == summary["Obligations overdue"]
    assert d.overdue_trend[-1].actions == summary["Actions overdue"] > 0


def test_the_committee_report_for_item_8_of_5_december_2017(real_data: None) -> None:
    meeting = Meeting.objects.get(board__code="LC", date="2017-12-05")
    html = unescape(render_paper(meeting, report_kind_for(meeting), as_of=timezone.localdate()))

    assert meeting.item_number == "8"
    assert '<th scope="row">Item no</th><td>8</td>' in html
    for name in THEME_NAMES:
        assert f"{name}</h3>" in html, name
    assert "EST-01" in html and "GOV-" in html  # Appendix A lists the commitments
