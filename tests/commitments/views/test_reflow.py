"""Reflow at 320 CSS pixels (WCAG 1.4.10; issue 11): in real Chromium, 320 × 800, no page scrolls
sideways as a whole. Wide tables scroll inside their own region, which is named by the table's
caption, takes keyboard focus (so it can be scrolled without a mouse) and shows the focus style;
long unbroken text outside tables wraps. The data is made long on purpose (long titles, names,
descriptions and web addresses), so the tables really are wider than the screen, and axe finds no
WCAG 2.2 A/AA violation at that width."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from commitments.models import Citation, CommitmentPilot, Report, StatusUpdate
from commitments.services import UpdateInput, record_update

from ...conftest import axe_violations, sign_in
from ...factories import (
    ActionFactory,
    BoardFactory,
    BoroughFactory,
    CommitmentFactory,
    MeetingFactory,
    ObligationFactory,
    PartyFactory,
    PilotFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 320
LONG_URL = "https://example.org/" + "evidence-of-the-estates-pipeline-workshop-" * 5 + "minutes.pdf"
LONG_WORD = "Interoperability" * 6  # one word far wider than the screen

# Whether the page scrolls sideways, and every table's place in a named, focusable scroll region.
LAYOUT = """() => {
  const tables = [...document.querySelectorAll('main table')].map(t => {
    const region = t.parentElement;
    const label = region.getAttribute('aria-labelledby');
    const caption = t.querySelector('caption');
    return {
      wrapped: region.classList.contains('app-table-scroll') && region.getAttribute('role') === 'region'
        && region.getAttribute('tabindex') === '0',
      labelled: !!label && !!caption && caption.id === label && document.getElementById(label) === caption,
      scrolls: region.scrollWidth > region.clientWidth + 1,
    };
  });
  // What sticks out (outside the table regions), to name it when the check fails.
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => !el.closest('.app-table-scroll') && el.getBoundingClientRect().right > window.innerWidth + 1)
    .map(el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''));
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, tables, wide: wide.slice(0, 5)};
}"""


@pytest.fixture
def narrow_page(browser: Any, built_css: None) -> Iterator[Callable[[], Any]]:
    """Pages in a phone-sized browser (320 × 800), each in its own context."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(viewport={"width": WIDTH, "height": 800}, locale="en-GB", timezone_id="Europe/London")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def long_world(
    commitment: Any, obligation: Any, other_obligation: Any, board: Any, party_a: Any, officer: Any, secretary: Any
) -> dict[str, Any]:
    """Every page type with long content: long titles, names, descriptions and addresses."""
    officer.email = "alice.officer.with.a.very.long.mailbox.name@devolution-programme.example.org"
    officer.save()
    lhb = BoardFactory(code="LHB", name="London Health Board and its Health and Care Devolution Programme Steering Group")
    board.reports_to = lhb
    board.save()
    theme = ThemeFactory(slug="estates", name="Estates, capital and the NHS estate in London (one public estate)")
    long_party = PartyFactory(slug="ccgs", name="Clinical Commissioning Groups (London) and their successor integrated care boards")
    commitment.title = "Develop a London-wide estates strategy with " + LONG_WORD + " across every sub-region"
    commitment.theme = theme
    commitment.save()
    Citation.objects.create(commitment=commitment, document="devolution-mou-2017.md", lines="10-12", quote="Partners will work together.")
    owner = UserFactory(username="owner", first_name="Maximiliana-Philippa", last_name="Featherstonehaugh-Cholmondeley")
    obligation.owner = owner
    obligation.due_date = dt.date.today() - dt.timedelta(days=10)
    obligation.save()
    actions = [
        ActionFactory(
            obligation=obligation,
            owner=owner,
            description=f"Agree the estates pipeline with every borough, {LONG_WORD}, and publish it at {LONG_URL}",
            due_date=dt.date.today() - dt.timedelta(days=3 + i),
        )
        for i in range(3)
    ]
    for i in range(3):
        c = CommitmentFactory(
            ref=f"LNG-{i:03d}",
            theme=theme,
            lead_board=board,
            title=f"Commitment {i}: {LONG_WORD} for the health and care estate",
            target_date=dt.date.today() - dt.timedelta(days=30),
        )
        o = ObligationFactory(commitment=c, party=party_a, due_date=dt.date.today() - dt.timedelta(days=2))
        ActionFactory(obligation=o, description=f"Step {i}: {LONG_URL}", due_date=dt.date.today() + dt.timedelta(days=5))
        ObligationFactory(commitment=c, party=long_party, due_date=dt.date.today() + dt.timedelta(days=20))
    record_update(
        obligation,
        by=officer,
        version=obligation.version,
        data=UpdateInput(rag="amber", reason="Slipping", note=f"Workshop held: {LONG_WORD}", evidence=[LONG_URL]),
    )
    pilot = PilotFactory(slug="north-central-london-estates", name="North Central London estates and " + LONG_WORD + " pilot")
    pilot.boroughs.add(BoroughFactory(slug="barking-and-dagenham", name="Barking and Dagenham, Havering and Redbridge"))
    CommitmentPilot.objects.create(commitment=commitment, pilot=pilot, basis="inferred")
    meeting = MeetingFactory(board=board, date=dt.date.today() - dt.timedelta(days=7), title="Strategic Partnership Board: " + LONG_WORD)
    MeetingFactory(board=board, date=dt.date.today() + dt.timedelta(days=30), title="Next meeting of the Strategic Partnership Board")
    now = timezone.now()
    Report.objects.create(
        meeting=meeting,
        kind=Report.Kind.values[0],
        state=Report.State.FAILED,
        requested_by=secretary,
        error="The build failed: " + LONG_WORD,
    )
    Report.objects.create(
        meeting=meeting,
        kind=Report.Kind.values[0],
        state=Report.State.READY,
        requested_by=secretary,
        built_at=now,
        as_of=now.date(),
        html="<p>Paper</p>",
    )
    return {
        "commitment": commitment,
        "obligation": obligation,
        "action": actions[0],
        "pilot": pilot,
        "meeting": meeting,
        "party": long_party,
    }


def assert_reflows(page: Any, path: str) -> dict[str, Any]:
    layout = page.evaluate(LAYOUT)
    assert layout["scrollWidth"] <= layout["innerWidth"] + 1, f"{path} scrolls sideways: {layout['scrollWidth']}px; {layout['wide']}"
    for i, table in enumerate(layout["tables"]):
        assert table["wrapped"], f"{path}: table {i} is not in a focusable scroll region"
        assert table["labelled"], f"{path}: table {i}'s region is not named by its caption"
    violations = axe_violations(page)
    assert violations == [], f"{path} at {WIDTH}px: {violations}"
    return layout


def pages_for(persona: str, world: dict[str, Any]) -> list[str]:
    ref, o, a = world["commitment"].ref, world["obligation"].pk, world["action"].pk
    return {
        "alice": [
            "/",
            "/my-work/",
            "/commitments/",
            "/obligations/",
            "/actions/",
            f"/commitments/{ref}/",
            f"/obligations/{o}/update/",
            f"/actions/{a}/update/",
            f"/obligations/{o}/actions/add/",
            "/import/",
            "/notifications/",
            "/cookies/",
        ],
        "sam": [
            "/",
            "/my-work/",
            "/boards/",
            "/boards/spb/",
            "/pilots/",
            f"/pilots/{world['pilot'].slug}/",
            "/meetings/",
            f"/meetings/{world['meeting'].pk}/",
            f"/commitments/{ref}/update/",
        ],
        "vera": [
            "/",
            "/dashboard/",
            "/dashboard/themes/",
            "/dashboard/parties/",
            "/dashboard/overdue/",
            "/dashboard/trends/",
            f"/dashboard/pilots/{world['pilot'].slug}/",
            "/dashboard/boards/SPB/",
            f"/dashboard/parties/{world['party'].slug}/",
        ],
    }[persona]


# Pages whose tables are wider than 320px with this data: the region must really scroll there.
MUST_SCROLL = {"/my-work/", "/commitments/", "/obligations/", "/actions/", "/boards/", "/dashboard/themes/", "/meetings/"}


@pytest.mark.parametrize("persona", ["alice", "sam", "vera"])
def test_no_page_scrolls_sideways_at_320_pixels(
    live_server: Any, narrow_page: Any, viewer: Any, long_world: dict[str, Any], persona: str
) -> None:
    page = narrow_page()
    sign_in(page, live_server, persona)
    page.wait_for_selector("[data-testid=sign-out]", state="attached")
    for path in pages_for(persona, long_world):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        layout = assert_reflows(page, path)
        if path in MUST_SCROLL:
            assert any(t["scrolls"] for t in layout["tables"]), f"{path}: no table is wider than the screen, so this proves nothing"


def test_the_wide_tables_would_push_the_page_sideways_without_their_region(
    live_server: Any, narrow_page: Any, long_world: dict[str, Any]
) -> None:
    """The check above can fail: the same list without the scroll region is wider than the screen."""
    page = narrow_page()
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/actions/")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH + 1

    page.add_style_tag(content=".app-table-scroll { overflow: visible !important; }")

    assert page.evaluate("document.documentElement.scrollWidth") > WIDTH + 100


def test_a_table_region_is_reached_and_scrolled_with_the_keyboard_and_shows_focus(
    live_server: Any, narrow_page: Any, long_world: dict[str, Any]
) -> None:
    page = narrow_page()
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/actions/")
    region = page.locator(".app-table-scroll").first
    assert region.get_attribute("aria-labelledby") == "actions-caption"

    # Tab from the last control before it lands on the region itself (it is in the tab order).
    page.locator("button:has-text('Apply filters')").last.focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('app-table-scroll')"):
            break
    assert page.evaluate("document.activeElement.getAttribute('aria-labelledby')") == "actions-caption"
    assert "rgb(255, 221, 0)" in region.evaluate("el => getComputedStyle(el).boxShadow")  # the GOV.UK focus colour

    before = region.evaluate("el => el.scrollLeft")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.app-table-scroll').scrollLeft > 0")
    assert region.evaluate("el => el.scrollLeft") > before
    assert page.evaluate("window.scrollX") == 0


def test_the_conflict_and_import_preview_tables_reflow(
    live_server: Any, narrow_page: Any, secretary: Any, long_world: dict[str, Any], tmp_path: Path
) -> None:
    page = narrow_page()
    sign_in(page, live_server, "alice")
    obligation = long_world["obligation"]

    # A colleague saves while the form is open: the form comes back with "what changed".
    page.goto(f"{live_server.url}/obligations/{obligation.pk}/update/")
    obligation.refresh_from_db()
    record_update(obligation, by=secretary, version=obligation.version, data=UpdateInput(rag="red", reason=LONG_WORD, note="x"))
    page.fill("textarea[name=note]", "Mine")
    page.click("button:has-text('Save update')")
    page.wait_for_selector("#conflict-changes")
    assert_reflows(page, "update form with a conflict")

    sheet = tmp_path / "updates.csv"
    with sheet.open("w", newline="") as f:
        csv.writer(f).writerows(
            [
                ["action_id", "version", "status", "progress", "reason", "note"],
                [long_world["action"].pk, 1, "in_progress", "30", LONG_WORD, LONG_URL],
            ]
        )
    page.goto(f"{live_server.url}/import/")
    page.set_input_files("input[name=file]", str(sheet))
    page.click("button:has-text('Upload and preview')")
    page.wait_for_selector("#import-rows")
    assert_reflows(page, "import preview")
    assert not StatusUpdate.objects.filter(source="import").exists()
