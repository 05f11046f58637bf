"""Every documented error in the contract's shape, rate limits, and no 500 for any input."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from boards.models import ApiToken

from ..conftest import token_client

pytestmark = pytest.mark.django_db

SHAPE = {"detail", "code", "errors"}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) >= SHAPE and body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    return body


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/commitments/", "/api/v1/commitments/TST-001/", "/api/v1/changes/", "/api/v1/changes/head/"])
def test_anonymous_requests_to_data_are_401(api: APIClient, world: Any, path: str) -> None:
    response = api.get(path)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "header",
    ["Token not-a-real-key", "Token", "Token a b", "Token k\xe9y"],
)
def test_bad_tokens_are_401(world: Any, header: str) -> None:
    client = APIClient()
    response = client.get("/api/v1/commitments/", HTTP_AUTHORIZATION=header)
    assert_error(response, 401, "authentication_failed")


def test_revoked_tokens_and_inactive_users_are_401(partner: Any, world: Any) -> None:
    token, key = ApiToken.issue(user=partner, scope="read")
    client = token_client(key)
    assert client.get("/api/v1/themes/").status_code == 200
    token.revoke()
    assert_error(client.get("/api/v1/themes/"), 401, "authentication_failed")
    _, other_key = ApiToken.issue(user=partner, scope="read")
    partner.is_active = False
    partner.save()
    assert_error(token_client(other_key).get("/api/v1/themes/"), 401, "authentication_failed")


def test_a_signed_in_browser_session_reads(officer: Any, world: Any) -> None:
    client = APIClient()
    assert client.login(username="alice", password="correct-horse-battery")
    assert client.get("/api/v1/commitments/").status_code == 200


def test_token_use_is_recorded_at_most_once_a_minute(read_token: str, world: Any) -> None:
    token = ApiToken.objects.get(scope="read")
    assert token.last_used_at is None
    token_client(read_token).get("/api/v1/themes/")
    token.refresh_from_db()
    assert token.last_used_at is not None


# --- the rest of the 4xx family ---------------------------------------------------------------


def test_403_404_405_406_409_412_413_415_428_all_share_the_shape(
    reader: APIClient, writer: APIClient, other_writer: APIClient, world: Any
) -> None:
    ob = world.obligation
    url = f"/api/v1/obligations/{ob.pk}/updates/"
    assert_error(reader.post(url, {"note": "x", "version": ob.version}, format="json"), 403, "permission_denied")
    assert_error(other_writer.post(url, {"note": "x", "version": ob.version}, format="json"), 403, "permission_denied")
    assert_error(reader.get("/api/v1/obligations/424242/"), 404, "not_found")
    assert_error(reader.delete(f"/api/v1/obligations/{ob.pk}/"), 405, "method_not_allowed")
    assert_error(reader.put(f"/api/v1/obligations/{ob.pk}/", {}, format="json"), 405, "method_not_allowed")
    assert_error(reader.post("/api/v1/obligations/", {}, format="json"), 405, "method_not_allowed")
    assert_error(reader.get("/api/v1/obligations/", HTTP_ACCEPT="application/xml"), 406, "not_acceptable")
    assert_error(reader.get("/api/v1/obligations/?format=xml"), 406, "not_acceptable")
    assert_error(writer.post(url, {"note": "x", "version": 1}, format="json"), 409, "version_conflict")
    assert_error(writer.post(url, {"note": "x"}, format="json", HTTP_IF_MATCH='"1"'), 412, "precondition_failed")
    assert_error(writer.post(url, {"note": "x" * 300_000, "version": ob.version}, format="json"), 413, "payload_too_large")
    assert_error(writer.generic("POST", url, "note=x", content_type="text/plain"), 415, "unsupported_media_type")
    assert_error(writer.post(url, {"note": "x"}, format="json"), 428, "precondition_required")
    body = assert_error(writer.post(url, {"progress": "high", "version": ob.version}, format="json"), 400, "invalid")
    assert body["errors"] == {"progress": ["Give a whole number (a JSON integer, not a string)."]}


# --- rate limits ------------------------------------------------------------------------------


def _rates(settings: Any, **rates: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "6000/minute", "token_write": "600/minute", **rates},
    }


def test_past_the_per_token_rate_the_api_answers_429_with_retry_after(settings: Any, read_token: str, write_token: str, world: Any) -> None:
    _rates(settings, token="3/minute")
    reader = token_client(read_token)
    assert [reader.get("/api/v1/themes/").status_code for _ in range(3)] == [200, 200, 200]
    limited = reader.get("/api/v1/themes/")
    assert_error(limited, 429, "throttled")
    assert 1 <= int(limited["Retry-After"]) <= 60
    # The limit is per token: another token of the same user is counted on its own.
    assert token_client(write_token).get("/api/v1/themes/").status_code == 200


def test_writes_have_their_own_lower_limit(settings: Any, writer: APIClient, world: Any) -> None:
    _rates(settings, token_write="1/minute")
    ob = world.obligation
    url = f"/api/v1/obligations/{ob.pk}/updates/"
    assert writer.post(url, {"note": "one", "version": ob.version}, format="json").status_code == 201
    limited = writer.post(url, {"note": "two", "version": ob.version + 1}, format="json")
    assert_error(limited, 429, "throttled")
    assert int(limited["Retry-After"]) >= 1
    assert writer.get("/api/v1/themes/").status_code == 200  # reads are not write-limited


# --- no 500 for any input ---------------------------------------------------------------------

NASTY = ["%00", "%FF%FE", "9" * 40, "-1", "1e999999", "a" * 3000]
PARAMS = [
    "status",
    "rag",
    "overdue",
    "due_before",
    "updated_since",
    "q",
    "theme",
    "board",
    "party",
    "pilot",
    "owner",
    "commitment",
    "obligation",
    "action",
    "meeting",
    "page",
    "page_size",
    "ordering",
    "format",
    "after",
    "limit",
    "resource",
    "since",
]
LISTS = [
    "commitments",
    "obligations",
    "actions",
    "status-updates",
    "agreements",
    "themes",
    "parties",
    "boards",
    "pilots",
    "boroughs",
    "meetings",
    "reports",
    "changes",
]


@pytest.mark.parametrize("collection", LISTS)
def test_no_query_parameter_value_makes_a_500(reader: APIClient, world: Any, collection: str) -> None:
    for param in PARAMS:
        for value in NASTY:
            response = reader.get(f"/api/v1/{collection}/?{param}={value}")
            assert response.status_code < 500, (collection, param, value, response.content[:200])
            if response.status_code >= 400:
                assert set(response.json()) >= SHAPE


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/commitments/%00/",
        "/api/v1/commitments/%FF/",
        "/api/v1/boards/%00/",
        "/api/v1/parties/" + "x" * 3000 + "/",
        "/api/v1/obligations/" + "9" * 50 + "/",
        "/api/v1/obligations/-1/",
        "/api/v1/reports/99999999999999999999/pdf/",
        "/api/v1/commitments/TST-001/updates/extra/",
    ],
)
def test_no_path_makes_a_500(reader: APIClient, world: Any, path: str) -> None:
    response = reader.get(path)
    assert response.status_code in (400, 404), (response.status_code, response.content[:200])
    assert set(response.json()) >= SHAPE


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_IF_NONE_MATCH": "\x00"},
        {"HTTP_IF_MODIFIED_SINCE": "Mon, 99 Foo 99999 99:99:99 GMT"},
        {"HTTP_ACCEPT": "*/*;q=abc, text/" + "x" * 500},
        {"HTTP_ACCEPT": ""},
        {"HTTP_IF_MATCH": '"' + "9" * 100 + '"'},
    ],
)
def test_odd_headers_do_not_make_a_500(reader: APIClient, world: Any, headers: dict[str, str]) -> None:
    response = reader.get("/api/v1/commitments/", **headers)
    assert response.status_code < 500


@pytest.mark.parametrize(
    "body",
    [
        '{"progress": 1e400, "version": 2}',
        '{"progress": 99999999999999999999999999999, "version": 2}',
        '{"version": 99999999999999999999999}',
        '{"evidence": [[["deep"]]], "version": 2}',
        '{"note": "\\u0000 nul", "version": 2}',
        '{"revised_due_date": "0000-00-00", "version": 2}',
        '{"revised_due_date": "9999-12-31", "reason": "x", "version": 2}',
        "[" * 5000 + "]" * 5000,
        "null",
        "",
        '{"status": {"$ne": 1}, "version": 2}',
    ],
)
def test_no_write_body_makes_a_500(writer: APIClient, world: Any, body: str) -> None:
    response = writer.generic("POST", f"/api/v1/obligations/{world.obligation.pk}/updates/", body, content_type="application/json")
    assert 400 <= response.status_code < 500 or response.status_code == 201, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        assert set(response.json()) >= SHAPE
