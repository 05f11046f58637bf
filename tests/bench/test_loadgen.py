"""The load generator (issue 7): the rows it promises, every index back in place after it dropped
them for the bulk insert, and the same rows again from the same seed."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from bench import loadgen
from commitments.models import Action, Change, Commitment, Obligation, StatusUpdate

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TINY = {"commitments": 60, "obligations_per_commitment": 3, "actions_per_obligation": 2, "updates_per_action": 2, "parties": 7}


def _indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY(%s)",
            [list(loadgen.BULK_TABLES)],
        )
        return dict(cursor.fetchall())


def _fingerprint() -> list[Any]:
    generated = Action.objects.filter(description__startswith="Generated milestone")
    return [
        sorted(generated.values_list("status", "rag", "progress", "due_date").order_by("status", "rag", "progress", "due_date")),
        sorted(
            Obligation.objects.filter(commitment__ref__startswith="GEN-").values_list("status", "due_date").order_by("status", "due_date")
        ),
    ]


@pytest.fixture
def tiny(monkeypatch: Any) -> None:
    monkeypatch.setitem(loadgen.SCALES, "tiny", TINY)


@pytest.mark.postgresql(reason="the synthetic scales are generated with PostgreSQL's generate_series")
def test_it_generates_the_promised_rows_and_puts_every_index_back(tiny: None) -> None:
    before = _indexes()
    steps = loadgen.generate_large("tiny", seed=0.3)

    assert _indexes() == before  # dropped for the bulk insert, rebuilt the same
    names = [s.name for s in steps]
    assert names.index("drop secondary indexes") < names.index("status updates") < names.index("rebuild secondary indexes")
    n = TINY["commitments"]
    obligations = n * TINY["obligations_per_commitment"]
    actions = obligations * TINY["actions_per_obligation"]
    assert Commitment.objects.filter(ref__startswith="GEN-").count() == n
    assert Obligation.objects.filter(commitment__ref__startswith="GEN-").count() == obligations
    assert Action.objects.filter(obligation__commitment__ref__startswith="GEN-").count() == actions
    assert StatusUpdate.objects.filter(commitment__ref__startswith="GEN-").count() == actions * TINY["updates_per_action"]
    assert Change.objects.filter(resource="commitments", key__startswith="GEN-").count() == n
    # A living programme: some of everything, and a share overdue.
    statuses = set(Action.objects.filter(description__startswith="Generated").values_list("status", flat=True))
    assert {"not_started", "in_progress", "complete"} <= statuses
    assert Action.objects.filter(description__startswith="Generated").overdue().exists()


@pytest.mark.postgresql(reason="the synthetic scales are generated with PostgreSQL's generate_series")
def test_the_same_seed_gives_the_same_rows(tiny: None) -> None:
    loadgen.generate_large("tiny", seed=0.3)
    first = _fingerprint()
    loadgen.generate_large("tiny", seed=0.3)  # clears the previous generated rows first
    assert _fingerprint() == first
    assert Commitment.objects.filter(ref__startswith="GEN-").count() == TINY["commitments"]
