"""One writer of the change log (issue 12): every path that writes a resource partners read records
its :class:`~commitments.models.Change` rows explicitly, through :mod:`commitments.changes`, and no
model signal writes the log behind anybody's back.

Each test drives one write path as the product drives it (a service, the import, the overdue pass,
the admin, the loaders, a report request) and checks the rows the sync feed would serve. The
feed's own ordering and cursors are tested in tests/api/test_changes.py (PostgreSQL); these run
on SQLite too, since the quick start writes through the same paths.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.db.models.signals import post_delete, post_save
from django.test import RequestFactory

from boards.models import Board, Meeting, Party
from commitments import changes, demo, overdue, services
from commitments.admin import RecordChangesAdmin
from commitments.imports import SheetRow, apply_rows
from commitments.loader import load_mou
from commitments.models import Action, Change, Obligation, StatusUpdate, Theme
from pilots.models import Borough, Pilot
from reporting.builds import request_report

from ..factories import ActionFactory, MeetingFactory, PartyFactory, ThemeFactory

TODAY = dt.date(2026, 3, 2)


def logged(**filters: Any) -> list[tuple[str, str, str]]:
    return list(Change.objects.filter(**filters).order_by("id").values_list("resource", "key", "op"))


def test_no_signal_handler_writes_the_change_log(db: Any) -> None:
    receivers = [*post_save.receivers, *post_delete.receivers]
    assert not [r for r in receivers if "changes" in repr(r[0])]
    for model in changes.RESOURCES:
        assert not post_save.has_listeners(model) and not post_delete.has_listeners(model), model
    # A bare ORM save (no writer behind it, as a factory does) records nothing.
    PartyFactory(slug="silent")
    assert not Change.objects.exists()


def test_an_update_records_the_item_its_history_and_the_roll_up(obligation: Any, officer: Any) -> None:
    update = services.record_update(obligation, by=officer, version=obligation.version, data=services.UpdateInput(progress=40))
    assert logged() == [
        ("obligations", str(obligation.pk), "update"),
        ("status-updates", str(update.pk), "create"),
        ("commitments", obligation.commitment.ref, "update"),
    ]
    assert Change.objects.get(resource="obligations").version == obligation.version == 2


def test_an_added_action_records_the_action_and_its_history(obligation: Any, officer: Any) -> None:
    action = services.add_action(obligation, by=officer, description="Agree the plan", due_date=dt.date(2030, 1, 31))
    history = StatusUpdate.objects.get(action=action)
    assert logged() == [("actions", str(action.pk), "create"), ("status-updates", str(history.pk), "create")]


def test_an_import_records_each_row_it_writes(obligation: Any, officer: Any) -> None:
    action = ActionFactory(obligation=obligation)
    row = SheetRow(number=2, cells={"action_id": str(action.pk), "version": str(action.version), "progress": "30"})
    (result,) = apply_rows([row], officer)
    assert result.ok, result.errors
    history = StatusUpdate.objects.get(action=action)
    assert logged() == [("actions", str(action.pk), "update"), ("status-updates", str(history.pk), "create")]


def test_the_overdue_pass_records_flagged_and_cleared_items(obligation: Any) -> None:
    action = ActionFactory(obligation=obligation, due_date=TODAY - dt.timedelta(days=3))
    overdue.flag_overdue(today=TODAY)
    # Flagged (its version bumped), then its day-0 escalation step: each change says why.
    assert logged() == [("actions", str(action.pk), "update")] * 2
    assert list(Change.objects.order_by("id").values_list("event", "version")) == [("overdue", 2), ("escalated-1", 2)]
    assert Action.objects.get(pk=action.pk).version == 2
    Change.objects.all().delete()
    Action.objects.filter(pk=action.pk).update(status="complete", completed_date=TODAY)  # closed behind the services' back
    overdue.flag_overdue(today=TODAY + dt.timedelta(days=1))
    history = StatusUpdate.objects.get(action=action)
    assert sorted(logged()) == sorted([("status-updates", str(history.pk), "create"), ("actions", str(action.pk), "update")])


def test_the_admin_records_saves_deletes_and_bulk_deletes_of_every_resource(admin_user: Any) -> None:
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    theme = ThemeFactory(slug="estates")
    party, other = PartyFactory(slug="gla"), PartyFactory(slug="lc")
    theme_admin, party_admin = admin.site._registry[Theme], admin.site._registry[Party]
    theme.name = "Estates"
    theme_admin.save_model(request, theme, None, change=True)
    party_admin.delete_model(request, party)
    party_admin.delete_queryset(request, Party.objects.filter(pk=other.pk))
    assert logged() == [("themes", "estates", "update"), ("parties", "gla", "delete"), ("parties", "lc", "delete")]
    # The boards' and pilots' resources are wrapped where the log lives (commitments.admin).
    for model in (Party, Board, Meeting, Borough, Pilot, Theme, Obligation, Action):
        assert isinstance(admin.site._registry[model], RecordChangesAdmin), model


def test_an_admin_delete_records_what_it_cascades_to(admin_user: Any, obligation: Any, officer: Any) -> None:
    action = services.add_action(obligation, by=officer, description="Agree the plan", due_date=dt.date(2030, 1, 31))
    history = StatusUpdate.objects.get(action=action)
    Change.objects.all().delete()
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    admin.site._registry[Action].delete_model(request, action)
    assert sorted(logged()) == sorted([("actions", str(history.action_id), "delete"), ("status-updates", str(history.pk), "delete")])


def test_the_loaders_record_every_resource_they_write(db: Any) -> None:
    load_mou()
    resources = set(Change.objects.values_list("resource", flat=True))
    assert {"agreements", "themes", "parties", "boards", "boroughs", "pilots", "commitments", "obligations", "meetings"} <= resources
    Change.objects.all().delete()
    load_mou()  # a re-run changes nothing, so records nothing
    assert not Change.objects.exists()

    demo.load_demo(today=TODAY)
    made = {r: set(Change.objects.filter(resource=r, op="create").values_list("object_id", flat=True)) for r in ("actions", "meetings")}
    assert made["actions"] == set(Action.objects.filter(is_demo=True).values_list("pk", flat=True))
    assert made["meetings"] == set(Meeting.objects.filter(is_demo=True).values_list("pk", flat=True))
    demo.remove_demo_data()
    gone = set(Change.objects.filter(resource="actions", op="delete").values_list("object_id", flat=True))
    assert gone == made["actions"]


def test_a_report_request_records_the_report(secretary: Any, board: Any) -> None:
    meeting = MeetingFactory(board=board)
    report = request_report(meeting, by=secretary)
    assert ("reports", str(report.pk), "create") in logged()
