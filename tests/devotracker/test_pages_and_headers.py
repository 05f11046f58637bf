"""Public footer pages, error pages, security headers and the compiled static assets."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory
from django.urls import path

from devotracker import views
from devotracker.middleware import PolicyHeadersMiddleware

pytestmark = pytest.mark.django_db


# --- footer pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "heading", "facts"),
    [
        (
            "/accessibility/",
            "Accessibility statement for DevoTracker",
            [
                "Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018",
                "Compliance status",
                "Non-accessible content",
                "Equality and Human Rights Commission (EHRC)",
                "Equality Advisory and Support Service (EASS)",
                "axe-core",
                "This statement was prepared on",
            ],
        ),
        (
            "/privacy/",
            "Privacy notice",
            ["public task", "sign-in audit log", "update history", "work email address", "How long we keep it", "Information Commissioner"],
        ),
        ("/cookies/", "Cookies", ["sessionid", "csrftoken", "only uses essential cookies", "8 hours", "364 days"]),
    ],
)
def test_footer_pages_are_public_and_say_what_the_law_asks(client: Client, url: str, heading: str, facts: list[str]) -> None:
    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<h1 class="govuk-heading-l">{heading}</h1>' in html
    for fact in facts:
        assert fact in html, fact


def test_footer_links_to_the_footer_pages_and_the_api_docs(client: Client) -> None:
    html = client.get("/accounts/login/").content.decode()
    footer = html[html.index("<footer") : html.index("</footer>")]
    for href in ("/accessibility/", "/privacy/", "/cookies/", "/api/v1/docs/"):
        assert f'href="{href}"' in footer


def test_the_contact_address_comes_from_settings(client: Client, settings: Any) -> None:
    assert "your organisation's DevoTracker administrator" in client.get("/privacy/").content.decode()
    settings.SERVICE_CONTACT_EMAIL = "devotracker@example.org"
    assert 'href="mailto:devotracker@example.org"' in client.get("/privacy/").content.decode()


def test_cookie_facts_follow_the_settings(client: Client, settings: Any) -> None:
    settings.SESSION_COOKIE_AGE = 4 * 3600
    assert "after 4 hours" in client.get("/cookies/").content.decode()


# --- security headers ---------------------------------------------------------------------------


def csp_directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("url", ["/accounts/login/", "/accessibility/", "/no-such-page/"])
def test_security_headers_are_sent(client: Client, url: str) -> None:
    response = client.get(url)

    csp = csp_directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_the_inline_script_carries_this_responses_nonce(client: Client) -> None:
    first = client.get("/accounts/login/")
    second = client.get("/accounts/login/")

    nonces = []
    for response in (first, second):
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.content.decode())
        assert inline == [f' nonce="{nonce}"'], "every inline script must carry the nonce"
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_the_docs_policy_allows_an_inline_start_up_script_by_hash_only() -> None:
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse

    def policy_for(path: str) -> dict[str, list[str]]:
        page = HttpResponse('<script src="/static/x.js"></script><script>startSwagger()</script>', content_type="text/html")
        csp = CSPMiddleware(lambda request: PolicyHeadersMiddleware(lambda request: page)(request))
        return csp_directives(csp(RequestFactory().get(path))["Content-Security-Policy"])

    # sha256("startSwagger()") in base64, and nothing broader.
    policy = policy_for("/api/v1/docs/")
    assert policy["script-src"] == ["'self'", "'sha256-KbKomxdTDMwI4KQ3jH4InAJqBJBwN6D829JuByBc9IA='"]
    assert policy["worker-src"] == ["'self'", "blob:"]
    # Anywhere else the same page gets no hash and no blob: workers.
    policy = policy_for("/accessibility/")
    assert policy["script-src"] == ["'self'"] and "worker-src" not in policy


# --- error pages --------------------------------------------------------------------------------


def boom(request: Any) -> Any:
    raise RuntimeError("boom")


def database_down(request: Any) -> Any:
    raise OperationalError("could not connect")


def forbidden(request: Any) -> Any:
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied


urlpatterns = [
    path("boom/", boom),
    path("down/", database_down),
    path("forbidden/", forbidden),
    path("", __import__("django.urls", fromlist=["include"]).include("devotracker.urls")),
]
handler403 = "devotracker.views.forbidden"
handler404 = "devotracker.views.not_found"
handler500 = "devotracker.views.server_error"


@pytest.fixture
def error_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__


def test_404_page(client: Client, officer: Any) -> None:
    client.force_login(officer)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Page not found – DevoTracker</title>" in html
    assert "govuk-service-navigation" in html  # the signed-in layout, navigation included


def test_403_page(error_urls: None, client: Client, officer: Any) -> None:
    client.force_login(officer)
    response = client.get("/forbidden/")
    assert response.status_code == 403
    assert "You do not have permission to do this" in response.content.decode()


def test_500_page_renders_without_a_request_context(error_urls: None, officer: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(officer)

    response = client.get("/boom/")

    html = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html
    assert "/static/build/app.css" in html
    assert "govuk-service-navigation" not in html  # no user, no navigation: nothing that could fail again


def test_500_page_from_a_bare_request() -> None:
    response = views.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.content


@pytest.mark.django_db(transaction=True)  # the middleware may close the broken connection
def test_503_page_when_the_database_is_unreachable(error_urls: None, client: Client, officer: Any) -> None:
    client.force_login(officer)
    response = client.get("/down/")
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Sorry, the service is unavailable" in html
    # Rendered without the user or the header's roles query: nothing that needs the database.
    assert "govuk-service-navigation" not in html
    assert "/static/build/app.css" in html


# --- static assets ------------------------------------------------------------------------------


def fetch(client: Client, url: str) -> tuple[int, bytes, str]:
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body, response.get("Content-Type", "")


def test_the_compiled_stylesheet_is_served(client: Client, compiled_css: str) -> None:
    status, body, content_type = fetch(client, "/static/build/app.css")
    assert status == 200
    assert content_type.startswith("text/css")
    assert b".govuk-service-navigation" in body and b".app-rag--amber" in body


def test_the_stylesheet_uses_the_system_font_stack_and_no_gds_transport(compiled_css: str) -> None:
    assert "GDS Transport" not in compiled_css
    assert "@font-face" not in compiled_css
    assert "font-family:system-ui" in compiled_css.replace(" ", "")


def test_every_url_in_the_stylesheet_resolves(client: Client, compiled_css: str) -> None:
    urls = set(re.findall(r"url\(\"?([^\")]+)\"?\)", compiled_css)) - set(re.findall(r"url\(\"?(data:[^\")]+)", compiled_css))
    assert urls, "the stylesheet should reference GOV.UK Frontend's images"
    for url in urls:
        assert url.startswith("/static/govuk/assets/"), url
        assert fetch(client, url)[0] == 200, url


def test_govuk_frontend_assets_and_our_scripts_are_served(client: Client) -> None:
    for url in (
        "/static/govuk/govuk-frontend.min.js",
        "/static/govuk/assets/images/govuk-crest.svg",
        "/static/govuk/assets/fonts/bold-b542beb274-v2.woff2",  # shipped, though our CSS never asks for it
        "/static/images/favicon.svg",
    ):
        assert fetch(client, url)[0] == 200, url
    status, body, content_type = fetch(client, "/static/js/init.mjs")
    assert status == 200
    # Browsers refuse an ES module served with a non-JavaScript type.
    assert content_type.startswith("text/javascript")
    assert b'import { initAll } from "/static/govuk/govuk-frontend.min.js"' in body
