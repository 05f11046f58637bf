"""The OpenAPI 3 schema (/api/v1/schema/) and the docs page (/api/v1/docs/): public, offline,
accurate. schemathesis checks the API against the schema in-process, every operation, phase and
check (tests/api/schemathesis.toml): no server error, every response documented and conforming, no
request the schema calls valid refused and none it calls invalid accepted (issue 11)."""

from __future__ import annotations

import io
import json
import re
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from django.contrib.auth import get_user_model
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from boards.models import ApiToken

from ..conftest import axe_violations

ROOT = Path(__file__).resolve().parents[2]
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def spec(api: APIClient, db: Any) -> dict[str, Any]:
    response = api.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items() if method in METHODS]


def test_the_schema_is_public_yaml_by_default_and_json_on_request(api: APIClient, db: Any) -> None:
    default = api.get("/api/v1/schema/")
    assert default.status_code == 200 and default["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(default.content)["openapi"].startswith("3.")
    by_accept = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert by_accept["Content-Type"].startswith("application/json") and json.loads(by_accept.content)["info"]["version"] == "1.0.0"
    assert json.loads(api.get("/api/v1/schema/?format=json").content)["openapi"].startswith("3.")


def test_the_schema_is_valid_openapi_and_covers_every_endpoint(spec: dict[str, Any]) -> None:
    validate_schema(spec)
    paths = set(spec["paths"])
    for collection in ("agreements", "themes", "parties", "pilots", "boroughs"):
        assert {f"/api/v1/{collection}/", f"/api/v1/{collection}/{{slug}}/"} <= paths
    assert {"/api/v1/commitments/{ref}/", "/api/v1/boards/{code}/", "/api/v1/obligations/{id}/", "/api/v1/reports/{id}/pdf/"} <= paths
    assert {"/api/v1/changes/", "/api/v1/changes/head/"} <= paths
    assert {f"/api/v1/{t}/updates/" for t in ("commitments/{ref}", "obligations/{id}", "actions/{id}")} <= paths
    webhooks = ("", "{id}/", "{id}/deliveries/", "{id}/deliveries/{msg_id}/redeliver/", "{id}/rotate-secret/", "{id}/test/")
    assert {f"/api/v1/webhooks/{w}" for w in webhooks} <= paths
    assert all(p.startswith("/api/v1/") for p in paths)
    assert "/api/v1/schema/" not in paths and "/api/v1/docs/" not in paths


def test_auth_schemes_token_and_session_are_documented(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Send "Token <key>". Keys come from an administrator (manage.py create_api_token).',
    }
    assert schemes["cookieAuth"]["in"] == "cookie"
    for _, _, op in operations(spec):
        assert {"tokenAuth": []} in op["security"] and {"cookieAuth": []} in op["security"]


def test_every_operation_documents_its_errors_in_the_error_shape(spec: dict[str, Any]) -> None:
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code", "errors"}
    for path, method, op in operations(spec):
        codes = set(op["responses"])
        assert {"401", "429"} <= codes, (path, method)
        assert op["responses"]["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
        for code, response in op["responses"].items():
            if code.startswith("4"):
                assert response["content"]["application/json"]["schema"]["$ref"].endswith("/Error") or code in ("409", "412")
        webhooks = path.startswith("/api/v1/webhooks/")
        if method == "get" and webhooks:
            # Subscriptions and their delivery logs change without any change of the data the API
            # serves, which the validators follow: these answers carry none (never a stale 304).
            assert "304" not in codes and "ETag" not in op["responses"]["200"].get("headers", {}), (path, method)
        elif method == "get" and not path.endswith("/pdf/"):  # a PDF streams: no body hash
            assert "304" in codes and "ETag" in op["responses"]["200"]["headers"], (path, method)
        if method in ("post", "patch", "delete"):
            assert "403" in codes, (path, method)  # a read-only token, whatever the body
        if method in ("post", "patch") and "requestBody" in op:
            assert {"400", "413", "415"} <= codes, (path, method)
            assert list(op["requestBody"]["content"]) == ["application/json"], (path, method)
        if "201" in codes and not path.endswith("/test/"):  # a test event is read in the delivery log
            assert "Location" in op["responses"]["201"]["headers"], (path, method)
        if method == "post" and path.endswith("/updates/"):
            assert {"201", "400", "401", "403", "404", "409", "412", "413", "415", "428", "429"} <= codes
            assert "Location" in op["responses"]["201"]["headers"]
            conflict = op["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            assert "current" in spec["components"]["schemas"][conflict]["properties"]
            assert any(p["name"] == "If-Match" and p["in"] == "header" for p in op["parameters"])


def test_lists_document_their_filters_paging_ordering_and_csv(spec: dict[str, Any]) -> None:
    params = {p["name"]: p for p in spec["paths"]["/api/v1/commitments/"]["get"]["parameters"]}
    contract = {"theme", "board", "pilot", "party", "status", "rag", "overdue", "due_before", "due_after", "updated_since", "q"}
    assert contract <= set(params)
    assert {"page", "page_size", "ordering", "format", "If-None-Match", "If-Modified-Since"} <= set(params)
    assert set(params["format"]["schema"]["enum"]) == {"json", "csv"}
    assert "-due_date" in params["ordering"]["schema"]["items"]["enum"]
    assert params["status"]["schema"]["items"]["enum"] == ["complete", "in_progress", "not_pursued", "not_started"]
    content = spec["paths"]["/api/v1/commitments/"]["get"]["responses"]["200"]["content"]
    assert content["text/csv"]["schema"] == {"type": "string"}
    assert content["application/json"]["schema"]["$ref"].endswith("/PaginatedCommitmentList")
    for path in ("/api/v1/obligations/", "/api/v1/actions/"):
        names = {p["name"] for p in spec["paths"][path]["get"]["parameters"]}
        assert {"commitment", "party", "owner", "status", "rag", "overdue", "updated_since"} <= names
    names = {p["name"] for p in spec["paths"]["/api/v1/status-updates/"]["get"]["parameters"]}
    assert {"target_type", "commitment", "party", "author", "since"} <= names
    for collection in ("agreements", "themes", "parties", "boards", "pilots", "boroughs", "meetings", "reports"):
        assert "updated_since" in {p["name"] for p in spec["paths"][f"/api/v1/{collection}/"]["get"]["parameters"]}


def test_the_docs_page_is_public_and_loads_nothing_from_elsewhere(api: APIClient, db: Any) -> None:
    page = api.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "the docs page must work offline"
    assert "<script>" not in html.replace(" ", "")  # no inline script: the initialiser is a separate file
    assert '<html lang="en-GB">' in html
    script = api.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and b"/api/v1/schema/" in script.content
    assert b'"deepLinking": false' in script.content
    fixes = api.get("/api/v1/docs/?a11y")
    assert fixes.status_code == 200 and fixes["Content-Type"].startswith("application/javascript")


@pytest.mark.browser
def test_the_docs_render_in_chromium_under_the_sites_csp_and_meet_wcag_22_aa(live_server: Any, page: Any) -> None:
    problems: list[str] = []
    outside: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda req: outside.append(req.url) if not req.url.startswith((live_server.url, "data:", "blob:")) else None)
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    rendered = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/changes/" in path for path in rendered)
    assert len(rendered) >= 31
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert axe_violations(page) == []
    # Swagger UI builds more of the page as it is used: check the states a reader reaches.
    page.locator(".opblock-post .opblock-summary-control").first.click()
    page.locator(".opblock-post .try-out__btn").first.click()
    page.locator(".opblock-get .opblock-summary-control").first.click()
    page.locator(".opblock-get .try-out__btn").first.click()
    page.wait_for_selector(".body-param__text")
    assert axe_violations(page) == []
    page.click(".btn.authorize")
    page.wait_for_selector(".modal-ux")
    assert axe_violations(page) == []
    assert not outside, outside
    assert not problems, problems


# --- schemathesis: the schema tells the truth (issue 11) -----------------------------------------

SCHEMATHESIS_CONFIG = ROOT / "tests" / "api" / "schemathesis.toml"


@dataclass
class SchemathesisRun:
    """What one run found: operations tested, cases generated and sent, unique failures, errors."""

    operations: int
    cases: int
    failures: list[str]
    errors: list[str]
    phases: dict[str, int]  # seconds from the start to the end of each phase


def run_schemathesis(key: str) -> SchemathesisRun:
    """Every operation of /api/v1/schema/ through every phase and check that
    tests/api/schemathesis.toml turns on (the same file the CLI reads), in-process against the
    Django app over WSGI, each request with ``Authorization: Token <key>``."""
    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.db.backends.signals import connection_created
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import events, from_schema
    from schemathesis.engine.statistic import Statistic
    from schemathesis.transport.wsgi import WSGITransport

    send = WSGITransport.send

    def send_in_process(self: Any, case: Any, *, session: Any = None, **kwargs: Any) -> Any:
        # schemathesis 4.32's ignored_auth check re-sends a request without its session, and the
        # WSGI transport then hands werkzeug the socket settings it only drops for a session.
        if session is None:
            for name in ("max_redirects", "verify", "cert", "proxies"):
                kwargs.pop(name, None)
        return send(self, case, session=session, **kwargs)

    # schemathesis's workers are threads, each with its own database connection: closed after the
    # run so that the test database can be flushed and dropped.
    opened: list[Any] = []

    def remember(sender: Any, connection: Any, **kwargs: Any) -> None:
        if threading.current_thread() is not threading.main_thread():
            opened.append(connection)

    config = SchemathesisConfig.from_path(SCHEMATHESIS_CONFIG)
    config.projects.override.update(headers={"Authorization": f"Token {key}"})
    if connection.vendor == "sqlite":
        # The tests' SQLite database lives in memory with a shared cache, where two threads'
        # transactions meet a table lock at once ("database table is locked") rather than waiting
        # as the quick start's file database does (immediate transactions and a busy timeout): one
        # worker, so that what is checked is the API and not the test database's cache.
        config.projects.override.update(workers=1)
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application(), config=config)
    statistic = Statistic()
    errors: list[str] = []
    phases: dict[str, int] = {}
    started = time.monotonic()
    connection_created.connect(remember)
    try:
        with mock.patch.object(WSGITransport, "send", send_in_process):
            for event in from_schema(schema).execute():
                if isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
                    statistic.on_scenario_finished(event.recorder)
                elif isinstance(event, events.NonFatalError):
                    errors.append(f"{event.label}: {event.info.title}\n{''.join(traceback.format_exception(event.value))}")
                elif isinstance(event, events.FatalError):
                    errors.append(f"fatal: {event.exception!r}")
                elif isinstance(event, events.PhaseFinished) and event.phase.is_enabled:
                    phases[event.phase.name.value] = round(time.monotonic() - started)
                elif isinstance(event, events.EngineFinished):
                    statistic.record_run_check_failures(event.failures, label="after the run")
    finally:
        connection_created.disconnect(remember)
        for wrapper in opened:
            if wrapper.connection is not None:
                wrapper.connection.close()
    failures = [
        f"{label}: {failure.code} {failure.title}\n{failure.message}\n{group.code_sample or ''}"
        for label, groups in statistic.failures.items()
        for group in groups.values()
        for failure in group.failures
    ]
    return SchemathesisRun(
        operations=len(statistic.tested_operations), cases=statistic.total_cases, failures=failures, errors=errors, phases=phases
    )


@pytest.fixture
def mou_with_demo_data(transactional_db: Any) -> None:
    """The real MoU inventory with the demo data (as the quick start has it), the overdue pass run,
    and one built paper with its HTML and PDF (the demo has none) so report downloads are reached."""
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from django.utils import timezone

    from boards.models import Meeting
    from commitments.models import Report

    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command("load_mou", verbosity=0, **quiet)
    call_command("load_demo", **quiet)
    call_command("flag_overdue", **quiet)
    report = Report.objects.create(
        meeting=Meeting.objects.order_by("date", "pk")[0],
        kind=Report.Kind.BOARD_PAPER,
        state=Report.State.READY,
        title="Outstanding actions",
        html="<html><body><h1>Outstanding actions</h1></body></html>",
        built_at=timezone.now(),
    )
    report.pdf.save("paper.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))


@pytest.mark.slow
@pytest.mark.parametrize(("scope", "username"), [(ApiToken.Scope.READ, "partner"), (ApiToken.Scope.WRITE, "admin")])
def test_schemathesis_finds_no_failure_with_a_read_or_a_write_token(
    mou_with_demo_data: None, scope: str, username: str, settings: Any
) -> None:
    """No server error, no undocumented status, header or body, no request the schema calls valid
    refused and none it calls invalid accepted: with the demo partner system's read-only token,
    and with a write token of the demo administrator, who may write every commitment, obligation
    and action, so that every write schemathesis sends to a real item gets past the permission
    check into validation, the version check and the service (a partner's own write token is
    refused with a 403 on most items, as the read-only token is on all of them)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100000/minute", "token_write": "100000/minute"},
    }
    key = ApiToken.issue(user=get_user_model().objects.get(username=username), scope=scope, name="schemathesis")[1]
    spec = json.loads(APIClient().get("/api/v1/schema/?format=json").content)

    run = run_schemathesis(key)

    print(f"schemathesis, {scope} token: {run.operations} operations, {run.cases} cases, {len(run.failures)} unique failures, {run.phases}")
    assert run.errors == [], "\n\n".join(run.errors)
    assert run.failures == [], "\n\n".join(run.failures)
    assert run.operations == len(operations(spec))
    assert run.cases >= 30 * run.operations
