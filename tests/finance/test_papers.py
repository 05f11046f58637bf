"""The finance and estates section of the papers (issue 16, point 3): the Leaders' Committee
report and the London Estates Board's paper ("the strategic plan for capital investment") in
HTML, PDF and Word; no such section in another board's paper."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from docx import Document

from commitments.models import Report
from finance.models import Disposal
from reporting.papers import financial_year_of, html_to_pdf, render_paper, report_kind_for
from reporting.word import html_to_docx

from ..factories import BoardFactory, MeetingFactory
from .conftest import Money

pytestmark = pytest.mark.django_db

SECTION = "Finance and estates: the strategic plan for capital investment"


@pytest.fixture
def lc_meeting(money: Money) -> Any:
    board = BoardFactory(code="LC", slug="leaders-committee", name="Leaders' Committee", kind="committee")
    return MeetingFactory(board=board, date=timezone.localdate() + dt.timedelta(days=14))


@pytest.fixture
def leb_meeting(money: Money) -> Any:
    return MeetingFactory(board=money.leb, date=timezone.localdate() + dt.timedelta(days=21), title="London Estates Board")


def _docx_text(html: str) -> tuple[list[str], str]:
    document = Document(io.BytesIO(html_to_docx(html, title="paper")))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    body = (
        "\n".join(p.text for p in document.paragraphs)
        + "\n"
        + "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    )
    return headings, body


def test_the_leaders_committee_report_has_the_section(lc_meeting: Any, money: Money) -> None:
    assert report_kind_for(lc_meeting) == Report.Kind.LEADERS_COMMITTEE
    html = render_paper(lc_meeting, Report.Kind.LEADERS_COMMITTEE, as_of=dt.date(2018, 11, 1))
    assert "Appendix F: finance and estates, the strategic plan for capital investment" in html
    assert "the strategic plan for capital investment (Appendix F)" in html.split("</ol>")[0]  # a recommendation
    section = html[html.index('id="finance-and-estates"') :]
    assert "£13,500,000 allocated, £10,900,000.50 committed and £6,450,000 spent" in section
    assert "The capital budget for 2018/19 is £40,000,000, with £10,000,000 of retained capital receipts" in section
    assert "The profile does not add up" in section and "Q2 (July to September): spent is more than profiled." in section
    assert "receipts of £20,030,000.01 are expected, £22,000,000 realised, and £22,015,000 retained in London" in section
    assert "Reinvest in the Camden health centre. (LEB, 1 Mar 2018)" in section and "Agreed. (1 Apr 2018)" in section
    assert "South East London urgent care" in section  # among the lines that do not add up
    assert 'aria-labelledby="paper-finance-chart-title paper-finance-chart-desc"' in section

    headings, body = _docx_text(html)
    assert "Appendix F: finance and estates, the strategic plan for capital investment" in headings
    assert "F.5 Disposals: the boards' recommendations and the decisions" in headings
    assert "£22,015,000" in body and "St Pancras Hospital (part)" in body and "<svg" not in body
    pdf = html_to_pdf(html)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000


def test_the_london_estates_board_paper_has_the_section_and_its_recommendation(leb_meeting: Any, money: Money) -> None:
    assert report_kind_for(leb_meeting) == Report.Kind.BOARD_PAPER
    html = render_paper(leb_meeting, Report.Kind.BOARD_PAPER, as_of=dt.date(2019, 2, 1))
    assert f"5. {SECTION}" in html
    assert "consider the strategic plan for capital investment in section 5" in html
    assert "6. Financial implications" in html and "8. Equalities implications" in html
    assert "Capital budget 2018/19: the spending profile by quarter" in html  # February 2019 is in 2018/19
    headings, body = _docx_text(html)
    assert f"5. {SECTION}" in headings and "Lewisham clinic" in body


def test_another_boards_paper_has_no_finance_section(money: Money, board: Any) -> None:
    meeting = MeetingFactory(board=board)
    html = render_paper(meeting, Report.Kind.BOARD_PAPER, as_of=timezone.localdate())
    assert SECTION not in html and "5. Financial implications" in html


def test_hostile_text_in_a_disposal_prints_as_text(leb_meeting: Any, money: Money) -> None:
    Disposal.objects.filter(pk=money.disposals[0].pk).update(decision="<img src=x onerror=alert(1)>")
    html = render_paper(leb_meeting, Report.Kind.BOARD_PAPER, as_of=timezone.localdate())
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_empty_finance_is_said_plainly(db: Any) -> None:
    board = BoardFactory(code="LEB", slug="london-estates-board", name="London Estates Board")
    meeting = MeetingFactory(board=board)
    html = render_paper(meeting, Report.Kind.BOARD_PAPER, as_of=timezone.localdate())
    for text in (
        "No funding line is recorded yet.",
        "No capital budget is recorded yet.",
        "No disposal is recorded yet.",
        "Every figure adds up.",
    ):
        assert text in html


def test_the_latest_budget_stands_in_for_a_year_without_one(leb_meeting: Any, money: Money) -> None:
    html = render_paper(leb_meeting, Report.Kind.BOARD_PAPER, as_of=dt.date(2021, 6, 1))
    assert "The capital budget for 2019/20 (the latest recorded; none is recorded for 2021/22)" in html


def test_financial_year_of() -> None:
    assert financial_year_of(dt.date(2019, 3, 31)) == 2018
    assert financial_year_of(dt.date(2019, 4, 1)) == 2019
