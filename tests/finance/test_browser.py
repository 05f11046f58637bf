"""The money and estates pages in real Chromium (issue 16): axe finds no WCAG 2.2 A/AA violation
on any of them, at desktop width and at 320 CSS pixels, where no page scrolls sideways and every
table scrolls inside its own named, focusable region; a viewer filters a list and downloads its
CSV with the keyboard, and follows the dashboard's finance figures to the list behind them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from ..commitments.views.test_reflow import LAYOUT, WIDTH
from ..conftest import axe_violations
from ..conftest import sign_in as submit_sign_in
from .conftest import Money

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def css() -> None:
    if not (Path(settings.BASE_DIR) / "static" / "build" / "app.css").exists():
        pytest.fail("static/build/app.css is missing: run `npm ci && npm run build` first.", pytrace=False)


def pages(money: Money) -> list[str]:
    return [
        "/finance/",
        "/finance/streams/",
        "/finance/streams/transformation-funding/",
        "/finance/lines/",
        "/finance/lines/?year=18",  # the error summary
        f"/finance/lines/{money.lines[1].pk}/",
        "/finance/budgets/",
        "/finance/budgets/2018/",
        "/finance/disposals/",
        f"/finance/disposals/{money.disposals[0].pk}/",
        "/dashboard/",
        "/dashboard/finance/",
    ]


def sign_in(page: Any, live_server: Any, username: str) -> None:
    submit_sign_in(page, live_server, username)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_every_page_is_accessible_and_reflows_at_320_pixels(live_server: Any, browser: Any, css: None, money: Money, viewer: Any) -> None:
    for width in (1280, WIDTH):
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-GB", timezone_id="Europe/London")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            sign_in(page, live_server, viewer.username)
            for path in pages(money):
                page.goto(f"{live_server.url}{path}")
                violations = axe_violations(page)
                assert violations == [], f"{path} at {width}px: {violations}"
                if width == WIDTH:
                    layout = page.evaluate(LAYOUT)
                    assert layout["scrollWidth"] <= layout["innerWidth"] + 1, f"{path} scrolls sideways: {layout['wide']}"
                    for i, table in enumerate(layout["tables"]):
                        assert table["wrapped"] and table["labelled"], f"{path}: table {i} is not in a named, focusable region"
        finally:
            context.close()


def test_a_viewer_filters_with_the_keyboard_and_follows_the_dashboard(
    live_server: Any, page: Any, css: None, money: Money, viewer: Any
) -> None:
    sign_in(page, live_server, viewer.username)
    page.goto(f"{live_server.url}/finance/lines/")
    # Keyboard only: the year box, then the flagged radio, then Enter submits the form.
    page.locator("#id_year").focus()
    page.keyboard.type("2018")
    page.locator("#id_flagged-2").focus()  # "Flagged"
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url("**/finance/lines/?**")
    assert "year=2018" in page.url and "flagged=true" in page.url
    body = page.locator("main").inner_text()
    assert "South East London urgent care" in body and "Camden health centre" in body
    assert "North Central London integrated care" not in body
    # The CSV link is reached by Tab and keeps the filters.
    link = page.get_by_role("link", name="Download these funding lines as CSV")
    assert "year=2018" in (link.get_attribute("href") or "") and "format=csv" in (link.get_attribute("href") or "")
    with page.expect_download() as download:
        link.focus()
        page.keyboard.press("Enter")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("id,stream,description") and "2500000.50" in text

    # The dashboard's finance figure leads to the lines it adds up.
    page.goto(f"{live_server.url}/dashboard/finance/")
    chart = page.get_by_role("img", name="Funding by sub-region")
    assert chart.count() == 1
    page.locator("#table-finance-sub-region tbody th a", has_text="South East London").click()
    page.wait_for_url("**/finance/lines/?sub_region=south-east-london")
    assert "South East London urgent care" in page.locator("main").inner_text()
