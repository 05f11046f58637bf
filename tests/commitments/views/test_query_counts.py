"""Every list and detail page runs the same number of SQL queries with 3 rows as with 30 (issue 3,
"Done when"). Each budget names its queries; 2 of every budget are the session and the user, and 1
the header's roles look-up (boards.accounts.roles_of)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ..conftest import client_for

pytestmark = pytest.mark.django_db

MATCHING_FILTERS = "theme=grow-theme&party=party-a&pilot=grow-pilot&status=not_started&rag=none&q=GRW&sort=-rag"

PAGES = [
    # memberships, officer parties, obligations, actions, secretariat boards, writable obligations, writable actions,
    # updates awaiting approval (issue 15)
    ("officer", "/my-work/", 11),
    # + the commitments the secretariat's boards lead
    ("secretary", "/my-work/", 12),
    # count, page, choices offered (boards, agreements, parties, pilots, themes)
    ("officer", "/commitments/", 10),
    # + the filter's own look-ups of the theme, pilot and party given
    ("officer", f"/commitments/?{MATCHING_FILTERS}", 13),
    # count, page, officer parties, secretariat boards, writable rows, choices (boards, parties, themes)
    ("officer", "/obligations/", 11),
    ("officer", "/actions/", 11),
    ("officer", "/obligations/?party=party-a&overdue=true&sort=-due", 11),
    # boards with their led-commitment counts
    ("officer", "/boards/", 4),
    # board, reporting tree, led, co-led, reporting boards, supported-by, meetings
    ("officer", "/boards/spb/", 11),
    # pilots with counts, their boroughs
    ("officer", "/pilots/", 5),
    # pilot, boroughs, commitment links with commitments
    ("officer", "/pilots/grow-pilot/", 6),
]


@pytest.mark.parametrize(("persona", "url", "budget"), PAGES)
def test_the_query_count_does_not_grow_with_the_rows(
    request: Any, grow: Callable[[int], Any], django_assert_num_queries: Any, persona: str, url: str, budget: int
) -> None:
    client = client_for(request.getfixturevalue(persona))
    grow(3)
    with django_assert_num_queries(budget):
        first = client.get(url)
    grow(27)
    with django_assert_num_queries(budget):
        second = client.get(url)

    assert first.status_code == second.status_code == 200
    # The second page really shows more rows (or a full page of them) than the first.
    assert len(second.content) > len(first.content)


@pytest.mark.parametrize(
    ("persona", "budget"),
    [
        # commitment with theme/lead board/agreement/parent, 15 prefetches (citations, co-leads,
        # other parties, recipients, pilot links + pilots, children, clauses, links out + targets,
        # links in + sources, obligations, actions, updates), officer parties, secretariat boards,
        # writable obligations, + what the commitment and its actions wait on and hold up (issue 15),
        # + the updates awaiting approval the user may see (issue 15)
        ("officer", 22 + 1 + 1),
        # + whether the secretariat may assess the commitment, + whether it is Leaders' Committee's
        # (who may change a lead board, issue 16: the other assignment rights need no query)
        ("secretary", 23 + 1 + 1 + 1),
        # no memberships: the writable-obligations look-up short-circuits on empty lists
        ("viewer", 21 + 1 + 1),
    ],
)
def test_the_commitment_page_does_not_grow_with_its_obligations_actions_or_updates(
    request: Any, grow: Callable[[int], Any], deepen: Callable[[str, int], None], django_assert_num_queries: Any, persona: str, budget: int
) -> None:
    client = client_for(request.getfixturevalue(persona))
    grow(1)
    deepen("GRW-000", 2)
    with django_assert_num_queries(budget):
        first = client.get("/commitments/GRW-000/")
    deepen("GRW-000", 20)
    with django_assert_num_queries(budget):
        second = client.get("/commitments/GRW-000/")

    assert first.status_code == second.status_code == 200
    html = second.content.decode()
    assert html.count('class="govuk-summary-card__title"') == 24  # 2 grown + 22 deepened obligations
    assert "Deep note 22" in html and "Quote 22" in html and "Clause 22" in html
