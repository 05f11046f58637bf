"""The hand-written list representations (commitments.api.fastpath, issue 7) give exactly what the
DRF serializers give, key for key and in the same order, so the bytes and the ETag are the same;
and ``CommitmentQuerySet.page`` returns exactly the rows slicing would."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from commitments.api import fastpath
from commitments.api.serializers import ActionSerializer, CommitmentSerializer
from commitments.models import Action, Commitment, CommitmentPilot

from ..factories import (
    ActionFactory,
    BoardFactory,
    CommitmentFactory,
    ObligationFactory,
    PartyFactory,
    PilotFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


class GenericCommitmentSerializer(CommitmentSerializer):
    """The same fields through DRF's own machinery (the fast path is for the exact class only)."""


class GenericActionSerializer(ActionSerializer):
    pass


@pytest.fixture
def varied() -> None:
    """Every shape a row can take: assessed or not, with or without lead board, parent, pilots,
    co-leads, owners (with and without a full name), dates, and keys that need quoting."""
    today = timezone.localdate()
    nameless = UserFactory(username="nameless", first_name="", last_name="")
    named = UserFactory(username="named", first_name="Ada", last_name="Lovelace")
    lead, co_lead = BoardFactory(code="SPB"), BoardFactory(code="LEB", is_mou_board=True)
    pilot = PilotFactory(name="Zeta pilot")
    other_pilot = PilotFactory(name="Alpha pilot")
    odd_party = PartyFactory(slug="party-odd", name="Party with ümlaut & ampersand")
    parent = CommitmentFactory(ref="PAR-01", lead_board=lead)
    assessed = CommitmentFactory(
        ref="EST-03",
        parent=parent,
        lead_board=lead,
        target_date=today - dt.timedelta(days=3),
        target_date_precision="day",
        assessed_at=timezone.now(),
        assessed_by=named,
        status="in_progress",
        rag="amber",
        progress=40,
        rollup_status="in_progress",
        rollup_rag="red",
        rollup_progress=35,
    )
    assessed.co_lead_boards.add(co_lead)
    CommitmentPilot.objects.create(commitment=assessed, pilot=pilot, basis="stated")
    CommitmentPilot.objects.create(commitment=assessed, pilot=other_pilot, basis="inferred")
    plain = CommitmentFactory(ref="A15-01", lead_board=None, target_date=None)
    for commitment, owner in ((assessed, named), (plain, nameless), (parent, None)):
        for party in (odd_party, PartyFactory()):
            obligation = ObligationFactory(
                commitment=commitment, party=party, owner=owner, due_date=today - dt.timedelta(days=1), rag="green"
            )
            ActionFactory(obligation=obligation, owner=owner, due_date=today - dt.timedelta(days=2))
            ActionFactory(
                obligation=obligation,
                owner=None,
                status="complete",
                progress=100,
                due_date=today - dt.timedelta(days=9),
                completed_date=today - dt.timedelta(days=5),
                overdue_since=today - dt.timedelta(days=8),
            )


def _request(path: str) -> Request:
    return Request(APIRequestFactory().get(path))


def _same(fast: dict[str, Any], generic: dict[str, Any]) -> None:
    # json.dumps keeps the order of keys: equal text means equal bytes in the response.
    assert json.dumps(fast, ensure_ascii=False) == json.dumps(generic, ensure_ascii=False)


@pytest.mark.parametrize("path", ["/api/v1/commitments/", "/api/v1/commitments/?format=json&page_size=3"])
def test_a_commitment_row_is_the_same_both_ways(varied: None, path: str) -> None:
    request = _request(path)
    rows = list(Commitment.objects.for_api().order_by("ref"))
    assert len(rows) == 3
    for obj in rows:
        context = {"request": request, "format": None}
        links = fastpath.links_for(context)
        assert links is not None
        _same(fastpath.commitment(obj, links), GenericCommitmentSerializer(obj, context=context).data)
        # The serializer itself takes the fast path and gives the same.
        _same(CommitmentSerializer(obj, context={"request": request}).data, GenericCommitmentSerializer(obj, context=context).data)


def test_a_page_built_from_plain_rows_is_the_same_as_the_serializers(varied: None) -> None:
    request = _request("/api/v1/commitments/?page_size=50")
    qs = Commitment.objects.for_api().order_by("theme__order", "ref", "pk")
    links = fastpath.Links(request)
    ids = qs.page_ids(0, 50)
    assert len(ids) == 3
    page = fastpath.commitment_page(qs, ids, links)
    generic = [GenericCommitmentSerializer(obj, context={"request": request}).data for obj in qs.page(0, 50)]
    assert len(page) == len(generic) == 3
    for fast, slow in zip(page, generic, strict=True):
        _same(fast, slow)


def test_an_action_row_is_the_same_both_ways(varied: None) -> None:
    request = _request("/api/v1/actions/?overdue=true")
    rows = list(Action.objects.for_api().order_by("id"))
    assert len(rows) == 12
    for obj in rows:
        context = {"request": request}
        _same(ActionSerializer(obj, context=context).data, GenericActionSerializer(obj, context=context).data)


def test_an_action_page_built_from_plain_rows_is_the_same_as_the_serializers(varied: None) -> None:
    request = _request("/api/v1/actions/?overdue=true")
    qs = Action.objects.for_api().order_by("due_date", "id", "pk")
    links = fastpath.Links(request)
    for bottom, top in ((0, 12), (3, 7)):
        page = fastpath.action_page(qs, bottom, top, links)
        generic = [GenericActionSerializer(obj, context={"request": request}).data for obj in qs[bottom:top]]
        assert len(page) == len(generic) == top - bottom
        for fast, slow in zip(page, generic, strict=True):
            _same(fast, slow)


def test_without_a_request_or_with_a_format_suffix_the_generic_path_is_taken(varied: None) -> None:
    assert fastpath.links_for({}) is None
    assert fastpath.links_for({"request": _request("/api/v1/actions/"), "format": "json"}) is None


def test_a_key_that_needs_quoting_is_quoted_as_reverse_quotes_it() -> None:
    from rest_framework.reverse import reverse

    request = _request("/api/v1/parties/")
    links = fastpath.Links(request)
    for slug in ("plain-slug", "with space", "ümlaut", "a%b", "x~y.z_w"):
        assert links.detail("party-detail", "slug", slug) == reverse("api:party-detail", kwargs={"slug": slug}, request=request)


@pytest.mark.parametrize("ordering", [("theme__order", "ref", "pk"), ("-target_date", "pk"), ("ref", "pk")])
def test_a_page_holds_exactly_the_rows_slicing_gives(ordering: tuple[str, ...], django_assert_max_num_queries: Any) -> None:
    # Two themes share an order (their commitments interleave by ref), one theme is empty.
    first, second, same_order = ThemeFactory(order=1), ThemeFactory(order=2), ThemeFactory(order=2)
    ThemeFactory(order=0)
    today = timezone.localdate()
    for n in range(30):
        theme = (first, second, same_order)[n % 3]
        CommitmentFactory(ref=f"R{(n * 7) % 30:03d}", theme=theme, target_date=today + dt.timedelta(days=n % 5))
    qs = Commitment.objects.for_api().order_by(*ordering)
    for bottom, top in ((0, 5), (5, 17), (25, 30), (28, 28)):
        expected = [c.pk for c in qs[bottom:top]]
        with django_assert_max_num_queries(3 + 3):  # themes, ids, rows (+ the three prefetches)
            page = qs.page(bottom, top)
        assert [c.pk for c in page] == expected, (ordering, bottom, top)


@pytest.mark.postgresql(reason="counts are cached per PostgreSQL snapshot, which a write the change log does not see still moves")
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
    # token, head + snapshot, COUNT, rows
    with django_assert_num_queries(4):
        assert reader.get(url).json()["count"] == 3
    # The same snapshot: the count comes from the cache.
    with django_assert_num_queries(3):
        assert reader.get(url).json()["count"] == 3
    # A committed write (here one that the change log does not see) moves the snapshot.
    Action.objects.filter(pk=Action.objects.order_by("pk").values("pk")[:1]).update(status="complete", completed_date=today)
    with django_assert_num_queries(4):
        assert reader.get(url).json()["count"] == 2
