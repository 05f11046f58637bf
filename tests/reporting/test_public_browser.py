"""The public progress view in real Chromium (issue 15, point 4), signed out: axe-core finds no
WCAG 2.2 A/AA violation on any of its pages; a keyboard user skips to the content and follows the
overview's links to a theme and on to a commitment; at 320 CSS pixels no page scrolls sideways
(its tables scroll inside named, focusable regions) and axe is still clean; the header is the
public one (a sign-in link, no staff navigation or sign-out); a published change shows on the next
load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from boards.models import Board
from commitments.lifecycle import london_today
from commitments.models import CommitmentPilot
from reporting.periods import close_period, open_period

from ..commitments.views.test_reflow import LAYOUT, LONG_WORD
from ..conftest import axe_violations
from ..factories import CommitmentFactory
from .conftest import Dataset
from .test_public import assess

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def public_on(settings: Any, tmp_path: Path) -> None:
    settings.PUBLIC_VIEW = True
    settings.PUBLIC_RATE_LIMIT = "10000/minute"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    css = Path(django_settings.BASE_DIR) / "static" / "build" / "app.css"
    if not css.exists():
        pytest.fail(f"{css} is missing: run `npm ci && npm run build` in the repository root first.", pytrace=False)


@pytest.fixture
def world(dataset: Dataset, lc_board: Board, lc_secretariat: Any) -> Dataset:
    """The reporting dataset, a closed period (so "since the last report" has lists), a movement
    since, and long titles that are wider than a phone's screen."""
    today = london_today()
    close_period(
        open_period(board=lc_board, name="Autumn 2026", starts_on=today - dt.timedelta(days=60), ends_on=today, by=lc_secretariat),
        by=lc_secretariat,
    )
    assess(dataset, "EST-01", rag="green", reason="Funding agreed")
    long = CommitmentFactory(
        ref="EST-09",
        theme=dataset.themes[0],
        lead_board=dataset.spb,
        agreement=dataset.mou,
        title=f"Develop a London-wide estates strategy with {LONG_WORD} across every sub-region",
        summary=f"The partners will agree {LONG_WORD} and publish it at https://example.org/" + "estates-" * 20,
    )
    CommitmentPilot.objects.create(commitment=long, pilot=dataset.pilot)
    return dataset


def paths(world: Dataset) -> list[str]:
    return [
        "/public/",
        f"/public/themes/{world.themes[0].slug}/",
        f"/public/themes/{world.themes[3].slug}/",  # a theme with no commitment
        "/public/boards/SPB/",
        f"/public/pilots/{world.pilot.slug}/",
        "/public/commitments/EST-01/",
        "/public/commitments/EST-09/",
        "/public/commitments/COM-02/",
    ]


def test_every_public_page_is_accessible_signed_out(live_server: Any, page: Any, world: Dataset) -> None:
    for path in paths(world):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").count() == 1, path
        header = page.locator("header").inner_text()
        assert "Sign in" in header and "Sign out" not in header and "Dashboard" not in header and "My work" not in header, path
        violations = axe_violations(page)
        assert violations == [], f"{path}: {violations}"
    page.goto(f"{live_server.url}/public/commitments/EST-01/")
    since = page.locator("main").inner_text()
    assert "Improved (RAG)" in since and "Funding agreed" not in since


def focus_link(page: Any, href: str, limit: int = 80) -> None:
    """Press Tab until the link to ``href`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.getAttribute('href')") == href:
            return
    raise AssertionError(f"no keyboard focus reached {href}")


def test_a_keyboard_user_skips_to_the_content_and_follows_the_links(live_server: Any, page: Any, world: Dataset) -> None:
    page.goto(f"{live_server.url}/public/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main-content"
    theme = f"/public/themes/{world.themes[0].slug}/"
    focus_link(page, theme)
    # The focused link shows the GOV.UK focus style (a yellow background).
    assert page.evaluate("() => getComputedStyle(document.activeElement).backgroundColor") == "rgb(255, 221, 0)"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{theme}")
    # The commitments table scrolls in a region the keyboard reaches, then its links.
    focus_link(page, "/public/commitments/EST-01/")
    page.keyboard.press("Enter")
    page.wait_for_url("**/public/commitments/EST-01/")
    assert page.locator("h1").inner_text() == "Commitment EST-01"


def test_the_pages_reflow_at_320_pixels(live_server: Any, browser: Any, world: Dataset) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 800}, locale="en-GB", timezone_id="Europe/London")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        for path in paths(world):
            page.goto(f"{live_server.url}{path}")
            layout = page.evaluate(LAYOUT)
            assert layout["scrollWidth"] <= layout["innerWidth"] + 1, (
                f"{path} scrolls sideways: {layout['scrollWidth']}px; {layout['wide']}"
            )
            for i, table in enumerate(layout["tables"]):
                assert table["wrapped"], f"{path}: table {i} is not in a focusable scroll region"
                assert table["labelled"], f"{path}: table {i}'s region is not named by its caption"
            violations = axe_violations(page)
            assert violations == [], f"{path} at 320px: {violations}"
    finally:
        context.close()


def test_a_published_change_shows_on_the_next_load(live_server: Any, page: Any, world: Dataset) -> None:
    page.goto(f"{live_server.url}/public/commitments/EST-02/")
    assert "In progress" in page.locator("#state").inner_text()
    assess(world, "EST-02", status="complete", progress=100, reason="Delivered", evidence=["https://example.org/delivered"])
    page.reload()
    state = page.locator("#state").inner_text()
    assert "Complete" in state and "100%" in state
