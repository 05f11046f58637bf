"""``/api/v1/dependencies/`` and the dependency fields of commitments and actions (issue 15): reads
for any token, writes for the waiting item's lead board's secretariat, field messages on bad input
(unknown fields, unknown items, itself, duplicates, cycles), 403 and 404, nothing changed when
refused; ``at_risk``, ``waiting_on``, ``holding_up`` and the ``at_risk`` filter; fixed query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from boards.models import ApiToken
from commitments import dependencies as deps
from commitments.models import Commitment, Dependency, StatusUpdate

from ..conftest import token_client
from ..factories import ActionFactory, CommitmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def second(board: Any) -> Commitment:
    return CommitmentFactory(ref="TST-002", lead_board=board)


@pytest.fixture
def secretariat_api(secretary: Any) -> APIClient:
    return token_client(ApiToken.issue(user=secretary, scope=ApiToken.Scope.WRITE)[1])


@pytest.fixture
def reader(read_token: str) -> APIClient:
    return token_client(read_token)


def test_a_secretariat_adds_and_removes_a_dependency(secretariat_api: APIClient, commitment: Commitment, second: Commitment) -> None:
    response = secretariat_api.post("/api/v1/dependencies/", {"commitment": "tst-001", "prerequisite_commitment": "TST-002"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["commitment"]["ref"] == "TST-001" and body["prerequisite_commitment"]["ref"] == "TST-002"
    assert body["action"] is None and body["basis"] == "secretariat" and body["created_by"]["username"] == "sam"
    assert response["Location"] == body["url"]
    assert type(response["Location"]) is str  # a header is text (the serializer's link is a str subclass)
    assert StatusUpdate.objects.get(commitment=commitment).source == "api"

    detail = secretariat_api.get("/api/v1/commitments/TST-001/").json()
    assert detail["waiting_on"] == [{"url": body["url"], "id": body["id"], "commitment": "TST-002", "action": None}]
    assert detail["holding_up"] == [] and detail["at_risk"] is False
    assert secretariat_api.get("/api/v1/commitments/TST-002/").json()["holding_up"][0]["commitment"] == "TST-001"

    assert secretariat_api.delete(body["url"]).status_code == 204
    assert not Dependency.objects.exists()
    assert secretariat_api.delete(body["url"]).status_code == 404


def test_an_action_waits_on_an_action(secretariat_api: APIClient, obligation: Any) -> None:
    first, then = ActionFactory(obligation=obligation), ActionFactory(obligation=obligation)
    response = secretariat_api.post("/api/v1/dependencies/", {"action": then.pk, "prerequisite_action": first.pk}, format="json")
    assert response.status_code == 201, response.json()
    row = secretariat_api.get(f"/api/v1/actions/{then.pk}/").json()
    assert row["waiting_on"][0]["action"] == first.pk and row["at_risk"] is False
    assert secretariat_api.get(f"/api/v1/actions/{first.pk}/").json()["holding_up"][0]["action"] == then.pk


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"commitment": "TST-001", "prerequisite_commitment": "TST-002", "colour": "red"}, "colour", "Unknown field"),
        ({"prerequisite_commitment": "TST-002"}, "commitment", "one of them"),
        ({"commitment": "TST-001", "action": 1, "prerequisite_commitment": "TST-002"}, "commitment", "one of them"),
        ({"commitment": "NOPE-9", "prerequisite_commitment": "TST-002"}, "commitment", "There is no commitment"),
        ({"commitment": "TST-001", "prerequisite_action": 99999}, "prerequisite_action", "There is no action"),
        ({"commitment": "TST-001", "prerequisite_commitment": "TST-001"}, "prerequisite_commitment", "cannot wait on itself"),
        ({"commitment": "TST-001", "prerequisite_commitment": 5}, "prerequisite_commitment", "text"),
        ({"commitment": "TST-001", "prerequisite_action": "5"}, "prerequisite_action", "whole number"),
        ({"commitment": "TST-002", "prerequisite_commitment": "TST-001"}, "prerequisite_commitment", "TST-002 → TST-001 → TST-002"),
        ({"commitment": "TST-001", "prerequisite_commitment": "TST-002"}, "prerequisite_commitment", "already waits on"),
    ],
)
def test_bad_input_is_a_field_message_and_changes_nothing(
    secretariat_api: APIClient, commitment: Commitment, second: Commitment, secretary: Any, body: dict[str, Any], field: str, words: str
) -> None:
    deps.add_dependency(commitment, second, by=secretary)
    before = (Dependency.objects.count(), StatusUpdate.objects.count())
    response = secretariat_api.post("/api/v1/dependencies/", body, format="json")
    assert response.status_code == 400, response.json()
    assert words in " ".join(response.json()["errors"][field])
    assert (Dependency.objects.count(), StatusUpdate.objects.count()) == before


def test_officers_partners_and_read_tokens_may_not_write(
    write_token: str, reader: APIClient, commitment: Commitment, second: Commitment, secretary: Any
) -> None:
    body = {"commitment": "TST-001", "prerequisite_commitment": "TST-002"}
    assert token_client(write_token).post("/api/v1/dependencies/", body, format="json").status_code == 403  # an officer's token
    assert reader.post("/api/v1/dependencies/", body, format="json").status_code == 403  # read scope
    assert APIClient().post("/api/v1/dependencies/", body, format="json").status_code == 401
    dep = deps.add_dependency(commitment, second, by=secretary)
    assert token_client(write_token).delete(f"/api/v1/dependencies/{dep.pk}/").status_code == 403
    assert Dependency.objects.count() == 1
    # Everyone with a token reads them.
    assert reader.get("/api/v1/dependencies/").json()["count"] == 1


def test_a_loaded_dependency_is_refused_for_deletion(secretariat_api: APIClient, commitment: Commitment, second: Commitment) -> None:
    dep = Dependency.objects.create(
        commitment=commitment, prerequisite_commitment=second, basis="sources", source_key="k", source_field="parent", source_note="n"
    )
    response = secretariat_api.delete(f"/api/v1/dependencies/{dep.pk}/")
    assert response.status_code == 400
    assert "because the sources say so" in response.json()["errors"]["dependency"][0]
    assert Dependency.objects.filter(pk=dep.pk).exists()


def test_filters(reader: APIClient, commitment: Commitment, second: Commitment, secretary: Any, obligation: Any) -> None:
    action = ActionFactory(obligation=obligation)
    deps.add_dependency(commitment, second, by=secretary)
    deps.add_dependency(action, second, by=secretary)
    assert reader.get("/api/v1/dependencies/?commitment=tst-001").json()["count"] == 1
    assert reader.get(f"/api/v1/dependencies/?action={action.pk}").json()["count"] == 1
    assert reader.get("/api/v1/dependencies/?prerequisite_commitment=TST-002").json()["count"] == 2
    assert reader.get("/api/v1/dependencies/?involving=TST-002&basis=secretariat").json()["count"] == 2
    assert reader.get("/api/v1/dependencies/?action=x").status_code == 400
    assert reader.get("/api/v1/dependencies/?basis=guess").status_code == 400


def test_at_risk_on_commitments_and_actions_and_its_filter(
    reader: APIClient, commitment: Commitment, second: Commitment, secretary: Any, obligation: Any
) -> None:
    waiting_action = ActionFactory(obligation=obligation, due_date=timezone.localdate() + dt.timedelta(days=20))
    deps.add_dependency(commitment, second, by=secretary)
    deps.add_dependency(waiting_action, second, by=secretary)
    assert reader.get("/api/v1/commitments/?at_risk=true").json()["count"] == 0
    Commitment.objects.filter(pk=second.pk).update(target_date=timezone.localdate() - dt.timedelta(days=1))
    listed = reader.get("/api/v1/commitments/?at_risk=true").json()
    assert [c["ref"] for c in listed["results"]] == ["TST-001"] and listed["results"][0]["at_risk"] is True
    assert [a["id"] for a in reader.get("/api/v1/actions/?at_risk=true").json()["results"]] == [waiting_action.pk]
    assert reader.get("/api/v1/actions/?at_risk=maybe").status_code == 400


def test_the_dependency_list_costs_a_fixed_number_of_queries(reader: APIClient, board: Any, secretary: Any) -> None:
    first = CommitmentFactory(ref="Q-000", lead_board=board)
    reader.get("/api/v1/themes/")  # the token's last_used_at write

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert reader.get("/api/v1/dependencies/?page_size=100").status_code == 200
        return len(captured.captured_queries)

    for i in range(1, 4):
        deps.add_dependency(CommitmentFactory(ref=f"Q-{i:03d}", lead_board=board), first, by=secretary)
    few = count()
    for i in range(4, 30):
        deps.add_dependency(CommitmentFactory(ref=f"Q-{i:03d}", lead_board=board), first, by=secretary)
    # token, newest change (Last-Modified), count, the rows with both ends and the author
    assert count() == few == 4
