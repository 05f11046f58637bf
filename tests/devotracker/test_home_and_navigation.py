"""The home page's redirect per role and the header's role-dependent navigation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def nav_links(html: str) -> list[tuple[str, str]]:
    """(link text, aria-current or "") for each link of the service navigation."""
    nav = html[html.index('<nav aria-label="Menu"') : html.index("</nav>")]
    links = re.findall(r'<a class="govuk-service-navigation__link" href="[^"]*"( aria-current="(\w+)")?>\s*(.*?)\s*</a>', nav, re.S)
    return [(re.sub(r"<[^>]+>", "", text).strip(), current) for _, current, text in links]


@pytest.mark.parametrize(
    ("persona", "target"),
    [("officer", "/my-work/"), ("secretary", "/my-work/"), ("viewer", "/dashboard/"), ("admin_user", "/dashboard/")],
)
def test_home_sends_each_role_to_its_page(stub_pages: None, client: Client, request: Any, persona: str, target: str) -> None:
    client.force_login(request.getfixturevalue(persona))

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == target


def test_a_user_with_no_role_goes_to_the_dashboard(stub_pages: None, client: Client) -> None:
    from ..factories import UserFactory

    client.force_login(UserFactory(username="newcomer"))
    assert client.get("/")["Location"] == "/dashboard/"


def test_home_falls_back_to_a_page_while_the_destinations_do_not_exist(settings: Any, client: Client, officer: Any) -> None:
    settings.ROOT_URLCONF = "tests.devotracker.bare_urls"
    client.force_login(officer)

    response = client.get("/")

    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">DevoTracker</h1>' in response.content.decode()


def test_home_needs_sign_in(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_officers_see_my_work_and_not_admin(stub_pages: None, client: Client, officer: Any) -> None:
    client.force_login(officer)
    links = nav_links(client.get("/commitments/").content.decode())
    assert links == [
        ("Dashboard", ""),
        ("My work", ""),
        ("Approvals", ""),
        ("Commitments", "page"),
        ("Boards", ""),
        ("Pilots", ""),
        ("Money and estates", ""),
        ("Meetings", ""),
    ]


def test_viewers_do_not_see_my_work(stub_pages: None, client: Client, viewer: Any) -> None:
    client.force_login(viewer)
    links = nav_links(client.get("/dashboard/").content.decode())
    assert links == [
        ("Dashboard", "page"),
        ("Commitments", ""),
        ("Boards", ""),
        ("Pilots", ""),
        ("Money and estates", ""),
        ("Meetings", ""),
    ]


def test_staff_see_webhooks_and_admin(stub_pages: None, client: Client, admin_user: Any) -> None:
    client.force_login(admin_user)
    texts = [text for text, _ in nav_links(client.get("/pilots/").content.decode())]
    assert texts == ["Dashboard", "Commitments", "Boards", "Pilots", "Money and estates", "Meetings", "Webhooks", "Admin"]
    assert dict(nav_links(client.get("/webhooks/").content.decode()))["Webhooks"] == "page"
    on_subscription = dict(nav_links(client.get("/webhooks/3/").content.decode()))
    assert on_subscription["Webhooks"] == "true" and on_subscription["Admin"] == ""


def test_a_page_inside_a_section_marks_the_section(stub_pages: None, client: Client, secretary: Any) -> None:
    client.force_login(secretary)

    on_my_work = dict(nav_links(client.get("/my-work/").content.decode()))
    on_detail = dict(nav_links(client.get("/commitments/TST-001/").content.decode()))
    on_board = dict(nav_links(client.get("/boards/SPB/").content.decode()))

    assert on_my_work["My work"] == "page" and on_my_work["Commitments"] == ""
    assert on_detail["Commitments"] == "true" and on_detail["My work"] == ""
    assert on_board["Boards"] == "true"


def test_sign_out_is_a_post_form_in_the_header(stub_pages: None, client: Client, officer: Any) -> None:
    client.force_login(officer)
    html = client.get("/my-work/").content.decode()
    header = html[html.index("<header") : html.index("</header>")]
    assert '<form class="app-service-navigation__form" method="post" action="/accounts/logout/">' in header
    assert 'name="csrfmiddlewaretoken"' in header
    assert 'type="submit" class="app-service-navigation__button" data-testid="sign-out" value="Sign out"' in header


def test_the_navigation_costs_one_query_whatever_the_memberships(
    stub_pages: None, client: Client, officer: Any, django_assert_num_queries: Any
) -> None:
    from boards.models import Membership

    from ..factories import BoardFactory, MembershipFactory, PartyFactory

    for i in range(5):
        MembershipFactory(user=officer, party=PartyFactory(slug=f"p-{i}"), role=Membership.Role.OFFICER)
        MembershipFactory(user=officer, party=None, board=BoardFactory(code=f"X{i}"), role=Membership.Role.SECRETARIAT)
    client.force_login(officer)
    # Session and user (2, from Django's auth) + the roles query for the header (1).
    with django_assert_num_queries(3):
        response = client.get("/pilots/")
    assert ("My work", "") in nav_links(response.content.decode())


def test_signed_out_pages_have_no_navigation(client: Client) -> None:
    html = client.get("/accessibility/").content.decode()
    assert "govuk-service-navigation" not in html
    assert "sign-out" not in html
    assert '<a href="/" class="govuk-generic-header__homepage-link">DevoTracker</a>' in html
