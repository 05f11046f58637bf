"""Admin for the MoU's agreements, themes, commitments and their tracking.

History (StatusUpdate) is append-only: it can be read here but not changed or deleted. State
changes to commitments, obligations and actions belong to the service layer (the update forms, the
API, the import), so their state fields are read-only here too: the admin cannot alter the record
without a history row.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.forms import BaseModelForm
from django.forms.models import BaseModelFormSet
from django.http import HttpRequest

from boards.admin import BoardAdmin, MeetingAdmin, PartyAdmin
from boards.models import Board, Meeting, Party
from pilots.admin import BoroughAdmin, PilotAdmin
from pilots.models import Borough, Pilot

from . import changes, overdue
from .models import (
    Action,
    Agreement,
    Change,
    Citation,
    Clause,
    Commitment,
    CommitmentLink,
    CommitmentPilot,
    Dependency,
    Escalation,
    JobRun,
    Obligation,
    OutboxMessage,
    PendingUpdate,
    Report,
    Signatory,
    StatusUpdate,
    Theme,
)

STATE_FIELDS = ["status", "rag", "progress", "version", "overdue_since", "escalation_level", "created_at", "updated_at"]


class RecordChangesAdmin(admin.ModelAdmin):
    """An admin whose every write lands in the sync feed's change log (:mod:`commitments.changes`):
    saves, deletes (with what they cascade to), the bulk "delete selected" action and inline rows."""

    def save_model(self, request: HttpRequest, obj: Any, form: BaseModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        changes.record(obj, Change.Op.UPDATE if change else Change.Op.CREATE)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        changes.record_delete([obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        changes.record_delete(queryset)
        super().delete_queryset(request, queryset)

    def save_formset(self, request: HttpRequest, form: BaseModelForm, formset: BaseModelFormSet, change: bool) -> None:
        doomed: list[Model] = [f.instance for f in formset.deleted_forms if f.instance.pk is not None]
        changes.record_delete(doomed)
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            changes.record(obj, Change.Op.CREATE)
        for obj, _ in formset.changed_objects:
            changes.record(obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SignatoryInline(admin.TabularInline):
    model = Signatory
    extra = 0
    autocomplete_fields = ["party"]


@admin.register(Agreement)
class AgreementAdmin(RecordChangesAdmin):
    list_display = ["short_name", "slug", "kind", "date", "in_dashboards_by_default"]
    list_filter = ["kind"]
    inlines = [SignatoryInline]
    search_fields = ["name", "short_name"]


@admin.register(Theme)
class ThemeAdmin(RecordChangesAdmin):
    list_display = ["order", "name", "slug", "ref_prefix"]
    list_display_links = ["name"]


class CitationInline(admin.TabularInline):
    """Source passages: the reference people read first, then what it is built from; the file
    name and lines trace it back to the inventory (``load_mou`` fills these rows)."""

    model = Citation
    extra = 0
    fields = ["order", "reference", "quote", "document_title", "publisher", "document_date", "location", "url", "document", "lines"]
    readonly_fields = ["reference"]

    @admin.display(description="reference")
    def reference(self, obj: Citation) -> str:
        return obj.reference


class CommitmentPilotInline(admin.TabularInline):
    model = CommitmentPilot
    extra = 0


class CommitmentLinkInline(admin.TabularInline):
    model = CommitmentLink
    fk_name = "source"
    extra = 0
    autocomplete_fields = ["target"]


class ObligationInline(admin.TabularInline):
    model = Obligation
    extra = 0
    fields = ["party", "owner", "due_date", "status", "rag", "progress", "version"]
    readonly_fields = ["status", "rag", "progress", "version"]
    autocomplete_fields = ["party", "owner"]
    show_change_link = True


@admin.register(Commitment)
class CommitmentAdmin(RecordChangesAdmin):
    list_display = ["ref", "title", "theme", "agreement", "kind", "lead_board", "lead_board_basis", "target_date"]
    list_filter = ["theme", "agreement", "kind", "lead_board", "lead_board_basis"]
    search_fields = ["ref", "key", "title", "summary"]
    autocomplete_fields = ["lead_board", "parent", "assessed_by"]
    filter_horizontal = ["co_lead_boards", "recipients", "other_parties"]
    readonly_fields = [*STATE_FIELDS, "assessed_at", "assessed_by", "rollup_status", "rollup_rag", "rollup_progress"]
    inlines = [CitationInline, CommitmentPilotInline, CommitmentLinkInline, ObligationInline]
    list_select_related = ["theme", "agreement", "lead_board"]


@admin.register(Clause)
class ClauseAdmin(admin.ModelAdmin):
    list_display = ["key", "location", "kind"]
    list_filter = ["kind"]
    search_fields = ["key", "summary", "locator"]
    filter_horizontal = ["commitments", "parties"]


@admin.register(Obligation)
class ObligationAdmin(RecordChangesAdmin):
    list_display = ["commitment", "party", "owner", "due_date", "status", "rag", "progress", "overdue_since", "is_demo"]
    list_filter = ["status", "rag", "is_demo", "party__type"]
    search_fields = ["commitment__ref", "party__name", "owner__username"]
    autocomplete_fields = ["commitment", "party", "owner"]
    readonly_fields = STATE_FIELDS
    list_select_related = ["commitment", "party", "owner"]


@admin.register(Action)
class ActionAdmin(RecordChangesAdmin):
    list_display = ["description", "obligation", "owner", "due_date", "status", "rag", "overdue_since", "escalation_level", "is_demo"]
    list_filter = ["status", "rag", "is_demo", "escalation_level"]
    search_fields = ["description", "obligation__commitment__ref", "owner__username"]
    autocomplete_fields = ["obligation", "owner", "created_by"]
    readonly_fields = [*STATE_FIELDS, "completed_date"]
    date_hierarchy = "due_date"
    list_select_related = ["obligation__commitment", "obligation__party", "owner"]


@admin.register(StatusUpdate)
class StatusUpdateAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "target_type",
        "commitment",
        "party",
        "author",
        "from_status",
        "to_status",
        "from_rag",
        "to_rag",
        "source",
    ]
    list_filter = ["target_type", "source", "is_demo"]
    search_fields = ["commitment__ref", "author__username", "note", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["commitment", "party", "author"]


@admin.register(PendingUpdate)
class PendingUpdateAdmin(ReadOnlyAdmin):
    """Read only: updates awaiting approval are decided on /approvals/ (or through the API), where
    commitments.services checks who may decide and that each is decided once."""

    list_display = ["created_at", "target_type", "commitment", "party", "board", "author", "state", "decided_by", "decided_at"]
    list_filter = ["state", "target_type", "board"]
    search_fields = ["commitment__ref", "author__username", "note", "reason", "comment"]
    date_hierarchy = "created_at"
    list_select_related = ["commitment", "party", "board", "author", "decided_by"]


@admin.register(Dependency)
class DependencyAdmin(ReadOnlyAdmin):
    """Read only: dependencies are added and removed on the commitment pages or through the API
    (commitments.dependencies refuses cycles and keeps the history); the sources' come from the data."""

    list_display = ["id", "commitment", "action", "prerequisite_commitment", "prerequisite_action", "basis", "created_by", "created_at"]
    list_filter = ["basis"]
    search_fields = ["commitment__ref", "prerequisite_commitment__ref", "source_key", "source_note"]
    list_select_related = ["commitment", "action", "prerequisite_commitment", "prerequisite_action", "created_by"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "step", "target_type", "commitment", "overdue_since", "resolved_at"]
    list_filter = ["step", "target_type", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["commitment"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "dedupe_key", "attempts", "sent_at", "available_at"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["dedupe_key"]


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    """Background job runs: when each job last ran, what it did and whether it failed."""

    list_display = ["name", "started_at", "finished_at", "outcome", "counts", "error"]
    list_filter = ["name", "outcome"]
    actions = ["run_overdue_pass"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The changelist needs change permission for actions to show; the form stays read-only.
        return obj is None and request.user.is_superuser

    @admin.action(description="Run the overdue pass now")
    def run_overdue_pass(self, request: HttpRequest, queryset: Any) -> None:
        run = overdue.run_flag_overdue(triggered_by=f"admin:{request.user.get_username()}")
        self.message_user(
            request, f"Overdue pass {run.outcome}: {run.counts}", messages.SUCCESS if run.outcome == "success" else messages.ERROR
        )


@admin.register(Report)
class ReportAdmin(RecordChangesAdmin):
    list_display = ["__str__", "meeting", "kind", "state", "requested_at", "built_at"]
    list_filter = ["kind", "state"]
    readonly_fields = ["html", "pdf", "built_at", "task_id", "error", "state", "as_of"]


@admin.register(Change)
class ChangeAdmin(ReadOnlyAdmin):
    list_display = ["id", "txid", "resource", "key", "op", "version", "at"]
    list_filter = ["resource", "op"]
    search_fields = ["key"]


# The boards' and pilots' resources partners read: their apps sit below the change log, so their
# admins are wrapped here, where the log lives, rather than importing it from below.
for _model, _admin in ((Party, PartyAdmin), (Board, BoardAdmin), (Meeting, MeetingAdmin), (Borough, BoroughAdmin), (Pilot, PilotAdmin)):
    admin.site.unregister(_model)
    admin.site.register(_model, type(_admin.__name__, (RecordChangesAdmin, _admin), {"__module__": __name__, "__doc__": _admin.__doc__}))
