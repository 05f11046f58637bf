"""Who writes money and estates in the finance write tests (imported by them as fixtures): the
London Estates Board's secretariat, the SPB's (which keeps the transformation stream here), an
officer of the trust that owns the disposals and the capital line, an officer of the GLA (the
party of a transformation line), a viewer and an administrator (tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from boards.models import Membership
from finance.models import FundingStream

from ..factories import BoardFactory, MembershipFactory, UserFactory
from .conftest import Money


@dataclass
class Writers:
    leb: Any
    spb: Any
    trust: Any
    gla: Any
    viewer: Any
    admin: Any
    spb_board: Any


@pytest.fixture(name="writers")
def writers_fixture(money: Money, viewer: Any, admin_user: Any) -> Writers:
    spb = BoardFactory(code="SPB", slug="spb", name="London Health and Care Strategic Partnership Board")
    FundingStream.objects.filter(pk=money.stream.pk).update(keeper=spb)
    money.stream.refresh_from_db()
    leb_sec = UserFactory(username="lena", first_name="Lena", last_name="Estates")
    MembershipFactory(user=leb_sec, party=None, board=money.leb, role=Membership.Role.SECRETARIAT)
    spb_sec = UserFactory(username="sami", first_name="Sami", last_name="Partnership")
    MembershipFactory(user=spb_sec, party=None, board=spb, role=Membership.Role.SECRETARIAT)
    trust = UserFactory(username="toby", first_name="Toby", last_name="Trust")
    MembershipFactory(user=trust, party=money.trust, role=Membership.Role.OFFICER)
    gla = UserFactory(username="gwen", first_name="Gwen", last_name="Gla")
    MembershipFactory(user=gla, party=money.gla, role=Membership.Role.OFFICER)
    return Writers(leb=leb_sec, spb=spb_sec, trust=trust, gla=gla, viewer=viewer, admin=admin_user, spb_board=spb)
