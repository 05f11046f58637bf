"""The two ratings (issue 15): the assurance rating's service rules, history, permissions (the lead
board's secretariat; Leaders' Committee's for commitments no board leads; administrators), the
roll-up by the rating used, the API (read and write), the pages, the dashboards and the papers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from boards.models import ApiToken, Board, Meeting, Membership
from commitments.assurance import UNLED_ASSURANCE_BOARD_CODE, can_assure, record_assurance
from commitments.models import Change, Commitment, Obligation, Report, StatusUpdate
from commitments.querysets import rating_used_expr
from commitments.services import InvalidUpdate, NotAllowed, UpdateInput, VersionConflict, record_update, refresh_rollup
from reporting.dashboards import Scope, build_dashboard
from reporting.models import LEADERS_COMMITTEE_CODE
from reporting.papers import render_paper
from tests.factories import BoardFactory, CommitmentFactory, MembershipFactory, ObligationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lc_secretary(db: Any) -> Any:
    """The secretariat of London Councils' Leaders' Committee (gives unled commitments' ratings)."""
    lc = BoardFactory(code="LC", slug="leaders-committee", name="Leaders' Committee", kind=Board.Kind.COMMITTEE)
    user = UserFactory(username="lena", first_name="Lena", last_name="Committee")
    MembershipFactory(user=user, party=None, board=lc, role=Membership.Role.SECRETARIAT)
    return user


@pytest.fixture
def unled(party_a: Any) -> Any:
    c = CommitmentFactory(ref="TST-900", lead_board=None)
    ObligationFactory(commitment=c, party=party_a, rag="green")
    refresh_rollup(c.pk)
    return fresh(c)


def fresh(item: Any) -> Any:
    return type(item).objects.get(pk=item.pk)


# --- the service ---------------------------------------------------------------------------------


def test_the_lead_boards_secretariat_gives_an_obligations_assurance_rating_with_history(obligation: Any, secretary: Any) -> None:
    record_update(obligation, by=secretary, version=obligation.version, data=UpdateInput(rag="green", reason="On track"))
    before_changes = Change.objects.count()
    version = obligation.version

    update = record_assurance(obligation, by=secretary, version=version, rag="red", reason="The business case has slipped")

    o = fresh(obligation)
    assert (o.assurance_rag, o.assurance_by, o.assurance_reason, o.version) == (
        "red",
        secretary,
        "The business case has slipped",
        version + 1,
    )
    assert o.assurance_at is not None
    assert (o.self_assessed_rag, o.rating_used, o.rating_source, o.ratings_disagree) == ("green", "red", "assurance", True)
    assert (update.from_assurance_rag, update.to_assurance_rag, update.version, update.reason) == (
        "",
        "red",
        version + 1,
        "The business case has slipped",
    )
    assert update.target_type == StatusUpdate.TargetType.OBLIGATION and update.obligation_id == o.pk and update.author == secretary
    assert update.changes() == [("Assurance RAG", "Not assessed", "Red")]
    # The change log records the item and the history row (so the feed and webhooks see them),
    # and the commitment, whose roll-up now counts the obligation as red.
    logged = list(Change.objects.order_by("id")[before_changes:].values_list("resource", "key"))
    assert ("obligations", str(o.pk)) in logged and ("status-updates", str(update.pk)) in logged
    assert ("commitments", o.commitment.ref) in logged
    assert fresh(o.commitment).rollup_rag == "red"


def test_clearing_the_assurance_rating_gives_back_the_owners(obligation: Any, secretary: Any) -> None:
    record_assurance(obligation, by=secretary, version=obligation.version, rag="amber", reason="Some risk")
    update = record_assurance(obligation, by=secretary, version=obligation.version, rag="", reason="Risk has passed")
    o = fresh(obligation)
    assert (o.assurance_rag, o.rating_source, o.ratings_disagree) == ("", "self", False)
    assert update.changes() == [("Assurance RAG", "Amber", "Not assessed")]


@pytest.mark.parametrize(
    ("rag", "reason", "field"),
    [("purple", "Why", "rag"), ("red", "", "reason"), ("red", "   ", "reason"), (None, "Why", "rag"), ("red", "x" * 5001, "reason")],
)
def test_bad_input_is_refused_with_field_messages_and_nothing_changes(
    obligation: Any, secretary: Any, rag: Any, reason: str, field: str
) -> None:
    version, updates = obligation.version, StatusUpdate.objects.count()
    with pytest.raises(InvalidUpdate) as exc:
        record_assurance(obligation, by=secretary, version=version, rag=rag, reason=reason)
    assert field in exc.value.errors
    assert fresh(obligation).version == version and StatusUpdate.objects.count() == updates


def test_the_same_rating_again_is_refused(obligation: Any, secretary: Any) -> None:
    record_assurance(obligation, by=secretary, version=obligation.version, rag="amber", reason="Some risk")
    with pytest.raises(InvalidUpdate) as exc:
        record_assurance(obligation, by=secretary, version=obligation.version, rag="amber", reason="Still")
    assert "already Amber" in exc.value.errors["rag"][0]


def test_a_stale_version_is_a_conflict(obligation: Any, secretary: Any) -> None:
    with pytest.raises(VersionConflict) as exc:
        record_assurance(obligation, by=secretary, version=obligation.version + 5, rag="red", reason="Late")
    assert exc.value.current.version == obligation.version
    assert fresh(obligation).assurance_rag == ""


def test_officers_viewers_and_other_boards_may_not(obligation: Any, officer: Any, viewer: Any, lc_secretary: Any) -> None:
    for user in (officer, viewer, lc_secretary):  # LC's secretariat: the commitment has a lead board
        assert not can_assure(user, obligation)
        with pytest.raises(NotAllowed):
            record_assurance(obligation, by=user, version=obligation.version, rag="red", reason="No")
    assert fresh(obligation).assurance_rag == "" and not StatusUpdate.objects.exclude(to_assurance_rag="").exists()


def test_leaders_committee_secretariat_rates_what_no_board_leads(unled: Any, lc_secretary: Any, secretary: Any, admin_user: Any) -> None:
    assert UNLED_ASSURANCE_BOARD_CODE == LEADERS_COMMITTEE_CODE
    assert can_assure(lc_secretary, unled) and can_assure(admin_user, unled)
    assert not can_assure(secretary, unled)  # the SPB's secretariat leads other things
    with pytest.raises(NotAllowed):
        record_assurance(unled, by=secretary, version=unled.version, rag="red", reason="No")
    record_assurance(unled, by=lc_secretary, version=unled.version, rag="amber", reason="Waiting on the estates board")
    c = fresh(unled)
    assert (c.assurance_rag, c.self_assessed_rag, c.ratings_disagree) == ("amber", "green", True)


def test_a_commitments_self_assessed_rating_is_its_shown_rag(commitment: Any, obligation: Any, secretary: Any) -> None:
    record_update(obligation, by=secretary, version=obligation.version, data=UpdateInput(rag="green", reason="On track"))
    c = fresh(commitment)
    assert c.self_assessed_rag == "green"
    record_assurance(c, by=secretary, version=c.version, rag="red", reason="The partners disagree")
    c = Commitment.objects.with_shown_state().get(pk=c.pk)
    assert (c.shown_rag, c.assurance_rag, c.rating_used, c.rating_used_db, c.ratings_disagree) == ("green", "red", "red", "red", True)
    assert list(Commitment.objects.ratings_disagree().values_list("ref", flat=True)) == ["TST-001"]
    assert not Commitment.objects.ratings_disagree(False).filter(pk=c.pk).exists()


def test_the_rating_used_expression_is_the_python_rule(obligation: Any, other_obligation: Any, secretary: Any) -> None:
    Obligation.objects.filter(pk=obligation.pk).update(rag="green", assurance_rag="red")
    Obligation.objects.filter(pk=other_obligation.pk).update(rag="amber", assurance_rag="")
    rows = dict(Obligation.objects.annotate(r=rating_used_expr()).values_list("pk", "r"))
    for o in Obligation.objects.all():
        assert rows[o.pk] == o.rating_used


# --- the API -------------------------------------------------------------------------------------


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user=user, scope=ApiToken.Scope.WRITE)[1]}")
    return client


def test_the_api_writes_and_shows_both_ratings(obligation: Any, secretary: Any) -> None:
    client = _api(secretary)
    url = f"/api/v1/obligations/{obligation.pk}/assurance/"
    response = client.post(url, {"rag": "red", "reason": "Slipping", "version": obligation.version}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["assurance"]["rag"] == "red" and body["assurance"]["by"] == "sam" and body["assurance"]["reason"] == "Slipping"
    assert body["assurance"]["at"].endswith("Z")
    assert (body["self_assessed_rag"], body["assurance_rag"], body["rating_used"], body["rating_source"], body["ratings_disagree"]) == (
        "",
        "red",
        "red",
        "assurance",
        True,
    )
    history = client.get(response["Location"]).json()
    assert (history["before"]["assurance_rag"], history["after"]["assurance_rag"]) == ("", "red")

    listed = client.get("/api/v1/obligations/?ratings_disagree=true").json()
    assert [o["id"] for o in listed["results"]] == [obligation.pk]
    assert client.get("/api/v1/obligations/?ratings_disagree=false").json()["count"] == Obligation.objects.count() - 1
    commitment = client.get(f"/api/v1/commitments/{obligation.commitment.ref}/").json()
    # The commitment's roll-up counts the obligation's assurance rating; its own ratings agree.
    assert (commitment["rating_used"], commitment["rating_source"], commitment["ratings_disagree"]) == ("red", "self", False)
    assert commitment["assurance"] == {"rag": "", "by": None, "at": None, "reason": ""}


def test_the_api_commitment_list_filters_and_plain_rows_agree(commitment: Any, secretary: Any) -> None:
    client = _api(secretary)
    response = client.post(
        f"/api/v1/commitments/{commitment.ref}/assurance/",
        {"rag": "amber", "reason": "Behind", "version": commitment.version},
        format="json",
    )
    assert response.status_code == 201, response.content
    listed = client.get("/api/v1/commitments/?ratings_disagree=true").json()["results"]
    assert [c["ref"] for c in listed] == ["TST-001"]
    row = listed[0]
    assert row["assurance"]["by"] == "sam" and row["rating_used"] == "amber" and row["ratings_disagree"] is True
    assert client.get("/api/v1/commitments/?rating_used=amber").json()["count"] == 1
    assert client.get("/api/v1/commitments/?ratings_disagree=false").json()["count"] == 0


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"rag": "red", "reason": "Why"}, 400, "version"),
        ({"rag": "pink", "reason": "Why", "version": 1}, 400, "rag"),
        ({"rag": "red", "reason": "", "version": 1}, 400, "reason"),
        ({"rag": "red", "reason": "Why", "version": 1, "colour": "red"}, 400, "colour"),
        ({"rag": "red", "reason": "Why", "version": "1"}, 400, "version"),
        ({"rag": "red", "reason": "Why", "version": 99}, 409, None),
    ],
)
def test_the_api_refuses_bad_input_and_stale_versions(
    obligation: Any, secretary: Any, body: dict[str, Any], status: int, field: Any
) -> None:
    response = _api(secretary).post(f"/api/v1/obligations/{obligation.pk}/assurance/", body, format="json")
    assert response.status_code == status, response.content
    if field:
        assert field in response.json()["errors"]
    else:
        assert response.json()["current"]["version"] == obligation.version
    assert fresh(obligation).assurance_rag == ""


def test_the_api_refuses_officers_with_a_403(obligation: Any, officer: Any) -> None:
    response = _api(officer).post(
        f"/api/v1/obligations/{obligation.pk}/assurance/", {"rag": "red", "reason": "Mine", "version": obligation.version}, format="json"
    )
    assert response.status_code == 403
    assert fresh(obligation).assurance_rag == ""


# --- pages ---------------------------------------------------------------------------------------


def _browser(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_form_saves_and_the_pages_show_both_ratings(commitment: Any, obligation: Any, secretary: Any, viewer: Any) -> None:
    client = _browser(secretary)
    url = f"/obligations/{obligation.pk}/assurance/"
    page = client.get(url)
    assert page.status_code == 200 and b'name="version"' in page.content and b"csrfmiddlewaretoken" in page.content
    response = client.post(url, {"version": obligation.version, "rag": "red", "reason": "Slipping badly"})
    assert response.status_code == 302 and response["Location"].endswith("#ratings")

    detail = _browser(viewer).get(f"/commitments/{commitment.ref}/").content.decode()
    assert "Ratings differ" in detail and "Slipping badly" in detail and "Sam Secretariat" in detail
    assert "Give the assurance rating" not in detail  # a viewer may not
    listed = _browser(viewer).get("/obligations/?ratings_disagree=true").content.decode()
    assert "Ratings differ" in listed and "Party A" in listed
    assert "Party B" not in listed


def test_the_form_shows_a_govuk_error_summary_and_changes_nothing(obligation: Any, secretary: Any) -> None:
    response = _browser(secretary).post(
        f"/obligations/{obligation.pk}/assurance/", {"version": obligation.version, "rag": "red", "reason": ""}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html and "Give a reason for the assurance rating" in html
    assert fresh(obligation).version == obligation.version


def test_a_stale_form_says_so(obligation: Any, secretary: Any) -> None:
    response = _browser(secretary).post(f"/obligations/{obligation.pk}/assurance/", {"version": 77, "rag": "red", "reason": "Late"})
    assert response.status_code == 200 and "Someone else saved this" in response.content.decode()


def test_officers_get_a_403_on_the_form(obligation: Any, officer: Any) -> None:
    assert _browser(officer).get(f"/obligations/{obligation.pk}/assurance/").status_code == 403
    assert (
        _browser(officer).post(f"/obligations/{obligation.pk}/assurance/", {"version": 1, "rag": "red", "reason": "x"}).status_code == 403
    )


# --- dashboards and papers -----------------------------------------------------------------------


def _disagreeing(commitment: Any, obligation: Any, secretary: Any) -> None:
    record_update(obligation, by=secretary, version=obligation.version, data=UpdateInput(rag="green", reason="On track"))
    record_assurance(obligation, by=secretary, version=obligation.version, rag="red", reason="The estates plan is late")


def test_the_dashboard_counts_the_rating_used_and_lists_the_disagreements(
    commitment: Any, obligation: Any, other_obligation: Any, secretary: Any, viewer: Any
) -> None:
    _disagreeing(commitment, obligation, secretary)
    d = build_dashboard(Scope(all_agreements=True))
    assert (d.totals.red, d.totals.green) == (1, 0)  # the roll-up counts the obligation as red
    assert (d.obligation_totals.red, d.obligation_totals.green, d.obligation_totals.assured) == (1, 0, 1)
    assert [(i.kind, i.self_assessed, i.assurance) for i in d.disagreements] == [("Obligation", "green", "red")]
    assert "(0 of 1)" in d.summary.note  # the commitment itself has no assurance rating

    client = _browser(viewer)
    page = client.get("/dashboard/ratings/?agreements=all").content.decode()
    assert "Where the ratings disagree" in page and "The estates plan is late" in page
    csv = client.get("/dashboard/?agreements=all&format=csv&table=ratings").content.decode()
    assert "The estates plan is late" in csv


def test_the_tallies_count_obligations_by_the_rating_used(commitment: Any, obligation: Any, secretary: Any) -> None:
    from reporting.models import Tally
    from reporting.snapshots import write_tallies

    _disagreeing(commitment, obligation, secretary)
    today = timezone.localdate()
    write_tallies(today)
    rags = set(Tally.objects.filter(day=today, kind=Tally.Kind.OBLIGATION, grain=Tally.Grain.ALL).values_list("rag", flat=True))
    assert "red" in rags and "green" not in rags


def test_the_backfill_replays_assurance_changes(commitment: Any, obligation: Any, secretary: Any) -> None:
    from reporting.dashboards.trends import backfill_tallies
    from reporting.models import Tally

    _disagreeing(commitment, obligation, secretary)
    today = timezone.localdate()
    # The owner rated it green three days ago and the secretariat red two days ago: the day before
    # yesterday and yesterday count it red (the rating used), four days ago not at all as red.
    StatusUpdate.objects.filter(to_assurance_rag="").update(created_at=timezone.now() - dt.timedelta(days=3))
    StatusUpdate.objects.exclude(to_assurance_rag="").update(created_at=timezone.now() - dt.timedelta(days=2))
    days = [today - dt.timedelta(days=n) for n in (1, 4)]
    Tally.objects.all().delete()
    backfill_tallies(days)

    def rags(day: dt.date) -> set[str]:
        return set(
            Tally.objects.filter(day=day, kind=Tally.Kind.OBLIGATION, grain=Tally.Grain.ALL, items__gt=0).values_list("rag", flat=True)
        )

    assert "red" in rags(days[0]) and "green" not in rags(days[0])
    assert "red" not in rags(days[1])


@pytest.mark.parametrize("code", ["LC", "SPB"])
def test_papers_say_which_rating_they_use_and_list_the_disagreements(commitment: Any, obligation: Any, secretary: Any, code: str) -> None:
    _disagreeing(commitment, obligation, secretary)
    if code == "LC":
        board = BoardFactory(code="LC", slug="leaders-committee", name="Leaders' Committee", kind=Board.Kind.COMMITTEE)
        kind = Report.Kind.LEADERS_COMMITTEE
    else:
        board = Board.objects.get(code="SPB")
        kind = Report.Kind.BOARD_PAPER
    Commitment.objects.filter(pk=commitment.pk).update(agreement=_default_agreement())
    meeting = Meeting.objects.create(board=board, date=timezone.localdate() + dt.timedelta(days=10), key=f"m-{code}", title="Meeting")
    html = render_paper(meeting, kind, as_of=timezone.localdate())
    assert "RAG counts use the assurance rating where one is given" in html
    assert "Where the ratings disagree" in html and "The estates plan is late" in html


def _default_agreement() -> Any:
    from tests.factories import AgreementFactory

    return AgreementFactory(slug="mou-2017", in_dashboards_by_default=True)
