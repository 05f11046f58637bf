"""The OpenAPI 3 schema (/api/v1/schema/) and the docs page (/api/v1/docs/): public, offline,
accurate. schemathesis checks the running API against the schema: no server error, every response
documented and conforming."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
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
        if method == "get" and not path.endswith("/pdf/"):  # a PDF streams: no body hash
            assert "304" in codes and "ETag" in op["responses"]["200"]["headers"], (path, method)
        if method == "post":
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


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_undocumented_response(live_server: Any, world: Any, admin_user: Any, tmp_path: Path) -> None:
    """Every operation of the schema, with a superuser's write token so that writes get past the
    permission check into validation and the service (201, 400, 409, 412, 428 all happen)."""
    key = ApiToken.issue(user=admin_user, scope=ApiToken.Scope.WRITE, name="schemathesis")[1]
    spec = json.loads(APIClient().get("/api/v1/schema/?format=json").content)
    expected = len(operations(spec))
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{live_server.url}/api/v1/schema/?format=json",
        "--header",
        f"Authorization: Token {key}",
        "--checks",
        "not_a_server_error,response_schema_conformance,status_code_conformance",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "5",
        "--seed",
        "1",
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks", "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert f"Tested: {expected}" in output, output[-3000:]
    assert re.search(r"(\d+) generated, \1 passed", output), output[-3000:]
