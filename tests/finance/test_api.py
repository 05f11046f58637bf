"""Money and estates in the partner API (issue 16): the four collections' representations
(amounts as pounds and as pence, flags), filters, ordering, CSV, query counts, the writes (POST and
PATCH through the services: 201/200, 400 naming the field, 403, 404, 409 with the current record),
and the sync feed."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from boards.models import ApiToken
from commitments.models import Change
from finance.models import Disposal, FinanceUpdate, FundingLine

from ..conftest import token_client
from .conftest import Money
from .writers import Writers, writers_fixture  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def client(user: Any, scope: str = ApiToken.Scope.WRITE) -> APIClient:
    return token_client(ApiToken.issue(user=user, scope=scope)[1])


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- reading --------------------------------------------------------------------------------------


def test_a_line_gives_each_amount_in_pounds_and_in_pence_with_its_flags(money: Money, writers: Writers) -> None:
    line = money.lines[1]
    body = client(writers.viewer, ApiToken.Scope.READ).get(f"/api/v1/funding-lines/{line.pk}/").json()
    assert body["committed"] == "2500000.50" and body["committed_pence"] == 250_000_050
    assert body["allocated"] == "2000000.00" and body["allocated_pence"] == 200_000_000
    assert body["flags"] == ["Committed is more than allocated."]
    assert body["financial_year"] == 2018 and body["financial_year_label"] == "2018/19" and body["quarter"] == 2
    assert body["stream"]["slug"] == "transformation-funding" and body["sub_region"] == {
        "slug": "south-east-london",
        "name": "South East London",
    }
    assert body["version"] == 1 and body["url"].endswith(f"/api/v1/funding-lines/{line.pk}/")


def test_streams_budgets_and_disposals_read_by_their_keys(money: Money, writers: Writers) -> None:
    api = client(writers.viewer, ApiToken.Scope.READ)
    stream = api.get("/api/v1/funding-streams/transformation-funding/").json()
    assert stream["allocation"] == "120000000.00" and stream["allocation_pence"] == 12_000_000_000
    assert stream["lines_allocated"] == "13000000.00" and stream["line_count"] == 3
    assert stream["flags"] == ["One of its lines does not add up."] and [c["ref"] for c in stream["commitments"]] == ["COM-08"]
    budget = api.get("/api/v1/capital-budgets/2018/").json()
    assert budget["amount"] == "40000000.00" and [q["quarter"] for q in budget["quarters"]] == [1, 2, 3, 4]
    assert budget["quarters"][1]["spent_pence"] == 1_600_000_000 and len(budget["flags"]) == 2
    assert api.get("/api/v1/capital-budgets/2030/").status_code == 404
    disposal = api.get(f"/api/v1/disposals/{money.disposals[1].pk}/").json()
    assert disposal["expected_receipt"] == "30000.01" and disposal["actual_receipt"] is None
    assert disposal["retained"] == "15000.00" and disposal["retained_pence"] == 1_500_000 and disposal["owner"]["slug"] == "royal-free"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("stream=capital-programme", ["Camden health centre"]),
        ("sub_region=south-east-london", ["South East London urgent care"]),
        ("party=gla", ["North Central London integrated care"]),
        ("pilot=north-central-london-estates", ["North Central London integrated care"]),
        ("flagged=true&ordering=description", ["Camden health centre", "South East London urgent care"]),
        ("year=2019", ["London-wide digital"]),
        ("quarter=2", ["South East London urgent care"]),
        ("commitment=com-08", ["North Central London integrated care"]),
    ],
)
def test_lines_are_filtered_as_the_pages_filter_them(money: Money, writers: Writers, query: str, expected: list[str]) -> None:
    rows = results(client(writers.viewer, ApiToken.Scope.READ).get(f"/api/v1/funding-lines/?{query}"))
    assert [r["description"] for r in rows] == expected


def test_disposals_filters_ordering_and_bad_values(money: Money, writers: Writers) -> None:
    api = client(writers.viewer, ApiToken.Scope.READ)
    assert [r["site"] for r in results(api.get("/api/v1/disposals/?status=on_market&status=withdrawn&ordering=-site"))] == [
        "Withdrawn site",
        "Lewisham clinic",
    ]
    assert [r["site"] for r in results(api.get("/api/v1/disposals/?borough=camden"))] == ["St Pancras Hospital (part)"]
    assert len(results(api.get("/api/v1/disposals/?owner=royal-free"))) == 3
    for bad in ("status=sold", "ordering=colour", "updated_since=2018-01-01", "year=1999"):
        path = "/api/v1/capital-budgets/?" if bad.startswith("year") else "/api/v1/disposals/?"
        response = api.get(path + bad)
        assert response.status_code == 400 and response.json()["code"] == "invalid", bad
    assert [b["financial_year"] for b in results(api.get("/api/v1/capital-budgets/?flagged=true"))] == [2018]


def test_csv_exports_every_row_with_pounds_and_pence(money: Money, writers: Writers) -> None:
    response = client(writers.viewer, ApiToken.Scope.READ).get("/api/v1/funding-lines/?format=csv&flagged=true")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["description"] for r in rows} == {"Camden health centre", "South East London urgent care"}
    row = next(r for r in rows if r["description"] == "South East London urgent care")
    assert (row["committed"], row["committed_pence"], row["stream.slug"]) == ("2500000.50", "250000050", "transformation-funding")
    assert row["flags"] == "Committed is more than allocated."


@pytest.mark.parametrize("collection", ["funding-streams", "funding-lines", "capital-budgets", "disposals"])
def test_lists_run_a_fixed_number_of_queries(money: Money, writers: Writers, grow_finance: Callable[[int], None], collection: str) -> None:
    api = client(writers.viewer, ApiToken.Scope.READ)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(f"/api/v1/{collection}/").status_code == 200
        return len(queries)

    api.get(f"/api/v1/{collection}/")  # the token's first use writes its last_used_at
    # The token, the change log's head, the count, the page, and the page's commitments (or quarters).
    assert count() == 5
    grow_finance(30)
    assert count() == 5


# --- writing --------------------------------------------------------------------------------------


def test_an_officer_patches_their_lines_amounts_and_the_answer_is_the_line_with_its_flags(money: Money, writers: Writers) -> None:
    line = money.lines[0]
    response = client(writers.gla).patch(
        f"/api/v1/funding-lines/{line.pk}/", {"spent": "9000000.00", "version": 1, "reason": "Quarter's returns"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["spent_pence"] == 900_000_000 and body["version"] == 2 and body["flags"] == ["Spent is more than committed."]
    update = FinanceUpdate.objects.get(line=line, version=2)
    assert update.source == FinanceUpdate.Source.API and update.changes["spent_pence"] == [500_000_000, 900_000_000]


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"spent": 1200.5}, "spent", "JSON string"),
        ({"spent": "£1,200"}, "spent", "without a currency sign"),
        ({"spent": "1200.505"}, "spent", "two decimal places"),
        ({"spent": "-1"}, "spent", "negative"),
        ({"spent": " 12"}, "spent", "digits only"),
        ({"quarter": 5}, "quarter", ""),
        ({"financial_year": 1999}, "financial_year", ""),
        ({"colour": "red"}, "colour", "Unknown field"),
        ({"party": "nobody"}, "party", "no party"),
    ],
)
def test_bad_bodies_are_400s_naming_the_field_and_change_nothing(
    money: Money, writers: Writers, body: dict[str, Any], field: str, says: str
) -> None:
    line = money.lines[0]
    response = client(writers.spb).patch(f"/api/v1/funding-lines/{line.pk}/", {**body, "version": 1, "reason": "Bad"}, format="json")
    assert response.status_code == 400, response.content
    assert says in " ".join(response.json()["errors"][field])
    assert FundingLine.objects.get(pk=line.pk).version == 1


def test_versions_reasons_roles_and_unknown_records(money: Money, writers: Writers) -> None:
    line = money.lines[0]
    path = f"/api/v1/funding-lines/{line.pk}/"
    api = client(writers.spb)
    assert api.patch(path, {"spent": "1"}, format="json").json()["errors"].keys() >= {"version", "reason"}
    assert api.patch(path, {"spent": "1", "version": 1, "reason": "One"}, format="json").status_code == 200
    conflict = api.patch(path, {"spent": "2", "version": 1, "reason": "Stale"}, format="json")
    assert conflict.status_code == 409 and conflict.json()["code"] == "version_conflict" and conflict.json()["current"]["version"] == 2
    assert (
        client(writers.spb, ApiToken.Scope.READ).patch(path, {"spent": "2", "version": 2, "reason": "Read key"}, format="json").status_code
        == 403
    )
    assert client(writers.trust).patch(path, {"spent": "2", "version": 2, "reason": "Not ours"}, format="json").status_code == 403
    refused = client(writers.gla).patch(path, {"description": "Ours", "version": 2, "reason": "Rename"}, format="json")
    assert refused.status_code == 403
    assert client(writers.viewer).patch(path, {"spent": "2", "version": 2, "reason": "Viewer"}, format="json").status_code == 403
    assert api.patch("/api/v1/funding-lines/999999/", {"spent": "2", "version": 1, "reason": "Gone"}, format="json").status_code == 404
    assert api.put(path, {"spent": "2", "version": 2, "reason": "Put"}, format="json").status_code == 405
    assert APIClient().patch(path, {}, format="json").status_code == 401


def test_creating_each_kind_of_record(money: Money, writers: Writers) -> None:
    leb = client(writers.leb)
    line = leb.post(
        "/api/v1/funding-lines/",
        {
            "stream": "capital-programme",
            "description": "Lewisham hub",
            "financial_year": 2019,
            "allocated": "100",
            "committed": "150",
            "spent": "0",
            "reason": "Agreed",
        },
        format="json",
    )
    assert line.status_code == 201, line.content
    assert line["Location"] == line.json()["url"] and line.json()["flags"] == ["Committed is more than allocated."]
    budget = leb.post(
        "/api/v1/capital-budgets/",
        {"financial_year": 2021, "amount": "1000.00", "quarters": [{"quarter": 1, "planned": "1000", "spent": "0"}], "reason": "Set"},
        format="json",
    )
    assert budget.status_code == 201 and budget.json()["flags"] == [] and budget["Location"].endswith("/capital-budgets/2021/")
    disposal = leb.post(
        "/api/v1/disposals/",
        {"site": "Old depot", "borough": "lewisham", "owner": "royal-free", "status": "approved", "actual_receipt": "5", "reason": "New"},
        format="json",
    )
    assert disposal.status_code == 400 and "completed" in disposal.json()["errors"]["actual_receipt"][0]
    disposal = leb.post(
        "/api/v1/disposals/",
        {"site": "Old depot", "borough": "lewisham", "owner": "royal-free", "sub_region": "north-central-london", "reason": "New"},
        format="json",
    )
    assert disposal.status_code == 400 and "Lewisham is in South East London" in disposal.json()["errors"]["sub_region"][0]
    assert (
        client(writers.trust)
        .post("/api/v1/disposals/", {"site": "x", "borough": "lewisham", "owner": "royal-free", "reason": "x"}, format="json")
        .status_code
        == 403
    )
    stream = client(writers.spb).post(
        "/api/v1/funding-streams/",
        {"slug": "better-care", "name": "Better care", "kind": "revenue", "keeper": "SPB", "reason": "New"},
        format="json",
    )
    assert stream.status_code == 201 and stream.json()["keeper"]["code"] == "SPB"
    assert Disposal.objects.count() == 3


def test_writes_appear_in_the_sync_feed(money: Money, writers: Writers) -> None:
    from commitments.api.views import ChangeFeedView
    from devotracker.api.urls import ROUTES

    line = money.lines[0]
    client(writers.spb).patch(f"/api/v1/funding-lines/{line.pk}/", {"spent": "1", "version": 1, "reason": "Feed"}, format="json")
    change = Change.objects.filter(resource="funding-lines").latest("id")
    assert (change.key, change.version, change.op) == (str(line.pk), 2, Change.Op.UPDATE)
    assert ChangeFeedView(routes=ROUTES)._url(None, "funding-lines", change.key) == f"/api/v1/funding-lines/{line.pk}/"
    if connection.vendor == "postgresql":
        return  # the feed serves a change once no older transaction runs: tests/api/test_changes.py covers that
    feed = client(writers.viewer, ApiToken.Scope.READ).get("/api/v1/changes/?resource=funding-lines")
    assert feed.status_code == 200
    assert any((c["url"] or "").endswith(f"/api/v1/funding-lines/{line.pk}/") for c in feed.json()["results"])
