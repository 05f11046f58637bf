"""Webhooks in the Django admin: subscriptions (listed, changed, disabled; registering goes to the
page that shows the secret once), and the delivery log, read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from .models import Attempt, Event, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["endpoint", "party", "is_active", "failing_since", "created_at"]
    list_filter = ["is_active", "party"]
    search_fields = ["endpoint", "party__name", "description"]
    readonly_fields = ["token", "failing_since", "disabled_at", "previous_secret_expires_at", "created_by", "created_at"]
    fields = ["party", "endpoint", "event_types", "description", "contact_email", "is_active", "disabled_reason", *readonly_fields]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # The secret is made and shown once by the page; the admin never holds it.
        return HttpResponseRedirect(reverse("webhooks:add"))


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "outcome", "status_code", "latency_ms", "error", "response_body"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["msg_id", "type", "resource", "key", "subscription", "state", "attempts", "next_attempt_at"]
    list_filter = ["state", "type"]
    search_fields = ["msg_id", "key"]
    inlines = [AttemptInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
