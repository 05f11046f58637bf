"""The OpenAPI schema tells the truth (issue 11): a request the schema calls valid is accepted and
one it calls invalid is refused. One test per kind of disagreement schemathesis found between the
two (tests/api/test_schema.py runs schemathesis itself); each fixes the API or the schema, and
checks both sides, so that neither can drift from the other again.
"""

from __future__ import annotations

import base64
import re
from typing import Any
from unittest import mock

import pytest
from rest_framework.test import APIClient

from commitments.api import serializers as s
from commitments.models import Theme
from pilots.models import Pilot

from .schemathesis_hooks import STATE_RULES

pytestmark = pytest.mark.django_db

LISTS = [
    "commitments",
    "obligations",
    "actions",
    "status-updates",
    "agreements",
    "themes",
    "parties",
    "boards",
    "pilots",
    "boroughs",
    "meetings",
    "reports",
]


def schema_of(client: APIClient) -> dict[str, Any]:
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def query_parameters(spec: dict[str, Any], collection: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in spec["paths"][f"/api/v1/{collection}/"]["get"]["parameters"] if p["in"] == "query"}


def content(response: Any) -> bytes:
    """The body of a streamed answer (a CSV export)."""
    return b"".join(response.streaming_content)


def refused(response: Any, name: str) -> bool:
    return response.status_code == 400 and name in response.json()["errors"]


# --- filters: the schema states what each filter takes -------------------------------------------


def test_true_false_filters_are_strings_true_or_false_and_nothing_else(reader: APIClient, world: Any) -> None:
    """``collective``, ``is_mou_board`` and ``in_dashboards`` were documented as booleans with
    string choices, so "2" looked valid and was refused."""
    spec = schema_of(reader)
    for collection, name in [
        ("parties", "collective"),
        ("boards", "is_mou_board"),
        ("agreements", "in_dashboards"),
        ("commitments", "in_dashboards"),
    ]:
        assert query_parameters(spec, collection)[name]["schema"] == {"type": "string", "enum": ["false", "true"]}
        assert reader.get(f"/api/v1/{collection}/?{name}=true").status_code == 200
        assert reader.get(f"/api/v1/{collection}/?{name}=false").status_code == 200
        for bad in ("2", "True", "1", ""):
            assert refused(reader.get(f"/api/v1/{collection}/?{name}={bad}"), name), (collection, name, bad)


@pytest.mark.parametrize("collection", LISTS)
def test_text_filters_state_their_length_and_take_exactly_that(reader: APIClient, world: Any, collection: str) -> None:
    """``board`` on obligations took 16 characters and said nothing; now every text filter's
    ``maxLength`` is its form field's, and a NUL character (which no stored text can hold) is
    outside its pattern as it is outside what the API takes."""
    texts = {
        name: p["schema"] for name, p in query_parameters(schema_of(reader), collection).items() if p["schema"].get("type") == "string"
    }
    for name, schema in texts.items():
        if "enum" in schema or "format" in schema:
            continue
        assert "maxLength" in schema, (collection, name)
        assert re.fullmatch(schema["pattern"], "any text") and not re.fullmatch(schema["pattern"], "a\x00b")
        longest = "x" * schema["maxLength"]
        assert reader.get(f"/api/v1/{collection}/", {name: longest}).status_code == 200, (collection, name)
        assert refused(reader.get(f"/api/v1/{collection}/", {name: longest + "x"}), name), (collection, name)
        # The limit counts what was sent: whitespace the field strips (here a control character
        # str.strip removes) is no way past it.
        assert refused(reader.get(f"/api/v1/{collection}/", {name: "\x1e" + longest}), name), (collection, name)
        assert refused(reader.get(f"/api/v1/{collection}/?{name}=a%00b"), name), (collection, name)


def test_slug_filters_of_commitments_list_the_slugs_there_are(reader: APIClient, world: Any) -> None:
    """``theme``, ``pilot`` and ``party`` refuse an unknown slug, so the schema lists the known ones
    (read when it is generated: a new theme is in the next schema)."""
    params = query_parameters(schema_of(reader), "commitments")
    assert params["theme"]["schema"]["items"]["enum"] == sorted(Theme.objects.values_list("slug", flat=True))
    assert params["pilot"]["schema"]["items"]["enum"] == sorted(Pilot.objects.values_list("slug", flat=True))
    assert world.obligation.party.slug in params["party"]["schema"]["items"]["enum"]
    for name in ("theme", "pilot", "party"):
        slug = params[name]["schema"]["items"]["enum"][0]
        assert reader.get(f"/api/v1/commitments/?{name}={slug}").status_code == 200
        assert refused(reader.get(f"/api/v1/commitments/?{name}=no-such-{name}"), name)
        assert refused(reader.get(f"/api/v1/commitments/?{name}="), name)
    Theme.objects.create(slug="a-new-theme", name="A new theme", ref_prefix="NEW", order=99)
    assert "a-new-theme" in query_parameters(schema_of(reader), "commitments")["theme"]["schema"]["items"]["enum"]


@pytest.mark.parametrize("collection", [*LISTS, "changes"])
def test_whole_number_parameters_take_their_minimum_and_refuse_below_it(reader: APIClient, world: Any, collection: str) -> None:
    """Ids (``meeting=0``), ``page_size=0`` and the feed's ``limit=0`` were refused although the
    schema had no minimum; each integer parameter now states it, and takes any number up to its
    ``maximum`` (ids: the largest id there can be) or any at all (pages, page sizes, limits)."""
    spec = schema_of(reader)
    path = "/api/v1/changes/" if collection == "changes" else f"/api/v1/{collection}/"
    params = {p["name"]: p["schema"] for p in spec["paths"][path]["get"]["parameters"] if p["in"] == "query"}
    integers = {name: schema for name, schema in params.items() if schema.get("type") == "integer"}
    assert integers, collection
    for name, schema in integers.items():
        least = schema["minimum"]
        assert least == 1, (collection, name)
        assert reader.get(f"{path}?{name}={least}").status_code in (200, 404), (collection, name)  # 404: a page past the last
        most = schema.get("maximum", 10**30)
        assert reader.get(f"{path}?{name}={most}").status_code in (200, 404), (collection, name)
        too_many = [str(most + 1)] if "maximum" in schema else []
        for bad in (str(least - 1), "-1", "1.5", "abc", "", *too_many):
            assert refused(reader.get(f"{path}?{name}={bad}"), name), (collection, name, bad)


# --- the sync feed -----------------------------------------------------------------------------------


def test_the_feed_takes_any_limit_from_1_and_each_resource_by_its_name(reader: APIClient, world: Any) -> None:
    params = query_parameters(schema_of(reader), "changes")
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1}
    huge = reader.get(f"/api/v1/changes/?limit={10**30}")
    assert huge.status_code == 200 and len(huge.json()["results"]) <= 500
    # resource: repeated, one collection each (an enum), never a comma-separated list or nothing.
    assert params["resource"]["explode"] is True and "obligations" in params["resource"]["schema"]["items"]["enum"]
    assert reader.get("/api/v1/changes/?resource=obligations&resource=actions").status_code == 200
    for bad in ("obligations,actions", "", "Obligations", " obligations"):
        assert refused(reader.get("/api/v1/changes/", {"resource": bad}), "resource"), bad


def test_the_feed_cursor_is_one_the_feed_gave_out_exactly(reader: APIClient, world: Any) -> None:
    """``after`` is documented as ``format: cursor`` (schemathesis is told how to make them); a
    string of cursor characters that the feed never gave out was "valid" under the old pattern."""
    params = query_parameters(schema_of(reader), "changes")
    assert params["after"]["schema"] == {"type": "string", "format": "cursor"}
    cursor = reader.get("/api/v1/changes/head/").json()["cursor"]
    assert reader.get("/api/v1/changes/", {"after": cursor}).status_code == 200
    assert reader.get("/api/v1/changes/", {"after": ""}).status_code == 200  # the start
    not_given_out = base64.urlsafe_b64encode(b"v2:1:2").decode().rstrip("=")
    for bad in (cursor + "\n", f" {cursor}", cursor + " ", "0" * 63, not_given_out):
        assert refused(reader.get("/api/v1/changes/", {"after": bad}), "after"), bad


# --- ordering, format, CSV ---------------------------------------------------------------------------


def test_ordering_is_one_or_more_listed_keys_exactly(reader: APIClient, world: Any) -> None:
    """``ordering=`` read both as "no keys" (valid) and "one empty key" (invalid): the array now
    has ``minItems: 1`` and an empty value, an empty part or a padded key is a 400."""
    schema = query_parameters(schema_of(reader), "actions")["ordering"]["schema"]
    assert schema["minItems"] == 1 and "-due_date" in schema["items"]["enum"]
    assert reader.get("/api/v1/actions/?ordering=-due_date,id").status_code == 200
    for bad in ("", "id,", ",id", "id,,due_date", "id, due_date", " id"):
        assert refused(reader.get("/api/v1/actions/", {"ordering": bad}), "ordering"), bad


def test_an_empty_format_is_not_a_format(reader: APIClient, world: Any) -> None:
    assert query_parameters(schema_of(reader), "themes")["format"]["schema"]["enum"] == ["csv", "json"]
    response = reader.get("/api/v1/themes/?format=")
    assert response.status_code == 406 and response.json()["code"] == "not_acceptable"


def test_a_csv_export_still_checks_page_and_page_size(reader: APIClient, world: Any) -> None:
    """The export is the whole list, so it used to skip the paginator, and with it the check of
    ``page`` and ``page_size`` that the schema documents on every list."""
    whole = reader.get("/api/v1/actions/?format=csv&page=2&page_size=1")
    assert whole.status_code == 200 and len(content(whole).splitlines()) == 1 + 2  # header + both actions
    for query in ("page_size=0", "page_size=null", "page=0", "page=-3", "page="):
        name = query.split("=")[0]
        assert refused(reader.get(f"/api/v1/actions/?format=csv&{query}"), name), query


def test_links_in_a_csv_export_point_at_the_resources_not_at_their_csv(reader: APIClient, world: Any) -> None:
    """DRF carries ``?format=`` into every link it builds; a detail answered ``?format=csv`` with 406."""
    text = content(reader.get("/api/v1/themes/?format=csv")).decode()
    assert "http://testserver/api/v1/themes/capital-and-estates/," in text
    assert "format=csv" not in text


def test_a_csv_export_builds_its_serializer_once_not_once_a_row(reader: APIClient, world: Any) -> None:
    """Building a serializer's fields for every row cost ~13 ms a row (4.8 s for the demo's 937
    status updates); found because schemathesis exports that list many times."""
    rows = len(reader.get("/api/v1/status-updates/?page_size=500").json()["results"])
    assert rows >= 2
    real = s.StatusUpdateSerializer.get_fields
    with mock.patch.object(s.StatusUpdateSerializer, "get_fields", autospec=True, side_effect=real) as get_fields:
        response = reader.get("/api/v1/status-updates/?format=csv")
        lines = content(response).splitlines()
    assert len(lines) == 1 + rows
    assert get_fields.call_count == 1


# --- methods and paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "TRACE"])
def test_a_method_an_address_does_not_have_is_405_whatever_else_the_request_says(reader: APIClient, world: Any, method: str) -> None:
    """``TRACE /api/v1/themes/?format=csv`` was a 406: the format was negotiated before the method
    was looked at. (Authentication still comes first: an anonymous request is a 401.)"""
    for path in (
        "/api/v1/themes/?format=csv",
        "/api/v1/themes/?format=xml",
        f"/api/v1/obligations/{world.obligation.pk}/",
        "/api/v1/changes/",
    ):
        response = reader.generic(method, path)
        assert response.status_code == 405, (method, path, response.content[:200])
        assert response.json()["code"] == "method_not_allowed"
        assert "GET" in response["Allow"] and method not in response["Allow"]
    assert APIClient().generic(method, "/api/v1/themes/?format=csv").status_code == 401


def test_a_key_with_a_nul_or_a_path_with_a_newline_is_an_unknown_address(reader: APIClient, world: Any) -> None:
    """Keys are documented as ``^[^/\\x00]+$``: a NUL is not in any key, so such a path is an
    unknown address (404 in the error shape), not a refused value; a newline in a path reached the
    site's HTML 404 instead of the API's."""
    key = schema_of(reader)["paths"]["/api/v1/boards/{code}/"]["get"]["parameters"][-1]
    assert key["schema"]["pattern"] == "^[^/\\x00]+$"
    for path in (
        "/api/v1/boards/S%00PB/",
        "/api/v1/commitments/%00/",
        "/api/v1/actions/%3F%0A%C3%BF/",
        "/api/v1/themes/a%0Ab/",
        "/api/v1/x%0A",
    ):
        response = reader.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json" and response.json()["code"] == "not_found", path


# --- the write body --------------------------------------------------------------------------------------


def test_the_write_body_schema_refuses_other_keys_and_bounds_the_revised_date(writer: APIClient, world: Any) -> None:
    """Unknown keys were refused but the schema allowed them; the service's 2000-2100 range for a
    revised due date was not in the schema at all, nor that texts may not hold a NUL."""
    body = schema_of(writer)["components"]["schemas"]["UpdateInputRequest"]
    assert body["additionalProperties"] is False
    pattern = body["properties"]["revised_due_date"]["pattern"]
    url = f"/api/v1/obligations/{world.obligation.pk}/updates/"
    for date in ("2000-01-01", "2100-12-31"):
        assert re.search(pattern, date)
        version = writer.get(f"/api/v1/obligations/{world.obligation.pk}/").json()["version"]
        response = writer.post(url, {"revised_due_date": date, "reason": "Replanned", "version": version}, format="json")
        assert response.status_code == 201, (date, response.json())
    version = writer.get(f"/api/v1/obligations/{world.obligation.pk}/").json()["version"]
    for date in ("1999-12-31", "2101-01-01"):
        assert not re.search(pattern, date)
        response = writer.post(url, {"revised_due_date": date, "reason": "Replanned", "version": version}, format="json")
        assert refused(response, "revised_due_date"), date
    assert refused(writer.post(url, {"progress": 5, "version": version, "colour": "red"}, format="json"), "colour")
    # A NUL in a text is refused (as the browser form refuses it): the texts' pattern says so.
    for name in ("reason", "note"):
        assert not re.fullmatch(body["properties"][name]["pattern"], "a\x00b")
        assert refused(writer.post(url, {name: "a\x00b", "version": version}, format="json"), name)
    assert not re.fullmatch(body["properties"]["evidence"]["items"]["pattern"], "a\x00b")
    assert refused(writer.post(url, {"evidence": ["ok", "a\x00b"], "note": "n", "version": version}, format="json"), "evidence.1")


def test_the_refusals_the_schema_check_excuses_are_exactly_the_rules_that_depend_on_the_target(writer: APIClient, world: Any) -> None:
    """tests/api/schemathesis_hooks.py accepts a 400 for a schema-valid write only when every
    message is one of these three rules; they must be the service's messages, word for word."""
    ob = world.obligation
    url = f"/api/v1/obligations/{ob.pk}/updates/"
    no_reason = writer.post(url, {"rag": "green", "version": ob.version}, format="json").json()["errors"]
    no_evidence = writer.post(url, {"status": "complete", "reason": "Done", "version": ob.version}, format="json").json()["errors"]
    no_change = writer.post(url, {"status": ob.status, "version": ob.version}, format="json").json()["errors"]
    assert no_reason == {"reason": sorted(STATE_RULES["reason"])}
    assert no_evidence == {"evidence": sorted(STATE_RULES["evidence"])}
    assert no_change == {"non_field_errors": sorted(STATE_RULES["non_field_errors"])}


# --- links -------------------------------------------------------------------------------------------------


def test_links_lead_from_a_list_to_its_items_and_from_an_item_to_its_updates(reader: APIClient, world: Any) -> None:
    paths = schema_of(reader)["paths"]
    item = paths["/api/v1/obligations/"]["get"]["responses"]["200"]["links"]["item"]
    assert item["operationId"] == "obligations_retrieve" and item["parameters"] == {"id": "$response.body#/results/0/id"}
    update = paths["/api/v1/commitments/{ref}/"]["get"]["responses"]["200"]["links"]["update"]
    assert update["operationId"] == "commitments_updates_create"
    assert update["parameters"] == {"ref": "$response.body#/ref"} and update["requestBody"] == {"version": "$response.body#/version"}
    assert set(paths["/api/v1/reports/{id}/"]["get"]["responses"]["200"]["links"]) == {"html", "pdf"}
    operation_ids = {op["operationId"] for item in paths.values() for op in item.values() if isinstance(op, dict) and "operationId" in op}
    for item in paths.values():
        for op in item.values():
            for link in op.get("responses", {}).get("200", {}).get("links", {}).values() if isinstance(op, dict) else []:
                assert link["operationId"] in operation_ids
