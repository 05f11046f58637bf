"""Every list endpoint runs a fixed number of SQL queries whatever the page size (DESIGN.md §4):
the same count at page_size 5 and 100, with enough rows that an N+1 would show."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from boards.models import Membership
from commitments.models import CommitmentPilot, Dependency, Report, StatusUpdate

from ..factories import (
    ActionFactory,
    AgreementFactory,
    BoardFactory,
    BoroughFactory,
    CommitmentFactory,
    MeetingFactory,
    MembershipFactory,
    ObligationFactory,
    PartyFactory,
    PilotFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Every request: 1 the token look-up (its last_used_at write happens once a minute, so a warm-up
# request takes it before counting). Every 200: 1 the newest change-log row (Last-Modified).
# Every page: 1 COUNT for "count" + 1 the rows with their select_related joins.
BASE = 1 + 1 + 2
EXPECTED = {
    # + the page's ids (CommitmentQuerySet.page_ids: no sort of every commitment; on SQLite, which
    # has no LATERAL join, the themes are read first), + co-lead boards, pilot links with their
    # pilots, obligations with party and owner, + what each waits on and holds up (issue 15)
    "commitments": BASE + (1 if connection.vendor == "postgresql" else 2) + 3 + 2,
    # + actions with their owners
    "obligations": BASE + 1,
    # + what each waits on and holds up (issue 15)
    "actions": BASE + 2,
    "dependencies": BASE,
    "status-updates": BASE,
    "agreements": BASE,
    "themes": BASE,
    # the borough of each party is a select_related on the reverse one-to-one
    "parties": BASE,
    "boards": BASE,
    # + member boroughs
    "pilots": BASE + 1,
    # + pilots of each borough
    "boroughs": BASE + 1,
    # + reports of each meeting
    "meetings": BASE + 1,
    "reports": BASE,
}


@pytest.fixture
def crowd(partner: Any) -> None:
    """Well over 100 rows of everything, each with the relations its representation shows."""
    owner = UserFactory(username="owner")
    board = BoardFactory(code="LHB")
    co_lead = BoardFactory(code="LEB")
    pilots = [PilotFactory() for _ in range(105)]
    parties = [PartyFactory() for _ in range(4)]
    made: list[tuple[Any, Any]] = []
    for n in range(110):
        c = CommitmentFactory(lead_board=board, target_date=timezone.localdate())
        c.co_lead_boards.add(co_lead)
        CommitmentPilot.objects.create(commitment=c, pilot=pilots[n % 3])
        for party in parties[:2] if n % 2 else parties[2:]:
            ob = ObligationFactory(commitment=c, party=party, owner=owner)
            action = ActionFactory(obligation=ob, owner=owner)
            StatusUpdate.objects.create(target_type="obligation", commitment=c, obligation=ob, party=party, author=owner, version=1)
        made.append((c, action))
    # Issue 15: each commitment and action waits on the one before and holds up the next.
    for (before, before_action), (after, after_action) in itertools.pairwise(made):
        Dependency.objects.create(commitment=after, prerequisite_commitment=before, created_by=owner)
        Dependency.objects.create(action=after_action, prerequisite_action=before_action)
    for n in range(105):
        borough = BoroughFactory()
        borough.pilots.add(pilots[n], pilots[(n + 1) % 105])
        MembershipFactory(user=UserFactory(), party=borough.party, role=Membership.Role.OFFICER)
        meeting = MeetingFactory(board=board if n % 2 else co_lead)
        Report.objects.create(meeting=meeting, kind=Report.Kind.BOARD_PAPER, html="<p>paper</p>")
        BoardFactory(reports_to=board, chair=parties[0])
        AgreementFactory(slug=f"agreement-{n}", supersedes=AgreementFactory())


def test_a_list_costs_the_same_queries_at_any_page_size(reader: APIClient, crowd: None, django_assert_num_queries: Any) -> None:
    # One test for every collection: building the crowd is the slow part.
    reader.get("/api/v1/themes/")  # warm-up: the token's last_used_at write
    for collection, expected in EXPECTED.items():
        counts = {}
        for size in (5, 100):
            with CaptureQueriesContext(connection) as captured:
                response = reader.get(f"/api/v1/{collection}/?page_size={size}")
            assert response.status_code == 200
            body = response.json()
            assert body["count"] > 100 and len(body["results"]) == size, (collection, body["count"])
            counts[size] = len(captured.captured_queries)
        assert counts == {5: expected, 100: expected}, (collection, counts, [q["sql"][:120] for q in captured.captured_queries])
    # Another order: the page's ids come from one narrow query (no theme look-up on SQLite either).
    with django_assert_num_queries(BASE + 1 + 3 + 2):
        reader.get("/api/v1/commitments/?page_size=500&ordering=-due_date&overdue=false")


def test_the_detail_of_a_commitment_costs_a_fixed_number_of_queries(reader: APIClient, crowd: None, django_assert_num_queries: Any) -> None:
    from commitments.models import Commitment

    ref = Commitment.objects.order_by("id").values_list("ref", flat=True).first()
    reader.get("/api/v1/themes/")
    # token, the row, co-leads, pilots, obligations, citations, children, links, newest change,
    # what it waits on and holds up
    with django_assert_num_queries(11):
        assert reader.get(f"/api/v1/commitments/{ref}/").status_code == 200


@pytest.mark.postgresql(reason="the feed's horizon query (pg_snapshot_xmin) is one of the four counted")
def test_the_change_feed_costs_four_queries(reader: APIClient, crowd: None, django_assert_num_queries: Any) -> None:
    reader.get("/api/v1/themes/")
    # token, the change log's head (the ETag's validator, ADR 0013: it replaced hashing the body),
    # the horizon (pg_snapshot_xmin), the rows
    with django_assert_num_queries(4):
        assert reader.get("/api/v1/changes/?limit=500").status_code == 200
