"""The pilots app's API (pilots/api/, pilots/filtersets.py): /api/v1/pilots/, /boroughs/ and
/parties/ (a party names its borough, which this app owns) served by its own viewsets."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import resolve

from pilots.api.views import BoroughViewSet, PartyViewSet, PilotViewSet
from pilots.filtersets import BoroughFilterSet, PilotFilterSet

from ..conftest import token_client

pytestmark = pytest.mark.django_db


def test_the_pilots_apps_collections() -> None:
    assert resolve("/api/v1/pilots/").func.cls is PilotViewSet
    assert resolve("/api/v1/boroughs/").func.cls is BoroughViewSet
    assert resolve("/api/v1/parties/").func.cls is PartyViewSet


def test_a_party_names_its_borough_or_null(read_token: str, party_a: Any) -> None:
    body = token_client(read_token).get("/api/v1/parties/party-a/").json()
    assert body["borough"] is None
    assert body["obligations_url"] == "http://testserver/api/v1/obligations/?party=party-a"
    assert list(body) == ["url", "slug", "name", "type", "collective", "peripheral", "notes", "borough", "obligations_url", "updated_at"]


def test_the_pilots_filtersets_refuse_bad_values(db: Any) -> None:
    assert not PilotFilterSet({"status": "nope"}).is_valid()
    assert not BoroughFilterSet({"updated_since": "yesterday"}).is_valid()
    assert PilotFilterSet({"borough": "camden"}).is_valid()
