"""Admin for parties, boards, memberships, meetings, API tokens, and the two audit logs: sign-ins and
administrative changes (Django's own LogEntry, which the admin writes for every add, change and
delete)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import ApiToken, Board, Meeting, Membership, Party, Profile, SignInEvent


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "type", "collective", "peripheral"]
    list_filter = ["type", "collective", "peripheral"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "is_mou_board", "reports_to", "chair"]
    list_filter = ["kind", "is_mou_board"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["chair", "owner", "reports_to", "supports"]
    readonly_fields = ["approval_changed_at", "approval_changed_by"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "party", "board", "created_at"]
    list_filter = ["role", "board"]
    search_fields = ["user__username", "user__email", "party__name", "board__code"]
    autocomplete_fields = ["user", "party", "board"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "digests_enabled", "job_title"]
    list_filter = ["digests_enabled"]
    search_fields = ["user__username"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["board", "date", "title", "item_number", "is_demo"]
    list_filter = ["board", "is_demo"]
    date_hierarchy = "date"
    search_fields = ["title", "board__code"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here or with ``manage.py create_api_token``. The key is shown once, in a
    message after saving; only its hash is stored. Revoke rather than delete, to keep the record."""

    list_display = ["prefix", "user", "name", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "user__username", "name"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["user", "name", "scope", "prefix", "created_at", "last_used_at", "revoked_at"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, key = ApiToken.issue(user=obj.user, scope=obj.scope, name=obj.name)
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = token.pk, token.prefix, token.key_hash, token.created_at
        obj._state.adding = False
        self.message_user(request, f"New API token for {obj.user}: {key} — copy it now; it will not be shown again.", messages.WARNING)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        from django.utils import timezone

        # A bulk action writes no admin log entry by itself: record each revocation, so the audit
        # log of administrative changes says who revoked which token, and when.
        tokens = list(queryset.filter(revoked_at__isnull=True))
        now = timezone.now()
        ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=now)
        for token in tokens:
            token.revoked_at = now
            self.log_change(request, token, [{"changed": {"fields": ["Revoked at"]}}])
        self.message_user(request, f"Revoked {len(tokens)} token(s).")


@admin.register(SignInEvent)
class SignInEventAdmin(admin.ModelAdmin):
    """The sign-in audit log: read-only."""

    list_display = ["at", "username", "kind", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    """The audit log of administrative changes: who added, changed or deleted what in this admin,
    and when. Read-only: a log anyone could edit would prove nothing."""

    list_display = ["action_time", "user", "action_flag", "content_type", "object_repr", "change_message"]
    list_filter = ["action_flag", "content_type"]
    search_fields = ["object_repr", "user__username", "change_message"]
    date_hierarchy = "action_time"
    list_select_related = ["user", "content_type"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
