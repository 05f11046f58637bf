"""Citations read as a person would cite them (issue 11): the document's title, publisher, date
and the paragraph, item or section, with a link where the document is published; never the source
file name, its line numbers or the inventory's F000-style codes in anything meant for people
(pages, papers, CSV exports, the API's human fields). The file name and lines stay in the API's
machine fields for traceability."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from boards.models import ApiToken, Board, Meeting
from commitments import sources
from commitments.loader import INVENTORY, clause_location, load_mou
from commitments.models import Citation, Clause, Commitment, Report, Theme
from pilots.models import Pilot
from reporting.papers import render_paper, report_kind_for

from ..conftest import token_client
from ..factories import UserFactory

SOURCE = yaml.safe_load(INVENTORY.read_text(encoding="utf-8"))
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"

# What must never reach a reader: a file name (the sources' "002_3b3219cd46b346b4.txt", or any
# .txt / .pdf name), line numbers ("lines 205", "l54") and the inventory's document codes ("F004").
FILE_NAME = re.compile(r"[\w.-]+\.(?:txt|pdf)\b", re.IGNORECASE)
LINES = re.compile(r"\blines? \d+|\bl\d+(?:-\d+)?\b")
CODE = re.compile(r"\bF\d{3}\b")


def leaks(text: str) -> list[str]:
    return [m.group(0) for pattern in (FILE_NAME, LINES, CODE) for m in pattern.finditer(text)]


def visible(html: str) -> str:
    """A page's text and attribute values, without its style sheets and scripts (hex colours and
    code are not text a person reads)."""
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.DOTALL | re.IGNORECASE)
    return html


# --- the source documents and the citations built from them -------------------------------------


def test_each_source_document_is_described_for_people() -> None:
    docs = sources.documents()
    files = {s["file"] for s in SOURCE["meta"]["seed_files"]}
    assert set(docs) == files
    for doc in docs.values():
        assert doc.publisher and doc.title and doc.name and doc.date, doc.file
        assert not leaks(doc.reference(doc.location("1"))), doc.file
    lgc = docs["004_d17931d28ba805e7.txt"]
    assert lgc.url.startswith("https://www.lgcplus.com/") and lgc.date_text == "November 2017"


@pytest.mark.parametrize(
    ("file", "lines", "reference"),
    [
        (
            "002_3b3219cd46b346b4.txt",
            "59",
            "London Councils Leaders' Committee, ‘Health and Social Care Devolution’, 5 December 2017, Item 8, paragraph 10",
        ),
        (
            "002_3b3219cd46b346b4.txt",
            "29-42",
            "London Councils Leaders' Committee, ‘Health and Social Care Devolution’, 5 December 2017, Item 8, paragraphs 1 to 3",
        ),
        (
            "002_3b3219cd46b346b4.txt",
            "205",
            "London Councils Leaders' Committee, ‘Health and Social Care Devolution’, 5 December 2017, Item 8, Appendix one, ‘Regulation’",
        ),
        (
            "001_7c4b60161b7f77e5.txt",
            "16-18",
            "London Councils Executive, ‘Policy Developments - Devolution and Public Service Reform’, 17 January 2017, paragraph 5",
        ),
        (
            "003_d9735ce223ba8fcd.txt",
            "5",
            "Londonwide LMCs, ‘London Health and Care Devolution Memorandum of Understanding signed’, 20 December 2017, paragraph 2",
        ),
        (
            "004_d17931d28ba805e7.txt",
            "22",
            "Local Government Chronicle (LGC), ‘Updated: London health devolution deal agreed’, November 2017, paragraph 5",
        ),
    ],
)
def test_a_file_and_lines_become_a_reference(file: str, lines: str, reference: str) -> None:
    ref = sources.cite(file, lines)
    assert ref is not None and ref.reference == reference
    assert ref.document == file and ref.lines == lines  # kept for traceability


def test_locations_join_as_prose() -> None:
    assert sources.join_locations(["paragraph 8", "paragraph 21"]) == "paragraphs 8 and 21"
    assert sources.join_locations(["paragraph 3", "paragraph 1", "paragraph 2"]) == "paragraphs 1 to 3"
    assert sources.join_locations(["paragraph 1", "paragraph 5", "paragraph 9"]) == "paragraphs 1, 5 and 9"
    assert sources.join_locations(["cover sheet", "Appendix one, ‘Commentary’"]) == "cover sheet and Appendix one, ‘Commentary’"
    assert sources.join_locations([]) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "built on a clear and overriding principle of subsidiarity (F002 l54, l79)",
            "built on a clear and overriding principle of subsidiarity (the Leaders' Committee report of 5 December 2017, Item 8,"
            " paragraphs 8 and 21)",
        ),
        ("Only in F003.", "Only in the Londonwide LMCs news item of 20 December 2017."),
        ("F003 says 'commissioners'", "The Londonwide LMCs news item of 20 December 2017 says 'commissioners'"),
        (
            "(F001 l16; F000 l13)",
            "(the London Councils Executive paper of 17 January 2017, paragraph 5; the Public Sector Executive article of 12 January 2017, paragraph 4)",
        ),
        ("F003 under 'Integration' (l13)", "The Londonwide LMCs news item of 20 December 2017 under 'Integration' (paragraph 5)"),
        ("same text as seed F003", "same text as the Londonwide LMCs news item of 20 December 2017"),
        ("see 004_d17931d28ba805e7.txt", "see the LGC article of November 2017"),
        (
            "No reference here; Cllr Kober, l'eau, F1 and £120m stay as they are.",
            "No reference here; Cllr Kober, l'eau, F1 and £120m stay as they are.",
        ),
    ],
)
def test_references_in_free_text_are_rewritten_for_people(text: str, expected: str) -> None:
    assert sources.humanise(text) == expected


def test_clause_locations_read_as_a_person_would_say_them() -> None:
    assert (
        clause_location("1 (second paragraph, unnumbered)", "1. Introduction") == "section 1 ‘Introduction’, second paragraph, unnumbered"
    )
    assert (
        clause_location("", "Estates / capital (number not recovered)")
        == "the part on estates / capital (section and paragraph numbers not recovered)"
    )


@pytest.mark.skipif(not SEEDS.exists(), reason="the source documents are not beside this checkout")
def test_the_locations_agree_with_the_documents_and_cover_every_cited_line() -> None:
    for doc in sources.documents().values():
        text = (SEEDS / doc.file).read_text(encoding="utf-8").split("\n")
        # The locations cover the document from its first line to its last, in order, without gaps.
        assert doc.locations[0][0] == 1, doc.file
        for (_, last, _), (first, _, _) in zip(doc.locations, doc.locations[1:], strict=False):
            assert first == last + 1, (doc.file, first)
        assert doc.locations[-1][1] >= len(text) - 1, doc.file
        for first, _, label in doc.locations:
            line = text[first - 1]
            if m := re.fullmatch(r"paragraph (\d+)", label):
                # A numbered paper's paragraph starts with its number; a news item's is a line of text.
                numbered = re.match(r"\s*(\d+)\.\s", line)
                assert (numbered is None and line.strip()) or (numbered and numbered[1] == m[1]), (doc.file, first, label)
            if m := re.search(r"heading ‘(.+)’$", label):
                assert m[1] in line.replace("*", ""), (doc.file, first, label)
    # Every passage the inventory cites has a location, and its quote is on the cited lines.
    for c in SOURCE["commitments"]:
        for s in c["sources"]:
            doc = sources.documents()[s["file"]]
            assert doc.where(str(s["lines"])), (c["ref"], s)


# --- what the loader stores ----------------------------------------------------------------------


@pytest.fixture
def mou(db: Any) -> None:
    load_mou()


def test_every_loaded_citation_carries_its_human_reference_and_its_trace(mou: None) -> None:
    citations = list(Citation.objects.all())
    assert len(citations) == sum(len(c["sources"]) for c in SOURCE["commitments"])
    for c in citations:
        assert c.document.endswith(".txt") and c.lines, c.pk  # the trace, kept
        assert c.document_title and c.publisher and c.document_date and c.location, c.pk
        assert not leaks(c.reference), c.reference
        assert c.reference.startswith(c.publisher) and c.location in c.reference
    with_links = Citation.objects.exclude(url="")
    assert with_links.exists() and all(
        url.startswith("https://") or url.startswith("http://") for url in with_links.values_list("url", flat=True)
    )
    assert Citation.objects.filter(document__startswith="002_", url="").exists(), "no link is made up for a paper with no known public copy"


def test_the_second_load_still_changes_nothing(mou: None) -> None:
    report = load_mou()
    assert not report.changed, report.lines()
    assert report.unchanged["Citations"] == sum(len(c["sources"]) for c in SOURCE["commitments"])


def test_a_citation_of_an_undescribed_document_is_refused_before_anything_is_written(db: Any, tmp_path: Path) -> None:
    from commitments.loader import CLAUSES, DataFileError

    data = yaml.safe_load(INVENTORY.read_text(encoding="utf-8"))
    data["commitments"][0]["sources"][0]["file"] = "999_unknown.txt"
    data["commitments"][1]["sources"][0]["lines"] = "9999"
    bad = tmp_path / "inventory.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_mou(bad, CLAUSES)
    assert any("999_unknown.txt" in p and "source-documents.yaml does not describe" in p for p in err.value.problems)
    assert any("9999" in p and "outside every location" in p for p in err.value.problems)
    assert not Commitment.objects.exists()


def test_clauses_name_where_they_sit_in_the_mou_and_who_attests_them(mou: None) -> None:
    intro = Clause.objects.get(number__startswith="1")
    assert intro.reference == (
        "London Health and Social Care Devolution Memorandum of Understanding, 16 November 2017, "
        "section 1 ‘Introduction’, second paragraph, unnumbered"
    )
    assert intro.locator_source_text == "a public copy of the signed MoU"
    for clause in Clause.objects.all():
        assert clause.reference and not leaks(clause.reference), clause.key
        assert all(e["publisher"] and e["url"].startswith("http") for e in clause.evidence_links), clause.key
    assert any(e["publisher"] == "HSJ" for c in Clause.objects.all() for e in c.evidence_links)


# --- nothing meant for people shows a file name, lines or a code --------------------------------


MACHINE_KEYS = {"document", "lines", "file", "key", "slug", "url", "code", "ref"}


def _human_values(data: Any, path: str = "") -> list[tuple[str, str]]:
    """Every string of an API representation except the machine keys kept for traceability."""
    out: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for k, v in data.items():
            if k in MACHINE_KEYS or k.endswith("_url"):
                continue
            out += _human_values(v, f"{path}.{k}")
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _human_values(v, f"{path}[{i}]")
    elif isinstance(data, str):
        out.append((path, data))
    return out


def _csv_text(response: Any) -> str:
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    rows = csv.reader(io.StringIO(body.decode("utf-8-sig")))
    return "\n".join(" | ".join(row) for row in rows)


@pytest.mark.django_db
def test_pages_papers_exports_and_the_api_show_no_file_names_lines_or_codes(settings: Any) -> None:
    settings.DEMO_PASSWORD = "a-demo-password-1"
    call_command("load_mou", verbosity=0)
    call_command("load_demo")
    viewer = UserFactory(username="scan-viewer")
    client = Client()
    client.force_login(viewer)
    found: dict[str, list[str]] = {}

    def check(name: str, text: str) -> None:
        if bad := leaks(text):
            found[name] = bad[:5]

    # Every commitment page, with its sources and clauses.
    for ref in Commitment.objects.values_list("ref", flat=True):
        response = client.get(f"/commitments/{ref}/")
        assert response.status_code == 200, ref
        check(f"/commitments/{ref}/", visible(response.content.decode()))
    html = client.get("/commitments/EST-01/").content.decode()
    assert "Health and Social Care Devolution" in html and "5 December 2017" in html and "Item 8, paragraph" in html
    lgc = client.get(f"/commitments/{Citation.objects.filter(document__startswith='004_').first().commitment.ref}/").content.decode()
    assert 'href="https://www.lgcplus.com/' in lgc, "a source with a public copy links to it"

    # Lists, boards, pilots, meetings, the dashboard and its CSV tables.
    pages = ["/commitments/", "/obligations/", "/actions/", "/boards/", "/pilots/", "/meetings/", "/dashboard/"]
    pages += [f"/boards/{code.lower()}/" for code in Board.objects.values_list("code", flat=True)]
    pages += [f"/pilots/{slug}/" for slug in Pilot.objects.values_list("slug", flat=True)]
    pages += [f"/meetings/{pk}/" for pk in Meeting.objects.values_list("pk", flat=True)]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        check(url, visible(response.content.decode()))
    dashboard = client.get("/dashboard/").content.decode()
    for table in sorted(set(re.findall(r"format=csv&amp;table=([a-z_\-]+)", dashboard))):
        check(f"dashboard CSV {table}", _csv_text(client.get(f"/dashboard/?format=csv&table={table}")))

    # The Leaders' Committee report and a board paper, as built (HTML; the PDF prints this HTML).
    today = timezone.localdate()
    for code in ("LC", "SPB"):
        meeting = Meeting.objects.filter(board__code=code).order_by("-date").first()
        assert meeting is not None
        check(f"{code} paper", visible(render_paper(meeting, report_kind_for(meeting), as_of=today)))
    lc_paper = render_paper(Meeting.objects.filter(board__code="LC").order_by("-date").first(), Report.Kind.LEADERS_COMMITTEE, as_of=today)
    assert "Appendix E: source documents" in lc_paper and "Local Government Chronicle (LGC)" in lc_paper

    # The API: CSV of every list, and the human fields of the JSON.
    api = token_client(ApiToken.issue(user=viewer, scope=ApiToken.Scope.READ)[1])
    for collection in (
        "commitments",
        "obligations",
        "actions",
        "agreements",
        "themes",
        "parties",
        "boards",
        "pilots",
        "boroughs",
        "meetings",
    ):
        response = api.get(f"/api/v1/{collection}/?format=csv")
        assert response.status_code == 200, collection
        check(f"API CSV {collection}", _csv_text(response))
        listing = api.get(f"/api/v1/{collection}/?page_size=500")
        assert listing.status_code == 200, collection
        for path, value in _human_values(listing.json()["results"], collection):
            check(f"API {path}", value)
    for ref in Commitment.objects.values_list("ref", flat=True):
        body = api.get(f"/api/v1/commitments/{ref}/").json()
        for path, value in _human_values(body, ref):
            check(f"API {path}", value)
        for citation in body["citations"]:
            assert citation["document"].endswith(".txt") and citation["lines"], "the trace stays in the machine fields"
            assert citation["reference"] and citation["document_title"] and citation["location"], citation
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)[:3000]


def test_theme_benefits_export_as_their_text(mou: None) -> None:
    user = UserFactory(username="theme-reader")
    api = token_client(ApiToken.issue(user=user, scope=ApiToken.Scope.READ)[1])
    theme = Theme.objects.exclude(expected_benefits=[]).first()
    assert theme is not None
    body = api.get(f"/api/v1/themes/{theme.slug}/").json()
    source = body["expected_benefits"][0]["source"]
    assert source["file"].endswith(".txt") and source["reference"].startswith("London Councils Leaders' Committee")
    exported = _csv_text(api.get("/api/v1/themes/?format=csv"))
    assert theme.expected_benefits[0]["text"] in exported and ".txt" not in exported
