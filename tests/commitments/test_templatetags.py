"""Possessives that read properly (issue 11): one ``possessive`` filter forms them, in templates and
in Python, so a party whose name ends in s reads "National partners' obligation", never
"National partners's obligation"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.template import Context, Template
from django.test import Client

from boards.models import Membership
from commitments.models import Action, Obligation
from commitments.templatetags.tracker import possessive
from reporting.dashboards import due_item_list, overdue_item_list

from ..factories import CommitmentFactory, MembershipFactory, ObligationFactory, PartyFactory, UserFactory
from .conftest import client_for


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("National partners", "National partners'"),
        ("London boroughs", "London boroughs'"),
        ("London Councils", "London Councils'"),
        ("NHS England", "NHS England's"),
        ("Mayor of London", "Mayor of London's"),
        ("Party A", "Party A's"),
        # An abbreviation ending in a capital S is said with its s.
        ("NHS", "NHS's"),
        ("NHS Property Services (NHSPS)", "NHS Property Services (NHSPS)'s"),
        ("  London boroughs  ", "London boroughs'"),
        ("", ""),
        (None, ""),
    ],
)
def test_possessive(name: Any, expected: str) -> None:
    assert possessive(name) == expected


def test_the_filter_in_a_template_escapes_the_name_and_writes_the_apostrophe_as_typed() -> None:
    def render(source: str, name: str) -> str:
        return Template("{% load tracker %}" + source).render(Context({"name": name}))

    assert render("{{ name|possessive }} obligation", "Trade unions") == "Trade unions' obligation"
    assert render("{{ name|possessive }} obligation", "NHS England") == "NHS England's obligation"
    assert render("{{ name|possessive }}", "<b>Trade unions</b>") == "&lt;b&gt;Trade unions&lt;/b&gt;'s"
    assert render("{{ name|possessive }}", "The King's Fund") == "The King&#x27;s Fund's"
    assert render("{{ name|possessive }}", "") == ""
    assert render("{% autoescape off %}{{ name|possessive }}{% endautoescape %}", "A & B partners") == "A & B partners'"


@pytest.fixture
def partners_obligation(board: Any) -> Any:
    party = PartyFactory(slug="national-partners", name="National partners")
    commitment = CommitmentFactory(ref="NAT-001", lead_board=board)
    return ObligationFactory(commitment=commitment, party=party, due_date=dt.date(2020, 1, 31))


@pytest.mark.django_db
def test_pages_messages_and_dashboard_items_use_it(partners_obligation: Any) -> None:
    officer = UserFactory(username="nat", first_name="Nat", last_name="Officer")
    MembershipFactory(user=officer, party=partners_obligation.party, role=Membership.Role.OFFICER)
    client: Client = client_for(officer)
    url = f"/obligations/{partners_obligation.pk}/update/"

    html = client.get(url).content.decode()
    assert '<h1 class="govuk-heading-l">Update National partners&#x27; obligation</h1>' in html

    response = client.post(
        url,
        {
            "version": 1,
            "status": partners_obligation.status,
            "rag": "",
            "progress": "0",
            "note": "Met the national partners",
        },
    )
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Your update to National partners' obligation under NAT-001 has been saved."
    ]

    page = client.get("/commitments/NAT-001/").content.decode()
    assert "Nat Officer updated National partners' obligation" in page
    assert 'Update<span class="govuk-visually-hidden"> National partners\' obligation</span>' in page
    assert "partners&#x27;s" not in page and "partners's" not in page
    for path in ("/my-work/", "/obligations/"):
        listing = client.get(path).content.decode()
        assert "National partners' obligation under NAT-001" in listing, path
        assert "partners's" not in listing, path

    # Dashboard and report items (reporting/dashboards/), overdue and due soon.
    overdue = overdue_item_list(Obligation.objects.all(), Action.objects.all(), dt.date(2020, 2, 1))
    assert [i.description for i in overdue] == ["National partners' obligation under NAT-001"]
    soon = due_item_list(Obligation.objects.all(), Action.objects.all(), dt.date(2020, 1, 1), days=60)
    assert [i.description for i in soon] == ["National partners' obligation under NAT-001"]
