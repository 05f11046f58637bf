"""Fixtures for the reliability and security tests.

``world`` is the partner API tests' small world (tests/api/conftest.py: TST-001 led by the SPB,
party A's obligation with two actions, party B's obligation, a pilot, a borough, a meeting with a
built report, history), reused so both suites test the same shape of data. ``rel_world`` adds what
these tests also need: a PDF for the report, a Leaders' Committee meeting, reporting periods, and
party A's webhook subscription with one delivered event in its log.

``snapshot()`` is the record a denied or refused write must leave untouched: how many rows of
every kind the services write, the version of every trackable item, and the state of every
webhook subscription and event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from boards.models import ApiToken, Board, Meeting, Party, Profile
from commitments.models import Action, Change, Commitment, Dependency, Obligation, OutboxMessage, PendingUpdate, Report, StatusUpdate
from finance.models import CapitalBudget, Disposal, FinanceUpdate, FundingLine, FundingStream
from reporting.models import ReportingPeriod, Snapshot
from reporting.snapshots import take_snapshot
from webhooks import services as webhook_services
from webhooks.models import Event, EventType, Subscription

from ..api.conftest import World, world  # noqa: F401 - the fixture is used through pytest
from ..factories import ActionFactory, BoardFactory, MeetingFactory
from .finance_matrix import finance_world

# A minimal PDF: enough for the download views, which only stream the stored file.
TINY_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def rel_world(world: World, partner: Any, admin_user: Any, secretary: Any) -> World:  # noqa: F811 - the imported fixture, requested by name
    """The API world plus the report's PDF, a Leaders' Committee meeting, reporting periods, and a
    webhook subscription of party A (reading as a token of its partner system) whose log holds
    one event, delivered."""
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
    token = ApiToken.issue(user=partner, scope=ApiToken.Scope.READ, name="webhooks")[0]
    world.subscription = webhook_services.register(  # type: ignore[attr-defined]
        by=admin_user,
        party=partner.memberships.get().party,
        token=token,
        endpoint="https://hooks.party-a.example.org/devotracker",
        event_types=[EventType.OBLIGATION_UPDATED],
    )[0]
    world.webhook_event = webhook_services.send_test(world.subscription, by=admin_user)  # type: ignore[attr-defined]
    Event.objects.filter(pk=world.webhook_event.pk).update(  # type: ignore[attr-defined]
        state=Event.State.DELIVERED, attempts=1, delivered_at=timezone.now(), next_attempt_at=None
    )
    world.webhook_event.refresh_from_db()  # type: ignore[attr-defined]
    # An officer of party A's update of its late action, awaiting the SPB secretariat (issue 15);
    # a note only, so that approving it again (each role in turn) still applies.
    late = world.late_action
    world.pending = PendingUpdate.objects.create(  # type: ignore[attr-defined]
        target_type="action",
        action=late,
        obligation=late.obligation,
        commitment=late.obligation.commitment,
        party=late.obligation.party,
        board=world.board,
        author=late.obligation.party.memberships.get(user__username="alice").user,
        base_version=late.version,
        note="Awaiting the matrix.",
    )
    # One the SPB secretary submitted (as an officer of party B, before joining the secretariat):
    # not theirs to decide. And one already returned: nobody decides it again.
    own = ActionFactory(obligation=world.other_obligation, description="Matrix: the secretary's own")
    world.own_pending = PendingUpdate.objects.create(  # type: ignore[attr-defined]
        target_type="action",
        action=own,
        obligation=own.obligation,
        commitment=own.obligation.commitment,
        party=own.obligation.party,
        board=world.board,
        author=secretary,
        base_version=own.version,
        note="The secretary's own.",
    )
    decided = ActionFactory(obligation=world.obligation, description="Matrix: decided")
    world.decided_pending = PendingUpdate.objects.create(  # type: ignore[attr-defined]
        target_type="action",
        action=decided,
        obligation=decided.obligation,
        commitment=decided.obligation.commitment,
        party=decided.obligation.party,
        board=world.board,
        author=world.pending.author,  # type: ignore[attr-defined]
        base_version=decided.version,
        note="Returned already.",
        state=PendingUpdate.State.RETURNED,
        decided_by=secretary,
        decided_at=timezone.now(),
        comment="Returned before the matrix.",
    )
    # A dependency a secretariat added (issue 15): TST-001's first action waits on TST-002.
    world.dependency = Dependency.objects.create(action=world.action, prerequisite_commitment=world.second, created_by=secretary)  # type: ignore[attr-defined]
    # Money and estates (issue 16): a stream the SPB keeps, party A's line of it, a capital budget, party A's disposal.
    finance_world(world)
    return world


def snapshot() -> dict[str, Any]:
    """Everything a write could change: row counts of what the services, the admin and the pages
    write, and every trackable item's version. Four queries, so it can be taken around every request.
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
        "dependencies": Dependency,
        "finance_updates": FinanceUpdate,
        "funding_streams": FundingStream,
        "funding_lines": FundingLine,
        "capital_budgets": CapitalBudget,
        "disposals": Disposal,
    }
    counts = ", ".join(f"(SELECT count(*) FROM {model._meta.db_table})" for model in counted.values())
    versions = " UNION ALL ".join(
        f"SELECT '{model.__name__}', id, version FROM {model._meta.db_table}"
        for model in (Commitment, Obligation, Action, FundingStream, FundingLine, CapitalBudget, Disposal)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}, (SELECT count(*) FROM {Profile._meta.db_table} WHERE NOT digests_enabled)")
        row = cursor.fetchone()
        cursor.execute(f"SELECT * FROM ({versions}) AS v ORDER BY 1, 2")
        rows = cursor.fetchall()
        # A subscription's every save stamps updated_at (a rotated secret, a change, a disabling).
        cursor.execute(f"SELECT id, updated_at FROM {Subscription._meta.db_table} ORDER BY id")
        subscriptions = cursor.fetchall()
        cursor.execute(f"SELECT id, state, attempts FROM {Event._meta.db_table} ORDER BY id")
        events = cursor.fetchall()
        cursor.execute(f"SELECT id, state FROM {PendingUpdate._meta.db_table} ORDER BY id")
        pending = cursor.fetchall()
        cursor.execute(f"SELECT id, requires_approval FROM {Board._meta.db_table} ORDER BY id")
        approval = cursor.fetchall()
        # Who answers for each item (issue 16): an assignment changes an owner or a lead board.
        cursor.execute(
            f"SELECT 'c', id, lead_board_id FROM {Commitment._meta.db_table} UNION ALL "
            f"SELECT 'o', id, owner_id FROM {Obligation._meta.db_table} UNION ALL "
            f"SELECT 'a', id, owner_id FROM {Action._meta.db_table} ORDER BY 1, 2"
        )
        owners = cursor.fetchall()
    return {
        **dict(zip([*counted, "digests_off"], row, strict=True)),
        "versions": rows,
        "webhook_subscriptions": subscriptions,
        "webhook_events": events,
        "pending_updates": pending,
        "boards_requiring_approval": approval,
        "owners": owners,
    }
