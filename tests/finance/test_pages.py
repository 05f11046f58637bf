"""The finance pages: what they show, their filters and CSV, who sees the forms' links, and a
fixed number of queries whatever the number of rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from finance.models import Disposal, FundingLine

from .conftest import Money, client_for

pytestmark = pytest.mark.django_db

PAGES = [
    "/finance/",
    "/finance/streams/",
    "/finance/streams/transformation-funding/",
    "/finance/lines/",
    "/finance/budgets/",
    "/finance/budgets/2018/",
    "/finance/disposals/",
]


def rows_of(response: Any) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.mark.parametrize("path", PAGES)
def test_every_signed_in_user_reads_the_pages(money: Money, viewer: Any, path: str) -> None:
    assert client_for(viewer).get(path).status_code == 200


def test_detail_pages_of_a_line_and_a_disposal(money: Money, viewer: Any) -> None:
    client = client_for(viewer)
    line = client.get(f"/finance/lines/{money.lines[1].pk}/").content.decode()
    assert "Committed is more than allocated." in line
    assert "The urgent care contract was let above its allocation." in line  # its history
    assert "£2,000,000" in line and "£2,500,000.50" in line  # before and after, in pounds
    disposal = client.get(f"/finance/disposals/{money.disposals[0].pk}/").content.decode()
    assert "Reinvest in the Camden health centre." in disposal and "London Estates Board" in disposal
    assert "Sale completed." in disposal and "Spreadsheet import" in disposal


def test_unknown_records_are_404(money: Money, viewer: Any) -> None:
    client = client_for(viewer)
    for path in ("/finance/streams/nope/", "/finance/lines/999999/", "/finance/budgets/1999/", "/finance/disposals/999999/"):
        assert client.get(path).status_code == 404


def test_index_shows_the_headline_figures_and_the_flags(money: Money, viewer: Any) -> None:
    html = client_for(viewer).get("/finance/").content.decode()
    assert "£13,500,000" in html and "£10,900,000.50" in html and "£6,450,000" in html
    assert "£20,030,000.01" in html and "£22,000,000" in html and "£22,015,000" in html
    assert "2 funding lines" in html and "1 capital budget" in html
    assert "£120,000,000" in html


def test_stream_page_says_where_its_allocation_comes_from(money: Money, viewer: Any) -> None:
    html = client_for(viewer).get("/finance/streams/transformation-funding/").content.decode()
    assert "COM-08: &quot;circa £120 million&quot;" in html
    assert 'href="/commitments/COM-08/"' in html
    assert "North Central London integrated care" in html


def test_budget_page_profiles_by_quarter_with_flags(money: Money, viewer: Any) -> None:
    html = client_for(viewer).get("/finance/budgets/2018/").content.decode()
    assert "The quarterly profile does not add up" in html and "Q2 (July to September): spent is more than profiled." in html
    assert "£45,000,000" in html and "£50,000,000" in html


def test_line_filters(money: Money, viewer: Any) -> None:
    client = client_for(viewer)
    html = client.get("/finance/lines/?flagged=true").content.decode()
    assert "South East London urgent care" in html and "Camden health centre" in html
    assert "North Central London integrated care" not in html
    html = client.get("/finance/lines/?sub_region=north-central-london&year=2018").content.decode()
    assert "Showing 1 to 2 of 2 funding lines" in html
    assert client.get("/finance/lines/?london_wide=true").content.decode().count('data-line="') == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year=18", "Give a year from 2000 to 2100"),
        ("year=2018.5", "Give a year"),
        ("flagged=maybe", "Select a valid choice"),
        ("quarter=5", "Select a valid choice"),
    ],
)
def test_bad_filters_are_an_error_summary_not_a_500(money: Money, viewer: Any, query: str, message: str) -> None:
    response = client_for(viewer).get(f"/finance/lines/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem with the filters" in html and message in html


def test_lines_csv_in_pounds_with_two_decimals(money: Money, viewer: Any) -> None:
    response = client_for(viewer).get("/finance/lines/?stream=transformation-funding&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = rows_of(response)
    assert rows[0][:4] == ["id", "stream", "description", "financial_year"]
    by_description = {r[2]: r for r in rows[1:]}
    assert len(by_description) == 3
    urgent = by_description["South East London urgent care"]
    assert urgent[8:11] == ["2000000.00", "2500000.50", "1000000.00"]
    assert urgent[3:5] == ["2018/19", "Q2"]
    assert urgent[11] == "Committed is more than allocated."


def test_disposal_and_budget_and_stream_csv(money: Money, viewer: Any) -> None:
    client = client_for(viewer)
    rows = rows_of(client.get("/finance/disposals/?status=on_market&format=csv"))
    assert len(rows) == 2 and rows[1][1] == "Lewisham clinic"
    assert rows[1][6:10] == ["30000.01", "", "50", "15000.00"]
    budgets = rows_of(client.get("/finance/budgets/?format=csv"))
    assert [r[0] for r in budgets[1:]] == ["2019/20", "2018/19"]
    assert budgets[2][1:6] == ["40000000.00", "10000000.00", "50000000.00", "45000000.00", "25000000.00"]
    assert "spent is more than profiled" in budgets[2][-2]
    streams = rows_of(client.get("/finance/streams/?format=csv"))
    assert streams[2][:4] == ["transformation-funding", "Transformation funding", "Transformation funding", "120000000.00"]


def test_csv_cells_are_formula_safe(money: Money, viewer: Any) -> None:
    FundingLine.objects.filter(pk=money.lines[0].pk).update(description='=HYPERLINK("http://evil.example")')
    Disposal.objects.filter(pk=money.disposals[0].pk).update(site="+cmd|' /C calc'!A0", decision="@SUM(1)")
    client = client_for(viewer)
    lines = rows_of(client.get("/finance/lines/?format=csv"))
    assert '\'=HYPERLINK("http://evil.example")' in [r[2] for r in lines]
    disposals = rows_of(client.get("/finance/disposals/?format=csv"))
    row = next(r for r in disposals if "calc" in r[1])
    assert row[1].startswith("'+") and row[14] == "'@SUM(1)"


def test_bad_filters_never_download(money: Money, viewer: Any) -> None:
    response = client_for(viewer).get("/finance/disposals/?status=sold&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


def test_hostile_text_is_escaped(money: Money, viewer: Any) -> None:
    Disposal.objects.filter(pk=money.disposals[0].pk).update(recommendation="<script>alert(1)</script>")
    html = client_for(viewer).get(f"/finance/disposals/{money.disposals[0].pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_the_forms_are_linked_for_those_the_services_let_write(money: Money, viewer: Any, officer: Any, admin_user: Any) -> None:
    """The form's link by the services' rule: an officer of the line's party (amounts), the
    keeper's secretariat and administrators; never a viewer or another party's officer."""
    from boards.models import Membership

    from ..factories import MembershipFactory, UserFactory

    gla_officer = UserFactory(username="gina")
    MembershipFactory(user=gla_officer, party=money.gla, role=Membership.Role.OFFICER)
    leb_secretary = UserFactory(username="lee")
    MembershipFactory(user=leb_secretary, party=None, board=money.leb, role=Membership.Role.SECRETARIAT)
    line = f"/finance/lines/{money.lines[0].pk}/"  # the GLA's line of the transformation stream (no keeper)
    capital_line = f"/finance/lines/{money.lines[3].pk}/"  # the capital stream, kept by the LEB
    for user, path, shown in (
        (viewer, line, False),
        (officer, line, False),
        (gla_officer, line, True),
        (admin_user, line, True),
        (leb_secretary, capital_line, True),
        (leb_secretary, line, False),
    ):
        assert ("Change this line" in client_for(user).get(path).content.decode()) is shown, (user.username, path)
    disposal = f"/finance/disposals/{money.disposals[0].pk}/"
    assert "Change this disposal" in client_for(leb_secretary).get(disposal).content.decode()
    assert "Change this disposal" not in client_for(viewer).get(disposal).content.decode()
    assert "Change this budget" in client_for(leb_secretary).get("/finance/budgets/2018/").content.decode()
    assert "Add a disposal" not in client_for(viewer).get("/finance/disposals/").content.decode()
    assert "Add a disposal" in client_for(leb_secretary).get("/finance/disposals/").content.decode()


# Queries of each list page, whatever the number of rows: the session, the user and the header's
# roles (3), the user's finance roles for the forms' links (1, not on a CSV download), then the page's own.
LIST_QUERIES = {
    "/finance/": 4 + 6,  # line totals, receipts, streams, budgets and their quarters, streams over-allocated
    "/finance/streams/": 4 + 2,  # the count and the page
    "/finance/lines/": 4 + 7,  # streams, parties, pilots, sub-regions (the choices), the totals, the count, the page
    "/finance/budgets/": 4 + 3,  # the count, the page and its quarters
    "/finance/disposals/": 4 + 5,  # sub-regions, boroughs (the choices), the totals, the count, the page
    "/finance/lines/?format=csv": 3 + 1,
    "/finance/disposals/?format=csv": 3 + 1,
    "/finance/budgets/?format=csv": 3 + 2,
    "/finance/streams/?format=csv": 3 + 1,
    "/finance/streams/transformation-funding/": 4 + 4,  # the stream, its lines, its commitments, its history
}


@pytest.mark.parametrize("path", list(LIST_QUERIES))
def test_pages_run_a_fixed_number_of_queries(grow_finance: Callable[[int], None], viewer: Any, path: str) -> None:
    client = client_for(viewer)
    grow_finance(3)
    with CaptureQueriesContext(connection) as small:
        assert client.get(path).status_code == 200
    grow_finance(60)
    with CaptureQueriesContext(connection) as large:
        assert client.get(path).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) <= LIST_QUERIES[path], [q["sql"][:120] for q in large.captured_queries]


def test_detail_pages_run_a_fixed_number_of_queries(money: Money, viewer: Any, django_assert_max_num_queries: Any) -> None:
    client = client_for(viewer)
    client.get("/finance/")  # the session is warm
    for path in (f"/finance/lines/{money.lines[0].pk}/", f"/finance/disposals/{money.disposals[0].pk}/", "/finance/budgets/2018/"):
        with django_assert_max_num_queries(4 + 3):
            assert client.get(path).status_code == 200
