"""Read endpoints: every collection and object, keyed as DESIGN.md §6 says, with nested summaries,
links between resources, the shown state of commitments and UTC datetimes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from commitments.models import Commitment

pytestmark = pytest.mark.django_db

UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
COLLECTIONS = [
    "agreements",
    "themes",
    "commitments",
    "obligations",
    "actions",
    "status-updates",
    "parties",
    "boards",
    "pilots",
    "boroughs",
    "meetings",
    "reports",
]


def _datetimes(data: Any) -> list[str]:
    """Every value of a key ending in ``_at`` anywhere in a body."""
    out: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key.endswith("_at") and isinstance(value, str):
                out.append(value)
            else:
                out.extend(_datetimes(value))
    elif isinstance(data, list):
        for item in data:
            out.extend(_datetimes(item))
    return out


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_every_collection_lists_in_the_contract_shape_and_links_to_each_item(reader: Any, world: Any, collection: str) -> None:
    response = reader.get(f"/api/v1/{collection}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] >= 1 and len(body["results"]) == body["count"]
    first = body["results"][0]
    assert first["url"].startswith("http://testserver/api/v1/")
    # Each item's own link answers with the same representation (save for list-only brevity).
    item = reader.get(first["url"])
    assert item.status_code == 200
    assert item.json()["url"] == first["url"]


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_datetimes_are_utc_with_z_even_in_british_summer_time(reader: Any, world: Any, collection: str, settings: Any) -> None:
    # Make sure there is a summer instant to render: London is UTC+1 then.
    Commitment.objects.filter(pk=world.commitment.pk).update(assessed_at=dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC))
    body = reader.get(f"/api/v1/{collection}/").json()
    stamps = _datetimes(body)
    assert stamps, f"{collection} shows no datetimes"
    assert all(UTC_Z.match(s) for s in stamps), [s for s in stamps if not UTC_Z.match(s)]


def test_a_commitment_is_found_by_ref_with_its_obligations_party_and_state(reader: Any, world: Any) -> None:
    body = reader.get("/api/v1/commitments/TST-001/").json()
    assert body["ref"] == "TST-001"
    assert body["url"] == "http://testserver/api/v1/commitments/TST-001/"
    assert body["lead_board"] == {"url": "http://testserver/api/v1/boards/SPB/", "code": "SPB", "name": world.board.name}
    assert body["theme"]["slug"] == "capital-and-estates"
    assert body["agreement"]["slug"] == world.agreement.slug
    assert [p["slug"] for p in body["pilots"]] == ["hackney"]
    parties = {o["party"]["slug"]: o for o in body["obligations"]}
    assert set(parties) == {"party-a", "party-b"}
    a = parties["party-a"]
    assert a["url"] == f"http://testserver/api/v1/obligations/{world.obligation.pk}/"
    assert (a["status"], a["rag"], a["progress"], a["version"]) == ("in_progress", "amber", 40, 2)
    assert a["overdue"] is True and a["due_date"] == str(world.obligation.due_date)
    assert a["owner"] == {"username": "alice", "name": "Alice Officer"}
    assert parties["party-b"]["overdue"] is False
    # Detail extras.
    assert body["citations"] == [] and body["children"] == [] and body["followed_up_by"] == [] and body["related"] == []
    assert body["updates_url"] == "http://testserver/api/v1/status-updates/?commitment=TST-001"


def test_an_unassessed_commitment_shows_its_rollup(reader: Any, world: Any) -> None:
    body = reader.get("/api/v1/commitments/TST-001/").json()
    # The roll-up of party A (in progress, amber, 40) and party B (not started, unassessed, 0).
    assert body["assessment"] is None
    assert body["rollup"] == {"status": "in_progress", "rag": "amber", "progress": 20}
    assert (body["status"], body["rag"], body["progress"]) == ("in_progress", "amber", 20)
    assert body["due_date"] == body["target_date"] == str(world.commitment.target_date)
    assert body["overdue"] is False and body["overdue_since"] is None
    assert body["version"] == 1
    assert UTC_Z.match(body["updated_at"])


def test_an_assessed_commitment_shows_the_assessment_and_both_parts(reader: Any, world: Any) -> None:
    body = reader.get("/api/v1/commitments/TST-002/").json()
    assert body["assessment"]["rag"] == "green" and body["assessment"]["progress"] == 10
    assert body["assessment"]["assessed_by"]["username"] == "sam"
    assert UTC_Z.match(body["assessment"]["assessed_at"])
    assert body["rollup"] == {"status": "not_started", "rag": "", "progress": 0}
    assert (body["rag"], body["progress"]) == ("green", 10)
    assert body["assessment_differs"] is True
    assert body["lead_board"] is None


def test_a_commitment_past_its_target_date_and_not_complete_is_overdue(reader: Any, world: Any) -> None:
    Commitment.objects.filter(pk=world.second.pk).update(target_date=timezone.localdate() - dt.timedelta(days=1))
    assert reader.get("/api/v1/commitments/TST-002/").json()["overdue"] is True
    # Due today is not overdue (DESIGN.md §10).
    Commitment.objects.filter(pk=world.second.pk).update(target_date=timezone.localdate())
    assert reader.get("/api/v1/commitments/TST-002/").json()["overdue"] is False


def test_an_obligation_lists_its_actions_and_links_back(reader: Any, world: Any) -> None:
    body = reader.get(f"/api/v1/obligations/{world.obligation.pk}/").json()
    assert body["commitment"] == {"url": "http://testserver/api/v1/commitments/TST-001/", "ref": "TST-001", "title": world.commitment.title}
    assert body["party"]["url"] == "http://testserver/api/v1/parties/party-a/"
    assert [a["description"] for a in body["actions"]] == ["Agree the business case", "Publish the estates plan"]
    assert [a["overdue"] for a in body["actions"]] == [True, False]
    for key in ("status", "rag", "progress", "version", "due_date", "overdue", "overdue_since", "updated_at"):
        assert key in body and all(key in a for a in body["actions"])
    assert body["updates_url"].endswith(f"/api/v1/status-updates/?obligation={world.obligation.pk}")


def test_an_action_shows_its_state_obligation_and_commitment(reader: Any, world: Any) -> None:
    body = reader.get(f"/api/v1/actions/{world.late_action.pk}/").json()
    assert body["overdue"] is True
    assert body["due_date"] == body["original_due_date"] == str(world.late_action.due_date)
    assert body["obligation"]["id"] == world.obligation.pk and body["obligation"]["party"]["slug"] == "party-a"
    assert body["commitment"]["ref"] == "TST-001"
    assert body["completed_date"] is None


def test_a_status_update_says_who_changed_what_from_what_to_what(reader: Any, world: Any) -> None:
    body = reader.get(f"/api/v1/status-updates/{world.update.pk}/").json()
    assert body["target_type"] == "obligation"
    assert body["author"] == {"username": "alice", "name": "Alice Officer"}
    assert body["before"] == {
        "status": "not_started",
        "rag": "",
        "progress": 0,
        "due_date": str(world.obligation.due_date),
        "assurance_rag": "",
        "owner": None,
        "lead_board": None,
    }
    assert body["after"]["status"] == "in_progress" and body["after"]["rag"] == "amber" and body["after"]["progress"] == 40
    assert body["reason"] == "Work started" and body["version"] == 2
    assert body["obligation"]["id"] == world.obligation.pk and body["commitment"]["ref"] == "TST-001"


@pytest.mark.parametrize("code", ["SPB", "spb", "Spb"])
def test_boards_are_found_by_code_in_any_case(reader: Any, world: Any, code: str) -> None:
    response = reader.get(f"/api/v1/boards/{code}/")
    assert response.status_code == 200
    assert response.json()["code"] == "SPB"
    assert response.json()["commitments_url"].endswith("/api/v1/commitments/?board=SPB")


def test_reference_data_is_keyed_by_slug_and_linked(reader: Any, world: Any) -> None:
    assert reader.get("/api/v1/themes/capital-and-estates/").json()["commitments_url"].endswith("?theme=capital-and-estates")
    agreement = reader.get(f"/api/v1/agreements/{world.agreement.slug}/").json()
    assert agreement["kind"] == "mou" and agreement["date"] == "2017-11-16"
    pilot = reader.get("/api/v1/pilots/hackney/").json()
    assert [b["slug"] for b in pilot["boroughs"]] == ["hackney"]
    borough = reader.get("/api/v1/boroughs/hackney/").json()
    assert borough["party"]["url"] == "http://testserver/api/v1/parties/hackney/"
    assert [p["slug"] for p in borough["pilots"]] == ["hackney"]
    party = reader.get("/api/v1/parties/hackney/").json()
    assert party["borough"]["url"] == "http://testserver/api/v1/boroughs/hackney/"
    assert reader.get("/api/v1/parties/party-a/").json()["borough"] is None


def test_meetings_and_reports_link_to_each_other_and_to_the_report_files(reader: Any, world: Any) -> None:
    meeting = reader.get(f"/api/v1/meetings/{world.meeting.pk}/").json()
    assert meeting["board"]["code"] == "SPB"
    assert [r["id"] for r in meeting["reports"]] == [world.report.pk]
    report = reader.get(f"/api/v1/reports/{world.report.pk}/").json()
    assert report["meeting"]["id"] == world.meeting.pk
    assert report["html_url"] == f"http://testserver/api/v1/reports/{world.report.pk}/html/"
    assert report["pdf_url"] is None  # not built yet
    html = reader.get(report["html_url"])
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    assert b"<h1>Outstanding actions</h1>" in html.content
    missing = reader.get(f"/api/v1/reports/{world.report.pk}/pdf/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_a_built_pdf_is_served_as_pdf(reader: Any, world: Any) -> None:
    from django.core.files.base import ContentFile

    world.report.pdf.save("paper.pdf", ContentFile(b"%PDF-1.7 test"), save=True)
    body = reader.get(f"/api/v1/reports/{world.report.pk}/").json()
    assert body["pdf_url"] == f"http://testserver/api/v1/reports/{world.report.pk}/pdf/"
    response = reader.get(body["pdf_url"], HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b"%PDF-1.7 test"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/commitments/NOPE-1/",
        "/api/v1/obligations/999999/",
        "/api/v1/obligations/99999999999999999999999/",
        "/api/v1/boards/XYZ/",
        "/api/v1/reports/12345/html/",
        "/api/v1/nothing-here/",
    ],
)
def test_unknown_keys_are_404_in_the_error_shape(reader: Any, world: Any, path: str) -> None:
    response = reader.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found" and set(response.json()) == {"detail", "code", "errors"}


def test_a_missing_trailing_slash_redirects_a_get(reader: Any, world: Any) -> None:
    response = reader.get("/api/v1/commitments?status=complete")
    assert response.status_code == 301 and response["Location"] == "/api/v1/commitments/?status=complete"
    post = reader.post("/api/v1/commitments/TST-001/updates", {}, format="json")
    assert post.status_code == 404 and "trailing slash" in post.json()["detail"]


def test_the_root_lists_the_collections_publicly(api: Any, db: Any) -> None:
    body = api.get("/api/v1/").json()
    assert set(COLLECTIONS) <= set(body) and {"changes", "schema", "docs"} <= set(body)
