"""``POST …/updates/``: the same service, permissions, validation and history as the browser, with
the version rules of DESIGN.md §6 (body ``version`` → 409, ``If-Match`` → 412, neither → 428)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]
from rest_framework.test import APIClient

from commitments.models import Action, Commitment, Obligation, StatusUpdate

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _url(target: Any) -> str:
    if isinstance(target, Commitment):
        return f"/api/v1/commitments/{target.ref}/updates/"
    if isinstance(target, Obligation):
        return f"/api/v1/obligations/{target.pk}/updates/"
    return f"/api/v1/actions/{target.pk}/updates/"


def _history(target: Any) -> int:
    if isinstance(target, Obligation):
        return StatusUpdate.objects.filter(obligation=target, action__isnull=True).count()
    if isinstance(target, Action):
        return StatusUpdate.objects.filter(action=target).count()
    return StatusUpdate.objects.filter(commitment=target, target_type="commitment").count()


# --- the happy paths --------------------------------------------------------------------------


def test_an_officer_of_the_right_party_records_an_update_of_its_obligation(writer: APIClient, world: Any) -> None:
    ob = world.obligation
    before = _history(ob)
    response = writer.post(
        _url(ob),
        {
            "status": "in_progress",
            "rag": "red",
            "progress": 55,
            "reason": "Funding delayed",
            "note": "See board minutes",
            "version": ob.version,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["rag"], body["progress"], body["version"]) == ("red", 55, ob.version + 1)
    assert body["url"] == f"http://testserver/api/v1/obligations/{ob.pk}/"
    update = StatusUpdate.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert response["Location"] == f"http://testserver/api/v1/status-updates/{update.pk}/"
    # One history row, written by the service, marked as coming through the API.
    assert _history(ob) == before + 1
    assert (update.source, update.author.username, update.from_rag, update.to_rag, update.reason) == (
        "api",
        "partner",
        "amber",
        "red",
        "Funding delayed",
    )
    ob.refresh_from_db()
    assert (ob.rag, ob.progress, ob.version) == ("red", 55, body["version"])
    # The commitment's roll-up follows (worst RAG of its obligations).
    assert Commitment.objects.get(pk=world.commitment.pk).rollup_rag == "red"


def test_if_match_carries_the_version_instead_of_the_body(writer: APIClient, world: Any) -> None:
    action = world.action
    response = writer.post(_url(action), {"progress": 30}, format="json", HTTP_IF_MATCH=f'"{action.version}"')
    assert response.status_code == 201, response.json()
    assert response.json()["progress"] == 30 and response.json()["version"] == action.version + 1


def test_the_secretariat_records_a_commitments_assessment(secretary_writer: APIClient, world: Any) -> None:
    c = world.commitment
    response = secretary_writer.post(
        _url(c), {"status": "in_progress", "rag": "green", "progress": 35, "reason": "Board review", "version": c.version}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["assessment"]["rag"] == "green" and body["assessment"]["assessed_by"]["username"] == "sam"
    assert (body["status"], body["rag"], body["progress"]) == ("in_progress", "green", 35)
    assert body["rollup"]["rag"] == "amber"  # the obligations' roll-up is still shown beside it
    assert body["assessment_differs"] is True
    assert _history(c) == 1


def test_a_revised_due_date_redates_the_item(writer: APIClient, world: Any) -> None:
    ob = world.obligation
    response = writer.post(_url(ob), {"revised_due_date": "2030-03-31", "reason": "Replanned", "version": ob.version}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["due_date"] == "2030-03-31" and response.json()["overdue"] is False


def test_completing_needs_evidence_as_in_the_browser(writer: APIClient, world: Any) -> None:
    ob = world.obligation
    response = writer.post(_url(ob), {"status": "complete", "reason": "Done", "version": ob.version}, format="json")
    assert response.status_code == 400
    assert "evidence" in response.json()["errors"]
    response = writer.post(
        _url(ob),
        {"status": "complete", "reason": "Done", "evidence": ["https://example.org/minutes.pdf"], "version": ob.version},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["progress"] == 100
    assert StatusUpdate.objects.filter(obligation=ob).first().evidence == ["https://example.org/minutes.pdf"]


def test_session_users_write_with_csrf(officer: Any, world: Any) -> None:
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="alice", password=PASSWORD)
    ob = world.obligation
    refused = client.post(_url(ob), {"note": "From the browser", "version": ob.version}, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    accepted = client.post(_url(ob), {"note": "From the browser", "version": ob.version}, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201, accepted.json()


# --- permissions ------------------------------------------------------------------------------


def test_anonymous_writes_are_401(api: APIClient, world: Any) -> None:
    response = api.post(_url(world.obligation), {"note": "x", "version": 1}, format="json")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


def test_a_read_only_token_is_403_before_anything_else(reader: APIClient, world: Any) -> None:
    ob = world.obligation
    response = reader.post(_url(ob), {"note": "x", "version": ob.version}, format="json")
    assert response.status_code == 403 and "read-only" in response.json()["detail"]
    # Even for a target that does not exist, or a body that is not JSON: scope comes first.
    assert reader.post("/api/v1/obligations/999999/updates/", {}, format="json").status_code == 403
    assert reader.post(_url(ob), "x=1", content_type="application/x-www-form-urlencoded").status_code == 403
    assert _history(ob) == 1


def test_an_officer_of_another_party_is_403_and_nothing_is_written(other_writer: APIClient, world: Any) -> None:
    ob = world.obligation
    response = other_writer.post(_url(ob), {"rag": "red", "reason": "x", "version": ob.version}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    ob.refresh_from_db()
    assert ob.rag == "amber" and _history(ob) == 1


def test_an_officer_may_not_assess_a_commitment_nor_a_viewer_anything(writer: APIClient, viewer_client: APIClient, world: Any) -> None:
    c = world.commitment
    assert writer.post(_url(c), {"rag": "red", "reason": "x", "version": c.version}, format="json").status_code == 403
    assert viewer_client.post(_url(world.action), {"progress": 5, "version": 1}, format="json").status_code == 403
    # Checked before the version: a user who may not write learns nothing about the version.
    assert viewer_client.post(_url(world.action), {"progress": 5}, format="json").status_code == 403


def test_the_secretariat_may_write_everything_under_the_commitments_its_board_leads(secretary_writer: APIClient, world: Any) -> None:
    ob = world.other_obligation
    assert secretary_writer.post(_url(ob), {"progress": 10, "version": ob.version}, format="json").status_code == 201


# --- versions ---------------------------------------------------------------------------------


def test_a_stale_body_version_is_409_with_the_current_state(writer: APIClient, world: Any) -> None:
    ob = world.obligation
    response = writer.post(_url(ob), {"progress": 60, "version": ob.version - 1}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "version_conflict" and set(body) == {"detail", "code", "errors", "current"}
    assert body["current"]["version"] == ob.version and body["current"]["progress"] == 40
    assert _history(ob) == 1


def test_a_stale_if_match_is_412_with_the_current_state(writer: APIClient, world: Any) -> None:
    ob = world.obligation
    response = writer.post(_url(ob), {"progress": 60}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed" and response.json()["current"]["version"] == ob.version
    garbled = writer.post(_url(ob), {"progress": 60}, format="json", HTTP_IF_MATCH="W/not-a-version")
    assert garbled.status_code == 412 and "If-Match" in garbled.json()["detail"]
    assert garbled.json()["current"]["version"] == ob.version


def test_no_version_at_all_is_428(writer: APIClient, world: Any) -> None:
    response = writer.post(_url(world.obligation), {"progress": 60}, format="json")
    assert response.status_code == 428 and response.json()["code"] == "precondition_required"
    star = writer.post(_url(world.obligation), {"progress": 60}, format="json", HTTP_IF_MATCH="*")
    assert star.status_code == 428


def test_header_and_body_disagreeing_answer_for_the_stale_one(writer: APIClient, world: Any) -> None:
    ob = world.obligation
    stale_header = writer.post(_url(ob), {"progress": 60, "version": ob.version}, format="json", HTTP_IF_MATCH='"1"')
    assert stale_header.status_code == 412
    stale_body = writer.post(_url(ob), {"progress": 60, "version": 1}, format="json", HTTP_IF_MATCH=f'"{ob.version}"')
    assert stale_body.status_code == 409


def test_two_writers_with_the_same_version_one_wins_one_gets_409(writer: APIClient, secretary_writer: APIClient, world: Any) -> None:
    ob = world.obligation
    first = writer.post(_url(ob), {"progress": 70, "version": ob.version}, format="json")
    second = secretary_writer.post(_url(ob), {"progress": 80, "version": ob.version}, format="json")
    assert (first.status_code, second.status_code) == (201, 409)
    assert second.json()["current"]["progress"] == 70


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"progress": "50"}, "progress"),
        ({"progress": 50.0}, "progress"),
        ({"progress": True}, "progress"),
        ({"progress": 101}, "progress"),
        ({"progress": -1}, "progress"),
        ({"progress": 10**30}, "progress"),
        ({"status": "done"}, "status"),
        ({"status": 1}, "status"),
        ({"rag": "purple"}, "rag"),
        ({"rag": None}, "rag"),
        ({"note": 5}, "note"),
        ({"note": "x" * 5001}, "note"),
        ({"evidence": "https://example.org"}, "evidence"),
        ({"evidence": [1]}, "evidence.0"),
        ({"evidence": ["e"] * 21}, "evidence"),
        ({"revised_due_date": "31/03/2026"}, "revised_due_date"),
        ({"revised_due_date": "2026-02-30"}, "revised_due_date"),
        ({"revised_due_date": 20260101}, "revised_due_date"),
        ({"version": "3"}, "version"),
        ({"version": 0}, "version"),
        ({"colour": "red"}, "colour"),
        ({"note": "\ud800"}, "note"),
    ],
)
def test_bad_fields_are_400_with_field_errors_and_nothing_saved(writer: APIClient, world: Any, body: dict[str, Any], field: str) -> None:
    ob = world.obligation
    body = {"version": ob.version, **body}
    # json.dumps escapes non-ASCII (and lone surrogates) as \uXXXX, as a real client would.
    response = writer.generic("POST", _url(ob), json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert field in errors, errors
    assert all(isinstance(m, str) for m in errors[field])
    assert _history(ob) == 1


def test_rules_of_the_service_are_field_errors(writer: APIClient, world: Any) -> None:
    ob = world.obligation
    no_change = writer.post(_url(ob), {"version": ob.version}, format="json")
    assert no_change.status_code == 400 and "non_field_errors" in no_change.json()["errors"]
    no_reason = writer.post(_url(ob), {"rag": "red", "version": ob.version}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    far_future = writer.post(_url(ob), {"revised_due_date": "2999-01-01", "reason": "x", "version": ob.version}, format="json")
    assert far_future.status_code == 400 and "revised_due_date" in far_future.json()["errors"]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": "{not json", "content_type": "application/json"}, 400, "parse_error"),
        ({"data": "[1, 2]", "content_type": "application/json"}, 400, "invalid"),
        ({"data": '"just a string"', "content_type": "application/json"}, 400, "invalid"),
        ({"data": "progress=5", "content_type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
        ({"data": "<x/>", "content_type": "application/xml"}, 415, "unsupported_media_type"),
    ],
)
def test_bodies_that_are_not_a_json_object_are_4xx(writer: APIClient, world: Any, kwargs: dict[str, Any], status: int, code: str) -> None:
    response = writer.generic("POST", _url(world.obligation), **kwargs)
    assert response.status_code == status
    assert response.json()["code"] == code


def test_a_huge_body_is_413(writer: APIClient, world: Any) -> None:
    response = writer.post(_url(world.obligation), {"note": "x" * 300_000, "version": 1}, format="json")
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


def test_get_on_the_write_endpoint_is_405(writer: APIClient, world: Any) -> None:
    response = writer.get(_url(world.obligation))
    assert response.status_code == 405 and response["Allow"] == "POST, OPTIONS"
    assert response.json()["code"] == "method_not_allowed"


def test_writes_to_unknown_targets_are_404(writer: APIClient, world: Any) -> None:
    assert writer.post("/api/v1/actions/987654/updates/", {"progress": 1, "version": 1}, format="json").status_code == 404
    assert writer.post("/api/v1/commitments/NOPE/updates/", {"progress": 1, "version": 1}, format="json").status_code == 404
