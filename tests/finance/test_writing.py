"""The finance forms and the spreadsheet import (issue 16): who sees which form and which fields,
GOV.UK error summaries with nothing saved, version conflicts, and the import (a good file, each bad
row, all or nothing, the templates, .xlsx)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from finance.models import CapitalBudget, Disposal, FinanceUpdate, FundingLine

from .conftest import Money, client_for
from .writers import Writers, writers_fixture  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


# --- forms ----------------------------------------------------------------------------------------


def test_each_form_is_for_those_who_may_use_it(money: Money, writers: Writers) -> None:
    line, capital, disposal = money.lines[0], money.lines[3], money.disposals[1]
    pages = {
        "/finance/streams/add/": {"spb": 200, "leb": 200, "gla": 403, "viewer": 403, "admin": 200},
        "/finance/streams/transformation-funding/edit/": {"spb": 200, "leb": 403, "gla": 403, "viewer": 403, "admin": 200},
        "/finance/lines/add/": {"spb": 200, "leb": 200, "gla": 403, "viewer": 403, "admin": 200},
        f"/finance/lines/{line.pk}/edit/": {"spb": 200, "leb": 403, "gla": 200, "trust": 403, "viewer": 403},
        f"/finance/lines/{capital.pk}/edit/": {"spb": 403, "leb": 200, "trust": 200},
        "/finance/budgets/add/": {"leb": 200, "spb": 403, "admin": 200},
        "/finance/budgets/2018/edit/": {"leb": 200, "spb": 403, "trust": 403},
        "/finance/disposals/add/": {"leb": 200, "trust": 403, "spb": 403},
        f"/finance/disposals/{disposal.pk}/edit/": {"leb": 200, "trust": 200, "gla": 403, "viewer": 403},
        "/finance/import/": {"gla": 200, "trust": 200, "leb": 200, "viewer": 403},
        "/finance/import/funding-lines.csv": {"gla": 200, "viewer": 403},
        "/finance/import/disposals.csv": {"trust": 200, "viewer": 403},
    }
    wrong = []
    for path, expected in pages.items():
        for role, status in expected.items():
            got = client_for(getattr(writers, role)).get(path).status_code
            if got != status:
                wrong.append(f"{role} {path}: {got}, expected {status}")
    assert not wrong, wrong
    assert Client().get("/finance/lines/add/").status_code == 302


def test_an_officer_sees_and_changes_only_the_amounts(money: Money, writers: Writers) -> None:
    line = money.lines[0]
    page = client_for(writers.gla).get(f"/finance/lines/{line.pk}/edit/").content.decode()
    assert 'name="spent"' in page and 'value="5000000.00"' in page and 'name="description"' not in page and 'name="version"' in page
    response = client_for(writers.gla).post(
        f"/finance/lines/{line.pk}/edit/",
        {"version": 1, "allocated": "10000000.00", "committed": "8000000", "spent": "9000000", "reason": "Returns"},
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.spent_pence == 900_000_000 and line.version == 2
    follow = client_for(writers.gla).get(response["Location"])
    assert follow.status_code == 200


def test_bad_input_shows_the_error_summary_and_saves_nothing(money: Money, writers: Writers) -> None:
    line = money.lines[0]
    response = client_for(writers.spb).post(
        f"/finance/lines/{line.pk}/edit/",
        {
            "version": 1,
            "description": line.description,
            "financial_year": "2018",
            "allocated": "£10,000",
            "committed": "1.234",
            "spent": "-1",
            "reason": "",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html and "There is a problem" in html
    for text in ("without a currency sign or commas", "two decimal places", "cannot be negative", "Give a reason for the change"):
        assert text in html, text
    assert FundingLine.objects.get(pk=line.pk).version == 1 and not FinanceUpdate.objects.filter(line=line).exists()


def test_a_stale_version_shows_what_changed(money: Money, writers: Writers) -> None:
    disposal = money.disposals[1]
    client_for(writers.leb).post(
        f"/finance/disposals/{disposal.pk}/edit/",
        {"version": 1, "status": "under_offer", "reason": "Offer received", **_disposal_fields(disposal)},
    )
    stale = client_for(writers.trust).post(
        f"/finance/disposals/{disposal.pk}/edit/", {"version": 1, "status": "on_market", "expected_receipt": "40000", "reason": "Mine"}
    )
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "Someone else saved this after you opened it" in html and 'name="version" value="2"' in html and "Offer received" in html
    assert Disposal.objects.get(pk=disposal.pk).expected_receipt_pence == 3_000_001


def _disposal_fields(d: Disposal) -> dict[str, str]:
    return {
        "site": d.site,
        "borough": d.borough.slug,
        "sub_region": d.sub_region.slug,
        "owner": d.owner.slug,
        "expected_receipt": "30000.01",
        "retained_share_percent": "50",
    }


def test_the_estates_secretariat_records_a_disposal_and_sets_a_budget(money: Money, writers: Writers) -> None:
    leb = client_for(writers.leb)
    bad = leb.post(
        "/finance/disposals/add/",
        {
            "site": "Depot",
            "borough": "camden",
            "owner": "royal-free",
            "status": "proposed",
            "sub_region": "south-east-london",
            "reason": "New",
        },
    )
    assert bad.status_code == 200 and "Camden is in North Central London" in bad.content.decode()
    ok = leb.post(
        "/finance/disposals/add/",
        {"site": "Depot", "borough": "camden", "owner": "royal-free", "status": "proposed", "expected_receipt": "1000", "reason": "New"},
    )
    assert ok.status_code == 302 and Disposal.objects.filter(site="Depot", sub_region=money.ncl).exists()
    budget = leb.post("/finance/budgets/add/", {"financial_year": "2022", "amount": "100", "q1_planned": "60", "reason": "Set"})
    assert budget.status_code == 302
    created = CapitalBudget.objects.get(financial_year=2022)
    assert [q.planned_pence for q in created.quarters.order_by("quarter")] == [6000, 0, 0, 0] and created.flags()
    edit = leb.post(
        "/finance/budgets/2022/edit/",
        {
            "version": 1,
            "amount": "100",
            "retained_receipts": "0",
            "q1_planned": "60",
            "q2_planned": "40",
            "q3_planned": "x",
            "reason": "Reprofile",
        },
    )
    assert edit.status_code == 200 and "Enter an amount" in edit.content.decode()


# --- the spreadsheet import -------------------------------------------------------------------------


def _upload(client: Client, text: str, name: str = "updates.csv") -> Any:
    return client.post("/finance/import/", {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")})


def test_a_good_file_is_previewed_then_saved_all_at_once(money: Money, writers: Writers) -> None:
    a, b = money.lines[0], money.lines[2]
    text = (
        "line_id,version,allocated,committed,spent,reason\n"
        f"{a.pk},1,10000000.00,8000000,6000000.5,Quarter 2 returns\n"
        f"{b.pk},1,1000000,2000000,,Contract let\n"
    )
    officer = client_for(writers.spb)
    preview = _upload(officer, text)
    html = preview.content.decode()
    assert preview.status_code == 200 and "2 records will be updated" in html and "1 will be flagged" in html
    assert "£5,000,000 to £6,000,000.50" in html
    assert FundingLine.objects.get(pk=a.pk).version == 1  # nothing saved yet
    token = html.split('name="token" value="')[1].split('"')[0]
    done = officer.post("/finance/import/confirm/", {"token": token})
    assert done.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.spent_pence, a.version, b.committed_pence, b.flags) == (600_000_050, 2, 200_000_000, ["Committed is more than allocated."])
    assert FinanceUpdate.objects.get(line=a, version=2).source == FinanceUpdate.Source.IMPORT


@pytest.mark.parametrize(
    ("row", "column", "says"),
    [
        ("{a},1,£1,000,,,Reason", "allocated", ""),  # an unquoted comma: one row too many cells, read as given
        ('{a},1,"£1,000",,,Reason', "allocated", "without a currency sign"),
        ("{a},1,1000.123,,,Reason", "allocated", "two decimal places"),
        ("{a},1,-5,,,Reason", "allocated", "negative"),
        ("{a},1,ten,,,Reason", "allocated", "Enter an amount"),
        ("{a},1,1000,,,", "reason", "Give a reason"),
        ("{a},7,1000,,,Reason", "version", "has changed since this version"),
        ("{a},,1000,,,Reason", "version", "Enter the version"),
        ("999999,1,1000,,,Reason", "line_id", "There is no funding line 999999"),
        ("abc,1,1000,,,Reason", "line_id", "is not a funding line number"),
        ("{c},1,1000,,,Reason", "line_id", "You may not update"),
    ],
)
def test_each_bad_row_is_named_and_nothing_is_saved(money: Money, writers: Writers, row: str, column: str, says: str) -> None:
    a, c = money.lines[0], money.lines[3]
    text = (
        "line_id,version,allocated,committed,spent,reason\n" + f"{money.lines[2].pk},1,999,,,Good row\n" + row.format(a=a.pk, c=c.pk) + "\n"
    )
    history = FinanceUpdate.objects.count()
    response = _upload(client_for(writers.spb), text)
    html = response.content.decode()
    assert response.status_code == 200 and "Nothing has been saved" in html, html[:3000]
    if says:
        assert f"<code>{column}</code>: " in html and says in html, html[html.find("import-rows") :][:3000]
    assert 'name="token"' not in html
    assert FinanceUpdate.objects.count() == history


def test_disposal_updates_by_the_owner_and_the_rules_per_row(money: Money, writers: Writers) -> None:
    on_market = money.disposals[1]
    trust = client_for(writers.trust)
    bad = _upload(
        trust,
        f"disposal_id,version,status,actual_receipt,decision,reason\n{on_market.pk},1,under offer,31000,,Offer\n{money.disposals[0].pk},1,,,Changed,Ours\n",
    )
    html = bad.content.decode()
    assert "only be recorded on a completed disposal" in html and "Only the record" in html
    good = _upload(
        trust, f"disposal_id,version,status,actual_receipt,completed_on,reason\n{on_market.pk},1,Completed,31000.00,30/09/2019,Sold\n"
    )
    token = good.content.decode().split('name="token" value="')[1].split('"')[0]
    assert trust.post("/finance/import/confirm/", {"token": token}).status_code == 302
    on_market.refresh_from_db()
    assert (on_market.status, on_market.actual_receipt_pence, str(on_market.completed_on)) == ("completed", 3_100_000, "2019-09-30")


def test_a_row_changed_since_the_preview_saves_nothing(money: Money, writers: Writers) -> None:
    a, b = money.lines[0], money.lines[2]
    officer = client_for(writers.spb)
    html = _upload(officer, f"line_id,version,spent,reason\n{a.pk},1,1,One\n{b.pk},1,2,Two\n").content.decode()
    token = html.split('name="token" value="')[1].split('"')[0]
    FundingLine.objects.filter(pk=b.pk).update(version=5)
    response = officer.post("/finance/import/confirm/", {"token": token})
    assert response.status_code == 409 and "has changed since this version" in response.content.decode()
    assert FundingLine.objects.get(pk=a.pk).version == 1


def test_the_templates_and_an_xlsx_round_trip(money: Money, writers: Writers) -> None:
    from openpyxl import Workbook

    officer = client_for(writers.gla)
    template = officer.get("/finance/import/funding-lines.csv").content.decode("utf-8-sig")
    lines = template.strip().splitlines()
    assert lines[0].startswith("line_id,version,stream") and len(lines) == 2 and "10000000.00" in lines[1]
    untouched = _upload(officer, template)
    assert "Nothing to save" in untouched.content.decode()
    book = Workbook()
    sheet = book.active
    sheet.append(["line_id", "version", "spent", "reason"])
    sheet.append([money.lines[0].pk, 1, 5500000.5, "From Excel"])
    data = io.BytesIO()
    book.save(data)
    upload = SimpleUploadedFile(
        "updates.xlsx", data.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    html = officer.post("/finance/import/", {"file": upload}).content.decode()
    assert "£5,000,000 to £5,500,000.50" in html
    assert "disposal_id,version" in officer.get("/finance/import/disposals.csv").content.decode("utf-8-sig")
    wrong_header = _upload(officer, "id,version\n1,1\n")
    assert wrong_header.status_code == 200 and "line_id" in wrong_header.content.decode()


def test_the_admin_shows_finance_records_and_their_history_read_only(money: Money, writers: Writers) -> None:
    admin = client_for(writers.admin)
    for model in ("fundingstream", "fundingline", "capitalbudget", "disposal", "financeupdate"):
        assert admin.get(f"/admin/finance/{model}/").status_code == 200, model
        assert admin.get(f"/admin/finance/{model}/add/").status_code == 403, model
    line = money.lines[0]
    page = admin.get(f"/admin/finance/fundingline/{line.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert admin.post(f"/admin/finance/fundingline/{line.pk}/delete/", {"post": "yes"}).status_code == 403
    assert FundingLine.objects.filter(pk=line.pk).exists()
