"""The update forms: permission (403 before the form is shown, and on POST), validation from the
services shown as GOV.UK errors with nothing saved, the version check (a conflict shows what
changed and keeps the input), GOV.UK date input errors, and adding an action."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from commitments.models import Action, Commitment, Obligation, StatusUpdate
from commitments.services import UpdateInput, record_update

from ...factories import ActionFactory, MembershipFactory
from ..conftest import client_for

pytestmark = pytest.mark.django_db


def form_data(target: Any, **changes: Any) -> dict[str, Any]:
    """What the form posts when nothing is touched, with ``changes`` applied."""
    due = target.target_date if isinstance(target, Commitment) else target.due_date
    data = {
        "version": target.version,
        "seen_status": target.status,
        "seen_rag": target.rag,
        "seen_progress": str(target.progress),
        "seen_due_date": due.isoformat() if due else "",
        "status": target.status,
        "rag": target.rag,
        "progress": str(target.progress),
        "revised_due_date-day": "",
        "revised_due_date-month": "",
        "revised_due_date-year": "",
        "reason": "",
        "note": "",
        "evidence": "",
    }
    data.update(changes)
    return data


def update_url(obligation: Obligation) -> str:
    return f"/obligations/{obligation.pk}/update/"


# --- permissions ------------------------------------------------------------------------------


def test_the_officer_sees_the_form_prefilled_with_the_version(officer_client: Client, obligation: Obligation) -> None:
    response = officer_client.get(update_url(obligation))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="version" value="{obligation.version}"' in html
    assert 'name="status" type="radio" value="not_started" checked' in html
    assert "Update Party A&#x27;s obligation" in html


@pytest.mark.parametrize("persona", ["other_officer", "viewer"])
def test_someone_who_may_not_write_gets_403_for_the_form_and_the_post(request: Any, persona: str, obligation: Obligation) -> None:
    client = client_for(request.getfixturevalue(persona))

    assert client.get(update_url(obligation)).status_code == 403
    response = client.post(update_url(obligation), form_data(obligation, note="Sneaky note"))

    assert response.status_code == 403
    obligation.refresh_from_db()
    assert obligation.version == 1
    assert not StatusUpdate.objects.exists()


def test_the_lead_boards_secretariat_may_update_any_partys_obligation(secretary_client: Client, other_obligation: Obligation) -> None:
    response = secretary_client.post(update_url(other_obligation), form_data(other_obligation, note="Checked at the SPB"))

    assert response.status_code == 302
    assert StatusUpdate.objects.get().note == "Checked at the SPB"


def test_only_the_secretariat_may_assess_a_commitment(officer_client: Client, secretary_client: Client, commitment: Commitment) -> None:
    url = f"/commitments/{commitment.ref}/update/"
    assert officer_client.get(url).status_code == 403
    assert officer_client.post(url, form_data(commitment, note="x")).status_code == 403
    assert secretary_client.get(url).status_code == 200

    response = secretary_client.post(
        url, form_data(commitment, status="in_progress", rag="amber", reason="Work has begun", note="Assessed at the March meeting")
    )

    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.status, commitment.rag, commitment.version) == ("in_progress", "amber", 2)
    assert commitment.is_assessed


def test_commitment_refs_are_matched_in_any_case(secretary_client: Client, commitment: Commitment) -> None:
    assert secretary_client.get(f"/commitments/{commitment.ref.lower()}/update/").status_code == 200
    assert secretary_client.get("/commitments/NOPE-99/update/").status_code == 404


# --- saving -----------------------------------------------------------------------------------


def test_an_update_with_a_note_is_saved_and_shown_on_the_timeline(officer_client: Client, obligation: Obligation) -> None:
    response = officer_client.post(
        update_url(obligation),
        form_data(
            obligation,
            status="in_progress",
            rag="green",
            progress="40",
            reason="Programme board approved the plan",
            note="Estates review started <script>alert(1)</script>",
            evidence="https://example.org/minutes\nFiled in the SPB shared drive",
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == f"/commitments/{obligation.commitment.ref}/#timeline"
    obligation.refresh_from_db()
    assert (obligation.status, obligation.rag, obligation.progress, obligation.version) == ("in_progress", "green", 40, 2)
    update = StatusUpdate.objects.get()
    assert update.source == "web"
    assert update.evidence == ["https://example.org/minutes", "Filed in the SPB shared drive"]

    page = officer_client.get(response["Location"]).content.decode()
    assert "has been saved" in page
    assert "Estates review started &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<a class="govuk-link" href="https://example.org/minutes"' in page
    assert "Filed in the SPB shared drive" in page


def test_a_revised_date_needs_a_reason_and_nothing_is_saved_without_one(officer_client: Client, obligation: Obligation) -> None:
    response = officer_client.post(
        update_url(obligation),
        form_data(
            obligation, **{"revised_due_date-day": "31", "revised_due_date-month": "3", "revised_due_date-year": "2027", "note": "Slipped"}
        ),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: " in html
    assert "govuk-error-summary" in html
    assert 'href="#id_reason"' in html
    assert 'id="id_reason-error"' in html
    # The officer's input is kept.
    assert 'name="revised_due_date-year" type="text" inputmode="numeric" value="2027"' in html
    assert "Slipped</textarea>" in html
    obligation.refresh_from_db()
    assert obligation.version == 1
    assert not StatusUpdate.objects.exists()


def test_a_revised_date_with_a_reason_moves_the_due_date(officer_client: Client, obligation: Obligation) -> None:
    response = officer_client.post(
        update_url(obligation),
        form_data(
            obligation,
            reason="Waiting for NHS England",
            **{"revised_due_date-day": "31", "revised_due_date-month": "3", "revised_due_date-year": "2027"},
        ),
    )

    assert response.status_code == 302
    obligation.refresh_from_db()
    assert obligation.due_date == dt.date(2027, 3, 31)


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("31", "2", "2027", "Revised due date must be a real date"),
        ("", "3", "2027", "Revised due date must include a day"),
        ("1", "", "", "Revised due date must include a month and a year"),
        ("1", "3", "27", "Year must include 4 numbers"),
        ("x", "3", "2027", "Revised due date must be a real date"),
    ],
)
def test_impossible_dates_get_clear_errors(
    officer_client: Client, obligation: Obligation, day: str, month: str, year: str, message: str
) -> None:
    response = officer_client.post(
        update_url(obligation),
        form_data(obligation, reason="r", **{"revised_due_date-day": day, "revised_due_date-month": month, "revised_due_date-year": year}),
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not StatusUpdate.objects.exists()


def test_progress_out_of_range_is_a_field_error(officer_client: Client, obligation: Obligation) -> None:
    response = officer_client.post(update_url(obligation), form_data(obligation, progress="140"))

    html = response.content.decode()
    assert 'href="#id_progress"' in html
    assert "Progress must be 100 or less" in html
    assert not StatusUpdate.objects.exists()


def test_an_update_that_changes_nothing_is_refused(officer_client: Client, obligation: Obligation) -> None:
    response = officer_client.post(update_url(obligation), form_data(obligation))

    assert "Change at least one thing, or add a note or evidence" in response.content.decode()
    assert not StatusUpdate.objects.exists()


def test_the_action_form_has_one_way_to_mark_it_complete_the_status(officer_client: Client, obligation: Obligation) -> None:
    action = ActionFactory(obligation=obligation)

    html = officer_client.get(f"/actions/{action.pk}/update/").content.decode()

    # The status radios (DESIGN.md §10 vocabulary) and no separate "mark complete" checkbox.
    assert html.count('name="status" type="radio"') == 4
    assert 'name="status" type="radio" value="complete"' in html
    assert 'type="checkbox"' not in html and "Mark this action complete" not in html
    assert "records today as the day the action was completed" in html


def test_marking_an_action_complete_needs_evidence(officer_client: Client, obligation: Obligation) -> None:
    action = ActionFactory(obligation=obligation)
    url = f"/actions/{action.pk}/update/"

    response = officer_client.post(url, form_data(action, status="complete", reason="Done"))

    html = response.content.decode()
    assert 'href="#id_evidence"' in html
    assert "Give evidence that this is complete" in html
    action.refresh_from_db()
    assert action.status == "not_started"

    response = officer_client.post(url, form_data(action, status="complete", reason="Done", evidence="https://example.org/signed-off"))

    assert response.status_code == 302
    action.refresh_from_db()
    # Choosing Complete does all the old checkbox did: status, progress 100%, the completed date.
    assert (action.status, action.progress, action.completed_date) == ("complete", 100, dt.date.today())
    update = StatusUpdate.objects.get()
    assert (update.from_status, update.to_status, update.to_progress) == ("not_started", "complete", 100)


def test_a_posted_mark_complete_field_is_ignored(officer_client: Client, obligation: Obligation) -> None:
    """A form from before issue 11 (or a hand-made POST) may still send the old checkbox: it no
    longer changes the status; only the status radios do."""
    action = ActionFactory(obligation=obligation)

    response = officer_client.post(f"/actions/{action.pk}/update/", form_data(action, mark_complete="on", note="Still going"))

    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.completed_date) == ("not_started", None)


# --- no lost updates --------------------------------------------------------------------------


def test_a_stale_version_shows_what_changed_and_keeps_the_input(
    officer_client: Client, obligation: Obligation, other_officer: Any, party_a: Any
) -> None:
    # The officer opens the form at version 1; a colleague saves first.
    colleague = other_officer
    MembershipFactory(user=colleague, party=party_a)
    seen = form_data(obligation)
    record_update(
        obligation, by=colleague, version=1, data=UpdateInput(status="in_progress", rag="red", reason="Funding gap", note="Flagged at LHB")
    )

    response = officer_client.post(update_url(obligation), {**seen, "note": "My careful note", "progress": "30"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this after you opened it" in html
    assert "You opened version 1; it is now version 2" in html
    # What they saw vs what it is now, and who changed it.
    assert '<td class="govuk-table__cell">Not started</td>' in html
    assert "<strong>In progress</strong>" in html
    assert "<strong>Red</strong>" in html
    assert "Bob Other" in html and "Flagged at LHB" in html
    # Their input is kept, and the form now carries the current version.
    assert "My careful note</textarea>" in html
    assert 'value="30"' in html
    assert 'name="version" value="2"' in html
    obligation.refresh_from_db()
    assert obligation.version == 2
    assert StatusUpdate.objects.count() == 1

    # Submitting again, deliberately, saves on top of the colleague's update.
    resubmit = {**seen, "version": "2", "status": "in_progress", "rag": "red", "note": "My careful note", "progress": "30"}
    assert officer_client.post(update_url(obligation), resubmit).status_code == 302
    obligation.refresh_from_db()
    assert (obligation.version, obligation.progress, obligation.rag) == (3, 30, "red")


# --- adding an action -------------------------------------------------------------------------


def test_an_officer_adds_an_action_with_an_owner_from_their_party(officer_client: Client, officer: Any, obligation: Obligation) -> None:
    url = f"/obligations/{obligation.pk}/actions/add/"
    page = officer_client.get(url).content.decode()
    assert f'<option value="{officer.pk}">Alice Officer</option>' in page

    response = officer_client.post(
        url,
        {
            "description": "Agree the estates pipeline",
            "owner": officer.pk,
            "due_date-day": "30",
            "due_date-month": "6",
            "due_date-year": "2027",
        },
    )

    assert response.status_code == 302
    action = Action.objects.get()
    assert (action.description, action.owner, action.due_date, action.original_due_date) == (
        "Agree the estates pipeline",
        officer,
        dt.date(2027, 6, 30),
        dt.date(2027, 6, 30),
    )
    assert StatusUpdate.objects.get().action == action


def test_adding_an_action_needs_a_description_and_a_real_date(officer_client: Client, obligation: Obligation, other_officer: Any) -> None:
    url = f"/obligations/{obligation.pk}/actions/add/"

    response = officer_client.post(
        url, {"description": "", "owner": other_officer.pk, "due_date-day": "30", "due_date-month": "2", "due_date-year": "2027"}
    )

    html = response.content.decode()
    assert "Enter a description of the action" in html
    assert "Select an owner from the list" in html  # bob is not an officer of party A
    assert "Due date must be a real date" in html
    assert not Action.objects.exists()


def test_adding_an_action_to_another_partys_obligation_is_forbidden(officer_client: Client, other_obligation: Obligation) -> None:
    url = f"/obligations/{other_obligation.pk}/actions/add/"
    assert officer_client.get(url).status_code == 403
    response = officer_client.post(url, {"description": "x", "due_date-day": "1", "due_date-month": "1", "due_date-year": "2027"})
    assert response.status_code == 403
    assert not Action.objects.exists()
