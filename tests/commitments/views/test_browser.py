"""The officer pages in real headless Chromium against a live server on PostgreSQL: an officer
records an update and sees it on the timeline; is refused another party's obligation; two
browsers editing one obligation; a spreadsheet with one bad row; and axe-core (WCAG 2.2 A/AA)
on every page type, as officer, secretariat and viewer, with and without form errors."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from commitments.models import Action, Citation, CommitmentPilot, StatusUpdate

from ...conftest import axe_violations, sign_in
from ...factories import ActionFactory, BoardFactory, BoroughFactory, MeetingFactory, PilotFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(page: Any, live_server: Any, username: str) -> Any:
    sign_in(page, live_server, username)
    page.wait_for_selector("[data-testid=sign-out]", state="attached")
    return page


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


@pytest.fixture
def new_page(browser: Any, built_css: None) -> Iterator[Callable[[], Any]]:
    """Pages in separate browser contexts (separate cookies: separate people)."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/London")
        contexts.append(context)
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        return pg

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def world(commitment: Any, obligation: Any, other_obligation: Any, board: Any) -> dict[str, Any]:
    """Enough of everything that every page type has something to show."""
    Citation.objects.create(commitment=commitment, document="devolution-mou-2017.md", lines="10-12", quote="Partners will work together.")
    lhb = BoardFactory(code="LHB", name="London Health Board")
    board.reports_to = lhb
    board.save()
    MeetingFactory(board=board, date=dt.date(2018, 3, 8), title="SPB March meeting")
    pilot = PilotFactory(slug="hackney", name="Hackney integration pilot")
    pilot.boroughs.add(BoroughFactory(slug="hackney-borough", name="Hackney"))
    CommitmentPilot.objects.create(commitment=commitment, pilot=pilot, basis="inferred")
    action = ActionFactory(
        id=7001, obligation=obligation, description="Agree the estates pipeline", due_date=dt.date.today() - dt.timedelta(days=3)
    )
    # An id of its own: on SQLite the next automatic id would be 7002, which a test below takes.
    ActionFactory(id=7100, obligation=other_obligation, description="Party B step")
    return {"commitment": commitment, "obligation": obligation, "other": other_obligation, "action": action, "pilot": pilot}


def test_an_officer_finds_their_obligation_records_an_update_and_sees_it_on_the_timeline(
    live_server: Any, new_page: Any, officer: Any, world: dict[str, Any]
) -> None:
    page = signed_in(new_page(), live_server, "alice")
    obligation = world["obligation"]

    page.goto(f"{live_server.url}/my-work/")
    assert_accessible(page)
    page.locator(f"tr[data-obligation='{obligation.pk}'] a", has_text="Update").click()
    assert page.locator("h1").inner_text() == "Update Party A's obligation"
    assert_accessible(page)

    page.check("input[name=status][value=in_progress]")
    page.check("input[name=rag][value=green]")
    page.fill("input[name=progress]", "25")
    page.fill("textarea[name=reason]", "Kick-off held with the boroughs")
    page.fill("textarea[name=note]", "Estates pipeline workshop held on Monday")
    page.fill("textarea[name=evidence]", "https://example.org/workshop-notes")
    page.click("button:has-text('Save update')")

    page.wait_for_url(f"**/commitments/{world['commitment'].ref}/#timeline")
    assert "has been saved" in page.locator(".govuk-notification-banner").inner_text()
    entry = page.locator("#timeline-list li").first
    assert "Alice Officer updated Party A's obligation" in entry.inner_text()
    assert "Estates pipeline workshop held on Monday" in entry.inner_text()
    assert entry.locator("a[href='https://example.org/workshop-notes']").count() == 1
    assert_accessible(page)
    obligation.refresh_from_db()
    assert (obligation.status, obligation.rag, obligation.progress, obligation.version) == ("in_progress", "green", 25, 2)


def test_the_same_officer_is_refused_another_partys_obligation(
    live_server: Any, new_page: Any, officer: Any, world: dict[str, Any]
) -> None:
    page = signed_in(new_page(), live_server, "alice")

    response = page.goto(f"{live_server.url}/obligations/{world['other'].pk}/update/")

    assert response.status == 403
    assert "You do not have permission" in page.locator("h1").inner_text()
    assert_accessible(page)
    # The commitment page offers no way in either.
    page.goto(f"{live_server.url}/commitments/{world['commitment'].ref}/")
    assert page.locator(f"a[href='/obligations/{world['other'].pk}/update/']").count() == 0
    world["other"].refresh_from_db()
    assert world["other"].version == 1


def test_two_browsers_edit_one_obligation_and_the_second_is_told_with_its_input_kept(
    live_server: Any, new_page: Any, officer: Any, secretary: Any, world: dict[str, Any]
) -> None:
    url = f"{live_server.url}/obligations/{world['obligation'].pk}/update/"
    first = signed_in(new_page(), live_server, "alice")
    second = signed_in(new_page(), live_server, "sam")
    first.goto(url)
    second.goto(url)

    first.fill("textarea[name=note]", "First in")
    first.click("button:has-text('Save update')")
    first.wait_for_url("**#timeline")

    second.check("input[name=rag][value=red]")
    second.fill("textarea[name=reason]", "Funding not agreed")
    second.fill("textarea[name=note]", "Second, typed carefully")
    second.click("button:has-text('Save update')")
    second.wait_for_load_state()

    assert "Someone else saved this after you opened it" in second.locator("#conflict").inner_text()
    assert "Alice Officer" in second.locator("[data-conflict-update]").inner_text()
    assert second.input_value("textarea[name=note]") == "Second, typed carefully"
    assert second.input_value("textarea[name=reason]") == "Funding not agreed"
    assert second.is_checked("input[name=rag][value=red]")
    assert second.title().startswith("Error: ")
    assert_accessible(second)
    assert list(StatusUpdate.objects.values_list("note", flat=True)) == ["First in"]

    # Submitting again is a deliberate choice, and it saves.
    second.click("button:has-text('Save my update anyway')")
    second.wait_for_url("**#timeline")
    assert StatusUpdate.objects.count() == 2
    world["obligation"].refresh_from_db()
    assert (world["obligation"].rag, world["obligation"].version) == ("red", 3)


def test_a_spreadsheet_with_one_bad_row_saves_nothing_and_names_the_row(
    live_server: Any, new_page: Any, officer: Any, world: dict[str, Any], tmp_path: Path
) -> None:
    obligation = world["obligation"]
    ActionFactory(id=7002, obligation=obligation, description="Second step")
    sheet = tmp_path / "updates.csv"
    with sheet.open("w", newline="") as f:
        csv.writer(f).writerows(
            [
                ["action_id", "version", "status", "progress", "reason", "note"],
                ["7001", "1", "in_progress", "30", "Started", "Going well"],
                ["7002", "1", "on_hold", "", "Paused", ""],
            ]
        )
    page = signed_in(new_page(), live_server, "alice")
    page.goto(f"{live_server.url}/import/")
    assert_accessible(page)

    page.set_input_files("input[name=file]", str(sheet))
    page.click("button:has-text('Upload and preview')")
    page.wait_for_load_state()

    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Nothing has been saved" in summary
    assert "Row 3, status: “on_hold” is not a status" in summary
    assert page.locator("#row-3[data-row-error]").count() == 1
    assert page.locator("button:has-text('Save')").count() == 0
    assert_accessible(page)
    assert not StatusUpdate.objects.exists()
    assert set(Action.objects.values_list("version", flat=True)) == {1}

    # Corrected, the same file previews cleanly and saves both rows.
    with sheet.open("w", newline="") as f:
        csv.writer(f).writerows(
            [
                ["action_id", "version", "status", "progress", "reason"],
                ["7001", "1", "in_progress", "30", "Started"],
                ["7002", "1", "not_pursued", "", "Dropped"],
            ]
        )
    page.goto(f"{live_server.url}/import/")
    page.set_input_files("input[name=file]", str(sheet))
    page.click("button:has-text('Upload and preview')")
    assert "2 actions will be updated" in page.locator("#import-summary").inner_text()
    assert_accessible(page)
    page.click("button:has-text('Save 2 updates')")
    page.wait_for_url("**/my-work/")
    assert StatusUpdate.objects.filter(source="import").count() == 2


# --- accessibility of every page type -----------------------------------------------------------


READ_PAGES = [
    "/my-work/",
    "/commitments/",
    "/commitments/?theme=nope&rag=purple&due_before=soon",  # filter errors
    "/commitments/TST-001/",
    "/obligations/",
    "/obligations/?overdue=maybe",
    "/actions/?overdue=true",
    "/boards/",
    "/boards/spb/",
    "/pilots/",
    "/pilots/hackney/",
]


@pytest.mark.parametrize("persona", ["alice", "sam", "vera"])
def test_every_read_page_is_accessible(
    live_server: Any, new_page: Any, officer: Any, secretary: Any, viewer: Any, world: dict[str, Any], persona: str
) -> None:
    page = signed_in(new_page(), live_server, persona)
    for path in READ_PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert_accessible(page)


@pytest.mark.parametrize("persona", ["alice", "sam"])
def test_every_form_is_accessible_with_and_without_errors(
    live_server: Any, new_page: Any, officer: Any, secretary: Any, world: dict[str, Any], persona: str
) -> None:
    page = signed_in(new_page(), live_server, persona)
    forms = [
        (f"/obligations/{world['obligation'].pk}/update/", "Save update"),
        (f"/actions/{world['action'].pk}/update/", "Save update"),
        (f"/obligations/{world['obligation'].pk}/actions/add/", "Add action"),
        ("/import/", "Upload and preview"),
    ]
    if persona == "sam":
        forms.append((f"/commitments/{world['commitment'].ref}/update/", "Save update"))
    for path, button in forms:
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page)
        if "actions/add" in path:
            page.fill("input[name=due_date-day]", "31")
            page.fill("input[name=due_date-month]", "2")
            page.fill("input[name=due_date-year]", "2027")
        elif "/update/" in path:
            page.check("input[name=status][value=complete]")
            page.fill("input[name=revised_due_date-day]", "32")
            page.fill("input[name=revised_due_date-month]", "1")
            page.fill("input[name=revised_due_date-year]", "2027")
        page.click(f"button:has-text('{button}')")
        page.wait_for_load_state()
        assert page.title().startswith("Error: "), path
        assert page.locator(".govuk-error-summary").count() == 1, path
        assert_accessible(page)
        # The summary's links move focus to the field to fix.
        page.locator(".govuk-error-summary a").first.click()
        assert page.evaluate("document.activeElement.tagName") in ("INPUT", "TEXTAREA", "SELECT"), path
    assert not StatusUpdate.objects.exists()


def test_a_viewer_is_refused_every_form(live_server: Any, new_page: Any, viewer: Any, world: dict[str, Any]) -> None:
    page = signed_in(new_page(), live_server, "vera")
    for path in [
        f"/obligations/{world['obligation'].pk}/update/",
        f"/actions/{world['action'].pk}/update/",
        f"/obligations/{world['obligation'].pk}/actions/add/",
        f"/commitments/{world['commitment'].ref}/update/",
        "/import/",
    ]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 403, path
    assert_accessible(page)


def test_rag_tags_stay_distinct_in_greyscale(live_server: Any, new_page: Any, officer: Any, world: dict[str, Any]) -> None:
    world["obligation"].rag = "red"
    world["obligation"].save()
    world["other"].rag = "amber"
    world["other"].save()
    page = signed_in(new_page(), live_server, "alice")
    page.goto(f"{live_server.url}/commitments/{world['commitment'].ref}/")
    page.add_style_tag(content="html { filter: grayscale(1) !important; }")

    tags = page.evaluate(
        """() => [...document.querySelectorAll('.govuk-summary-card .app-rag')].map(t => ({
            text: t.innerText.replace(/\\s+/g, ''), border: getComputedStyle(t).borderTopStyle }))"""
    )
    by_text = {t["text"]: t["border"] for t in tags}
    # Each rating has its own word, shape and border style, none of which depends on colour.
    assert {"■Red", "▲Amber", "○Notassessed"} <= set(by_text)
    assert len(set(by_text.values())) == len(by_text)
