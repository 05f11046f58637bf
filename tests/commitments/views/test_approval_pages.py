"""The approval pages without a browser (issue 15): what the update form says and does where
approval is on, the refusal of a second update and its explicit replacement, the decision form's
errors, My work's summary, and who may see an update awaiting approval."""

from __future__ import annotations

from typing import Any

import pytest

from boards.services import set_requires_approval
from commitments.models import PendingUpdate
from commitments.services import UpdateInput, record_update, return_update

from ..conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def approving(board: Any, secretary: Any) -> Any:
    set_requires_approval(board, by=secretary, on=True)
    return board


def _form(obligation: Any, **extra: Any) -> dict[str, Any]:
    return {"version": obligation.version, "status": obligation.status, "rag": "amber", "progress": "20", "reason": "Late", **extra}


def test_the_form_submits_for_approval_and_leaves_the_item(approving: Any, obligation: Any, officer: Any) -> None:
    client = client_for(officer)
    page = client.get(f"/obligations/{obligation.pk}/update/").content.decode()
    assert "Submit for approval" in page and "approval-notice" in page
    response = client.post(f"/obligations/{obligation.pk}/update/", _form(obligation))
    pending = PendingUpdate.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/approvals/{pending.pk}/"
    obligation.refresh_from_db()
    assert (obligation.rag, obligation.progress) == ("", 0)


def test_a_second_update_is_refused_on_the_form_until_it_replaces(approving: Any, obligation: Any, officer: Any) -> None:
    client = client_for(officer)
    client.post(f"/obligations/{obligation.pk}/update/", _form(obligation))
    page = client.get(f"/obligations/{obligation.pk}/update/").content.decode()
    assert "pending-notice" in page and "Replace the update awaiting approval with mine" in page
    refused = client.post(f"/obligations/{obligation.pk}/update/", _form(obligation, progress="30"))
    assert refused.status_code == 200
    assert "govuk-error-summary" in refused.content.decode() and "awaiting approval" in refused.content.decode()
    assert PendingUpdate.objects.filter(state="submitted").count() == 1
    replaced = client.post(f"/obligations/{obligation.pk}/update/", _form(obligation, progress="30", replace_pending="on"))
    assert replaced.status_code == 302
    assert list(PendingUpdate.objects.order_by("id").values_list("state", "progress")) == [("replaced", 20), ("submitted", 30)]


def test_the_decision_form_shows_errors_and_is_only_for_the_secretariat(
    approving: Any, obligation: Any, officer: Any, secretary: Any, other_officer: Any, viewer: Any
) -> None:
    pending = record_update(obligation, by=officer, version=1, data=UpdateInput(progress=20, note="x"))
    url = f"/approvals/{pending.pk}/"
    assert client_for(other_officer).get(url).status_code == 404
    assert client_for(viewer).get(url).status_code == 404
    officer_page = client_for(officer).get(url).content.decode()
    assert "decision-form" not in officer_page and "Withdraw my update" in officer_page
    assert client_for(officer).post(url, {"decision": "approve"}).status_code == 403
    sam = client_for(secretary)
    assert "decision-form" in sam.get(url).content.decode()
    for data in ({}, {"decision": "return"}, {"decision": "maybe"}):
        response = sam.post(url, data)
        assert response.status_code == 400 and "govuk-error-summary" in response.content.decode()
    assert PendingUpdate.objects.get(pk=pending.pk).state == "submitted"
    assert sam.post(url, {"decision": "approve"}).status_code == 302
    # Deciding again: the form is gone, and a replayed POST is refused.
    assert "decision-form" not in sam.get(url).content.decode()
    assert sam.post(url, {"decision": "approve"}).status_code == 403


def test_my_work_points_to_what_awaits_a_decision_and_what_was_returned(
    approving: Any, obligation: Any, officer: Any, secretary: Any
) -> None:
    pending = record_update(obligation, by=officer, version=1, data=UpdateInput(progress=20, note="x"))
    assert "1 update awaiting your decision" in client_for(secretary).get("/my-work/").content.decode()
    assert "1 of your organisation's update awaiting approval" in client_for(officer).get("/my-work/").content.decode()
    return_update(pending, by=secretary, comment="Say more")
    assert "1 update returned to you" in client_for(officer).get("/my-work/").content.decode()


def test_resubmitting_prefills_from_the_returned_update_only_for_its_item(
    approving: Any, obligation: Any, other_obligation: Any, officer: Any, secretary: Any
) -> None:
    pending = record_update(obligation, by=officer, version=1, data=UpdateInput(progress=35, reason="r", note="Kept note"))
    return_update(pending, by=secretary, comment="No")
    page = client_for(officer).get(f"/obligations/{obligation.pk}/update/?resubmit={pending.pk}").content.decode()
    assert "Kept note" in page and 'value="35"' in page
    for bad in ("x", "99999999", "1" * 40):
        assert client_for(officer).get(f"/obligations/{obligation.pk}/update/?resubmit={bad}").status_code == 200
    other = client_for(secretary).get(f"/obligations/{other_obligation.pk}/update/?resubmit={pending.pk}").content.decode()
    assert "Kept note" not in other
