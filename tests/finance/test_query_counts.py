"""The spreadsheet import's preview runs the same number of SQL queries with 3 rows as with 20:
the records, and each kind of key the rows name (parties, pilots, sub-regions, boards), are read
once for all the rows, not once a row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from finance.models import Disposal, FundingLine

from .conftest import Money, client_for
from .writers import Writers, writers_fixture  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

# session, user, the writer's roles, the records, their commitments, the keys (one query per kind),
# the records the writer may update, the header's roles look-up; then, for a file whose every row
# is good, the upload kept in the session (savepoint, update, release)
LINE_PREVIEW = 10  # keys: parties, pilots, sub-regions
DISPOSAL_PREVIEW = 8  # keys: boards
KEPT_IN_SESSION = 3


def _preview(client: Any, text: str) -> Any:
    return client.post("/finance/import/", {"file": SimpleUploadedFile("updates.csv", text.encode(), content_type="text/csv")})


@pytest.mark.parametrize("good", [True, False])
def test_a_line_preview_reads_each_kind_of_key_once(
    money: Money, writers: Writers, grow_finance: Callable[[int], None], django_assert_num_queries: Any, good: bool
) -> None:
    grow_finance(20)
    lines = list(FundingLine.objects.filter(stream=money.stream).order_by("pk"))
    pilot = money.pilot.slug if good else "no-such-pilot"
    client = client_for(writers.spb)
    for n in (3, 20):
        text = "line_id,version,party,pilot,sub_region,reason\n" + "".join(
            f"{line.pk},1,{money.gla.slug},{pilot if i % 2 else ''},{(money.sel if i % 3 else money.ncl).slug},Row {i}\n"
            for i, line in enumerate(lines[:n])
        )
        with django_assert_num_queries(LINE_PREVIEW + (KEPT_IN_SESSION if good else 0)):
            response = _preview(client, text)
        html = response.content.decode()
        assert response.status_code == 200 and html.count('data-row="') == n
        assert ("Nothing has been saved" in html) is not good
        assert ("There is no pilot “no-such-pilot”" in html) is not good


@pytest.mark.parametrize("good", [True, False])
def test_a_disposal_preview_reads_the_boards_once(
    money: Money, writers: Writers, grow_finance: Callable[[int], None], django_assert_num_queries: Any, good: bool
) -> None:
    grow_finance(20)
    disposals = list(Disposal.objects.order_by("pk"))
    other = "spb" if good else "NOPE"
    client = client_for(writers.leb)
    for n in (3, 20):
        text = "disposal_id,version,recommended_by,reason\n" + "".join(
            f"{d.pk},{d.version},{'leb' if i % 2 else other},Row {i}\n" for i, d in enumerate(disposals[:n])
        )
        with django_assert_num_queries(DISPOSAL_PREVIEW + (KEPT_IN_SESSION if good else 0)):
            response = _preview(client, text)
        html = response.content.decode()
        assert response.status_code == 200 and html.count('data-row="') == n
        assert ("Nothing has been saved" in html) is not good
