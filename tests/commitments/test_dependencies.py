"""Dependencies (issue 15): the model's constraints, the sources' links the loader brings in (each
traced to its inventory entry and field), the writes (who may, the refusals: itself, duplicates,
cycles of any length and across commitments), their history, and "at risk" for each cause, with
the lists' query counts fixed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from commitments import dependencies as deps
from commitments.loader import DEPENDENCIES, INVENTORY, DataFileError, load_mou, source_dependencies
from commitments.models import Action, Change, Commitment, Dependency, StatusUpdate
from commitments.services import InvalidUpdate, NotAllowed, UpdateInput, record_update

from ..factories import ActionFactory, BoardFactory, CommitmentFactory, ObligationFactory, UserFactory
from .conftest import count_queries

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 7)


@pytest.fixture
def second(board: Any) -> Commitment:
    return CommitmentFactory(ref="TST-002", lead_board=board)


@pytest.fixture
def third(board: Any) -> Commitment:
    return CommitmentFactory(ref="TST-003", lead_board=board)


@pytest.fixture
def elsewhere(db: Any) -> Commitment:
    """A commitment another board leads (cross-commitment, cross-board links)."""
    return CommitmentFactory(ref="OTH-001", lead_board=BoardFactory(code="LEB", slug="london-estates-board", name="London Estates Board"))


# --- the model ---------------------------------------------------------------------------------


def test_a_dependency_has_exactly_one_dependent_and_one_prerequisite(commitment: Commitment, second: Commitment, obligation: Any) -> None:
    action = ActionFactory(obligation=obligation)
    for bad in (
        {"prerequisite_commitment": second},  # no dependent
        {"commitment": commitment, "action": action, "prerequisite_commitment": second},  # two dependents
        {"commitment": commitment},  # no prerequisite
        {"commitment": commitment, "prerequisite_commitment": second, "prerequisite_action": action},  # two
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Dependency.objects.create(**bad)
    assert not Dependency.objects.exists()


def test_the_database_refuses_an_item_waiting_on_itself_and_a_second_link_of_a_pair(commitment: Commitment, obligation: Any) -> None:
    action = ActionFactory(obligation=obligation)
    for same in ({"commitment": commitment, "prerequisite_commitment": commitment}, {"action": action, "prerequisite_action": action}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Dependency.objects.create(**same)
    Dependency.objects.create(commitment=commitment, prerequisite_action=action)
    with pytest.raises(IntegrityError), transaction.atomic():
        Dependency.objects.create(commitment=commitment, prerequisite_action=action)
    # An action may wait on its own commitment, and the other way round: different items.
    Dependency.objects.create(action=action, prerequisite_commitment=commitment)
    assert Dependency.objects.count() == 2


# --- loaded from the sources --------------------------------------------------------------------


@pytest.fixture
def loaded(db: Any) -> None:
    load_mou()


def _pairs() -> set[tuple[str, str]]:
    return set(Dependency.objects.values_list("commitment__ref", "prerequisite_commitment__ref"))


def test_the_loader_brings_in_the_sources_links_each_way_round_and_traced(loaded: None) -> None:
    pairs = _pairs()
    # followed_up_by: the MoU item that takes a 2015 exploration forward waits on it
    assert ("EST-01", "A15-01") in pairs and ("EST-03", "A15-01") in pairs and ("COM-01", "A15-02") in pairs
    # parent: the whole waits on its parts
    assert {("COM-01", "COM-02"), ("COM-01", "COM-03"), ("COM-01", "COM-04")} <= pairs
    # the entries' own words: estates work waits on the London Estates Board being set up
    assert ("EST-01", "EST-03") in pairs and ("EST-11", "EST-03") in pairs and ("GOV-10", "PRV-12") in pairs
    # nothing the sources do not give: no "related" link became a dependency
    assert ("EST-02", "EST-01") not in pairs and ("GOV-09", "EST-10") not in pairs
    est01 = Dependency.objects.get(commitment__ref="EST-01", prerequisite_commitment__ref="EST-03")
    assert (est01.basis, est01.source_key, est01.source_field) == ("sources", "est-delegated-capital-decisions", "conditions")
    assert (
        "requires a London Estates Board" in est01.source_note
        and "it has been required to set up a London Estates Board" in est01.source_note
    )
    assert "002_" not in est01.source_note  # cited as people cite it, not by file name
    for dep in Dependency.objects.all():
        assert dep.basis == "sources" and dep.source_key and dep.source_field in ("followed_up_by", "parent", "conditions", "timing")


def test_every_loaded_dependency_traces_to_its_inventory_entry_and_field(loaded: None) -> None:
    import yaml

    inventory = yaml.safe_load(INVENTORY.read_text())
    entries = {c["key"]: c for c in inventory["commitments"]}
    refs = {c["key"]: c["ref"] for c in inventory["commitments"]}
    for dep in Dependency.objects.select_related("commitment", "prerequisite_commitment"):
        entry = entries[dep.source_key]
        if dep.source_field == "followed_up_by":
            assert dep.prerequisite_commitment.ref == entry["ref"]
            assert dep.commitment.ref in {refs[k] for k in entry["followed_up_by"]}
        elif dep.source_field == "parent":
            assert (dep.commitment.ref, dep.prerequisite_commitment.ref) == (refs[entry["parent"]], entry["ref"])
        else:
            assert dep.commitment.ref == entry["ref"]
            words = dep.source_note.split("\u201c")[1].split("\u201d")[0]
            assert words in entry[dep.source_field]


def test_a_second_load_changes_nothing_and_keeps_a_secretariats_links(loaded: None, admin_user: Any) -> None:
    est05, est03 = Commitment.objects.get(ref="EST-05"), Commitment.objects.get(ref="EST-03")
    deps.add_dependency(est05, est03, by=admin_user)
    before = set(Dependency.objects.values_list("pk", "basis", "source_note"))
    changes_before = Change.objects.count()
    report = load_mou()
    assert not report.changed
    assert set(Dependency.objects.values_list("pk", "basis", "source_note")) == before
    assert Change.objects.count() == changes_before


def test_words_that_are_not_in_the_field_are_refused(db: Any) -> None:
    import yaml

    inventory = yaml.safe_load(INVENTORY.read_text())
    text = yaml.safe_load(DEPENDENCIES.read_text())
    text["dependencies"][0]["words"] = "requires nothing at all"
    text["dependencies"].append({"dependent": "est-establish-leb", "prerequisite": "no-such-key", "field": "timing", "words": "x"})
    _links, problems = source_dependencies(inventory, text)
    assert any("dependencies[0]" in p and "requires nothing at all" in p for p in problems)
    assert any("dependencies[3]" in p and "no-such-key" in p for p in problems)


def test_a_cycle_in_the_data_is_refused_before_anything_is_written(db: Any, tmp_path: Any) -> None:
    import yaml

    text = yaml.safe_load(DEPENDENCIES.read_text())
    # EST-03 waiting on EST-01 closes a circle with EST-01's "requires a London Estates Board".
    text["dependencies"].append(
        {
            "dependent": "est-establish-leb",
            "prerequisite": "est-delegated-capital-decisions",
            "field": "timing",
            "words": "post-signing",
            "source": {"file": "002_3b3219cd46b346b4.txt", "lines": "157"},
        }
    )
    path = tmp_path / "dependencies.yaml"
    path.write_text(yaml.safe_dump(text))
    from commitments.loader import CLAUSES

    with pytest.raises(DataFileError, match="cycle"):
        load_mou(INVENTORY, CLAUSES, path)
    assert not Commitment.objects.exists()


# --- writes ------------------------------------------------------------------------------------


def test_a_secretariat_adds_a_dependency_with_history_and_change_log(commitment: Commitment, elsewhere: Commitment, secretary: Any) -> None:
    Change.objects.all().delete()
    dep = deps.add_dependency(commitment, elsewhere, by=secretary)
    assert (dep.commitment, dep.prerequisite_commitment, dep.basis, dep.created_by) == (commitment, elsewhere, "secretariat", secretary)
    history = StatusUpdate.objects.get(commitment=commitment)
    assert history.note.startswith("Now waiting on OTH-001") and history.author == secretary and history.version == commitment.version
    logged = list(Change.objects.order_by("id").values_list("resource", "op"))
    assert ("dependencies", "create") in logged and ("status-updates", "create") in logged
    assert ("commitments", "update") in logged  # what partners read of both items changed

    deps.remove_dependency(dep, by=secretary)
    assert not Dependency.objects.exists()
    assert StatusUpdate.objects.filter(commitment=commitment, note__startswith="No longer waiting on OTH-001").exists()
    assert Change.objects.filter(resource="dependencies", op="delete").exists()


def test_an_action_can_wait_on_another_commitments_action(obligation: Any, elsewhere: Commitment, secretary: Any, party_b: Any) -> None:
    mine = ActionFactory(obligation=obligation)
    theirs = ActionFactory(obligation=ObligationFactory(commitment=elsewhere, party=party_b))
    deps.add_dependency(mine, theirs, by=secretary)
    history = StatusUpdate.objects.get(action=mine)
    assert history.target_type == "action" and history.note.startswith(f"Now waiting on action {theirs.pk}")


@pytest.mark.parametrize("who", ["officer", "viewer", "other_secretary", "anonymous"])
def test_who_may_not_change_what_an_item_waits_on(commitment: Commitment, second: Commitment, who: str, officer: Any, viewer: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    from boards.models import Membership

    from ..factories import MembershipFactory

    other_secretary = UserFactory(username="leb-sec")
    MembershipFactory(user=other_secretary, party=None, board=BoardFactory(code="LWB"), role=Membership.Role.SECRETARIAT)
    user = {"officer": officer, "viewer": viewer, "other_secretary": other_secretary, "anonymous": AnonymousUser()}[who]
    with pytest.raises(NotAllowed):
        deps.add_dependency(commitment, second, by=user)
    assert not Dependency.objects.exists() and not StatusUpdate.objects.exists()


def test_the_dependents_secretariat_decides_not_the_prerequisites(elsewhere: Commitment, commitment: Commitment, secretary: Any) -> None:
    # The SPB's secretariat may make its own commitment wait on the LEB's, not the other way round.
    deps.add_dependency(commitment, elsewhere, by=secretary)
    with pytest.raises(NotAllowed):
        deps.add_dependency(elsewhere, commitment, by=secretary)


def test_itself_and_duplicates_are_refused(commitment: Commitment, second: Commitment, secretary: Any) -> None:
    with pytest.raises(InvalidUpdate) as exc:
        deps.add_dependency(commitment, commitment, by=secretary)
    assert exc.value.errors == {"prerequisite": ["TST-001 cannot wait on itself."]}
    deps.add_dependency(commitment, second, by=secretary)
    with pytest.raises(InvalidUpdate) as exc:
        deps.add_dependency(commitment, second, by=secretary)
    assert exc.value.errors == {"prerequisite": ["TST-001 already waits on TST-002."]}
    assert Dependency.objects.count() == 1 and StatusUpdate.objects.count() == 1


def test_a_cycle_is_refused_naming_the_chain(commitment: Commitment, second: Commitment, third: Commitment, secretary: Any) -> None:
    deps.add_dependency(commitment, second, by=secretary)
    with pytest.raises(InvalidUpdate) as exc:  # 2-long
        deps.add_dependency(second, commitment, by=secretary)
    assert "TST-002 → TST-001 → TST-002" in exc.value.errors["prerequisite"][0]
    deps.add_dependency(second, third, by=secretary)
    with pytest.raises(InvalidUpdate) as exc:  # 3-long
        deps.add_dependency(third, commitment, by=secretary)
    message = exc.value.errors["prerequisite"][0]
    assert message.startswith("TST-003 cannot wait on TST-001: that would make a cycle (TST-003 → TST-001 → TST-002 → TST-003)")
    assert Dependency.objects.count() == 2 and StatusUpdate.objects.count() == 2


def test_a_cycle_across_commitments_and_actions_is_refused(
    commitment: Commitment, elsewhere: Commitment, obligation: Any, secretary: Any, admin_user: Any, party_b: Any
) -> None:
    action = ActionFactory(obligation=obligation)  # under TST-001
    other_action = ActionFactory(obligation=ObligationFactory(commitment=elsewhere, party=party_b))
    deps.add_dependency(action, other_action, by=secretary)  # action (TST-001) waits on an LEB action
    deps.add_dependency(other_action, elsewhere, by=admin_user)  # which waits on OTH-001
    with pytest.raises(InvalidUpdate) as exc:
        deps.add_dependency(elsewhere, action, by=admin_user)
    assert f"OTH-001 → action {action.pk} → action {other_action.pk} → OTH-001" in exc.value.errors["prerequisite"][0]


def test_a_loaded_dependency_is_not_removed_by_hand(loaded: None, admin_user: Any) -> None:
    dep = Dependency.objects.get(commitment__ref="EST-01", prerequisite_commitment__ref="EST-03")
    with pytest.raises(InvalidUpdate, match="comes from the sources"):
        deps.remove_dependency(dep, by=admin_user)
    assert Dependency.objects.filter(pk=dep.pk).exists()


def test_find_item_names_what_is_wrong(commitment: Commitment, obligation: Any) -> None:
    action = ActionFactory(obligation=obligation)
    assert deps.find_item(commitment="tst-001") == commitment
    assert deps.find_item(action=str(action.pk)) == action
    for kwargs, words in (
        ({}, "not both"),
        ({"commitment": "TST-001", "action": "1"}, "not both"),
        ({"commitment": "NOPE-1"}, "There is no commitment"),
        ({"action": "x1"}, "whole number"),
        ({"action": "999999"}, "There is no action"),
    ):
        with pytest.raises(InvalidUpdate) as exc:
            deps.find_item(**kwargs)
        assert words in exc.value.errors["prerequisite"][0]


# --- at risk -----------------------------------------------------------------------------------


def _at_risk(item: Any) -> bool:
    return type(item).objects.with_at_risk(TODAY).get(pk=item.pk).at_risk  # type: ignore[no-any-return]


def test_at_risk_when_a_prerequisite_commitment_is_overdue_not_pursued_or_red(
    commitment: Commitment, second: Commitment, secretary: Any, admin_user: Any
) -> None:
    deps.add_dependency(commitment, second, by=secretary)
    assert not _at_risk(commitment)
    Commitment.objects.filter(pk=second.pk).update(target_date=TODAY - dt.timedelta(days=1))  # overdue
    assert _at_risk(commitment) and not _at_risk(second)
    Commitment.objects.filter(pk=second.pk).update(target_date=TODAY)  # due today: not overdue
    assert not _at_risk(commitment)
    Commitment.objects.filter(pk=second.pk).update(rollup_status="not_pursued")
    assert _at_risk(commitment)
    Commitment.objects.filter(pk=second.pk).update(rollup_status="in_progress", rollup_rag="red")
    assert _at_risk(commitment)
    # The rating used: an assurance rating given overrides the owner's red.
    Commitment.objects.filter(pk=second.pk).update(assurance_rag="amber")
    assert not _at_risk(commitment)
    Commitment.objects.filter(pk=second.pk).update(rollup_rag="green", assurance_rag="red")
    assert _at_risk(commitment)
    # A closed item is not at risk, whatever it waited on.
    Commitment.objects.filter(pk=commitment.pk).update(rollup_status="complete")
    assert not _at_risk(commitment)


def test_at_risk_when_a_prerequisite_action_is_overdue_not_pursued_or_red(obligation: Any, secretary: Any) -> None:
    waiting = ActionFactory(obligation=obligation, due_date=TODAY + dt.timedelta(days=30))
    prerequisite = ActionFactory(obligation=obligation, due_date=TODAY + dt.timedelta(days=10))
    deps.add_dependency(waiting, prerequisite, by=secretary)
    assert not _at_risk(waiting)
    Action.objects.filter(pk=prerequisite.pk).update(due_date=TODAY - dt.timedelta(days=2))
    assert _at_risk(waiting)
    Action.objects.filter(pk=prerequisite.pk).update(status="complete", completed_date=TODAY)
    assert not _at_risk(waiting)  # a complete prerequisite holds nothing up
    Action.objects.filter(pk=prerequisite.pk).update(status="not_pursued")
    assert _at_risk(waiting)
    Action.objects.filter(pk=prerequisite.pk).update(status="in_progress", due_date=TODAY + dt.timedelta(days=5), rag="red")
    assert _at_risk(waiting)


def test_at_risk_follows_an_update_through_the_service(commitment: Commitment, second: Commitment, secretary: Any) -> None:
    deps.add_dependency(commitment, second, by=secretary)
    record_update(second, by=secretary, version=second.version, data=UpdateInput(rag="red", reason="Slipping"))
    assert _at_risk(commitment)
    assert list(Commitment.objects.at_risk(on=TODAY).values_list("ref", flat=True)) == ["TST-001"]
    assert set(Commitment.objects.at_risk(False, on=TODAY).values_list("ref", flat=True)) == {"TST-002"}


def test_at_risk_lists_cost_the_same_queries_at_any_size(board: Any, secretary: Any) -> None:
    def run() -> None:
        list(Commitment.objects.for_list(TODAY).with_at_risk(TODAY))
        list(Action.objects.for_list(TODAY).with_at_risk(TODAY))

    first = CommitmentFactory(ref="Q-000", lead_board=board, target_date=TODAY - dt.timedelta(days=3))
    for i in range(1, 4):
        deps.add_dependency(CommitmentFactory(ref=f"Q-{i:03d}", lead_board=board), first, by=secretary)
    few = count_queries(run)
    for i in range(4, 40):
        deps.add_dependency(CommitmentFactory(ref=f"Q-{i:03d}", lead_board=board), first, by=secretary)
    assert count_queries(run) == few == 2
    assert Commitment.objects.at_risk(on=TODAY).count() == 39


# --- pages -------------------------------------------------------------------------------------


def test_the_commitment_page_shows_both_ways_and_the_form_only_to_its_secretariat(
    commitment: Commitment, second: Commitment, secretary: Any, officer: Any
) -> None:
    from .conftest import client_for

    deps.add_dependency(commitment, second, by=secretary)
    mine = client_for(secretary).get("/commitments/TST-001/").content.decode()
    assert "TST-001 is waiting on" in mine and 'href="/commitments/TST-002/"' in mine
    assert "/commitments/TST-001/dependencies/add/" in mine and "Remove" in mine
    theirs = client_for(officer).get("/commitments/TST-002/").content.decode()
    assert "TST-002 is holding up" in theirs and "Add a dependency" not in theirs and "Remove" not in theirs
    assert client_for(officer).get("/commitments/TST-001/dependencies/add/").status_code == 403


@pytest.mark.parametrize(
    ("post", "words"),
    [
        ({"waiting": "commitment"}, "not both"),
        ({"waiting": "commitment", "prerequisite_commitment": "TST-001"}, "cannot wait on itself"),
        ({"waiting": "commitment", "prerequisite_commitment": "NOPE-1"}, "There is no commitment"),
        ({"waiting": "commitment", "prerequisite_action": "abc"}, "whole number"),
        ({"waiting": "action-999999", "prerequisite_commitment": "TST-002"}, "Select what waits from the list"),
        ({"waiting": "commitment", "prerequisite_commitment": "TST-002"}, "TST-001 → TST-002 → TST-001"),
    ],
)
def test_bad_input_shows_an_error_summary_and_saves_nothing(
    commitment: Commitment, second: Commitment, secretary: Any, post: dict[str, str], words: str
) -> None:
    from .conftest import client_for

    deps.add_dependency(second, commitment, by=secretary)  # TST-002 waits on TST-001
    before = (Dependency.objects.count(), StatusUpdate.objects.count())
    response = client_for(secretary).post("/commitments/TST-001/dependencies/add/", post)
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html and words in html
    assert (Dependency.objects.count(), StatusUpdate.objects.count()) == before


def test_removing_on_the_page_needs_post_and_keeps_the_sources(loaded: None, admin_user: Any) -> None:
    from .conftest import client_for

    client = client_for(admin_user)
    dep = Dependency.objects.get(commitment__ref="EST-01", prerequisite_commitment__ref="EST-03")
    assert client.get(f"/commitments/EST-01/dependencies/{dep.pk}/remove/").status_code == 405
    response = client.post(f"/commitments/EST-01/dependencies/{dep.pk}/remove/", follow=True)
    assert "because the sources say so" in response.content.decode()
    assert Dependency.objects.filter(pk=dep.pk).exists()
    page = client.get("/commitments/EST-01/").content.decode()
    assert "From the sources" in page and "requires a London Estates Board" in page


# --- dashboards, papers, e-mails ---------------------------------------------------------------


@pytest.fixture
def late_prerequisite(commitment: Commitment, second: Commitment, secretary: Any, obligation: Any) -> Any:
    """TST-001 and one of its actions wait on TST-002, whose target date has passed."""
    action = ActionFactory(obligation=obligation, description="Draft the plan", due_date=TODAY + dt.timedelta(days=20))
    deps.add_dependency(commitment, second, by=secretary)
    deps.add_dependency(action, second, by=secretary)
    Commitment.objects.filter(pk=second.pk).update(target_date=TODAY - dt.timedelta(days=3), title="Set up the board")
    return action


def test_the_dashboard_counts_items_waiting_on_a_prerequisite_at_risk(late_prerequisite: Any) -> None:
    from reporting.dashboards.figures import Scope
    from reporting.dashboards.queries import build_dashboard

    dashboard = build_dashboard(Scope(all_agreements=True), on=TODAY)
    assert dashboard.at_risk == {"commitments": 1, "actions": 1}
    rows = {row[0].value: row[1] for row in dashboard.summary.rows}
    assert rows["Commitments waiting on a prerequisite at risk"].value == 1
    assert "at_risk=true" in rows["Actions waiting on a prerequisite at risk"].url


def test_papers_have_a_section_on_items_waiting_on_a_prerequisite_at_risk(late_prerequisite: Any, board: Any) -> None:
    from reporting.papers import render_paper, report_kind_for
    from reporting.word import html_to_docx

    from ..factories import MeetingFactory

    meeting = MeetingFactory(board=board, date=TODAY + dt.timedelta(days=10))
    html = render_paper(meeting, report_kind_for(meeting), as_of=TODAY)
    assert "waiting on a prerequisite at risk" in html
    assert "TST-002: Set up the board (overdue)" in html and "Draft the plan" in html
    docx = html_to_docx(html, title="Paper")
    import io
    import zipfile

    text = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
    assert "waiting on a prerequisite at risk" in text and "Set up the board" in text


def test_an_escalation_email_says_what_the_overdue_item_is_waiting_on(late_prerequisite: Any, obligation: Any) -> None:
    from commitments.models import Action, Escalation
    from commitments.notifications.escalations import escalations_email

    Action.objects.filter(pk=late_prerequisite.pk).update(due_date=TODAY - dt.timedelta(days=1), overdue_since=TODAY)
    escalation = Escalation.objects.create(
        target_type="action",
        action=late_prerequisite,
        obligation=obligation,
        commitment=obligation.commitment,
        step=1,
        overdue_since=TODAY,
    )
    mail = escalations_email([Escalation.objects.get(pk=escalation.pk)], recipient="nobody@example.org", today=TODAY)
    assert "Waiting on: TST-002 Set up the board (overdue)" in mail["text"]
    assert "Set up the board (overdue)" in mail["html"]


def test_the_history_row_changes_no_state(obligation: Any, secretary: Any, second: Commitment) -> None:
    action = ActionFactory(obligation=obligation, status="in_progress", rag="amber", progress=30)
    deps.add_dependency(action, second, by=secretary)
    row = StatusUpdate.objects.get(action=action)
    assert (row.from_status, row.to_status, row.from_rag, row.to_rag) == ("in_progress", "in_progress", "amber", "amber")
    assert row.from_due_date == row.to_due_date == action.due_date and row.changes() == []
