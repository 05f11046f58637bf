"""The paper as an editable Word document (issue 13): committee clerks edit papers before publication.

The Word copy is made from the paper's own HTML (the document the PDF is printed from), so the two
can never say different things: headings stay headings (Word's Heading 1–4, so the navigation pane
and a table of contents work), paragraphs and lists stay paragraphs and lists, tables stay tables
with their captions and header rows, bold and italic stay. What Word cannot take from HTML is left
out on purpose: the SVG chart (the table beside it carries the same figures), styles and scripts.

The paper's HTML is produced by the product's templates, but every text in it may come from a user
(descriptions, notes, names): it is read as text only, and python-docx escapes what it writes.
"""

from __future__ import annotations

import io
import re
from typing import Any

from docx import Document
from docx.enum.text import WD_BREAK
from docx.shared import Pt
from lxml import html as lxml_html

# Block elements whose children are read in turn; anything not listed is read as a paragraph.
CONTAINERS = {"html", "body", "main", "section", "article", "div", "header", "footer", "nav", "figure", "blockquote"}
SKIPPED = {"head", "style", "script", "svg", "template", "noscript", "button", "form"}
HEADINGS = {"h1": 0, "h2": 1, "h3": 2, "h4": 3, "h5": 4, "h6": 4}
SPACES = re.compile(r"\s+")


def _text(value: str | None) -> str:
    return SPACES.sub(" ", value or "")


def _inline(paragraph: Any, element: Any, *, bold: bool = False, italic: bool = False) -> None:
    """Write ``element``'s text and its inline children into ``paragraph`` as runs."""
    if element.text:
        _run(paragraph, element.text, bold=bold, italic=italic)
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in SKIPPED:
            pass
        elif tag == "br":
            paragraph.add_run().add_break(WD_BREAK.LINE)
        else:
            _inline(
                paragraph,
                child,
                bold=bold or tag in ("strong", "b", "th"),
                italic=italic or tag in ("em", "i", "cite", "caption"),
            )
        if child.tail:
            _run(paragraph, child.tail, bold=bold, italic=italic)


def _run(paragraph: Any, text: str, *, bold: bool, italic: bool) -> None:
    text = _text(text)
    if not text.strip() and not paragraph.runs:
        return
    run = paragraph.add_run(text)
    run.bold = bold or None
    run.italic = italic or None


def _strip(paragraph: Any) -> None:
    """Trim the spaces HTML's layout left at either end of a paragraph."""
    if paragraph.runs:
        paragraph.runs[0].text = paragraph.runs[0].text.lstrip()
        paragraph.runs[-1].text = paragraph.runs[-1].text.rstrip()


def _paragraph(document: Any, element: Any, style: str | None = None) -> None:
    paragraph = document.add_paragraph(style=style)
    _inline(paragraph, element)
    _strip(paragraph)


def _table(document: Any, element: Any) -> None:
    caption = element.find("caption")
    if caption is not None:
        paragraph = document.add_paragraph(style="Caption")
        _inline(paragraph, caption)
        _strip(paragraph)
    rows = list(element.iter("tr"))
    if not rows:
        return
    width = max(sum(int(cell.get("colspan") or 1) for cell in row if cell.tag in ("th", "td")) for row in rows)
    table = document.add_table(rows=len(rows), cols=max(width, 1))
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            if cell.tag not in ("th", "td") or c >= width:
                continue
            target = table.cell(r, c)
            span = int(cell.get("colspan") or 1)
            if span > 1:
                target = target.merge(table.cell(r, min(c + span, width) - 1))
            paragraph = target.paragraphs[0]
            _inline(paragraph, cell, bold=cell.tag == "th")
            _strip(paragraph)
            c += span
    header_rows = element.find("thead")
    if header_rows is not None:
        for r in range(len(header_rows.findall("tr"))):
            row_xml = table.rows[r]._tr
            row_xml.get_or_add_trPr().append(_repeat_header())


def _repeat_header() -> Any:
    """A header row Word repeats at the top of each page the table runs onto."""
    from docx.oxml import OxmlElement

    element = OxmlElement("w:tblHeader")
    element.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val", "true")
    return element


def _list(document: Any, element: Any) -> None:
    style = "List Number" if element.tag == "ol" else "List Bullet"
    for item in element.findall("li"):
        _paragraph(document, item, style)


def _definitions(document: Any, element: Any) -> None:
    for term in element.iter("dt"):
        paragraph = document.add_paragraph()
        _inline(paragraph, term, bold=True)
        definition = term.getnext()
        if definition is not None and definition.tag == "dd":
            paragraph.add_run(": ")
            _inline(paragraph, definition)
        _strip(paragraph)


def _blocks(document: Any, element: Any) -> None:
    if element.text and element.text.strip():
        document.add_paragraph(_text(element.text).strip())
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if not tag or tag in SKIPPED:
            pass
        elif tag in HEADINGS:
            heading = document.add_heading(level=HEADINGS[tag])
            _inline(heading, child)
            _strip(heading)
        elif tag == "table":
            _table(document, child)
        elif tag in ("ul", "ol"):
            _list(document, child)
        elif tag == "dl":
            _definitions(document, child)
        elif tag in CONTAINERS:
            if "appendix" in (child.get("class") or "").split():
                document.add_page_break()
            _blocks(document, child)
        else:
            _paragraph(document, child)
        if child.tail and child.tail.strip():
            document.add_paragraph(_text(child.tail).strip())


def html_to_docx(html: str, *, title: str = "") -> bytes:
    """The paper's HTML as a .docx file (bytes)."""
    tree = lxml_html.document_fromstring(html)
    document = Document()
    document.core_properties.title = title or _text(tree.findtext(".//title")).strip()
    document.core_properties.author = "DevoTracker"
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    body = tree.find("body")
    _blocks(document, body if body is not None else tree)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
