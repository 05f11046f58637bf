"""The finance forms and the spreadsheet import in real Chromium (issue 16): axe finds no WCAG 2.2
A/AA violation on any of them, blank, with errors, or as a preview, at desktop width and at 320 CSS
pixels, where none scrolls sideways; an officer changes a line's spend with the keyboard alone and
sees it flagged on its page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from finance.models import FundingLine

from ..commitments.views.test_reflow import LAYOUT, WIDTH
from ..conftest import axe_violations
from ..conftest import sign_in as submit_sign_in
from .conftest import Money
from .writers import Writers, writers_fixture  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = "line_id,version,spent,reason\n{pk},1,£12,Wrong\n"


@pytest.fixture
def css() -> None:
    if not (Path(settings.BASE_DIR) / "static" / "build" / "app.css").exists():
        pytest.fail("static/build/app.css is missing: run `npm ci && npm run build` first.", pytrace=False)


def sign_in(page: Any, live_server: Any, username: str) -> None:
    submit_sign_in(page, live_server, username)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def check(page: Any, what: str, width: int) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{what} at {width}px: {violations}"
    if width == WIDTH:
        layout = page.evaluate(LAYOUT)
        assert layout["scrollWidth"] <= layout["innerWidth"] + 1, f"{what} scrolls sideways: {layout['wide']}"
        for i, table in enumerate(layout["tables"]):
            assert table["wrapped"] and table["labelled"], f"{what}: table {i} is not in a named, focusable region"


def test_the_forms_and_the_import_are_accessible_and_reflow(
    live_server: Any, browser: Any, css: None, money: Money, writers: Writers, tmp_path: Path
) -> None:
    line, disposal = money.lines[3], money.disposals[1]
    forms = [
        "/finance/lines/add/",
        f"/finance/lines/{line.pk}/edit/",
        "/finance/budgets/2018/edit/",
        "/finance/disposals/add/",
        f"/finance/disposals/{disposal.pk}/edit/",
        "/finance/streams/capital-programme/edit/",
        "/finance/import/",
    ]
    upload = tmp_path / "finance.csv"
    upload.write_text(CSV.format(pk=line.pk))
    for width in (1280, WIDTH):
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-GB", timezone_id="Europe/London")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            sign_in(page, live_server, writers.leb.username)  # the London Estates Board's secretariat keeps the capital stream
            for path in forms:
                page.goto(f"{live_server.url}{path}")
                check(page, path, width)
            # A form with errors: the error summary and each field's message.
            page.goto(f"{live_server.url}/finance/lines/{line.pk}/edit/")
            page.fill("#id_spent", "£1,000")
            page.click("button[type=submit]")
            page.wait_for_selector(".govuk-error-summary")
            check(page, "the line form with errors", width)
            # The import's preview of a file with a bad row.
            page.goto(f"{live_server.url}/finance/import/")
            page.set_input_files("#id_file", str(upload))
            page.click("button[type=submit]")
            page.wait_for_selector("#import-rows")
            check(page, "the import preview", width)
        finally:
            context.close()


def test_an_officer_changes_a_lines_spend_with_the_keyboard(live_server: Any, page: Any, css: None, money: Money, writers: Writers) -> None:
    line = money.lines[0]  # the GLA's line: £10m allocated, £8m committed
    sign_in(page, live_server, writers.gla.username)
    page.goto(f"{live_server.url}/finance/lines/{line.pk}/edit/")
    assert page.locator("#id_description").count() == 0  # an officer changes the amounts only
    page.locator("#id_spent").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("9000000.00")
    page.locator("#id_reason").focus()
    page.keyboard.type("Quarter 3 returns")
    page.keyboard.press("Tab")  # to the Save button
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/finance/lines/{line.pk}/")
    assert "Spent is more than committed" in page.content()
    assert FundingLine.objects.get(pk=line.pk).spent_pence == 900_000_000
