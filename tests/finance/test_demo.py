"""The quick start's money and estates (issue 16, "Done when"): illustrative funding lines,
budgets and disposals marked as demo data, the transformation fund's allocation the MoU's own
£120 million taken from COM-08; every record with its history row; loading twice loads nothing
twice; the pages, dashboard and papers show it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command

from commitments.models import Change
from finance.demo import pence_from_source
from finance.figures import FinanceFigures
from finance.models import CapitalBudget, Disposal, FinanceUpdate, FundingLine, FundingStream

from .conftest import client_for

pytestmark = pytest.mark.django_db

MODELS = (FundingStream, FundingLine, CapitalBudget, Disposal)


@pytest.fixture
def loaded(db: Any) -> None:
    call_command("load_mou", verbosity=0)
    call_command("load_finance_demo")


def test_the_transformation_fund_takes_its_allocation_from_com_08(loaded: None) -> None:
    stream = FundingStream.objects.get(slug="transformation-funding")
    assert stream.allocation_pence == 120_000_000 * 100
    assert "COM-08" in stream.allocation_source and "“circa £120 million”" in stream.allocation_source
    assert "Delegate London share of Transformation Funding (circa £120 million)" in stream.allocation_source  # the source's words
    assert list(stream.commitments.values_list("ref", flat=True)) == ["COM-08"]
    assert stream.kind == FundingStream.Kind.TRANSFORMATION


def test_everything_is_demo_data_with_a_demo_history_row_and_a_change(loaded: None) -> None:
    for model in MODELS:
        assert model.objects.exists() and not model.objects.filter(is_demo=False).exists(), model
    target = {FundingStream: "stream", FundingLine: "line", CapitalBudget: "budget", Disposal: "disposal"}
    for model, name in target.items():
        for obj in model.objects.all():
            history = list(FinanceUpdate.objects.filter(**{name: obj}))
            assert [(u.source, u.created) for u in history] == [(FinanceUpdate.Source.DEMO, True)]
    assert Change.objects.filter(resource="funding-lines", op=Change.Op.CREATE).count() == FundingLine.objects.count()
    assert Change.objects.filter(resource="disposals").count() == Disposal.objects.count()


def test_the_demo_adds_up_where_it_should_and_is_flagged_where_it_does_not(loaded: None) -> None:
    f = FinanceFigures()
    transformation = next(r for r in f.by_stream if r.key == "transformation-funding")
    assert transformation.allocated <= 120_000_000 * 100 and not transformation.flags
    assert f.flags == {"lines": 2, "budgets": 1, "streams": 0}
    assert {r.key for r in f.by_sub_region} >= {
        "north-central-london",
        "north-east-london",
        "north-west-london",
        "south-east-london",
        "south-west-london",
    }
    assert {r.key for r in f.by_pilot if r.key} == {
        "ncl-estates",
        "hackney-integration",
        "bhr-integration",
        "lewisham-integration",
        "haringey-prevention",
    }
    # Each disposal's sub-region is its borough's; a realised receipt only on a completed one.
    for d in Disposal.objects.select_related("borough"):
        assert d.sub_region_id == d.borough.sub_region_id
        assert d.actual_receipt_pence is None or d.status == Disposal.Status.COMPLETED
    assert f.receipts.realised == 19_250_000 * 100


def test_loading_again_loads_nothing_twice(loaded: None) -> None:
    before = {m: m.objects.count() for m in MODELS}
    history = FinanceUpdate.objects.count()
    call_command("load_finance_demo")
    assert {m: m.objects.count() for m in MODELS} == before
    assert FinanceUpdate.objects.count() == history


def test_without_the_mou_the_command_says_what_to_do(db: Any) -> None:
    with pytest.raises(CommandError, match="load_mou"):
        call_command("load_finance_demo")
    assert not FundingStream.objects.exists()


def test_the_pages_show_the_demo(loaded: None, viewer: Any) -> None:
    client = client_for(viewer)
    html = client.get("/finance/streams/transformation-funding/").content.decode()
    assert "£120,000,000" in html and "Demo data" in html and "circa £120 million" in html
    assert "finance-and-estates" in client.get("/dashboard/").content.decode()


@pytest.mark.parametrize(
    ("text", "pence"),
    [("circa £120 million", 12_000_000_000), ("£1.5m", 150_000_000), ("about £2bn", 200_000_000_000), ("£0.25 million", 25_000_000)],
)
def test_pence_from_source(text: str, pence: int) -> None:
    assert pence_from_source(text) == pence
