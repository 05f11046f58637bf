"""Real headless Chromium against a live server: accessibility (axe-core, WCAG 2.2 A/AA), the
system font stack, GOV.UK Frontend's JavaScript under the content security policy, RAG tags in
greyscale, printing, and the API docs under the policy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from ..conftest import axe_violations
from ..conftest import sign_in as submit_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("compiled_css")]


@pytest.fixture
def watched(page: Any, compiled_css: str) -> Iterator[dict[str, list[str]]]:
    """Record what the page asks for and what the console says (CSP violations show up there)."""
    seen: dict[str, list[str]] = {"requests": [], "failed": [], "console": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("requestfailed", lambda r: seen["failed"].append(r.url))
    page.on("response", lambda r: seen["failed"].append(f"{r.status} {r.url}") if r.status >= 400 and "/static/" in r.url else None)
    page.on("console", lambda m: seen["console"].append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    yield seen


def sign_in(page: Any, live_server: Any, username: str) -> None:
    """Sign in through the form and wait until the browser has left the sign-in page."""
    submit_sign_in(page, live_server, username)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def csp_errors(seen: dict[str, list[str]]) -> list[str]:
    return [line for line in seen["console"] if "Content Security Policy" in line or "Refused to" in line]


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


# --- signed out ---------------------------------------------------------------------------------


def test_sign_in_page_is_accessible_styled_and_scripted(live_server: Any, page: Any, watched: dict[str, list[str]]) -> None:
    page.goto(f"{live_server.url}/accounts/login/")

    assert page.title() == "Sign in – DevoTracker"
    assert_accessible(page)
    # GOV.UK Frontend's module script ran under the CSP: the feature flag is set by the nonce'd
    # inline script and initAll() has initialised the button component.
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    page.wait_for_selector("[data-module=govuk-button][data-govuk-button-init]", state="attached")
    # The system font stack, never GDS Transport (DESIGN.md §9).
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert font.startswith("system-ui"), font
    assert "GDS Transport" not in font
    assert not [u for u in watched["requests"] if ".woff" in u or "/fonts/" in u]
    assert page.evaluate("[...document.fonts].filter(f => f.family.includes('GDS Transport')).length") == 0
    assert watched["failed"] == []
    assert csp_errors(watched) == []


def test_sign_in_errors_are_summarised_focused_and_accessible(live_server: Any, page: Any, officer: Any) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("main button[type=submit]")

    expect(page).to_have_title("Error: Sign in – DevoTracker")
    summary = page.locator(".govuk-error-summary")
    expect(summary.locator("a")).to_have_count(2)
    assert summary.locator("a").all_inner_texts() == ["Enter your username", "Enter your password"]
    # GOV.UK's error summary takes focus so screen readers announce it.
    expect(summary).to_be_focused()
    assert_accessible(page)

    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "wrong-password")
    page.click("main button[type=submit]")
    assert "Enter a correct username and password" in summary.inner_text()
    assert_accessible(page)
    # The summary link moves focus to the field to fix.
    summary.locator("a").first.click()
    assert page.evaluate("document.activeElement.id") == "id_username"


@pytest.mark.parametrize("path", ["/accessibility/", "/privacy/", "/cookies/", "/open-data/"])
def test_footer_pages_are_accessible_signed_out(live_server: Any, page: Any, watched: dict[str, list[str]], path: str) -> None:
    page.goto(f"{live_server.url}{path}")

    assert page.url == f"{live_server.url}{path}"  # public: no sign-in redirect
    assert_accessible(page)
    assert csp_errors(watched) == []


# --- signed in ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["officer", "secretary", "viewer", "admin_user"])
def test_home_page_for_each_role_is_accessible(
    live_server: Any, page: Any, watched: dict[str, list[str]], request: Any, persona: str
) -> None:
    user = request.getfixturevalue(persona)
    sign_in(page, live_server, user.username)
    page.wait_for_load_state("networkidle")

    assert "/accounts/login/" not in page.url
    assert page.locator("header .govuk-generic-header__homepage-link").inner_text() == "DevoTracker"
    assert page.locator("[data-testid=sign-out]").count() == 1
    assert_accessible(page)
    assert csp_errors(watched) == []


def test_404_page_is_accessible(live_server: Any, page: Any, officer: Any) -> None:
    sign_in(page, live_server, "alice")
    response = page.goto(f"{live_server.url}/no-such-page/")

    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert_accessible(page)


def test_password_change_with_errors_is_accessible(live_server: Any, page: Any, officer: Any) -> None:
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/accounts/password/change/")
    assert_accessible(page)

    page.fill("#id_old_password", "correct-horse-battery")
    page.fill("#id_new_password1", "short")
    page.fill("#id_new_password2", "different")
    page.click("main button[type=submit]")

    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    page.wait_for_load_state()
    links = page.locator(".govuk-error-summary a").all_inner_texts()
    assert any("at least 12 characters" in text for text in links)
    assert any("do not match" in text for text in links)
    assert_accessible(page)


def test_signing_out_from_the_header(live_server: Any, page: Any, officer: Any) -> None:
    sign_in(page, live_server, "alice")
    page.click("[data-testid=sign-out]")

    page.wait_for_url(f"{live_server.url}/accounts/login/")
    assert "You have signed out." in page.locator(".govuk-notification-banner").inner_text()
    page.goto(f"{live_server.url}/accounts/password/change/")
    assert "/accounts/login/" in page.url


def test_the_menu_collapses_on_a_phone_and_opens(live_server: Any, browser: Any, officer: Any) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    phone = context.new_page()
    try:
        sign_in(phone, live_server, "alice")
        toggle = phone.locator(".govuk-service-navigation__toggle")
        toggle.wait_for(state="visible")
        assert toggle.get_attribute("aria-expanded") == "false"
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        assert phone.locator("[data-testid=sign-out]").is_visible()
        assert axe_violations(phone) == []
    finally:
        context.close()


# --- look ---------------------------------------------------------------------------------------


def test_rag_tags_differ_by_more_than_colour(stub_pages: None, live_server: Any, page: Any, officer: Any) -> None:
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/tag-sample/")
    # Greyscale: what a reader without colour vision sees; axe's contrast check runs on it too.
    page.add_style_tag(content="html { filter: grayscale(100%); }")

    tags = page.evaluate(
        """() => [...document.querySelectorAll('[data-rag]')].map(cell => {
            const tag = cell.querySelector('.app-rag');
            const style = getComputedStyle(tag);
            return {rag: cell.dataset.rag, text: tag.innerText.trim(), border: style.borderTopStyle,
                    shape: tag.querySelector('.app-rag__shape').textContent,
                    hidden: tag.querySelector('.app-rag__shape').getAttribute('aria-hidden')};
        })"""
    )

    assert [t["text"].replace(t["shape"], "").strip() for t in tags] == ["Red", "Amber", "Green", "Not assessed"]
    assert len({t["border"] for t in tags}) == 4, tags
    assert len({t["shape"] for t in tags}) == 4, tags
    assert all(t["hidden"] == "true" for t in tags)
    assert page.locator(".app-tag--overdue").inner_text() == "Overdue"
    assert_accessible(page)


def test_printing_leaves_out_the_header_navigation_footer_and_buttons(live_server: Any, page: Any, officer: Any) -> None:
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/accounts/password/change/")
    page.emulate_media(media="print")

    def shown(selector: str) -> bool:
        return page.evaluate(f"getComputedStyle(document.querySelector('{selector}')).display") != "none"

    assert not shown(".govuk-service-navigation")
    assert not shown(".govuk-footer")
    assert not shown(".govuk-phase-banner")
    assert not shown("button.govuk-button")
    assert shown("main h1")
    assert page.pdf(format="A4")[:4] == b"%PDF"


# --- the API docs under the policy ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/docs/split/"])
def test_swagger_ui_runs_under_the_policy(settings: Any, live_server: Any, page: Any, watched: dict[str, list[str]], path: str) -> None:
    settings.ROOT_URLCONF = "tests.devotracker.docs_urls"

    response = page.goto(f"{live_server.url}{path}")

    assert "'unsafe-inline'" not in response.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "DevoTracker partner API" in page.locator(".swagger-ui .info .title").inner_text()
    assert csp_errors(watched) == []


def test_redoc_runs_under_the_policy(settings: Any, live_server: Any, page: Any, watched: dict[str, list[str]]) -> None:
    settings.ROOT_URLCONF = "tests.devotracker.docs_urls"

    page.goto(f"{live_server.url}/api/v1/redoc/")

    page.wait_for_selector("h1", timeout=20_000)
    assert "DevoTracker partner API" in page.locator("h1").first.inner_text()
    # ReDoc's template asks for web fonts and a logo from other sites; the policy blocks those on
    # purpose (the docs work offline, DESIGN.md §6). Nothing of our own may be refused.
    refused = csp_errors(watched)
    assert not [line for line in refused if live_server.url in line or "inline script" in line], refused


def test_the_services_own_api_docs_run_under_the_policy(live_server: Any, page: Any, watched: dict[str, list[str]]) -> None:
    """The real /api/v1/docs/ (public, DESIGN.md §6): Swagger UI from the sidecar, no CDN."""
    response = page.goto(f"{live_server.url}/api/v1/docs/")

    assert response.status == 200
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert page.locator(".swagger-ui .opblock").count() > 0
    assert not [url for url in watched["requests"] if not url.startswith(live_server.url) and not url.startswith("data:")]
    assert csp_errors(watched) == []


def test_django_admin_scripts_run_under_the_policy(live_server: Any, page: Any, watched: dict[str, list[str]], admin_user: Any) -> None:
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/admin/boards/party/add/")

    page.locator("#id_name").press_sequentially("Royal Borough of Greenwich")  # keyup events drive it
    # The slug is filled in by the admin's own JavaScript (prepopulated fields): it ran.
    expect(page.locator("#id_slug")).to_have_value("royal-borough-of-greenwich")
    assert csp_errors(watched) == []
