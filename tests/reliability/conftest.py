"""Fixtures for the reliability and security tests.

``world`` is the partner API tests' small world (tests/api/conftest.py: TST-001 led by the SPB,
party A's obligation with two actions, party B's obligation, a pilot, a borough, a meeting with a
built report, history), reused so both suites test the same shape of data. ``rel_world`` adds what
these tests also need: a PDF for the report and a Leaders' Committee meeting.

``snapshot()`` is the record a denied or refused write must leave untouched: how many rows of
every kind the services write, and the version of every trackable item.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from boards.models import Meeting, Party, Profile
from commitments.models import Action, Change, Commitment, Obligation, OutboxMessage, Report, StatusUpdate
from reporting.models import ReportingPeriod, Snapshot
from reporting.snapshots import take_snapshot

from ..api.conftest import World, world  # noqa: F401 - the fixture is used through pytest
from ..factories import BoardFactory, MeetingFactory

# A minimal PDF: enough for the download views, which only stream the stored file.
TINY_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def rel_world(world: World) -> World:  # noqa: F811 - the imported fixture, requested by name
    """The API world plus the report's PDF and a Leaders' Committee meeting."""
    world.report.pdf.save("report.pdf", ContentFile(TINY_PDF), save=True)
    world.report.docx.save("report.docx", ContentFile(b"PK\x03\x04 a Word file"), save=True)
    lc = BoardFactory(code="LC", slug="leaders-committee", name="Leaders' Committee", kind="committee")
    world.lc_meeting = MeetingFactory(board=lc, title="Leaders' Committee")  # type: ignore[attr-defined]
    today = timezone.localdate()
    world.period = ReportingPeriod.objects.create(  # type: ignore[attr-defined]
        board=lc, name="Leaders' Committee, this month", starts_on=today - dt.timedelta(days=10), ends_on=today + dt.timedelta(days=10)
    )
    # A closed period, whose frozen rows the API serves.
    frozen, _ = take_snapshot(day=today)
    Snapshot.objects.filter(pk=frozen.pk, frozen=False).update(frozen=True)
    world.closed_period = ReportingPeriod.objects.create(  # type: ignore[attr-defined]
        board=lc,
        name="Leaders' Committee, last month",
        starts_on=today - dt.timedelta(days=40),
        ends_on=today - dt.timedelta(days=11),
        state=ReportingPeriod.State.CLOSED,
        snapshot=frozen,
        closed_at=timezone.now(),
    )
    return world


def snapshot() -> dict[str, Any]:
    """Everything a write could change: row counts of what the services, the admin and the pages
    write, and every trackable item's version. Two queries, so it can be taken around every request.
    """
    counted = {
        "status_updates": StatusUpdate,
        "actions": Action,
        "reports": Report,
        "outbox": OutboxMessage,
        "changes": Change,
        "parties": Party,
        "meetings": Meeting,
        "admin_log": LogEntry,
        "periods": ReportingPeriod,
        "snapshots": Snapshot,
    }
    counts = ", ".join(f"(SELECT count(*) FROM {model._meta.db_table})" for model in counted.values())
    versions = " UNION ALL ".join(
        f"SELECT '{model.__name__}', id, version FROM {model._meta.db_table}" for model in (Commitment, Obligation, Action)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}, (SELECT count(*) FROM {Profile._meta.db_table} WHERE NOT digests_enabled)")
        row = cursor.fetchone()
        cursor.execute(f"SELECT * FROM ({versions}) AS v ORDER BY 1, 2")
        rows = cursor.fetchall()
    return {**dict(zip([*counted, "digests_off"], row, strict=True)), "versions": rows}
