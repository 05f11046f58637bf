"""The paper as an editable Word document (issue 13): made from the paper's own HTML, opened here
with python-docx and checked for its sections, tables and text; kept per build and downloaded from
the meeting page."""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document

from commitments.models import Report
from reporting.papers import build_report, render_paper, report_kind_for
from reporting.word import html_to_docx

from .conftest import THEME_NAMES, Dataset, client_for
from .test_papers import HOSTILE

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _headings(document: Any) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]


def test_the_word_copy_has_the_paper_s_sections_tables_and_text(dataset: Dataset, lc_meeting: Any) -> None:
    dataset.actions["late"].description = HOSTILE
    dataset.actions["late"].save()
    html = render_paper(lc_meeting, report_kind_for(lc_meeting), as_of=dataset.today)

    document = Document(io.BytesIO(html_to_docx(html, title="LC paper")))

    headings = _headings(document)
    texts = [text for _, text in headings]
    for section in (
        "1. Headline figures",
        "2. Decisions sought",
        "3. Top risks",
        "Appendix A: progress by theme",
        "Appendix C: all commitments",
    ):
        assert section in texts, section
    assert ("Heading 1", "2. Decisions sought") in headings
    # Every theme, by its exact name, as a numbered sub-heading of Appendix A.
    for i, name in enumerate(THEME_NAMES, start=1):
        assert ("Heading 2", f"A.{i} {name}") in headings
    assert document.core_properties.title == "LC paper"
    # Tables keep their header row (bold, repeated on each page) and their figures.
    assert document.tables, "the paper's tables"
    by_theme = next(t for t in document.tables if t.rows[0].cells[0].text == "Theme")
    header = by_theme.rows[0]
    assert [c.text for c in header.cells][:3] == ["Theme", "Red", "Amber"]
    assert header._tr.trPr is not None and header._tr.trPr.xpath("./w:tblHeader")
    assert all(run.bold for cell in header.cells for p in cell.paragraphs for run in p.runs if run.text.strip())
    body = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert "Integration - commissioning and payments" in body
    # A user's hostile text is text in Word too, not markup.
    assert HOSTILE in body
    assert "<svg" not in body and "@page" not in body


def test_a_build_keeps_its_word_copy_and_the_meeting_page_offers_it(dataset: Dataset, lc_meeting: Any, viewer: Any) -> None:
    report = Report.objects.create(meeting=lc_meeting, kind=report_kind_for(lc_meeting), title="LC paper", task_id="t")
    build_report(report.pk)
    report.refresh_from_db()
    assert report.state == Report.State.READY and report.docx.name.endswith(f"-{report.pk}.docx")

    reader = client_for(viewer)
    page = reader.get(f"/meetings/{lc_meeting.pk}/").content.decode()
    assert f"/meetings/reports/{report.pk}/docx/" in page
    response = reader.get(f"/meetings/reports/{report.pk}/docx/")
    assert response.status_code == 200 and response["Content-Type"] == DOCX
    assert response["Content-Disposition"].startswith("attachment; filename=")
    document = Document(io.BytesIO(b"".join(response.streaming_content)))
    assert "Appendix A: progress by theme" in [p.text for p in document.paragraphs]
    assert reader.get(f"/meetings/reports/{report.pk}/status/").json()["docx_url"] == f"/meetings/reports/{report.pk}/docx/"


def test_a_paper_built_before_word_copies_has_no_link_and_no_download(dataset: Dataset, lc_meeting: Any, viewer: Any) -> None:
    report = Report.objects.create(meeting=lc_meeting, kind=report_kind_for(lc_meeting), title="LC paper", task_id="t")
    build_report(report.pk)
    Report.objects.filter(pk=report.pk).update(docx="")
    reader = client_for(viewer)
    assert f"/meetings/reports/{report.pk}/docx/" not in reader.get(f"/meetings/{lc_meeting.pk}/").content.decode()
    assert reader.get(f"/meetings/reports/{report.pk}/docx/").status_code == 404
