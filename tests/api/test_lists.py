"""Lists: the contract's filters (and their field errors), pagination with ``page_size`` clamped to
500, ``ordering`` with an allow-list, and ``?format=csv`` over the whole filtered list."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from boards.models import Membership
from commitments.models import Action, Commitment, Obligation, StatusUpdate

from ..factories import ActionFactory, CommitmentFactory, MembershipFactory, PartyFactory, UserFactory

pytestmark = pytest.mark.django_db


def refs(client: APIClient, query: str) -> list[str]:
    response = client.get(f"/api/v1/commitments/?{query}")
    assert response.status_code == 200, response.json()
    return [c["ref"] for c in response.json()["results"]]


def ids(client: APIClient, path: str) -> list[int]:
    response = client.get(path)
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


# --- commitment filters -----------------------------------------------------------------------


def test_commitment_filters(reader: APIClient, world: Any) -> None:
    today = timezone.localdate()
    third = CommitmentFactory(
        ref="OTH-001", title="Workforce compact", summary="Skills for care staff", target_date=today - dt.timedelta(days=5)
    )
    assert refs(reader, "theme=capital-and-estates") == ["TST-001", "TST-002"]
    assert refs(reader, "board=spb") == ["TST-001"]  # code in any case
    assert set(refs(reader, "board=none")) == {"TST-002", "OTH-001"}
    assert refs(reader, "pilot=hackney") == ["TST-001"]
    assert refs(reader, "party=party-b") == ["TST-001"]
    assert set(refs(reader, "party=party-a")) == {"TST-001", "TST-002"}
    assert refs(reader, "status=in_progress") == ["TST-001"]
    assert refs(reader, "rag=green") == ["TST-002"]
    assert set(refs(reader, "rag=amber&rag=green")) == {"TST-001", "TST-002"}
    assert refs(reader, "rag=none") == ["OTH-001"]
    assert refs(reader, "overdue=true") == ["OTH-001"]
    assert set(refs(reader, "overdue=false")) == {"TST-001", "TST-002"}
    assert refs(reader, f"due_before={today}") == ["OTH-001"]
    # Strict: an item due exactly on the date is neither before nor after it.
    assert refs(reader, f"due_after={world.commitment.target_date}") == ["TST-002"]
    assert refs(reader, f"due_before={world.commitment.target_date}") == ["OTH-001"]
    assert refs(reader, "q=workforce") == ["OTH-001"]
    assert refs(reader, "q=skills+for") == ["OTH-001"]
    assert refs(reader, "q=tst-002") == ["TST-002"]
    assert set(refs(reader, f"agreement={world.agreement.slug}")) == {"TST-001", "TST-002", "OTH-001"}
    assert refs(reader, "agreement=another") == []
    assert third.ref in refs(reader, "kind=commitment")


def test_updated_since_needs_an_offset_and_is_inclusive(reader: APIClient, world: Any) -> None:
    stamp = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    Commitment.objects.filter(pk=world.second.pk).update(updated_at=stamp)
    assert refs(reader, "updated_since=2030-01-01T12:00:00Z") == ["TST-002"]
    assert refs(reader, "updated_since=2030-01-01T13:00:00%2B01:00") == ["TST-002"]  # same instant, BST offset
    assert refs(reader, "updated_since=2030-01-01T12:00:01Z") == []
    # Offsets PostgreSQL would refuse (beyond ±15:59) are fine: the instant is what counts.
    assert refs(reader, "updated_since=2030-01-02T05:06:00%2B17:06") == ["TST-002"]
    naive = reader.get("/api/v1/commitments/?updated_since=2030-01-01T12:00:00")
    assert naive.status_code == 400
    assert naive.json()["errors"]["updated_since"][0].startswith("Give the time zone offset")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("theme=no-such-theme", "theme"),
        ("pilot=nope", "pilot"),
        ("party=nope", "party"),
        ("status=finished", "status"),
        ("rag=purple", "rag"),
        ("overdue=yes", "overdue"),
        ("due_before=31/12/2026", "due_before"),
        ("due_after=2026-13-01", "due_after"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_since=2026-01-01T10:00:00", "updated_since"),
        ("updated_since=0001-01-01T00:00:00%2B05:00", "updated_since"),  # before year 1 in UTC
        ("updated_since=9999-12-31T23:00:00-05:00", "updated_since"),  # after year 9999 in UTC
        ("q=" + "x" * 201, "q"),
        ("ordering=summary", "ordering"),
        ("ordering=-ref,nope", "ordering"),
        ("in_dashboards=maybe", "in_dashboards"),
        ("q=a%00b", "q"),
    ],
)
def test_bad_commitment_filters_are_400_with_field_errors(reader: APIClient, world: Any, query: str, field: str) -> None:
    response = reader.get(f"/api/v1/commitments/?{query}")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"], body


# --- obligations, actions, status updates -----------------------------------------------------


def test_obligation_and_action_filters(reader: APIClient, world: Any) -> None:
    ob, other = world.obligation, world.other_obligation
    assert set(ids(reader, "/api/v1/obligations/?commitment=tst-001")) == {ob.pk, other.pk}
    assert ids(reader, "/api/v1/obligations/?commitment=TST-001&party=party-b") == [other.pk]
    assert ids(reader, "/api/v1/obligations/?owner=alice") == [ob.pk]
    assert ids(reader, "/api/v1/obligations/?status=in_progress") == [ob.pk]
    assert ids(reader, "/api/v1/obligations/?rag=amber") == [ob.pk]
    assert ids(reader, "/api/v1/obligations/?overdue=true") == [ob.pk]
    assert ob.pk not in ids(reader, "/api/v1/obligations/?overdue=false")
    Obligation.objects.filter(pk=other.pk).update(updated_at=dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
    assert ids(reader, "/api/v1/obligations/?updated_since=2030-12-31T00:00:00Z") == [other.pk]

    action, late = world.action, world.late_action
    assert ids(reader, "/api/v1/actions/?commitment=TST-001") == [late.pk, action.pk]
    assert ids(reader, "/api/v1/actions/?party=party-a&overdue=true") == [late.pk]
    assert ids(reader, "/api/v1/actions/?overdue=false") == [action.pk]
    assert ids(reader, f"/api/v1/actions/?obligation={ob.pk}") == [late.pk, action.pk]
    Action.objects.filter(pk=action.pk).update(owner=world.obligation.owner, status="in_progress", rag="green")
    assert ids(reader, "/api/v1/actions/?owner=alice") == [action.pk]
    assert ids(reader, "/api/v1/actions/?status=in_progress&rag=green") == [action.pk]
    Action.objects.filter(pk=late.pk).update(updated_at=dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
    assert ids(reader, "/api/v1/actions/?updated_since=2030-12-31T23:00:00-01:00") == [late.pk]


def test_a_not_pursued_item_is_not_overdue_in_the_filter_the_field_or_the_csv(reader: APIClient, world: Any) -> None:
    """DESIGN.md §10: not_pursued closes an item like complete, however late its date."""
    late, ob = world.late_action, world.obligation
    Action.objects.filter(pk=late.pk).update(status="not_pursued")
    Obligation.objects.filter(pk=ob.pk).update(status="not_pursued")
    Commitment.objects.filter(pk=world.commitment.pk).update(
        target_date=timezone.localdate() - dt.timedelta(days=2), rollup_status="not_pursued"
    )

    assert ids(reader, "/api/v1/actions/?overdue=true") == []
    assert late.pk in ids(reader, "/api/v1/actions/?overdue=false")
    assert reader.get(f"/api/v1/actions/{late.pk}/").json()["overdue"] is False
    assert ids(reader, "/api/v1/obligations/?overdue=true") == []
    assert reader.get(f"/api/v1/obligations/{ob.pk}/").json()["overdue"] is False
    assert "TST-001" not in refs(reader, "overdue=true")
    assert reader.get("/api/v1/commitments/TST-001/").json()["overdue"] is False
    rows = _csv(reader.get("/api/v1/actions/?format=csv"))
    assert {r["id"]: r["overdue"] for r in rows}[str(late.pk)] == "false"
    # Reopened, it is overdue again: the rule reads the status, nothing is stored.
    Action.objects.filter(pk=late.pk).update(status="in_progress")
    assert ids(reader, "/api/v1/actions/?overdue=true") == [late.pk]
    assert reader.get(f"/api/v1/actions/{late.pk}/").json()["overdue"] is True


def test_status_update_filters(reader: APIClient, world: Any) -> None:
    assessment = StatusUpdate.objects.get(commitment=world.second, target_type="commitment")
    assert ids(reader, "/api/v1/status-updates/?target_type=obligation") == [world.update.pk]
    assert ids(reader, "/api/v1/status-updates/?target_type=commitment") == [assessment.pk]
    assert ids(reader, "/api/v1/status-updates/?commitment=tst-002") == [assessment.pk]
    assert ids(reader, "/api/v1/status-updates/?party=party-a") == [world.update.pk]
    assert ids(reader, "/api/v1/status-updates/?author=sam") == [assessment.pk]
    assert ids(reader, f"/api/v1/status-updates/?obligation={world.obligation.pk}") == [world.update.pk]
    StatusUpdate.objects.filter(pk=assessment.pk).update(created_at=dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
    assert ids(reader, "/api/v1/status-updates/?since=2030-06-01T00:00:00Z") == [assessment.pk]
    assert ids(reader, "/api/v1/status-updates/?updated_since=2030-06-01T00:00:00Z") == [assessment.pk]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/obligations/?status=x", "status"),
        ("/api/v1/obligations/?overdue=1", "overdue"),
        ("/api/v1/obligations/?updated_since=2026-01-01", "updated_since"),
        ("/api/v1/actions/?obligation=abc", "obligation"),
        ("/api/v1/actions/?due_before=tomorrow", "due_before"),
        ("/api/v1/status-updates/?target_type=board", "target_type"),
        ("/api/v1/status-updates/?since=2026-01-01T00:00:00", "since"),
        ("/api/v1/status-updates/?obligation=-3", "obligation"),
        ("/api/v1/status-updates/?ordering=reason", "ordering"),
    ],
)
def test_bad_filters_elsewhere_are_400_with_field_errors(reader: APIClient, world: Any, path: str, field: str) -> None:
    response = reader.get(path)
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    "collection", ["agreements", "themes", "parties", "boards", "pilots", "boroughs", "meetings", "reports", "obligations", "actions"]
)
def test_updated_since_works_on_every_list(reader: APIClient, world: Any, collection: str) -> None:
    everything = reader.get(f"/api/v1/{collection}/").json()["count"]
    assert everything >= 1
    assert reader.get(f"/api/v1/{collection}/?updated_since=2000-01-01T00:00:00Z").json()["count"] == everything
    assert reader.get(f"/api/v1/{collection}/?updated_since=2999-01-01T00:00:00%2B00:00").json()["count"] == 0
    assert reader.get(f"/api/v1/{collection}/?updated_since=2000-01-01").status_code == 400


def test_reference_data_filters(reader: APIClient, world: Any) -> None:
    assert [p["slug"] for p in reader.get("/api/v1/parties/?type=local_authority").json()["results"]] == ["hackney"]
    assert [p["slug"] for p in reader.get("/api/v1/parties/?q=party+b").json()["results"]] == ["party-b"]
    assert [b["code"] for b in reader.get("/api/v1/boards/?is_mou_board=true").json()["results"]] == ["SPB"]
    assert [p["slug"] for p in reader.get("/api/v1/pilots/?borough=hackney").json()["results"]] == ["hackney"]
    assert [b["slug"] for b in reader.get("/api/v1/boroughs/?pilot=hackney").json()["results"]] == ["hackney"]
    assert ids(reader, "/api/v1/meetings/?board=spb") == [world.meeting.pk]
    assert ids(reader, f"/api/v1/meetings/?date_after={world.meeting.date}") == []
    assert ids(reader, f"/api/v1/reports/?meeting={world.meeting.pk}&state=ready") == [world.report.pk]
    assert reader.get("/api/v1/agreements/?kind=mou&in_dashboards=true").json()["count"] == 1
    assert reader.get("/api/v1/reports/?state=exploded").status_code == 400


# --- pagination -------------------------------------------------------------------------------


@pytest.fixture
def many_actions(world: Any) -> list[int]:
    ActionFactory.create_batch(560, obligation=world.other_obligation)
    return list(Action.objects.values_list("pk", flat=True))


def test_page_size_defaults_to_50_and_is_clamped_to_500(reader: APIClient, many_actions: list[int]) -> None:
    total = len(many_actions)
    first = reader.get("/api/v1/actions/").json()
    assert first["count"] == total and len(first["results"]) == 50
    assert first["previous"] is None and first["next"] == "http://testserver/api/v1/actions/?page=2"
    assert len(reader.get("/api/v1/actions/?page_size=7").json()["results"]) == 7
    clamped = reader.get("/api/v1/actions/?page_size=100000").json()
    assert len(clamped["results"]) == 500
    # Junk page sizes are a 400 naming the parameter (issue 11), not a quiet fall-back to 50.
    for junk in ("abc", "-4", "0", "1.5", ""):
        response = reader.get(f"/api/v1/actions/?page_size={junk}")
        assert response.status_code == 400 and "page_size" in response.json()["errors"], (junk, response.content)


def test_following_next_visits_every_row_once(reader: APIClient, many_actions: list[int]) -> None:
    seen: list[int] = []
    url: str | None = "/api/v1/actions/?page_size=200&ordering=due_date"
    while url:
        body = reader.get(url).json()
        seen.extend(item["id"] for item in body["results"])
        url = body["next"]
    assert sorted(seen) == sorted(many_actions) and len(seen) == len(set(seen))


@pytest.mark.parametrize("page", ["9999", "99999999999999999999", "9" * 5000])
def test_pages_that_do_not_exist_are_404(reader: APIClient, world: Any, page: str) -> None:
    response = reader.get(f"/api/v1/commitments/?page={page}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "", "1e3"])
def test_page_numbers_that_are_not_whole_numbers_from_1_are_400(reader: APIClient, world: Any, page: str) -> None:
    response = reader.get(f"/api/v1/commitments/?page={page}")
    assert response.status_code == 400 and response.json()["errors"] == {"page": ["Give a page number: a whole number of at least 1."]}


# --- ordering ---------------------------------------------------------------------------------


def test_ordering_uses_the_allow_list_and_breaks_ties_by_id(reader: APIClient, world: Any) -> None:
    assert refs(reader, "ordering=-ref") == ["TST-002", "TST-001"]
    assert refs(reader, "ordering=due_date") == ["TST-001", "TST-002"]
    assert refs(reader, "ordering=-target_date") == ["TST-002", "TST-001"]
    assert refs(reader, "ordering=rag") == ["TST-001", "TST-002"]  # amber < green (alphabetical)
    assert refs(reader, "ordering=-progress") == ["TST-001", "TST-002"]
    late, soon = world.late_action.pk, world.action.pk
    assert ids(reader, "/api/v1/actions/?ordering=-due_date") == [soon, late]
    assert ids(reader, "/api/v1/actions/?ordering=status,-id") == [late, soon]
    obligations = reader.get("/api/v1/obligations/?ordering=-party").json()["results"]
    assert [o["party"]["slug"] for o in obligations] == ["party-b", "party-a", "party-a"]


# --- CSV --------------------------------------------------------------------------------------


def _csv(response: Any) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_exports_the_whole_filtered_list_not_one_page(reader: APIClient, many_actions: list[int]) -> None:
    response = reader.get("/api/v1/actions/?format=csv&page_size=5&ordering=-id")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="action.csv"'
    rows = _csv(response)
    assert len(rows) == len(many_actions)
    assert [int(r["id"]) for r in rows] == sorted(many_actions, reverse=True)
    assert {"url", "description", "status", "rag", "due_date", "overdue", "obligation.party.slug", "commitment.ref"} <= set(rows[0])
    filtered = _csv(reader.get("/api/v1/actions/?format=csv&overdue=true"))
    assert len(filtered) == 1 and filtered[0]["overdue"] == "true"


def test_csv_is_negotiated_by_accept_too_and_has_a_header_when_empty(reader: APIClient, world: Any) -> None:
    response = reader.get("/api/v1/commitments/?q=nothing-matches", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    header = next(csv.reader(io.StringIO(text)))
    assert header[:3] == ["url", "ref", "key"] and "obligations" in header and "rollup.rag" in header
    assert text.count("\n") == 1


def test_csv_flattens_nested_objects_and_lists(reader: APIClient, world: Any) -> None:
    rows = _csv(reader.get("/api/v1/commitments/?format=csv"))
    first = next(r for r in rows if r["ref"] == "TST-001")
    assert first["lead_board.code"] == "SPB" and first["theme.slug"] == "capital-and-estates"
    # Nested lists become their items' keys (an obligation's key is its id).
    assert first["obligations"] == f"{world.obligation.pk}; {world.other_obligation.pk}"
    assert first["assessment.rag"] == "" and first["rollup.rag"] == "amber"


@pytest.mark.parametrize("danger", ['=HYPERLINK("http://evil")', "+1+2", "-3+4", "@SUM(A1)", "\tTAB", "\rCR"])
def test_csv_cells_are_formula_safe(reader: APIClient, world: Any, danger: str) -> None:
    Commitment.objects.filter(pk=world.commitment.pk).update(title=danger)
    rows = _csv(reader.get("/api/v1/commitments/?format=csv&q=TST-001"))
    assert rows[0]["title"] == "'" + danger
    assert rows[0]["ref"] == "TST-001"  # ordinary cells are left alone


def test_csv_errors_are_json(reader: APIClient, world: Any) -> None:
    response = reader.get("/api/v1/commitments/?format=csv&status=nope")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "status" in response.json()["errors"]


def test_csv_is_only_for_lists(reader: APIClient, world: Any) -> None:
    response = reader.get("/api/v1/commitments/TST-001/?format=csv")
    assert response.status_code == 406 and response.json()["code"] == "not_acceptable"


def test_an_officer_sees_every_partys_data_when_reading(world: Any) -> None:
    """Every signed-in user may read everything (DESIGN.md §10): lists are not scoped by party."""
    from boards.models import ApiToken

    from ..conftest import token_client

    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, party=PartyFactory(slug="elsewhere"), role=Membership.Role.OFFICER)
    client = token_client(ApiToken.issue(user=stranger, scope="read")[1])
    assert client.get("/api/v1/obligations/").json()["count"] == Obligation.objects.count()


@pytest.mark.postgresql(reason="counts are cached per PostgreSQL snapshot, which a write the change log does not see still moves")
@pytest.mark.serial  # any commit on the server (another test's, in another database) moves the snapshot
@pytest.mark.django_db(transaction=True)
def test_a_count_is_cached_until_a_write_commits(reader: Any, django_assert_num_queries: Any) -> None:
    # Committed data (transaction=True): the snapshot is the version the count is cached under.
    from django.core.cache import cache

    cache.clear()
    today = timezone.localdate()
    for n in range(3):
        ActionFactory(due_date=today - dt.timedelta(days=n + 1))
    url = "/api/v1/actions/?overdue=true&page_size=2"
    reader.get("/api/v1/themes/")  # the token's last_used_at write
    # token, head + snapshot, COUNT, rows, what the page's actions wait on and hold up (issue 15)
    with django_assert_num_queries(6):
        assert reader.get(url).json()["count"] == 3
    # The same snapshot: the count comes from the cache.
    with django_assert_num_queries(5):
        assert reader.get(url).json()["count"] == 3
    # A committed write (here one that the change log does not see) moves the snapshot.
    Action.objects.filter(pk=Action.objects.order_by("pk").values("pk")[:1]).update(status="complete", completed_date=today)
    with django_assert_num_queries(6):
        assert reader.get(url).json()["count"] == 2
