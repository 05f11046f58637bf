"""Admin for reporting periods and snapshots: read-only. Periods are opened and closed on their own
pages (/periods/), where the services check who may and refuse overlaps; a closed period and its
frozen snapshot cannot be changed by anyone (the models and, on PostgreSQL, the database refuse)."""

from __future__ import annotations

from django.contrib import admin

from commitments.admin import ReadOnlyAdmin

from .models import ReportingPeriod, Snapshot


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(ReadOnlyAdmin):
    list_display = ["name", "board", "starts_on", "ends_on", "state", "closed_at", "closed_by"]
    list_filter = ["state", "board"]
    search_fields = ["name"]


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ["day", "taken_at", "complete", "frozen", "commitments", "obligations", "actions"]
    list_filter = ["frozen", "complete"]
    date_hierarchy = "day"
