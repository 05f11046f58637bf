"""Conditional requests: a strong ETag and Last-Modified on lists and objects, from the change log's
head (devotracker.api.mixins, ADR 0013); If-None-Match and If-Modified-Since answer 304 with an
empty body while nothing changed, before the view's queries, and 200 once anything did."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from django.utils.http import http_date, parse_http_date
from rest_framework.test import APIClient

from commitments import changes
from commitments.models import Action
from commitments.services import UpdateInput, record_update

pytestmark = pytest.mark.django_db

PATHS = ["/api/v1/commitments/", "/api/v1/commitments/TST-001/", "/api/v1/obligations/", "/api/v1/boards/spb/", "/api/v1/changes/"]


@pytest.mark.parametrize("path", PATHS)
def test_if_none_match_with_the_etag_is_304_with_no_body(reader: APIClient, world: Any, path: str) -> None:
    first = reader.get(path)
    etag = first["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{40}"', etag)  # strong: no W/ prefix
    assert first["Cache-Control"] == "private, no-cache"
    again = reader.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    # A list of tags, weak forms of ours and * match too (weak comparison, RFC 9110 §13.1.2).
    assert reader.get(path, HTTP_IF_NONE_MATCH=f'"other", W/{etag}').status_code == 304
    assert reader.get(path, HTTP_IF_NONE_MATCH="*").status_code == 304
    assert reader.get(path, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_the_etag_changes_when_the_data_or_the_query_changes(reader: APIClient, officer: Any, world: Any) -> None:
    etag = reader.get("/api/v1/commitments/")["ETag"]
    assert reader.get("/api/v1/commitments/?ordering=-ref")["ETag"] != etag
    ob = world.obligation
    record_update(ob, by=officer, version=ob.version, data=UpdateInput(progress=90))
    changed = reader.get("/api/v1/commitments/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_if_modified_since_is_304_until_something_changes(reader: APIClient, officer: Any, world: Any) -> None:
    first = reader.get("/api/v1/obligations/")
    last_modified = first["Last-Modified"]
    assert reader.get("/api/v1/obligations/", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    earlier = http_date(parse_http_date(last_modified) - 10)
    assert reader.get("/api/v1/obligations/", HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200
    # Unparseable dates are ignored, as HTTP says.
    assert reader.get("/api/v1/obligations/", HTTP_IF_MODIFIED_SINCE="last tuesday").status_code == 200
    # If-None-Match wins over If-Modified-Since.
    assert reader.get("/api/v1/obligations/", HTTP_IF_MODIFIED_SINCE=last_modified, HTTP_IF_NONE_MATCH='"x"').status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        ob = world.obligation
        record_update(ob, by=officer, version=ob.version, data=UpdateInput(note="later"))
        after = reader.get("/api/v1/obligations/", HTTP_IF_MODIFIED_SINCE=last_modified)
    assert after.status_code == 200
    assert parse_http_date(after["Last-Modified"]) > parse_http_date(last_modified)


def test_last_modified_moves_when_a_row_is_deleted(reader: APIClient, world: Any) -> None:
    last_modified = reader.get("/api/v1/actions/")["Last-Modified"]
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        # Deleted as every writer deletes: recording it in the change log first (commitments.changes).
        action = Action.objects.get(pk=world.action.pk)
        changes.record_delete([action])
        action.delete()
        response = reader.get("/api/v1/actions/", HTTP_IF_MODIFIED_SINCE=last_modified)
    assert response.status_code == 200 and response.json()["count"] == 1


def test_last_modified_is_at_least_london_midnight_where_overdue_is_shown(reader: APIClient, world: Any) -> None:
    # "Overdue" turns true at midnight without any write, so a cached answer from yesterday is stale.
    tomorrow = timezone.now() + dt.timedelta(days=1)
    with time_machine.travel(tomorrow):
        stamp = parse_http_date(reader.get(f"/api/v1/actions/{world.action.pk}/")["Last-Modified"])
        midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    assert stamp >= int(midnight.timestamp())


def test_head_gives_the_same_validators(reader: APIClient, world: Any) -> None:
    get = reader.get("/api/v1/themes/")
    head = reader.head("/api/v1/themes/")
    assert head.status_code == 200 and head["ETag"] == get["ETag"]
    assert reader.head("/api/v1/themes/", HTTP_IF_NONE_MATCH=get["ETag"]).status_code == 304


def test_csv_exports_and_errors_carry_no_etag(reader: APIClient, world: Any) -> None:
    assert "ETag" not in reader.get("/api/v1/commitments/?format=csv")
    assert "ETag" not in reader.get("/api/v1/commitments/NOPE/")


def test_a_request_the_view_refuses_is_refused_whatever_its_preconditions(reader: APIClient, world: Any) -> None:
    # The preconditions are evaluated once the view has answered 200 (found by schemathesis):
    # If-None-Match: * and a far-future If-Modified-Since would otherwise turn a 400 or 404 into a 304.
    future = "Wed, 15 Nov 4761 01:21:29 GMT"
    assert reader.get("/api/v1/themes/?ordering=nope", HTTP_IF_NONE_MATCH="*").status_code == 400
    assert reader.get("/api/v1/commitments/?page_size=null", HTTP_IF_MODIFIED_SINCE=future).status_code == 400
    assert reader.get("/api/v1/commitments/NOPE/", HTTP_IF_NONE_MATCH="*").status_code == 404


def test_the_etag_is_not_a_hash_of_the_body(reader: APIClient, world: Any) -> None:
    import hashlib

    response = reader.get("/api/v1/themes/")
    assert response["ETag"] != '"' + hashlib.sha256(response.content).hexdigest()[:40] + '"'


def test_a_write_to_an_unrelated_resource_changes_every_etag(reader: APIClient, officer: Any, world: Any) -> None:
    # As documented (docs/api.md, ADR 0013): the validator is the change log's head, so any write of
    # anything the API serves gives every address a new ETag (a full answer, never a stale one).
    board = reader.get("/api/v1/boards/spb/")
    ob = world.obligation
    record_update(ob, by=officer, version=ob.version, data=UpdateInput(progress=80))
    again = reader.get("/api/v1/boards/spb/", HTTP_IF_NONE_MATCH=board["ETag"])
    assert again.status_code == 200 and again["ETag"] != board["ETag"]
    assert again.content == board.content


def test_a_write_outside_the_change_log_keeps_the_etag(reader: APIClient, world: Any) -> None:
    from boards.models import ApiToken

    etag = reader.get("/api/v1/themes/")["ETag"]
    ApiToken.objects.update(last_used_at=None)  # a token's last use is not data the API serves
    assert reader.get("/api/v1/themes/", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_the_etag_differs_by_media_type_and_host(reader: APIClient, world: Any) -> None:
    etag = reader.get("/api/v1/themes/")["ETag"]
    assert reader.get("/api/v1/themes/", HTTP_HOST="localhost")["ETag"] != etag


def test_a_failed_if_match_on_a_read_is_412(reader: APIClient, world: Any) -> None:
    # Django's get_conditional_response evaluates every precondition, in RFC 9110's order.
    assert reader.get("/api/v1/themes/", HTTP_IF_MATCH='"nope"').status_code == 412
    etag = reader.get("/api/v1/themes/")["ETag"]
    assert reader.get("/api/v1/themes/", HTTP_IF_MATCH=etag).status_code == 200
