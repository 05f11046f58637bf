"""The dashboard pages: who may read them, the scoped views, CSV exports (formula-safe) and the
SVG charts' accessibility markup."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from commitments.models import Obligation
from commitments.services import UpdateInput, record_update
from devotracker.spreadsheets import csv_safe
from reporting.periods import close_period, open_period

from ..factories import MembershipFactory, PartyFactory, UserFactory
from .conftest import THEME_NAMES, Dataset, client_for

pytestmark = pytest.mark.django_db


def read_csv(response: Any) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_anonymous_visitors_are_sent_to_sign_in(dataset: Dataset) -> None:
    response = Client().get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["viewer", "officer", "secretary", "admin_user"])
def test_every_signed_in_user_may_read_the_dashboard(dataset: Dataset, request: Any, persona: str) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/dashboard/").status_code == 200
    response = client.get("/dashboard/themes/")

    assert response.status_code == 200
    html = response.content.decode()
    for name in THEME_NAMES:
        assert name in html
    assert 'role="img"' in html and '<title id="chart-theme-title">' in html
    assert 'aria-labelledby="chart-theme-title chart-theme-desc"' in html


SECTION_TABLES = {
    "themes": ["theme"],
    "boards": ["board"],
    "pilots": ["pilot"],
    "parties": ["party"],
    "overdue": ["overdue"],
    "due": ["due", "due-soon"],
    "recent": ["recent"],
    "trends": ["rag-trend", "overdue-trend"],
    "ratings": ["ratings"],
}


def test_the_dashboard_is_a_summary_linking_to_a_page_per_breakdown(dataset: Dataset, viewer: Any) -> None:
    client = client_for(viewer)
    summary = client.get("/dashboard/").content.decode()

    assert 'id="table-summary"' in summary
    for section, keys in SECTION_TABLES.items():
        assert f'href="/dashboard/{section}/"' in summary, section
        for key in keys:
            assert f'id="table-{key}"' not in summary, key
        page = client.get(f"/dashboard/{section}/").content.decode()
        for key in keys:
            assert f'id="table-{key}"' in page, (section, key)
        assert 'id="table-summary"' not in page
    assert client.get("/dashboard/nope/").status_code == 404
    # A board's dashboard has no by-board page, a pilot's no by-pilot page.
    assert client.get("/dashboard/boards/spb/boards/").status_code == 404
    assert client.get("/dashboard/pilots/ncl-estates/pilots/").status_code == 404
    board = client.get("/dashboard/boards/spb/?agreements=all").content.decode()
    assert 'href="/dashboard/boards/SPB/overdue/?agreements=all"' in board
    page = client.get("/dashboard/boards/SPB/overdue/?agreements=all")
    assert page.status_code == 200 and page.context["d"].scope.all_agreements
    assert '<h1 class="govuk-heading-l">Overdue: London Health and Care Strategic Partnership Board</h1>' in page.content.decode()


def test_charts_are_followed_by_their_tables_and_patterns(dataset: Dataset, viewer: Any) -> None:
    client = client_for(viewer)
    html = "".join(client.get(f"/dashboard/{section}/").content.decode() for section in ("themes", "boards", "pilots", "parties", "trends"))

    for key in ("theme", "board", "pilot", "party", "rag-trend", "overdue-trend"):
        assert f'id="table-{key}"' in html, key
    # Each RAG value is drawn with its own pattern (greyscale-safe), not just a colour.
    for rag in ("red", "amber", "green", "none"):
        assert f'<pattern id="chart-theme-{rag}"' in html
    # The desc says the figures in words.
    assert "Capital and estates: 1 red, 1 amber" in html


def test_the_page_escapes_hostile_names(dataset: Dataset, viewer: Any) -> None:
    dataset.party_a.name = '<script>alert("x")</script>'
    dataset.party_a.save()

    html = client_for(viewer).get("/dashboard/parties/").content.decode()

    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("path", "title", "absent"),
    [
        ("/dashboard/pilots/ncl-estates/", "North Central London estates pilot", 'id="table-pilot"'),
        ("/dashboard/boards/spb/", "London Health and Care Strategic Partnership Board", 'id="table-board"'),
        ("/dashboard/boards/SPB/", "London Health and Care Strategic Partnership Board", 'id="table-board"'),
        ("/dashboard/parties/party-b/", "Party B", None),
    ],
)
def test_scoped_dashboards(dataset: Dataset, viewer: Any, path: str, title: str, absent: str | None) -> None:
    response = client_for(viewer).get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<h1 class="govuk-heading-l">{title}</h1>' in html
    if absent:
        assert absent not in html
    d = response.context["d"]
    if "pilots" in path:
        assert d.totals.total == 1 and d.totals.red == 1  # EST-01 only
        assert "pilot=ncl-estates" in d.by_theme.table.rows[0][1].url
    elif "boards" in path:
        assert (d.totals.red, d.totals.amber, d.totals.total) == (1, 1, 2)
        assert "board=SPB" in d.by_theme.table.rows[0][1].url
    else:
        # Party B's own obligations only; the commitments it owes under.
        assert d.totals.total == 2
        assert [s.label for s in d.by_party.series] == ["Party B"]
        assert "party=party-b" in d.summary.rows[0][1].url


@pytest.mark.parametrize("path", ["/dashboard/pilots/nope/", "/dashboard/boards/NOPE/", "/dashboard/parties/nope/"])
def test_unknown_scopes_are_404(dataset: Dataset, viewer: Any, path: str) -> None:
    assert client_for(viewer).get(path).status_code == 404


def test_tables_export_as_csv(dataset: Dataset, viewer: Any) -> None:
    response = client_for(viewer).get("/dashboard/?format=csv&table=theme")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="dashboard-london-theme-{dataset.today.isoformat()}.csv"'
    rows = read_csv(response)
    assert rows[0] == ["Theme", "Red", "Amber", "Green", "Not assessed", "Total commitments", "Complete", "Overdue"]
    assert rows[1] == ["Capital and estates", "1", "1", "0", "0", "2", "0", "0"]
    assert [r[0] for r in rows[1:7]] == THEME_NAMES
    assert rows[-1] == ["Total", "1", "1", "1", "1", "4", "1", "0"]


def test_every_table_on_the_page_has_a_csv_link_that_works(dataset: Dataset, viewer: Any) -> None:
    client = client_for(viewer)
    response = client.get("/dashboard/boards/spb/?agreements=all")
    keys = list(response.context["d"].tables())
    html = response.content.decode() + "".join(
        client.get(f"/dashboard/boards/spb/{section}/?agreements=all").content.decode() for section in SECTION_TABLES if section != "boards"
    )

    assert len(keys) >= 10
    for key in keys:
        assert f"?agreements=all&amp;format=csv&amp;table={key}" in html, key
        export = client.get(f"/dashboard/boards/spb/?agreements=all&format=csv&table={key}")
        assert export.status_code == 200, key
        assert read_csv(export)[0][0], key
    assert client.get("/dashboard/?format=csv&table=nope").status_code == 404


def test_csv_cells_are_formula_safe(dataset: Dataset, viewer: Any) -> None:
    PartyFactory(slug="evil", name='=HYPERLINK("http://x")')
    dataset.obligations["45"].party = PartyFactory(slug="evil")
    dataset.obligations["45"].save()
    dataset.actions["late"].description = "+SUM(A1:A9)"
    dataset.actions["late"].save()
    client = client_for(viewer)

    party_rows = read_csv(client.get("/dashboard/?format=csv&table=party"))
    overdue_rows = read_csv(client.get("/dashboard/?format=csv&table=overdue"))

    assert ['\'=HYPERLINK("http://x")', "0", "0", "0", "1", "1", "0", "0"] in party_rows
    assert "'+SUM(A1:A9)" in [row[2] for row in overdue_rows]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("plain", "plain"), (-3, -3), (7, 7), (None, "")],
)
def test_csv_safe(value: Any, expected: Any) -> None:
    assert csv_safe(value) == expected


def test_since_the_last_report_lists_what_moved_in_the_dashboard_s_scope(
    dataset: Dataset, viewer: Any, lc_board: Any, lc_secretariat: Any
) -> None:
    client = client_for(viewer)
    empty = client.get("/dashboard/changes/").content.decode()
    assert "No reporting period has been closed yet" in empty
    period = open_period(
        board=lc_board, name="LC, January 2000", starts_on=dt.date(2000, 1, 1), ends_on=dt.date(2000, 1, 31), by=lc_secretariat
    )
    close_period(period, by=lc_secretariat, now=timezone.now() - dt.timedelta(days=2))
    officer = UserFactory()
    MembershipFactory(user=officer, party=dataset.party_a)
    target = Obligation.objects.get(pk=dataset.obligations["today"].pk)
    record_update(target, by=officer, version=target.version, data=UpdateInput(rag="green", reason="Model agreed"))

    london = client.get("/dashboard/changes/").content.decode()
    assert f'href="/periods/{period.pk}/"' in london and "LC, January 2000" in london
    assert 'id="obligations-improved"' in london and "EST-02" in london
    # A board's page counts only what the board leads: EST-02 is led by the SPB, not the LEB.
    spb = client.get(f"/dashboard/boards/{dataset.spb.code}/changes/").content.decode()
    assert 'id="obligations-improved"' in spb
    leb = client.get("/dashboard/boards/LEB/changes/").content.decode()
    assert 'id="obligations-improved"' not in leb and "LC, January 2000" in leb
    assert 'href="/dashboard/changes/"' in client.get("/dashboard/").content.decode()
