"""The benchmark's floor (:mod:`bench.floor`) and obvious implementation (:mod:`bench.obvious`)
give the same pages as the API they are compared with.

The API lists' goals are ratios to the floor and to the obvious build, so a comparison page that
leaves out part of the representation (as both did once the assurance ratings and dependencies
joined it) makes the ratio measure less than DevoTracker's machinery. Checked on the MoU and the
demo data, with the parts that vary page to page present: dependencies both ways, items at risk
through an overdue action, a red assurance rating and a not-pursued commitment.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bench import floor
from commitments.lifecycle import Status
from commitments.models import Action, Commitment, Dependency

from ..conftest import token_client

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PAGES = [
    ("commitments", "/api/v1/commitments/?page_size=100", {"page_size": "100"}),
    ("actions", "/api/v1/actions/?overdue=true&page_size=500", {"overdue": "true", "page_size": "500"}),
]


@pytest.fixture
def troubled(admin_user: Any) -> None:
    """The MoU and the demo data, with dependencies whose prerequisites are in each kind of trouble."""
    call_command("load_mou", verbosity=0)
    call_command("load_demo")
    commitments = list(Commitment.objects.order_by("ref")[:8])
    overdue_action = Action.objects.overdue().order_by("id").first()
    assert overdue_action is not None
    open_actions = list(Action.objects.overdue().order_by("id")[1:3])
    red, dropped = commitments[0], commitments[1]
    Commitment.objects.filter(pk=red.pk).update(
        assurance_rag="red", assurance_by=admin_user, assurance_at=timezone.now(), assurance_reason="Slipping"
    )
    Commitment.objects.filter(pk=dropped.pk).update(assessed_at=timezone.now(), status=Status.NOT_PURSUED, rag="")
    links: list[dict[str, Any]] = [
        {"commitment": commitments[2], "prerequisite_commitment": red},
        {"commitment": commitments[3], "prerequisite_commitment": dropped},
        {"commitment": commitments[4], "prerequisite_action": overdue_action},
        {"action": open_actions[0], "prerequisite_commitment": red},
        {"action": open_actions[1], "prerequisite_action": overdue_action},
    ]
    for link in links:
        Dependency.objects.get_or_create(**link)


@pytest.mark.postgresql(reason="the floor is hand-written PostgreSQL (psycopg2, = ANY(array))")
@pytest.mark.usefixtures("troubled")
@pytest.mark.parametrize(("collection", "path", "query"), PAGES, ids=[p[0] for p in PAGES])
def test_the_floor_and_the_obvious_build_give_the_apis_page(
    read_token: str, settings: Any, collection: str, path: str, query: dict[str, str]
) -> None:
    settings.ROOT_URLCONF = "bench.urls"  # mounts the obvious build under /api/obvious/
    client = token_client(read_token)
    response = client.get(path, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    ours = json.loads(response.content)
    connection.ensure_connection()
    floor_page = json.loads(floor.render(connection.connection, collection, query, host="http://testserver"))
    obvious_page = json.loads(client.get(path.replace("/api/v1/", "/api/obvious/"), HTTP_ACCEPT="application/json").content)

    for theirs in (floor_page, obvious_page):
        _same_page(ours, theirs)
    # The parts that vary were on the page, so the comparison covered them.
    at_risk = [r["url"] for r in ours["results"] if r["at_risk"]]
    assert at_risk
    assert any(r["waiting_on"] for r in ours["results"])
    assert any(r["holding_up"] for r in ours["results"])
    if collection == "commitments":
        assert any(r["rating_source"] == "assurance" and r["ratings_disagree"] for r in ours["results"])


def _same_page(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert theirs["count"] == ours["count"]
    assert [r["url"] for r in theirs["results"]] == [r["url"] for r in ours["results"]]
    for mine, its in zip(ours["results"], theirs["results"], strict=True):
        assert set(its) == set(mine), f"{mine['url']}: fields differ"
        assert its == mine, mine["url"]
