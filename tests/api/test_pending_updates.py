"""Approval before publishing through the API (issue 15): a partner's write lands as pending (202)
where the lead board requires approval; ``/pending-updates/`` shows it to those who may see it;
the secretariat approves or returns it; the items' representations change only on approval."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from boards.models import ApiToken
from boards.services import set_requires_approval
from commitments.models import PendingUpdate

from ..conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def approving(world: Any, secretary: Any) -> Any:
    set_requires_approval(world.board, by=secretary, on=True)
    return world


def _url(ob: Any) -> str:
    return f"/api/v1/obligations/{ob.pk}/updates/"


def _post_amber(writer: APIClient, ob: Any, **extra: Any) -> Any:
    body = {"rag": "red" if ob.rag != "red" else "green", "reason": "Funding delayed", "version": ob.version, **extra}
    return writer.post(_url(ob), body, format="json")


def test_a_partners_write_lands_as_pending_and_the_item_is_unchanged(writer: APIClient, approving: Any, reader: APIClient) -> None:
    ob = approving.obligation
    before = reader.get(f"/api/v1/obligations/{ob.pk}/").json()
    response = _post_amber(writer, ob)
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["state"], body["board"]["code"], body["author"]["username"]) == ("submitted", "SPB", "partner")
    assert body["asked"]["rag"] in ("red", "green") and body["asked"]["status"] is None
    assert response["Location"] == f"http://testserver/api/v1/pending-updates/{body['id']}/"
    after = reader.get(f"/api/v1/obligations/{ob.pk}/").json()
    assert (after["rag"], after["version"]) == (before["rag"], before["version"])


def test_a_second_write_is_409_until_decided_or_replaced(writer: APIClient, approving: Any) -> None:
    ob = approving.obligation
    first = _post_amber(writer, ob).json()
    response = writer.post(_url(ob), {"progress": 70, "note": "More", "version": ob.version}, format="json")
    assert response.status_code == 409
    error = response.json()
    assert error["code"] == "pending_update"
    assert error["pending_update"].endswith(f"/api/v1/pending-updates/{first['id']}/")
    replaced = writer.post(_url(ob), {"progress": 70, "note": "More", "version": ob.version, "replace_pending": True}, format="json")
    assert replaced.status_code == 202
    assert PendingUpdate.objects.get(pk=first["id"]).state == "replaced"
    bad = writer.post(_url(ob), {"progress": 71, "note": "x", "version": ob.version, "replace_pending": "yes"}, format="json")
    assert bad.status_code == 400 and "replace_pending" in bad.json()["errors"]


def test_who_sees_pending_updates(
    writer: APIClient, approving: Any, secretary_writer: APIClient, other_writer: APIClient, reader: APIClient
) -> None:
    pending_id = _post_amber(writer, approving.obligation).json()["id"]
    assert [p["id"] for p in secretary_writer.get("/api/v1/pending-updates/").json()["results"]] == [pending_id]
    assert [p["id"] for p in writer.get("/api/v1/pending-updates/?state=submitted&board=spb").json()["results"]] == [pending_id]
    assert other_writer.get("/api/v1/pending-updates/").json()["count"] == 0
    assert other_writer.get(f"/api/v1/pending-updates/{pending_id}/").status_code == 404
    assert reader.get("/api/v1/pending-updates/?state=nonsense").status_code == 400


def test_the_secretariat_approves_and_only_then_the_item_changes(
    writer: APIClient, approving: Any, secretary_writer: APIClient, reader: APIClient
) -> None:
    ob = approving.obligation
    pending = _post_amber(writer, ob).json()
    assert writer.post(f"/api/v1/pending-updates/{pending['id']}/approve/", {}, format="json").status_code == 403
    response = secretary_writer.post(f"/api/v1/pending-updates/{pending['id']}/approve/", {"comment": "Agreed"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["state"], body["decided_by"]["username"], body["comment"]) == ("approved", "sam", "Agreed")
    history = reader.get(body["published"]).json()
    assert (history["author"]["username"], history["approved_by"]["username"]) == ("partner", "sam")
    item = reader.get(f"/api/v1/obligations/{ob.pk}/").json()
    assert (item["rag"], item["version"]) == (pending["asked"]["rag"], ob.version + 1)
    again = secretary_writer.post(f"/api/v1/pending-updates/{pending['id']}/approve/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_decided"


def test_return_needs_a_comment(writer: APIClient, approving: Any, secretary_writer: APIClient) -> None:
    pending = _post_amber(writer, approving.obligation).json()
    url = f"/api/v1/pending-updates/{pending['id']}/return/"
    empty = secretary_writer.post(url, {}, format="json")
    assert empty.status_code == 400 and "comment" in empty.json()["errors"]
    assert secretary_writer.post(url, {"comment": 5}, format="json").status_code == 400
    assert secretary_writer.post(url, {"comment": "Why?", "extra": 1}, format="json").status_code == 400
    ok = secretary_writer.post(url, {"comment": "Give evidence"}, format="json")
    assert ok.status_code == 200 and ok.json()["state"] == "returned"


def test_a_read_token_cannot_decide(approving: Any, writer: APIClient, secretary: Any) -> None:
    pending = _post_amber(writer, approving.obligation).json()
    read_only = token_client(ApiToken.issue(user=secretary, scope=ApiToken.Scope.READ)[1])
    assert read_only.post(f"/api/v1/pending-updates/{pending['id']}/approve/", {}, format="json").status_code == 403


def test_the_author_withdraws(writer: APIClient, approving: Any) -> None:
    pending = _post_amber(writer, approving.obligation).json()
    response = writer.post(f"/api/v1/pending-updates/{pending['id']}/withdraw/", {}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "withdrawn"


def test_boards_say_whether_they_require_approval(approving: Any, reader: APIClient) -> None:
    assert reader.get("/api/v1/boards/spb/").json()["requires_approval"] is True
