"""The pages on the real MoU inventory (``manage.py load_mou``): every commitment, board and pilot
page renders, and the list's filters work on the real vocabularies."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from boards.models import Board
from commitments.models import Commitment
from pilots.models import Pilot

pytestmark = pytest.mark.django_db


@pytest.fixture
def mou(db: Any) -> None:
    call_command("load_mou", verbosity=0)


def test_every_real_commitment_board_and_pilot_page_renders(mou: None, officer_client: Client) -> None:
    refs = list(Commitment.objects.values_list("ref", flat=True))
    assert len(refs) == 83
    for ref in refs:
        response = officer_client.get(f"/commitments/{ref}/")
        assert response.status_code == 200, ref
        assert ref in response.content.decode()
    for code in Board.objects.values_list("code", flat=True):
        assert officer_client.get(f"/boards/{code.lower()}/").status_code == 200, code
    for slug in Pilot.objects.values_list("slug", flat=True):
        assert officer_client.get(f"/pilots/{slug}/").status_code == 200, slug


def test_the_real_list_pages_by_50_and_filters_by_theme_and_board(mou: None, officer_client: Client) -> None:
    first = officer_client.get("/commitments/").content.decode()
    assert "Showing 1 to 50 of 83 commitments" in first

    theme = Commitment.objects.values_list("theme__slug", flat=True).first()
    expected = Commitment.objects.filter(theme__slug=theme).count()
    html = officer_client.get(f"/commitments/?theme={theme}").content.decode()
    assert len(re.findall(r'data-ref="', html)) == min(expected, 50)

    lead = Board.objects.filter(led_commitments__isnull=False).distinct().first()
    assert lead is not None
    led = Commitment.objects.filter(lead_board=lead).count()
    html = officer_client.get(f"/commitments/?board={lead.code.lower()}").content.decode()
    assert f"of {led} commitments" in html or len(re.findall(r'data-ref="', html)) == led
