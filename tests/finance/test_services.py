"""The finance writes (issue 16): money parsing, the arithmetic and its flags, who may change
what, the history each change leaves (before and after in pence, a reason, version + 1, the
change log), version conflicts, and the disposal rules. Nothing is saved when a write is refused."""

from __future__ import annotations

from typing import Any

import pytest

from commitments.models import Change
from finance import services
from finance.models import LINE_FLAGGED, CapitalBudget, Disposal, FinanceUpdate, FundingLine
from finance.money import AmountError, format_pounds, parse_pounds, pounds_text

from .conftest import POUND, Money
from .writers import Writers, writers_fixture  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


# --- money --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pence"),
    [("1200", 120000), ("1200.5", 120050), ("1200.50", 120050), ("0.01", 1), (" 7 ", 700), ("0", 0), ("999999999999.99", 99999999999999)],
)
def test_pounds_are_read_as_whole_pence(text: str, pence: int) -> None:
    assert parse_pounds(text) == pence
    assert parse_pounds(pounds_text(pence)) == pence


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("£1,200", "without a currency sign or commas"),
        ("1,200.00", "without a currency sign or commas"),
        ("$5", "currency sign"),
        ("-5", "cannot be negative"),
        ("1200.505", "at most two decimal places"),
        ("1.2e3", "Enter an amount"),
        ("", "Enter an amount"),
        ("twelve", "Enter an amount"),
        ("1234567890123", "Enter an amount"),
        (".5", "Enter an amount"),
    ],
)
def test_every_bad_form_of_an_amount_is_refused_with_a_message(text: str, says: str) -> None:
    with pytest.raises(AmountError, match=says):
        parse_pounds(text)


def test_amounts_are_written_for_people_and_for_spreadsheets() -> None:
    assert pounds_text(12_000_000_000) == "120000000.00" and pounds_text(None) == ""
    assert format_pounds(120050) == "£1,200.50" and format_pounds(12_000_000_000, short=True) == "£120.0m"


# --- funding lines: arithmetic, flags, history ----------------------------------------------------


def test_a_line_that_does_not_add_up_is_saved_and_flagged_and_its_history_says_so(money: Money, writers: Writers) -> None:
    line = money.lines[0]  # £10m allocated, £8m committed, £5m spent
    changes_before = Change.objects.count()
    saved = services.update_line(
        line, by=writers.spb, version=line.version, data={"committed": "12000000.00", "spent": "13000000.5"}, reason="Contract let"
    )
    line.refresh_from_db()
    assert (line.committed_pence, line.spent_pence, line.version) == (1_200_000_000, 1_300_000_050, 2)
    assert saved.flags == ["Committed is more than allocated.", "Spent is more than committed."] == line.flags
    update = saved.update
    assert update.line == line and update.author == writers.spb and update.reason == "Contract let" and update.version == 2
    assert update.changes["committed_pence"] == [800_000_000, 1_200_000_000]
    assert update.changes["spent_pence"] == [500_000_000, 1_300_000_050]
    assert update.changes["flags"] == [[], saved.flags]
    assert FundingLine.objects.filter(LINE_FLAGGED, pk=line.pk).exists()
    assert Change.objects.count() == changes_before + 1
    change = Change.objects.latest("id")
    assert (change.resource, change.key, change.version) == ("funding-lines", str(line.pk), 2)


def test_a_consistent_line_has_no_flags_and_an_unflagged_change_records_none(money: Money, writers: Writers) -> None:
    line = money.lines[2]
    saved = services.update_line(line, by=writers.spb, version=1, data={"committed": "500000", "spent": "100000"}, reason="Spent")
    assert saved.flags == [] and "flags" not in saved.update.changes


def test_creating_a_line_records_its_first_history_row(money: Money, writers: Writers) -> None:
    saved = services.create_line(
        by=writers.spb,
        data={
            "stream": "transformation-funding",
            "description": "Outer North East London",
            "sub_region": "north-central-london",
            "financial_year": "2018/19",
            "quarter": "Q3",
            "allocated": "1000",
            "committed": "1500",
            "spent": "0",
            "commitments": ["com-08"],
        },
        reason="Agreed at the SPB",
    )
    line = saved.record
    assert (line.financial_year, line.quarter, line.allocated_pence, line.committed_pence, line.version) == (2018, 3, 100000, 150000, 1)
    assert [c.ref for c in line.commitments.all()] == ["COM-08"] and line.created_by == writers.spb
    assert saved.update.created and saved.update.changes["allocated_pence"] == [None, 100000]
    assert saved.update.changes["commitments"] == [[], ["COM-08"]] and saved.flags == ["Committed is more than allocated."]
    assert Change.objects.filter(resource="funding-lines", key=str(line.pk), op=Change.Op.CREATE).exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"allocated": "-5"}, "allocated", "cannot be negative"),
        ({"allocated": "£1,200"}, "allocated", "without a currency sign"),
        ({"committed": "12.345"}, "committed", "two decimal places"),
        ({"spent": 12.5}, "spent", "as text"),
        ({"financial_year": "1999"}, "financial_year", "from 2000 to 2100"),
        ({"financial_year": 2101}, "financial_year", "from 2000 to 2100"),
        ({"quarter": "5"}, "quarter", "1, 2, 3 or 4"),
        ({"quarter": 0}, "quarter", "1, 2, 3 or 4"),
        ({"party": "nobody"}, "party", "no party"),
        ({"commitments": ["XXX-99"]}, "commitments", "no commitment"),
        ({"description": ""}, "description", "Enter the description"),
        ({"colour": "red"}, "colour", "Unknown field"),
        ({"stream": "capital-programme"}, "stream", "cannot be changed"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_saved(
    money: Money, writers: Writers, data: dict[str, Any], field: str, message: str
) -> None:
    line = money.lines[0]
    before = (FinanceUpdate.objects.count(), Change.objects.count())
    with pytest.raises(services.InvalidUpdate) as caught:
        services.update_line(line, by=writers.spb, version=1, data=data, reason="Trying")
    assert any(message in m for m in caught.value.errors[field]), caught.value.errors
    line.refresh_from_db()
    assert line.version == 1 and (FinanceUpdate.objects.count(), Change.objects.count()) == before


def test_a_reason_is_required_and_a_change_must_change_something(money: Money, writers: Writers) -> None:
    line = money.lines[0]
    with pytest.raises(services.InvalidUpdate) as caught:
        services.update_line(line, by=writers.spb, version=1, data={"spent": "1"}, reason="   ")
    assert caught.value.errors == {"reason": ["Give a reason for the change."]}
    with pytest.raises(services.InvalidUpdate) as caught:
        services.update_line(line, by=writers.spb, version=1, data={"spent": pounds_text(line.spent_pence)}, reason="No change")
    assert caught.value.errors == {"__all__": ["Change at least one thing."]}


def test_a_stale_version_is_a_conflict_carrying_the_record_as_it_is_now(money: Money, writers: Writers) -> None:
    line = money.lines[0]
    services.update_line(line, by=writers.spb, version=1, data={"spent": "1"}, reason="First")
    with pytest.raises(services.VersionConflict) as caught:
        services.update_line(FundingLine.objects.get(pk=line.pk), by=writers.gla, version=1, data={"spent": "2"}, reason="Second")
    assert caught.value.current.version == 2 and caught.value.current.spent_pence == 100
    with pytest.raises(services.InvalidUpdate):
        services.update_line(line, by=writers.spb, version=None, data={"spent": "2"}, reason="No version")


# --- permissions ----------------------------------------------------------------------------------


def test_who_may_change_a_funding_line(money: Money, writers: Writers) -> None:
    own, capital = money.lines[0], money.lines[3]  # the GLA's transformation line; the trust's capital line (LEB keeps)
    assert services.can_update(writers.spb, own) and services.can_update(writers.gla, own) and services.can_update(writers.admin, own)
    assert not services.can_update(writers.trust, own) and not services.can_update(writers.leb, own)
    assert not services.can_update(writers.viewer, own) and not services.can_update(None, own)
    assert services.can_update(writers.leb, capital) and services.can_update(writers.trust, capital)
    assert not services.can_update(writers.spb, capital)
    # An officer of the party: amounts only, not what the line is or whose.
    services.update_line(own, by=writers.gla, version=1, data={"spent": "6000000"}, reason="Quarter's spend")
    with pytest.raises(services.NotAllowed) as caught:
        services.update_line(own, by=writers.gla, version=2, data={"party": "royal-free", "spent": "1"}, reason="Mine now")
    assert set(caught.value.errors) == {"party"}
    with pytest.raises(services.NotAllowed):
        services.update_line(own, by=writers.viewer, version=2, data={"spent": "1"}, reason="Viewer")
    with pytest.raises(services.NotAllowed):
        services.update_line(own, by=writers.trust, version=2, data={"spent": "1"}, reason="Not mine")
    with pytest.raises(services.NotAllowed):
        services.create_line(by=writers.gla, data={"stream": "transformation-funding"}, reason="Officer")
    with pytest.raises(services.NotAllowed):
        services.create_line(by=writers.spb, data={"stream": "capital-programme"}, reason="Not our stream")
    assert FundingLine.objects.get(pk=own.pk).version == 2


def test_streams_are_kept_by_their_keeper_board_and_created_for_ones_own_board(money: Money, writers: Writers) -> None:
    saved = services.update_stream(money.stream, by=writers.spb, version=1, data={"allocation": "125000000.00"}, reason="Revised")
    assert saved.update.changes == {"allocation_pence": [12_000_000_000, 12_500_000_000]}
    with pytest.raises(services.NotAllowed):
        services.update_stream(money.capital, by=writers.spb, version=1, data={"name": "Ours"}, reason="Not ours")
    with pytest.raises(services.InvalidUpdate) as caught:
        services.update_stream(money.stream, by=writers.spb, version=2, data={"keeper": "LEB"}, reason="Hand over")
    assert "keeper" in caught.value.errors
    new = services.create_stream(
        by=writers.spb,
        data={"slug": "better-care", "name": "Better care", "kind": "revenue", "keeper": "spb", "commitments": "COM-08"},
        reason="New fund",
    )
    assert new.record.keeper == writers.spb_board and new.record.version == 1
    with pytest.raises(services.NotAllowed):
        services.create_stream(by=writers.spb, data={"slug": "x", "name": "X", "kind": "other", "keeper": "LEB"}, reason="Not ours")
    with pytest.raises(services.NotAllowed):
        services.create_stream(by=writers.gla, data={"slug": "x", "name": "X", "kind": "other"}, reason="Officer")
    with pytest.raises(services.InvalidUpdate) as caught:
        services.create_stream(by=writers.admin, data={"slug": "better-care", "name": "Again", "kind": "other"}, reason="Twice")
    assert "already" in caught.value.errors["slug"][0]


# --- capital budgets ------------------------------------------------------------------------------


def test_the_capital_budget_and_its_profile_are_the_estates_boards_and_flagged_when_they_do_not_add_up(
    money: Money, writers: Writers
) -> None:
    budget = money.budget  # £40m + £10m retained; profile £45m, Q2 overspent
    assert len(budget.flags()) == 2
    with pytest.raises(services.NotAllowed):
        services.update_budget(budget, by=writers.spb, version=1, data={"amount": "1"}, reason="Not ours")
    saved = services.set_budget_profile(
        budget,
        by=writers.leb,
        version=1,
        quarters={4: {"planned": "9000000.00", "spent": "0"}, 2: {"planned": "16000000", "spent": "16000000"}},
        reason="Reprofiled",
    )
    assert saved.flags == [] and saved.record.version == 2
    assert saved.update.changes["q4_planned_pence"] == [5_000_000 * POUND, 9_000_000 * POUND]
    assert saved.update.changes["flags"][1] == []
    with pytest.raises(services.InvalidUpdate) as caught:
        services.set_budget_profile(budget, by=writers.leb, version=2, quarters={5: {"planned": "1", "spent": "0"}}, reason="Q5")
    assert "quarters.0.quarter" in caught.value.errors
    with pytest.raises(services.InvalidUpdate) as caught:
        services.set_budget_profile(
            budget, by=writers.leb, version=2, quarters=[{"quarter": 1, "planned": "-1", "spent": "0"}], reason="Neg"
        )
    assert "quarters.0.planned" in caught.value.errors
    new = services.create_budget(
        by=writers.leb,
        data={"financial_year": 2020, "amount": "100.00", "quarters": {1: {"planned": "50", "spent": "0"}}},
        reason="Set by partners",
    )
    assert new.record.keeper == money.leb and new.flags == [
        "The quarterly profile does not add up to the budget and its retained receipts."
    ]
    with pytest.raises(services.InvalidUpdate) as caught:
        services.create_budget(by=writers.admin, data={"financial_year": 2020, "amount": "1"}, reason="Twice")
    assert "already" in caught.value.errors["financial_year"][0]
    assert CapitalBudget.objects.count() == 3


# --- disposals ------------------------------------------------------------------------------------


def _disposal(money: Money, **data: Any) -> dict[str, Any]:
    return {"site": "Old hospital", "borough": "camden", "owner": "royal-free", "status": "proposed", **data}


def test_a_disposal_takes_its_boroughs_sub_region_and_refuses_another(money: Money, writers: Writers) -> None:
    saved = services.create_disposal(by=writers.leb, data=_disposal(money, expected_receipt="1000000.00"), reason="Surplus")
    assert saved.record.sub_region == money.ncl and saved.update.changes["sub_region"] == [None, "north-central-london"]
    with pytest.raises(services.InvalidUpdate) as caught:
        services.create_disposal(by=writers.leb, data=_disposal(money, sub_region="south-east-london"), reason="Wrong")
    assert caught.value.errors["sub_region"] == ["Camden is in North Central London, not South East London: choose its own sub-region."]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"actual_receipt": "100"}, "actual_receipt", "only be recorded on a completed disposal"),
        ({"retained_share_percent": 101}, "retained_share_percent", "from 0 to 100"),
        ({"retained_share_percent": "-1"}, "retained_share_percent", "from 0 to 100"),
        ({"expected_receipt": "1e6"}, "expected_receipt", "Enter an amount"),
        ({"status": "sold"}, "status", "Choose the status"),
        ({"recommendation": "Spend it on the health centre"}, "recommended_by", "which board"),
        ({"borough": "atlantis"}, "borough", "no borough"),
        ({"completed_on": "2018-02-30"}, "completed_on", "real date"),
    ],
)
def test_disposal_rules_are_field_errors(money: Money, writers: Writers, data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(services.InvalidUpdate) as caught:
        services.create_disposal(by=writers.leb, data=_disposal(money, **data), reason="Checking")
    assert any(message in m for m in caught.value.errors[field]), caught.value.errors
    assert Disposal.objects.count() == 3


def test_a_disposals_status_moves_as_the_rules_say_and_a_receipt_waits_for_completion(money: Money, writers: Writers) -> None:
    on_market = money.disposals[1]
    with pytest.raises(services.InvalidUpdate) as caught:
        services.update_disposal(on_market, by=writers.trust, version=1, data={"actual_receipt": "30000"}, reason="Sold?")
    assert "actual_receipt" in caught.value.errors
    with pytest.raises(services.InvalidUpdate) as caught:
        services.update_disposal(on_market, by=writers.trust, version=1, data={"status": "proposed"}, reason="Back two")
    assert "cannot go from on the market to proposed" in caught.value.errors["status"][0]
    saved = services.update_disposal(
        on_market, by=writers.trust, version=1, data={"status": "completed", "actual_receipt": "31000.00"}, reason="Completed"
    )
    assert saved.record.status == "completed" and saved.record.completed_on is not None and saved.record.actual_receipt_pence == 3_100_000
    assert saved.update.changes["status"] == ["on_market", "completed"]
    with pytest.raises(services.InvalidUpdate) as caught:
        services.update_disposal(on_market, by=writers.leb, version=2, data={"status": "on_market"}, reason="Reopen")
    assert "final" in caught.value.errors["status"][0]
    # The owner's officer changes amounts and status only; the board's recommendation is the board's.
    with pytest.raises(services.NotAllowed):
        services.update_disposal(on_market, by=writers.trust, version=2, data={"decision": "Keep it"}, reason="Ours")
    withdrawn = money.disposals[2]
    services.update_disposal(withdrawn, by=writers.leb, version=1, data={"status": "proposed"}, reason="Back on the table")
    with pytest.raises(services.NotAllowed):
        services.update_disposal(withdrawn, by=writers.gla, version=2, data={"status": "approved"}, reason="Not the owner")
    with pytest.raises(services.NotAllowed):
        services.create_disposal(by=writers.trust, data=_disposal(money), reason="Officers do not add")
