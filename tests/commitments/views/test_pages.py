"""What the officer pages show: my work, the lists and their filters (shared with the API), the
commitment page, and the board and pilot pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from boards.models import Basis
from commitments.models import Citation, Clause, CommitmentLink, CommitmentPilot, StatusUpdate
from commitments.services import UpdateInput, record_update

from ...factories import (
    ActionFactory,
    AgreementFactory,
    BoardFactory,
    BoroughFactory,
    CommitmentFactory,
    MeetingFactory,
    ObligationFactory,
    PartyFactory,
    PilotFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def refs_in(html: str) -> list[str]:
    """The commitment refs of a list page's rows, in order."""
    return re.findall(r'<tr class="govuk-table__row" data-ref="([^"]+)"', html)


# --- my work ----------------------------------------------------------------------------------


def test_my_work_lists_what_my_party_owes_overdue_first_then_by_date(
    officer_client: Client, commitment: Any, party_a: Any, party_b: Any
) -> None:
    late = ObligationFactory(commitment=commitment, party=party_a, due_date=TODAY - dt.timedelta(days=3))
    soon = ActionFactory(obligation=late, description="Due soon", due_date=TODAY + dt.timedelta(days=5))
    later = ActionFactory(obligation=late, description="Due later", due_date=TODAY + dt.timedelta(days=40))
    overdue = ActionFactory(obligation=late, description="Overdue step", due_date=TODAY - dt.timedelta(days=10))
    today = ActionFactory(obligation=late, description="Due today", due_date=TODAY)
    done = ActionFactory(
        obligation=late, description="Already done", due_date=TODAY - dt.timedelta(days=20), status="complete", completed_date=TODAY
    )
    theirs = ActionFactory(obligation=ObligationFactory(party=party_b), description="Party B step")

    html = officer_client.get("/my-work/").content.decode()

    rows = re.findall(r'data-action="(\d+)"', html)
    assert rows == [str(a.pk) for a in (overdue, today, soon, later)]
    assert f'data-action="{done.pk}"' not in html and f'data-action="{theirs.pk}"' not in html
    assert "Overdue by 10 days" in html
    assert re.search(r'data-count="overdue"><span[^>]*>2</span>', html)  # the overdue action and the obligation
    assert re.search(r'data-count="due-soon"><span[^>]*>2</span>', html)  # today and in 5 days
    assert re.search(r'data-count="open"><span[^>]*>5</span>', html)
    assert f"/actions/{overdue.pk}/update/" in html


def test_my_work_for_the_secretariat_adds_what_their_board_leads(
    secretary_client: Client, commitment: Any, obligation: Any, other_obligation: Any
) -> None:
    html = secretary_client.get("/my-work/").content.decode()

    assert "Commitments your boards lead" in html
    assert f"/commitments/{commitment.ref}/update/" in html
    assert f'data-obligation="{obligation.pk}"' in html and f'data-obligation="{other_obligation.pk}"' in html


def test_my_work_for_a_viewer_explains_there_is_nothing_assigned(viewer_client: Client, obligation: Any) -> None:
    html = viewer_client.get("/my-work/").content.decode()

    assert "nothing is assigned to you" in html
    assert "data-obligation" not in html
    assert "/import/" not in html


def test_pages_need_a_signed_in_user(client: Client, commitment: Any) -> None:
    response = client.get(f"/commitments/{commitment.ref}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- the commitments list ---------------------------------------------------------------------


@pytest.fixture
def catalogue(board: Any, party_a: Any) -> dict[str, Any]:
    """Four commitments that differ in every filtered field."""
    est = ThemeFactory(slug="capital-and-estates", name="Capital and estates")
    prev = ThemeFactory(slug="prevention", name="Prevention")
    leb = BoardFactory(code="LEB", name="London Estates Board")
    pilot = PilotFactory(slug="hackney", name="Hackney integration pilot")
    a15 = AgreementFactory(slug="devolution-agreement-2015", short_name="2015 Agreement", kind="devolution_agreement")
    c1 = CommitmentFactory(
        ref="EST-01",
        title="Estates strategy",
        theme=est,
        lead_board=leb,
        target_date=dt.date(2018, 3, 31),
        rollup_rag="red",
        rollup_status="in_progress",
    )
    c2 = CommitmentFactory(
        ref="EST-02", title="Capital receipts", theme=est, lead_board=board, target_date=TODAY + dt.timedelta(days=100), rollup_rag="green"
    )
    c3 = CommitmentFactory(
        ref="PRE-01", title="Prevention pledge", summary="Tobacco and obesity", theme=prev, lead_board=board, kind="exploration"
    )
    c4 = CommitmentFactory(
        ref="A15-01",
        title="2015 item",
        theme=prev,
        agreement=a15,
        rollup_rag="amber",
        target_date=dt.date(2016, 1, 1),
        rollup_status="complete",
    )
    CommitmentPilot.objects.create(commitment=c3, pilot=pilot)
    ObligationFactory(commitment=c2, party=party_a)
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["A15-01", "EST-01", "EST-02", "PRE-01"]),
        ("theme=capital-and-estates", ["EST-01", "EST-02"]),
        ("theme=capital-and-estates&theme=prevention", ["A15-01", "EST-01", "EST-02", "PRE-01"]),
        ("board=leb", ["EST-01"]),
        ("pilot=hackney", ["PRE-01"]),
        ("party=party-a", ["EST-02"]),
        ("status=complete", ["A15-01"]),
        ("status=in_progress&status=complete", ["A15-01", "EST-01"]),
        ("rag=red&rag=amber", ["A15-01", "EST-01"]),
        ("rag=none", ["PRE-01"]),
        ("overdue=true", ["EST-01"]),
        ("due_before=2018-03-31", ["A15-01"]),
        ("due_after=2018-03-31", ["EST-02"]),
        ("q=tobacco", ["PRE-01"]),
        ("q=est-0", ["EST-01", "EST-02"]),
        ("agreement=devolution-agreement-2015", ["A15-01"]),
        ("kind=exploration", ["PRE-01"]),
        ("sort=-rag", ["EST-01", "A15-01", "EST-02", "PRE-01"]),
        ("sort=due", ["A15-01", "EST-01", "EST-02", "PRE-01"]),
        ("sort=-due", ["EST-02", "EST-01", "A15-01", "PRE-01"]),
        ("sort=title", ["A15-01", "EST-02", "EST-01", "PRE-01"]),
    ],
)
def test_the_list_honours_every_filter_and_sort(officer_client: Client, catalogue: dict[str, Any], query: str, expected: list[str]) -> None:
    response = officer_client.get(f"/commitments/?{query}")

    assert response.status_code == 200
    html = response.content.decode()
    assert refs_in(html) == expected
    assert "govuk-error-summary" not in html


def test_filters_stay_in_the_form_and_the_links(officer_client: Client, catalogue: dict[str, Any]) -> None:
    html = officer_client.get("/commitments/?theme=capital-and-estates&rag=red&q=est&sort=-due").content.decode()

    assert 'name="theme" type="checkbox" value="capital-and-estates" checked' in html
    assert 'name="rag" type="checkbox" value="red" checked' in html
    assert 'name="q" type="text" value="est"' in html
    assert '<input type="hidden" name="sort" value="-due">' in html
    # Sorting links keep the filters and drop the page number.
    assert 'href="?theme=capital-and-estates&amp;rag=red&amp;q=est&amp;sort=ref"' in html
    assert 'aria-sort="descending"' in html


@pytest.mark.parametrize(
    ("query", "messages"),
    [
        ("theme=nope", ["Theme: Select a valid choice"]),
        ("rag=purple", ["RAG: Select a valid choice"]),
        ("status=done", ["Status: Select a valid choice"]),
        ("overdue=maybe", ["Overdue: Select a valid choice"]),
        ("due_before=31/03/2018&due_after=tomorrow", ["Due before: Enter a valid date", "Due after: Enter a valid date"]),
        ("party=nobody&pilot=nowhere", ["Pilot: Select a valid choice", "Party: Select a valid choice"]),
        ("sort=colour", ["Sort by one of the column headings"]),
        ("q=" + "x" * 201, ["Search: Ensure this value has at most 200 characters"]),
    ],
)
def test_bad_filter_values_get_an_error_summary_not_a_500(
    officer_client: Client, catalogue: dict[str, Any], query: str, messages: list[str]
) -> None:
    response = officer_client.get(f"/commitments/?{query}")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: Commitments" in html
    assert "There is a problem with the filters" in html
    for message in messages:
        assert message in html


def test_a_bad_filter_is_ignored_while_the_good_ones_apply(officer_client: Client, catalogue: dict[str, Any]) -> None:
    html = officer_client.get("/commitments/?theme=capital-and-estates&rag=purple").content.decode()

    assert "RAG: Select a valid choice" in html
    assert refs_in(html) == ["EST-01", "EST-02"]


def test_the_list_is_paginated_by_50_and_pages_keep_the_filters(officer_client: Client) -> None:
    theme = ThemeFactory(slug="many")
    for i in range(53):
        CommitmentFactory(ref=f"MNY-{i:03d}", theme=theme)

    first = officer_client.get("/commitments/?theme=many").content.decode()
    second = officer_client.get("/commitments/?theme=many&page=2").content.decode()

    assert len(refs_in(first)) == 50 and refs_in(second) == ["MNY-050", "MNY-051", "MNY-052"]
    assert "Showing 1 to 50 of 53 commitments" in first
    assert 'href="?theme=many&amp;page=2" rel="next"' in first
    # A page number past the end shows the last page rather than failing.
    assert refs_in(officer_client.get("/commitments/?theme=many&page=99").content.decode()) == ["MNY-050", "MNY-051", "MNY-052"]


# --- obligations and actions lists ------------------------------------------------------------


def test_the_overdue_drill_down_lands_on_actions(officer_client: Client, obligation: Any, other_obligation: Any) -> None:
    late = ActionFactory(obligation=obligation, description="Late step", due_date=TODAY - dt.timedelta(days=2))
    ActionFactory(obligation=obligation, description="On time step")
    theirs = ActionFactory(obligation=other_obligation, description="Their late step", due_date=TODAY - dt.timedelta(days=1))

    html = officer_client.get("/actions/?overdue=true&board=spb").content.decode()

    assert re.findall(r'data-action="(\d+)"', html) == [str(late.pk), str(theirs.pk)]
    # Only the officer's own party's action offers an update link.
    assert f"/actions/{late.pk}/update/" in html
    assert f"/actions/{theirs.pk}/update/" not in html


def test_a_not_pursued_action_is_not_in_the_overdue_list_and_shows_no_overdue_tag(officer_client: Client, obligation: Any) -> None:
    late = ActionFactory(obligation=obligation, description="Late step", due_date=TODAY - dt.timedelta(days=2))
    dropped = ActionFactory(obligation=obligation, description="Dropped step", due_date=TODAY - dt.timedelta(days=9), status="not_pursued")

    html = officer_client.get("/actions/?overdue=true").content.decode()
    assert re.findall(r'data-action="(\d+)"', html) == [str(late.pk)]
    html = officer_client.get("/actions/?overdue=false").content.decode()
    assert str(dropped.pk) in re.findall(r'data-action="(\d+)"', html)
    assert "Dropped step" in html and "app-tag--overdue" not in html


def test_the_obligations_list_filters_by_party_and_rejects_bad_values(
    officer_client: Client, obligation: Any, other_obligation: Any
) -> None:
    html = officer_client.get("/obligations/?party=party-b").content.decode()
    assert re.findall(r'data-obligation="(\d+)"', html) == [str(other_obligation.pk)]

    response = officer_client.get("/obligations/?status=finished&due_after=soon&overdue=1")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Status: Select a valid choice" in html
    assert "Due after: Enter a valid date" in html
    assert "Overdue: Select a valid choice" in html


# --- the commitment page ----------------------------------------------------------------------


@pytest.fixture
def rich_commitment(board: Any, party_a: Any, party_b: Any, officer: Any) -> Any:
    lhb = BoardFactory(code="LHB", name="London Health Board")
    c = CommitmentFactory(
        ref="EST-03",
        title="Devolve capital receipts",
        summary="Partners will explore retaining capital receipts.",
        kind="exploration",
        framing="will explore",
        subtheme="capital-receipts",
        lead_board=board,
        lead_board_basis=Basis.INFERRED,
        target_date=dt.date(2018, 4, 30),
        target_date_precision="month",
        timing="By April 2018",
        conditions="Subject to HM Treasury agreement",
        amount="£1bn",
    )
    c.co_lead_boards.add(lhb)
    CommitmentPilot.objects.create(
        commitment=c, pilot=PilotFactory(slug="north-central-london", name="North Central London estates pilot"), basis=Basis.INFERRED
    )
    Citation.objects.create(
        commitment=c,
        document="devolution-mou-2017.md",
        document_title="London Health and Care Devolution Memorandum of Understanding",
        publisher="London partners",
        document_date=dt.date(2017, 11, 16),
        document_date_precision="day",
        location="paragraph 3.2",
        url="https://example.org/mou.pdf",
        lines="120-124",
        quote="Partners will explore…",
    )
    clause = Clause.objects.create(
        agreement=c.agreement, key="c12", number="12", section="Capital", kind="commitment", summary="Capital receipts retained locally"
    )
    clause.commitments.add(c)
    parent = CommitmentFactory(ref="EST-00", title="Estates programme")
    c.parent = parent
    c.save()
    CommitmentFactory(ref="EST-03a", title="Sub-item of receipts", parent=c)
    CommitmentLink.objects.create(source=c, target=CommitmentFactory(ref="A15-07", title="2015 estates item"), kind="related")
    ob_a = ObligationFactory(
        commitment=c, party=party_a, owner=officer, due_date=TODAY - dt.timedelta(days=12), status="in_progress", rag="amber"
    )
    ObligationFactory(commitment=c, party=party_b)
    ActionFactory(obligation=ob_a, description="Draft the receipts business case", due_date=TODAY - dt.timedelta(days=4))
    record_update(
        ob_a,
        by=officer,
        version=ob_a.version,
        data=UpdateInput(
            rag="red",
            reason="Treasury has not replied <b>yet</b>",
            note="Chased twice",
            evidence=["https://example.org/letter", "javascript:alert(1)", "Filed at LC"],
        ),
    )
    return c


def test_the_commitment_page_shows_the_text_its_sources_and_who_leads_it(officer_client: Client, rich_commitment: Any) -> None:
    html = officer_client.get("/commitments/est-03/").content.decode()

    for text in [
        "Devolve capital receipts",
        "Partners will explore retaining capital receipts.",
        "Exploration",
        "“will explore”",
        "capital-receipts",
        'href="https://example.org/mou.pdf"',
        "London Health and Care Devolution Memorandum of Understanding</a>",
        "London partners, 16 November 2017, paragraph 3.2",
        "“Partners will explore…”",
        "Clause 12",
        "Capital receipts retained locally",
        "London Health Board (LHB)",
        "North Central London estates pilot",
        "EST-00 Estates programme",
        "EST-03a Sub-item of receipts",
        "A15-07 2015 estates item",
        "April 2018",
        "By April 2018",
        "Subject to HM Treasury agreement",
        "£1bn",
    ]:
        assert text in html, text
    # The citation reads as a person would cite it: never the file name or its line numbers.
    assert "devolution-mou-2017.md" not in html and "120-124" not in html
    lead = html[html.index('id="lead-board"') :]
    assert 'data-basis="inferred">Inferred</strong>' in lead[:800]


def test_the_commitment_page_shows_each_obligation_with_its_actions_and_overdue_days(officer_client: Client, rich_commitment: Any) -> None:
    html = officer_client.get(f"/commitments/{rich_commitment.ref}/").content.decode()

    assert html.count('class="govuk-summary-card__title"') == 2
    party_a_card = html[html.index(">Party A</h3>") : html.index(">Party B</h3>")]
    assert "Alice Officer" in party_a_card
    assert "Overdue by 12 days" in party_a_card
    assert "Draft the receipts business case" in party_a_card and "Overdue by 4 days" in party_a_card
    assert "/update/" in party_a_card and "Add an action" in party_a_card
    party_b_card = html[html.index(">Party B</h3>") : html.index('id="timeline"')]
    assert "/update/" not in party_b_card  # the officer may not write party B's obligation


def test_the_timeline_shows_who_what_changed_and_escapes_everything(officer_client: Client, rich_commitment: Any) -> None:
    html = officer_client.get(f"/commitments/{rich_commitment.ref}/").content.decode()
    timeline = html[html.index('id="timeline"') :]

    assert "Alice Officer updated Party A's obligation" in timeline
    assert "RAG: Amber" in timeline and "Red</li>" in timeline
    assert "Treasury has not replied &lt;b&gt;yet&lt;/b&gt;" in timeline
    assert "Chased twice" in timeline
    assert '<a class="govuk-link" href="https://example.org/letter"' in timeline
    # Only http(s) becomes a link; anything else is inert, escaped text.
    assert 'href="javascript' not in timeline
    assert "<li>javascript:alert(1)</li>" in timeline
    assert "<li>Filed at LC</li>" in timeline


def test_the_page_shows_the_assessment_and_the_roll_up_when_they_differ(
    secretary: Any, secretary_client: Client, rich_commitment: Any
) -> None:
    record_update(
        rich_commitment,
        by=secretary,
        version=rich_commitment.version,
        data=UpdateInput(status="in_progress", rag="green", reason="SPB view"),
    )

    html = secretary_client.get(f"/commitments/{rich_commitment.ref}/").content.decode()

    assert "The assessment and the obligations disagree" in html
    differs = html[html.index('id="assessment-differs"') :]
    assert "app-rag--green" in differs[: differs.index("Roll-up")]
    assert "app-rag--red" in differs[differs.index("Roll-up") :][:600]
    assert "Record an assessment" in html


def test_target_dates_are_shown_as_precisely_as_the_sources_give_them(officer_client: Client) -> None:
    CommitmentFactory(ref="YR-01", target_date=dt.date(2018, 12, 31), target_date_precision="year")
    CommitmentFactory(ref="DY-01", target_date=dt.date(2017, 11, 16), target_date_precision="day")

    year = officer_client.get("/commitments/YR-01/").content.decode()
    day = officer_client.get("/commitments/DY-01/").content.decode()

    assert re.search(r"Target date</dt>\s*<dd class=\"govuk-summary-list__value\">2018", year)
    assert "31 December 2018" not in year
    assert "16 November 2017" in day


def test_an_unknown_commitment_is_a_404(officer_client: Client) -> None:
    assert officer_client.get("/commitments/NOPE-01/").status_code == 404


# --- boards and pilots ------------------------------------------------------------------------


def test_the_board_page_shows_its_chain_supporters_meetings_and_commitments(officer_client: Client, board: Any, commitment: Any) -> None:
    lhb = BoardFactory(code="LHB", name="London Health Board")
    lc = BoardFactory(code="LC", name="Leaders' Committee", kind="committee")
    lhb.reports_to = lc
    lhb.save()
    board.reports_to = lhb
    board.chair = PartyFactory(slug="gla", name="Greater London Authority")
    board.save()
    BoardFactory(code="LEDU", name="London Estates Delivery Unit", kind="unit", supports=board, supports_basis=Basis.INFERRED)
    MeetingFactory(board=board, date=dt.date(2018, 3, 8), title="SPB March meeting")

    html = officer_client.get("/boards/spb/").content.decode()

    chain = html[html.index('id="reporting-chain"') :]
    assert chain.index("London Health Board (LHB)") < chain.index("Leaders&#x27; Committee (LC)")
    assert "Greater London Authority" in html
    assert "London Estates Delivery Unit" in html and "Inferred" in html
    assert "8 March 2018" in html and "SPB March meeting" in html
    assert f'data-ref="{commitment.ref}"' in html
    assert officer_client.get("/boards/NOPE/").status_code == 404

    listing = officer_client.get("/boards/").content.decode()
    assert 'data-board="SPB"' in listing and 'data-board="LEDU"' in listing


def test_the_pilot_pages_show_boroughs_and_commitments_with_their_basis(officer_client: Client, commitment: Any) -> None:
    pilot = PilotFactory(slug="barking-and-dagenham", name="Barking, Havering and Redbridge prevention pilot")
    pilot.boroughs.add(BoroughFactory(slug="havering", name="Havering"), BoroughFactory(slug="redbridge", name="Redbridge"))
    CommitmentPilot.objects.create(commitment=commitment, pilot=pilot, basis=Basis.INFERRED)

    listing = officer_client.get("/pilots/").content.decode()
    detail = officer_client.get(f"/pilots/{pilot.slug}/").content.decode()

    assert "Havering, Redbridge" in listing
    assert "Havering" in detail and "Redbridge" in detail
    assert f'data-ref="{commitment.ref}"' in detail and "Inferred" in detail
    assert officer_client.get("/pilots/nowhere/").status_code == 404


@pytest.mark.parametrize(
    "path", ["/my-work/", "/commitments/", "/commitments/EST-03/", "/obligations/", "/actions/", "/boards/", "/pilots/"]
)
def test_a_viewer_reads_every_page_but_is_offered_no_update(viewer_client: Client, rich_commitment: Any, path: str) -> None:
    before = StatusUpdate.objects.count()
    response = viewer_client.get(path)

    assert response.status_code == 200
    assert "/update/" not in response.content.decode()
    assert StatusUpdate.objects.count() == before


def test_empty_boxes_of_the_filter_form_are_dropped_from_the_shared_url(officer_client: Client, catalogue: dict[str, Any]) -> None:
    response = officer_client.get("/commitments/?q=&theme=capital-and-estates&party=&board=&overdue=&due_after=&sort=-due")

    assert response.status_code == 302
    assert response["Location"] == "/commitments/?theme=capital-and-estates&sort=-due"
    html = officer_client.get(response["Location"]).content.decode()
    assert refs_in(html) == ["EST-02", "EST-01"]
    assert '<option value="" selected>Any party</option>' in html
    assert 'name="overdue" type="radio" value="" checked' in html
    assert officer_client.get("/obligations/?party=&status=").headers["Location"] == "/obligations/"
