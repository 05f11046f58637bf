"""Nothing without an owner (issue 16, point 4): the assignment service's rules (who may give a lead
board or an owner, a reason, an active officer of the owing party, the version), its history and
change log, publishing under a board that requires approval, the worklist (scope, filters, CSV,
query counts), the item pages, the API (201/400/403/404/409), the ``unowned`` filters, and the
escalations that fall to the default board (the overdue pass, the e-mails, the digest, the page)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from boards.models import ApiToken, Board, Membership
from commitments.bulk import flag_overdue_items
from commitments.models import Change, Commitment, Escalation, Obligation, OutboxMessage, PendingUpdate, StatusUpdate
from commitments.notifications.digests import secretariat_digest
from commitments.notifications.escalations import escalation_email, escalations_email
from commitments.ownership import assign_lead_board, assign_owner, can_assign_lead_board, can_assign_owner
from commitments.services import InvalidUpdate, NotAllowed, UpdateInput, VersionConflict, record_update
from tests.factories import ActionFactory, BoardFactory, CommitmentFactory, MembershipFactory, ObligationFactory, UserFactory

from .conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def lc_secretary(db: Any) -> Any:
    """London Councils' Leaders' Committee secretariat: assigns any lead board."""
    lc = BoardFactory(code="LC", slug="leaders-committee", name="Leaders' Committee", kind=Board.Kind.COMMITTEE)
    user = UserFactory(username="lena", first_name="Lena", last_name="Committee")
    MembershipFactory(user=user, party=None, board=lc, role=Membership.Role.SECRETARIAT)
    return user


@pytest.fixture
def leb(db: Any) -> Any:
    return BoardFactory(code="LEB", slug="leb", name="London Estates Board")


@pytest.fixture
def leb_secretary(leb: Any) -> Any:
    user = UserFactory(username="lee", first_name="Lee", last_name="Estates")
    MembershipFactory(user=user, party=None, board=leb, role=Membership.Role.SECRETARIAT)
    return user


@pytest.fixture
def unled(party_a: Any) -> Any:
    c = CommitmentFactory(ref="TST-900", lead_board=None)
    ObligationFactory(commitment=c, party=party_a)
    return c


@pytest.fixture
def second_officer(party_a: Any) -> Any:
    user = UserFactory(username="carol", first_name="Carol", last_name="Colleague")
    MembershipFactory(user=user, party=party_a, role=Membership.Role.OFFICER)
    return user


def fresh(item: Any) -> Any:
    return type(item).objects.get(pk=item.pk)


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user=user, scope=ApiToken.Scope.WRITE)[1]}")
    return client


# --- the service: owners --------------------------------------------------------------------------


def test_an_officer_gives_their_partys_obligation_an_owner_with_history_version_and_change_log(
    obligation: Any, officer: Any, second_officer: Any
) -> None:
    before_changes = Change.objects.count()
    version = obligation.version

    update = assign_owner(obligation, by=officer, version=version, owner="carol", reason="Carol leads the business case")

    o = fresh(obligation)
    assert (o.owner, o.version) == (second_officer, version + 1)
    assert (update.target_type, update.obligation, update.from_owner, update.to_owner) == ("obligation", o, None, second_officer)
    assert update.author == officer and update.reason == "Carol leads the business case" and update.version == o.version
    # The item's own state is repeated on both sides: the row changes the owner alone.
    assert (update.from_status, update.to_status, update.from_rag, update.to_rag) == (o.status, o.status, o.rag, o.rag)
    assert update.changes() == [("Owner", "No owner", "Carol Colleague")]
    assert update.is_assignment
    logged = list(Change.objects.order_by("id")[before_changes:].values_list("resource", "op"))
    assert logged == [("obligations", "update"), ("status-updates", "create")]


def test_the_lead_boards_secretariat_and_an_administrator_give_owners_of_actions(
    obligation: Any, secretary: Any, admin_user: Any, officer: Any, second_officer: Any
) -> None:
    action = ActionFactory(obligation=obligation)
    assign_owner(action, by=secretary, version=action.version, owner=officer, reason="Alice does it")
    assert fresh(action).owner == officer
    update = assign_owner(action, by=admin_user, version=fresh(action).version, owner="CAROL", reason="Handed over")
    assert fresh(action).owner == second_officer
    assert update.changes() == [("Owner", "Alice Officer", "Carol Colleague")] and update.action == action
    assert [u.target_type for u in StatusUpdate.objects.filter(action=action)] == ["action", "action"]


@pytest.mark.parametrize(
    ("owner", "reason", "field"),
    [
        ("bob", "Why", "owner"),  # an officer of another party
        ("nobody", "Why", "owner"),  # an unknown user
        ("", "Why", "owner"),
        ("carol", "   ", "reason"),
        ("carol", "x" * 5001, "reason"),
    ],
)
def test_bad_owners_and_reasons_are_field_errors_and_nothing_is_saved(
    obligation: Any, officer: Any, other_officer: Any, second_officer: Any, owner: str, reason: str, field: str
) -> None:
    before = (StatusUpdate.objects.count(), Change.objects.count(), obligation.version)
    with pytest.raises(InvalidUpdate) as caught:
        assign_owner(obligation, by=officer, version=obligation.version, owner=owner, reason=reason)
    assert field in caught.value.errors
    assert (StatusUpdate.objects.count(), Change.objects.count(), fresh(obligation).version) == before
    assert fresh(obligation).owner is None


def test_an_inactive_officer_or_the_current_owner_cannot_be_given(obligation: Any, officer: Any, second_officer: Any) -> None:
    second_officer.is_active = False
    second_officer.save()
    with pytest.raises(InvalidUpdate) as caught:
        assign_owner(obligation, by=officer, version=obligation.version, owner="carol", reason="Why")
    assert "not an active officer of Party A" in caught.value.errors["owner"][0]
    assign_owner(obligation, by=officer, version=obligation.version, owner="alice", reason="Mine")
    with pytest.raises(InvalidUpdate) as again:
        assign_owner(obligation, by=officer, version=fresh(obligation).version, owner="alice", reason="Again")
    assert "already owns" in again.value.errors["owner"][0]


def test_a_stale_version_is_a_conflict_and_nothing_is_saved(obligation: Any, officer: Any) -> None:
    record_update(obligation, by=officer, version=obligation.version, data=UpdateInput(note="Moved on"))
    with pytest.raises(VersionConflict) as caught:
        assign_owner(obligation, by=officer, version=1, owner="alice", reason="Mine")
    assert caught.value.current.version == 2
    assert fresh(obligation).owner is None
    with pytest.raises(InvalidUpdate):
        assign_owner(obligation, by=officer, version=None, owner="alice", reason="Mine")


def test_who_may_give_an_owner(
    obligation: Any, unled: Any, officer: Any, other_officer: Any, secretary: Any, viewer: Any, leb_secretary: Any, lc_secretary: Any
) -> None:
    unled_obligation = unled.obligations.get()
    assert can_assign_owner(officer, obligation) and can_assign_owner(secretary, obligation)
    assert not can_assign_owner(other_officer, obligation)
    assert not can_assign_owner(viewer, obligation)
    assert not can_assign_owner(leb_secretary, obligation)  # another board's
    assert not can_assign_owner(lc_secretary, obligation)  # a board leads it: its secretariat assigns
    # Where no board leads the commitment: Leaders' Committee's secretariat (as for the assurance rating).
    assert can_assign_owner(lc_secretary, unled_obligation) and not can_assign_owner(secretary, unled_obligation)
    with pytest.raises(NotAllowed):
        assign_owner(obligation, by=other_officer, version=obligation.version, owner="alice", reason="Why")
    assert fresh(obligation).owner is None


def test_an_owner_is_published_at_once_under_a_board_that_requires_approval(obligation: Any, officer: Any, board: Any) -> None:
    board.requires_approval = True
    board.save()
    assign_owner(obligation, by=officer, version=obligation.version, owner="alice", reason="Mine")
    assert fresh(obligation).owner == officer
    assert not PendingUpdate.objects.exists()


# --- the service: lead boards ---------------------------------------------------------------------


def test_leaders_committee_gives_and_changes_a_lead_board_with_history(unled: Any, lc_secretary: Any, board: Any, leb: Any) -> None:
    update = assign_lead_board(unled, by=lc_secretary, version=unled.version, board="spb", reason="The SPB oversees it")
    c = fresh(unled)
    assert (c.lead_board, c.version) == (board, 2)
    assert (update.target_type, update.from_lead_board, update.to_lead_board) == ("commitment", None, board)
    assert update.changes() == [("Lead board", "No lead board", f"{board.name} (SPB)")]
    assign_lead_board(c, by=lc_secretary, version=c.version, board=leb, reason="Estates")
    assert fresh(unled).lead_board == leb
    assert Change.objects.filter(resource="commitments", key="TST-900").count() == 2


def test_a_boards_secretariat_takes_an_unled_commitment_for_its_own_board_only(
    unled: Any, commitment: Any, secretary: Any, leb_secretary: Any, board: Any, leb: Any
) -> None:
    assert can_assign_lead_board(leb_secretary, unled) and not can_assign_lead_board(leb_secretary, commitment)
    with pytest.raises(InvalidUpdate) as caught:
        assign_lead_board(unled, by=leb_secretary, version=unled.version, board="SPB", reason="Theirs")
    assert "own board only" in caught.value.errors["board"][0]
    assign_lead_board(unled, by=leb_secretary, version=unled.version, board="LEB", reason="Ours")
    assert fresh(unled).lead_board == leb
    # Once a board leads it, only Leaders' Committee's secretariat or an administrator may change it.
    with pytest.raises(NotAllowed):
        assign_lead_board(fresh(unled), by=secretary, version=2, board="SPB", reason="Ours now")
    with pytest.raises(NotAllowed):
        assign_lead_board(commitment, by=leb_secretary, version=commitment.version, board="LEB", reason="Ours")


@pytest.mark.parametrize(("board_code", "reason", "field"), [("NOPE", "Why", "board"), ("", "Why", "board"), ("SPB", "", "reason")])
def test_bad_lead_boards_are_field_errors_and_nothing_is_saved(
    unled: Any, lc_secretary: Any, board: Any, board_code: str, reason: str, field: str
) -> None:
    before = (StatusUpdate.objects.count(), Change.objects.count())
    with pytest.raises(InvalidUpdate) as caught:
        assign_lead_board(unled, by=lc_secretary, version=unled.version, board=board_code, reason=reason)
    assert field in caught.value.errors
    assert (StatusUpdate.objects.count(), Change.objects.count()) == before
    assert fresh(unled).lead_board is None and fresh(unled).version == 1


def test_officers_viewers_and_the_current_board_cannot_misassign(
    commitment: Any, unled: Any, officer: Any, viewer: Any, lc_secretary: Any
) -> None:
    assert not can_assign_lead_board(officer, unled) and not can_assign_lead_board(viewer, unled)
    with pytest.raises(NotAllowed):
        assign_lead_board(unled, by=officer, version=1, board="SPB", reason="Why")
    with pytest.raises(InvalidUpdate) as caught:
        assign_lead_board(commitment, by=lc_secretary, version=commitment.version, board="SPB", reason="Same")
    assert "already leads" in caught.value.errors["board"][0]
    with pytest.raises(VersionConflict):
        assign_lead_board(unled, by=lc_secretary, version=7, board="SPB", reason="Stale")


# --- the unowned filter (lists and API) -------------------------------------------------------------


def test_unowned_filters_find_open_items_nobody_answers_for(commitment: Any, unled: Any, obligation: Any, officer: Any) -> None:
    action = ActionFactory(obligation=obligation)
    owned = ActionFactory(obligation=obligation, owner=officer)
    ActionFactory(obligation=obligation, status="complete", completed_date=dt.date(2026, 1, 1))  # closed: not unowned
    client = _api(officer)
    assert [c["ref"] for c in client.get("/api/v1/commitments/?unowned=true").json()["results"]] == ["TST-900"]
    assert [c["ref"] for c in client.get("/api/v1/commitments/?unowned=false").json()["results"]] == ["TST-001"]
    obligations = {o["id"] for o in client.get("/api/v1/obligations/?unowned=true").json()["results"]}
    assert obligations == set(Obligation.objects.values_list("pk", flat=True))
    assert [a["id"] for a in client.get("/api/v1/actions/?unowned=true").json()["results"]] == [action.pk]
    assert owned.pk in {a["id"] for a in client.get("/api/v1/actions/?unowned=false").json()["results"]}
    assert client.get("/api/v1/actions/?unowned=maybe").status_code == 400
    page = client_for(officer).get("/actions/?unowned=true")
    assert page.status_code == 200 and f'id="action-{owned.pk}"' not in page.content.decode()
    assert 'name="unowned" value="true"' in page.content.decode()  # kept when the filters are used


# --- the API ----------------------------------------------------------------------------------------


def test_the_api_assigns_an_owner_and_a_lead_board(obligation: Any, unled: Any, officer: Any, lc_secretary: Any) -> None:
    action = ActionFactory(obligation=obligation)
    client = _api(officer)
    response = client.post(
        f"/api/v1/actions/{action.pk}/owner/", {"owner": "alice", "reason": "Mine", "version": action.version}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["owner"]["username"] == "alice"
    history = client.get(response["Location"]).json()
    assert (history["before"]["owner"], history["after"]["owner"]) == (None, "alice")
    assert (history["before"]["lead_board"], history["after"]["lead_board"]) == (None, None)
    assert StatusUpdate.objects.get(pk=history["id"]).source == "api"

    response = client.post(
        f"/api/v1/obligations/{obligation.pk}/owner/", {"owner": "alice", "reason": "Mine", "version": obligation.version}, format="json"
    )
    assert response.status_code == 201 and response.json()["owner"]["username"] == "alice"

    response = _api(lc_secretary).post(
        "/api/v1/commitments/TST-900/lead-board/", {"board": "SPB", "reason": "The SPB", "version": 1}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["lead_board"]["code"] == "SPB"
    history = client.get(response["Location"]).json()
    assert (history["before"]["lead_board"], history["after"]["lead_board"]) == (None, "SPB")


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"owner": "bob", "reason": "Why", "version": 1}, 400, "owner"),  # another party's officer
        ({"owner": "alice", "reason": "", "version": 1}, 400, "reason"),
        ({"owner": "alice", "reason": "Why"}, 400, "version"),
        ({"owner": "alice", "reason": "Why", "version": "1"}, 400, "version"),
        ({"owner": 5, "reason": "Why", "version": 1}, 400, "owner"),
        ({"owner": "alice", "reason": "Why", "version": 1, "due": "x"}, 400, "due"),
        ({"owner": "alice", "reason": "Why", "version": 9}, 409, None),
    ],
)
def test_the_api_refuses_bad_owners_and_stale_versions(
    obligation: Any, officer: Any, other_officer: Any, body: dict[str, Any], status: int, field: Any
) -> None:
    response = _api(officer).post(f"/api/v1/obligations/{obligation.pk}/owner/", body, format="json")
    assert response.status_code == status, response.content
    if field:
        assert field in response.json()["errors"], response.json()
    else:
        assert response.json()["current"]["id"] == obligation.pk
    assert fresh(obligation).owner is None and fresh(obligation).version == 1


def test_the_api_refuses_unknown_boards_and_the_wrong_roles(
    unled: Any, obligation: Any, lc_secretary: Any, other_officer: Any, viewer: Any
) -> None:
    response = _api(lc_secretary).post(
        "/api/v1/commitments/TST-900/lead-board/", {"board": "ZZZ", "reason": "Why", "version": 1}, format="json"
    )
    assert response.status_code == 400 and "board" in response.json()["errors"]
    assert (
        _api(other_officer)
        .post("/api/v1/commitments/TST-900/lead-board/", {"board": "SPB", "reason": "Why", "version": 1}, format="json")
        .status_code
        == 403
    )
    assert (
        _api(other_officer)
        .post(f"/api/v1/obligations/{obligation.pk}/owner/", {"owner": "bob", "reason": "Why", "version": 1}, format="json")
        .status_code
        == 403
    )
    assert (
        _api(lc_secretary)
        .post("/api/v1/commitments/NOPE-1/lead-board/", {"board": "SPB", "reason": "W", "version": 1}, format="json")
        .status_code
        == 404
    )
    assert (
        _api(lc_secretary).post("/api/v1/actions/999999/owner/", {"owner": "a", "reason": "W", "version": 1}, format="json").status_code
        == 404
    )
    assert fresh(unled).lead_board is None


# --- the worklist -----------------------------------------------------------------------------------


def test_the_worklist_is_for_secretariats_and_administrators(officer: Any, viewer: Any, secretary: Any, admin_user: Any) -> None:
    assert client_for(officer).get("/worklist/").status_code == 403
    assert client_for(viewer).get("/worklist/").status_code == 403
    assert Client().get("/worklist/").status_code == 302
    assert client_for(secretary).get("/worklist/").status_code == 200
    assert client_for(admin_user).get("/worklist/").status_code == 200
    assert 'id="worklist-link"' in client_for(secretary).get("/my-work/").content.decode()
    assert 'id="worklist-link"' not in client_for(officer).get("/my-work/").content.decode()


def test_a_boards_secretariat_sees_its_own_and_unled_items_leaders_committee_all(
    obligation: Any, unled: Any, leb: Any, secretary: Any, leb_secretary: Any, lc_secretary: Any, party_a: Any
) -> None:
    leb_led = CommitmentFactory(ref="LEB-001", lead_board=leb)
    leb_obligation = ObligationFactory(commitment=leb_led, party=party_a)
    spb_page = client_for(secretary).get("/worklist/").content.decode()
    assert 'data-commitment="TST-900"' in spb_page and 'data-commitment="LEB-001"' not in spb_page
    assert f'data-obligation="{obligation.pk}"' in spb_page and f'data-obligation="{leb_obligation.pk}"' not in spb_page
    lc_page = client_for(lc_secretary).get("/worklist/").content.decode()
    assert f'data-obligation="{leb_obligation.pk}"' in lc_page and f'data-obligation="{obligation.pk}"' in lc_page
    # Leaders' Committee sees the SPB's items, but the SPB's secretariat assigns their owners.
    assert f"/obligations/{obligation.pk}/owner/" not in lc_page
    assert f"/obligations/{unled.obligations.get().pk}/owner/" in lc_page


def test_the_worklist_filters_by_kind_theme_board_and_party_and_refuses_bad_values(
    obligation: Any, other_obligation: Any, unled: Any, admin_user: Any
) -> None:
    client = client_for(admin_user)
    page = client.get("/worklist/?kind=commitment").content.decode()
    assert 'data-commitment="TST-900"' in page and "data-obligation=" not in page
    page = client.get("/worklist/?board=none").content.decode()
    assert f'data-obligation="{obligation.pk}"' not in page and 'data-commitment="TST-900"' in page
    page = client.get("/worklist/?board=SPB&kind=obligation").content.decode()
    assert f'data-obligation="{obligation.pk}"' in page
    page = client.get(f"/worklist/?theme={unled.theme.slug}").content.decode()
    assert 'data-commitment="TST-900"' in page and f'data-obligation="{obligation.pk}"' not in page
    page = client.get("/worklist/?party=party-b").content.decode()
    assert f'data-obligation="{other_obligation.pk}"' in page and f'data-obligation="{obligation.pk}"' not in page
    assert "data-commitment=" not in page
    bad = client.get("/worklist/?kind=things&party=nowhere")
    assert bad.status_code == 200
    text = bad.content.decode()
    assert "There is a problem with the filters" in text and "Select what to show from the list" in text
    assert 'data-commitment="TST-900"' in text  # the bad filters are ignored


def test_the_worklist_downloads_as_csv(obligation: Any, unled: Any, admin_user: Any) -> None:
    ActionFactory(obligation=obligation, description="=HYPERLINK(1)")
    response = client_for(admin_user).get("/worklist/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["kind", "ref", "commitment"]
    kinds = sorted(r[0] for r in rows[1:])
    assert kinds == ["action", "commitment", "obligation", "obligation"]
    assert any(r[4] == "'=HYPERLINK(1)" for r in rows[1:])  # formula-safe
    only = list(
        csv.reader(
            io.StringIO(b"".join(client_for(admin_user).get("/worklist/?format=csv&kind=action").streaming_content).decode("utf-8-sig"))
        )
    )
    assert [r[0] for r in only[1:]] == ["action"]


@pytest.mark.parametrize(("persona", "budget"), [("secretary", 15), ("admin_user", 12)])
def test_the_worklist_query_count_does_not_grow_with_the_rows(
    request: Any, grow: Callable[[int], Any], django_assert_num_queries: Any, persona: str, budget: int
) -> None:
    """session, user, roles (header); choices (themes, boards, parties: 3); each kind's count and
    page (6); for a secretariat also its boards, Leaders' Committee's secretariat and its officer
    parties (who may assign each row: 3)."""
    client = client_for(request.getfixturevalue(persona))
    CommitmentFactory(ref="UNL-500", lead_board=None)  # every kind has rows, so each has its page query
    grow(3)
    with django_assert_num_queries(budget):
        first = client.get("/worklist/")
    grow(27)
    with django_assert_num_queries(budget):
        second = client.get("/worklist/")
    assert first.status_code == second.status_code == 200
    assert len(second.content) > len(first.content)
    with django_assert_num_queries(budget - 4):  # one kind: its count and page only
        assert client.get("/worklist/?kind=action&page=2").status_code == 200


def test_assigning_from_the_worklist_takes_the_item_off_it(obligation: Any, secretary: Any, officer: Any) -> None:
    client = client_for(secretary)
    url = f"/obligations/{obligation.pk}/owner/?next=/worklist/%3Fkind%3Dobligation"
    form = client.get(url)
    assert form.status_code == 200 and "Alice Officer (alice)" in form.content.decode()
    refused = client.post(url, {"owner": "", "reason": "", "version": obligation.version, "next": "/worklist/?kind=obligation"})
    text = refused.content.decode()
    assert refused.status_code == 200 and "Choose the officer who will own this" in text and "Give a reason" in text
    forged = client.post(url, {"owner": "bob", "reason": "Why", "version": obligation.version})
    assert "Select one of Party A&#x27;s officers from the list" in forged.content.decode()
    done = client.post(
        url, {"owner": "alice", "reason": "Alice leads it", "version": obligation.version, "next": "/worklist/?kind=obligation"}
    )
    assert done.status_code == 302 and done["Location"] == "/worklist/?kind=obligation"
    assert f'data-obligation="{obligation.pk}"' not in client.get("/worklist/").content.decode()
    # An outside address is never followed.
    again = client.post(url, {"owner": "alice", "reason": "x", "version": 2, "next": "https://evil.example/"})
    assert again.status_code == 200  # already owns: a field error, and no redirect anywhere


def test_the_assignment_forms_show_a_conflict_and_refuse_the_wrong_roles(
    obligation: Any, unled: Any, officer: Any, other_officer: Any, lc_secretary: Any, viewer: Any
) -> None:
    client = client_for(officer)
    record_update(obligation, by=officer, version=1, data=UpdateInput(note="Moved"))
    response = client.post(f"/obligations/{obligation.pk}/owner/", {"owner": "alice", "reason": "Mine", "version": 1})
    assert response.status_code == 200 and "Someone else saved this after you opened it" in response.content.decode()
    assert fresh(obligation).owner is None
    assert client_for(other_officer).get(f"/obligations/{obligation.pk}/owner/").status_code == 403
    assert client_for(viewer).get(f"/commitments/{unled.ref}/lead-board/").status_code == 403
    assert (
        client_for(officer).post(f"/commitments/{unled.ref}/lead-board/", {"board": "SPB", "reason": "x", "version": 1}).status_code == 403
    )
    lc = client_for(lc_secretary)
    assert lc.get("/commitments/TST-900/lead-board/").status_code == 200
    assert lc.post("/commitments/TST-900/lead-board/", {"board": "SPB", "reason": "", "version": 1}).status_code == 200
    done = lc.post("/commitments/TST-900/lead-board/", {"board": "SPB", "reason": "The SPB oversees it", "version": 1})
    assert done.status_code == 302 and done["Location"] == "/commitments/TST-900/#ownership"
    assert fresh(unled).lead_board.code == "SPB"


def test_the_commitment_page_offers_assignments_and_shows_them_in_the_timeline(unled: Any, lc_secretary: Any, board: Any) -> None:
    client = client_for(lc_secretary)
    page = client.get("/commitments/TST-900/").content.decode()
    o = unled.obligations.get()
    assert "/commitments/TST-900/lead-board/" in page and f"/obligations/{o.pk}/owner/" in page
    assign_lead_board(unled, by=lc_secretary, version=1, board="SPB", reason="The SPB oversees it")
    page = client.get("/commitments/TST-900/").content.decode()
    assert "Lena Committee assigned the lead board" in page
    assert "Lead board: No lead board" in page and "The SPB oversees it" in page


# --- escalations that fall to the default board ---------------------------------------------------


@pytest.fixture
def overdue_pair(board: Any, party_a: Any, officer: Any, secretary: Any) -> tuple[Obligation, Obligation]:
    """Two obligations long overdue: one under a commitment the SPB leads, one under none."""
    past = timezone.localdate() - dt.timedelta(days=40)
    # Seen overdue 40 days ago (step 1 then): today's pass takes steps 2 and 3.
    flagged = {"due_date": past, "overdue_since": past, "escalation_level": 1}
    led = ObligationFactory(commitment=CommitmentFactory(ref="LED-001", lead_board=board), party=party_a, **flagged)
    unled = ObligationFactory(commitment=CommitmentFactory(ref="UNL-001", lead_board=None), party=party_a, **flagged)
    return led, unled


@pytest.mark.usefixtures("overdue_pair")
def test_the_overdue_pass_records_an_escalation_that_fell_to_the_default_board() -> None:
    now = timezone.now()
    flag_overdue_items(today=timezone.localdate(), now=now)
    rows = {
        (e.obligation.commitment.ref, e.step): (e.board.code if e.board else None, e.fell_to_default_board)
        for e in Escalation.objects.all()
    }
    assert rows[("UNL-001", 2)] == ("SPB", True) and rows[("UNL-001", 3)] == ("SPB", True)
    assert rows[("LED-001", 2)] == ("SPB", False) and rows[("LED-001", 3)] == ("SPB", False)


def test_the_escalation_emails_say_it_fell_to_the_default_board(overdue_pair: Any, secretary: Any) -> None:
    flag_overdue_items(today=timezone.localdate(), now=timezone.now())
    today = timezone.localdate()
    fell = Escalation.objects.get(obligation=overdue_pair[1], step=2)
    led = Escalation.objects.get(obligation=overdue_pair[0], step=2)
    one = escalation_email(fell, today)
    assert "Escalated to the SPB because no board leads this commitment" in one["text"]
    assert "Escalated to the SPB because no board leads this commitment" in one["html"]
    assert "/commitments/UNL-001/lead-board/" in one["text"]
    assert "no board leads" not in escalation_email(led, today)["text"]
    grouped = escalations_email([fell, led], recipient=secretary.email, today=today)
    assert grouped["text"].count("because no board leads this commitment") == 1
    assert "because no board leads this commitment" in grouped["html"]
    digest = secretariat_digest(Board.objects.get(code="SPB"), today)
    assert digest is not None
    # The digest marks the unled item that reached its secretariat, and not the led one.
    assert digest["text"].count("because no board leads this commitment") == 1
    assert "because no board leads this commitment" in digest["html"]


def test_the_commitment_page_says_an_item_was_escalated_to_the_default_board(overdue_pair: Any, viewer: Any) -> None:
    flag_overdue_items(today=timezone.localdate(), now=timezone.now())
    page = client_for(viewer).get("/commitments/UNL-001/").content.decode()
    assert "Escalated to the SPB because no board leads this commitment" in page
    assert f'data-fell-to-default="{overdue_pair[1].pk}"' in page
    assert "no board leads this commitment" not in client_for(viewer).get("/commitments/LED-001/").content.decode()


def test_the_overdue_pass_stays_set_based_whatever_the_rows(board: Any, party_a: Any, secretary: Any) -> None:
    past = timezone.localdate() - dt.timedelta(days=40)
    flagged = {"due_date": past, "overdue_since": past, "escalation_level": 1}
    for i in range(3):
        ObligationFactory(commitment=CommitmentFactory(ref=f"UNL-1{i:02d}", lead_board=None), party=party_a, **flagged)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        flag_overdue_items(today=timezone.localdate(), now=timezone.now())
    for i in range(20):
        ObligationFactory(commitment=CommitmentFactory(ref=f"UNL-2{i:02d}", lead_board=None), party=party_a, **flagged)
    with CaptureQueriesContext(connection) as large:
        flag_overdue_items(today=timezone.localdate(), now=timezone.now() + dt.timedelta(seconds=1))
    assert len(large.captured_queries) == len(small.captured_queries)
    assert Escalation.objects.filter(fell_to_default_board=True).count() == 23 * 2
    assert OutboxMessage.objects.exists()


# --- the dashboards and the papers --------------------------------------------------------------


def test_the_dashboards_count_what_nobody_answers_for_and_drill_down_to_it(
    commitment: Any, obligation: Any, other_obligation: Any, unled: Any, officer: Any, viewer: Any, board: Any
) -> None:
    from reporting.dashboards import Scope, build_dashboard

    ActionFactory(obligation=obligation)
    ActionFactory(obligation=obligation, owner=officer)
    assign_owner(obligation, by=officer, version=obligation.version, owner="alice", reason="Mine")
    d = build_dashboard(Scope(all_agreements=True))
    # TST-900 has no lead board; party B's and TST-900's obligations and one action have no owner.
    assert d.unowned == {"commitments": 1, "obligations": 2, "actions": 1}
    rows = {row[0].value: row[1] for row in d.summary.rows}
    assert rows["Commitments with no lead board"].value == 1
    assert rows["Obligations with no owner"].url.endswith("unowned=true")
    board_dashboard = build_dashboard(Scope(kind="board", board=board, all_agreements=True))
    assert board_dashboard.unowned == {"commitments": 0, "obligations": 1, "actions": 1}

    client = client_for(viewer)
    page = client.get("/dashboard/?agreements=all").content.decode()
    assert 'id="unowned-summary"' in page and "/worklist/" in page
    listed = client.get(rows["Obligations with no owner"].url).content.decode()
    assert f'data-obligation="{other_obligation.pk}"' in listed and f'data-obligation="{obligation.pk}"' not in listed
    csv_body = client.get("/dashboard/?agreements=all&format=csv&table=summary").content.decode("utf-8-sig")
    assert "Actions with no owner,1" in csv_body


@pytest.mark.parametrize("code", ["LC", "SPB"])
def test_the_papers_count_what_nobody_answers_for_and_link_to_the_worklist(
    commitment: Any, obligation: Any, unled: Any, board: Any, code: str
) -> None:
    from boards.models import Meeting
    from commitments.models import Report
    from reporting.papers import render_paper
    from tests.factories import AgreementFactory

    ActionFactory(obligation=obligation)
    Commitment.objects.update(agreement=AgreementFactory(slug="mou-2017", in_dashboards_by_default=True))
    if code == "LC":
        meeting_board = BoardFactory(code="LC", slug="leaders-committee", name="Leaders' Committee", kind=Board.Kind.COMMITTEE)
        kind = Report.Kind.LEADERS_COMMITTEE
    else:
        meeting_board, kind = board, Report.Kind.BOARD_PAPER
    meeting = Meeting.objects.create(
        board=meeting_board, date=timezone.localdate() + dt.timedelta(days=10), key=f"m-{code}", title="Meeting"
    )
    html = render_paper(meeting, kind, as_of=timezone.localdate())
    assert 'id="unowned"' in html and "/worklist/" in html
    if code == "LC":
        assert "Nobody answers for 1 open commitment with no lead board, 2 obligations and 1 action with no owner" in html
    else:
        assert "1 obligation and 1 action under these commitments have no owner" in html


# --- hostile input: never a 5xx, nothing saved ------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '{"owner": ["alice"], "reason": "x", "version": 1}',
        '{"owner": "ali\\u0000ce", "reason": "x", "version": 1}',
        '{"owner": "alice", "reason": "x\\u0000", "version": 1}',
        '{"owner": "alice", "reason": "x", "version": 99999999999}',
        '{"owner": "' + "a" * 5000 + '", "reason": "x", "version": 1}',
        '{"owner": "alice", "reason": "x", "version": 1.5}',
        '{"owner": null, "reason": null, "version": null}',
    ],
)
def test_malformed_assignment_bodies_are_4xx_and_change_nothing(obligation: Any, officer: Any, body: str) -> None:
    before = (StatusUpdate.objects.count(), Change.objects.count())
    response = _api(officer).generic("POST", f"/api/v1/obligations/{obligation.pk}/owner/", body, content_type="application/json")
    assert 400 <= response.status_code < 500, response.content
    assert (StatusUpdate.objects.count(), Change.objects.count()) == before
    assert fresh(obligation).owner is None
    board_response = _api(officer).generic("POST", "/api/v1/commitments/TST-001/lead-board/", body, content_type="application/json")
    assert 400 <= board_response.status_code < 500


def test_a_body_past_the_size_limit_is_a_413(obligation: Any, officer: Any) -> None:
    body = {"owner": "alice", "reason": "x" * (70 * 1024), "version": 1}
    response = _api(officer).post(f"/api/v1/obligations/{obligation.pk}/owner/", body, format="json")
    assert response.status_code == 413


@pytest.mark.parametrize(
    "data",
    [
        {"owner": "alice", "reason": "x", "version": "abc"},
        {"owner": "alice", "reason": "x", "version": "-1"},
        {"owner": "alice", "reason": "x"},
        {"owner": "alice\x00", "reason": "x", "version": "1"},
        {"owner": ["alice", "bob"], "reason": "x", "version": "1"},
        {"owner": "alice", "reason": "x" * 5001, "version": "1"},
    ],
)
def test_malformed_assignment_forms_are_errors_and_change_nothing(obligation: Any, officer: Any, data: dict[str, Any]) -> None:
    response = client_for(officer).post(f"/obligations/{obligation.pk}/owner/", data)
    assert response.status_code in (200, 400), response.status_code
    assert fresh(obligation).owner is None and fresh(obligation).version == 1


@pytest.mark.parametrize(
    "query", ["kind=%00", "theme=" + "x" * 500, "board=<script>", "party=a&party=b", "page=-1&kind=action", "page=abc"]
)
def test_odd_worklist_filters_are_never_a_500(admin_user: Any, query: str) -> None:
    assert client_for(admin_user).get(f"/worklist/?{query}").status_code == 200
