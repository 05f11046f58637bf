"""A list page built from plain rows (devotracker.api.rows) is exactly what the serializers give
through DRF, key for key and in the same order, so the bytes and the ETag are the same; and
``CommitmentQuerySet.page`` returns exactly the rows slicing would."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from commitments.api.serializers import ActionSerializer, CommitmentSerializer, ObligationSerializer
from commitments.comparisons import with_previous
from commitments.models import Action, Commitment, CommitmentPilot
from devotracker.api import rows

from ..conftest import token_client
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


def _same(fast: Any, generic: Any) -> None:
    # json.dumps keeps the order of keys: equal text means equal bytes in the response.
    assert json.dumps(fast, ensure_ascii=False) == json.dumps(generic, ensure_ascii=False)


@pytest.mark.parametrize("path", ["/api/v1/commitments/?page_size=50", "/api/v1/commitments/?format=json&page_size=3"])
def test_a_commitment_page_from_rows_is_what_the_serializer_gives(varied: None, path: str) -> None:
    request = _request(path)
    base = with_previous(Commitment.objects.for_api(), None, "commitments")  # as the list's view builds it
    qs = base.order_by("theme__order", "ref", "pk")
    ids = qs.page_ids(0, 50)
    assert len(ids) == 3
    page = rows.RowPlan.of(CommitmentSerializer, base).render_ids(base, ids, rows.Links(request))
    generic = [CommitmentSerializer(obj, context={"request": request}).data for obj in qs.page(0, 50)]
    assert len(page) == len(generic) == 3
    assert [p["assessment"] is None for p in page] == [True, False, True]  # both shapes are covered
    for fast, slow in zip(page, generic, strict=True):
        _same(fast, slow)


def test_an_action_page_from_rows_is_what_the_serializer_gives(varied: None) -> None:
    request = _request("/api/v1/actions/?overdue=true")
    base = Action.objects.for_api()
    qs = base.order_by("due_date", "id", "pk")
    plan = rows.RowPlan.of(ActionSerializer, base)
    for bottom, top in ((0, 12), (3, 7)):
        page = plan.render(qs[bottom:top], rows.Links(request))
        generic = [ActionSerializer(obj, context={"request": request}).data for obj in qs[bottom:top]]
        assert len(page) == len(generic) == top - bottom
        for fast, slow in zip(page, generic, strict=True):
            _same(fast, slow)


def test_the_api_list_answers_with_the_same_bytes_either_way(varied: None, read_token: str) -> None:
    """The list endpoint itself (built from rows) and DRF's serializer over the same page agree."""
    response = token_client(read_token).get("/api/v1/commitments/?page_size=50")
    assert response.status_code == 200
    request = response.wsgi_request
    qs = with_previous(Commitment.objects.for_api(), None, "commitments").order_by("theme__order", "ref", "pk")
    generic = [CommitmentSerializer(obj, context={"request": Request(request)}).data for obj in qs.page(0, 50)]
    _same(response.json()["results"], generic)


def test_without_a_request_or_with_a_format_suffix_no_plan_is_used() -> None:
    assert rows.links_for({}) is None
    assert rows.links_for({"request": _request("/api/v1/actions/"), "format": "json"}) is None


def test_a_key_that_needs_quoting_is_quoted_as_reverse_quotes_it() -> None:
    from rest_framework.reverse import reverse

    request = _request("/api/v1/parties/")
    links = rows.Links(request)
    for slug in ("plain-slug", "with space", "ümlaut", "a%b", "x~y.z_w"):
        assert links.detail("api:party-detail", "slug", slug) == reverse("api:party-detail", kwargs={"slug": slug}, request=request)


def test_a_field_the_plan_cannot_read_is_refused_when_compiled() -> None:
    class WithMethod(serializers.ModelSerializer):
        odd = serializers.SerializerMethodField()

        class Meta:
            model = Action
            fields = ["id", "odd"]

        def get_odd(self, obj: Action) -> str:
            return "odd"

    with pytest.raises(rows.UnsupportedField, match="odd"):
        rows.RowPlan(WithMethod, Action.objects.all())
    # Nested lists below the top level are refused too (obligations carry their actions).
    with pytest.raises(rows.UnsupportedField):
        rows.RowPlan(type("Nested", (serializers.Serializer,), {"o": ObligationSerializer(source="*")}), Action.objects.all())


@pytest.mark.parametrize("filtered", [False, True], ids=["all", "filtered"])
@pytest.mark.parametrize("ordering", [("theme__order", "ref", "pk"), ("-target_date", "pk"), ("ref", "pk")])
def test_a_page_holds_exactly_the_rows_slicing_gives(ordering: tuple[str, ...], filtered: bool, django_assert_max_num_queries: Any) -> None:
    # Two themes share an order (their commitments interleave by ref), one theme is empty.
    first, second, same_order = ThemeFactory(order=1), ThemeFactory(order=2), ThemeFactory(order=2)
    ThemeFactory(order=0)
    today = timezone.localdate()
    for n in range(30):
        theme = (first, second, same_order)[n % 3]
        CommitmentFactory(ref=f"R{(n * 7) % 30:03d}", theme=theme, target_date=today + dt.timedelta(days=n % 5))
    qs = Commitment.objects.for_api().order_by(*ordering)
    if filtered:  # the list's filters hold inside the per-theme query too
        qs = qs.filter(target_date__gte=today + dt.timedelta(days=2)).distinct()
    for bottom, top in ((0, 5), (5, 17), (25, 30), (28, 28)):
        expected = [c.pk for c in qs[bottom:top]]
        # themes, ids, rows (+ the three prefetches, + what each waits on and holds up)
        with django_assert_max_num_queries(3 + 3 + 2):
            page = qs.page(bottom, top)
        assert [c.pk for c in page] == expected, (ordering, bottom, top)
