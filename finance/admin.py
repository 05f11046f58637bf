"""Money and estates in the Django admin (issue 16): read only. Every change of a funding stream,
line, capital budget or disposal goes through :mod:`finance.services` (the forms under /finance/,
the API or the spreadsheet import), so it is checked, given a reason, versioned and recorded in the
history and the sync feed; the admin shows the records and their history and changes neither."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from commitments.admin import ReadOnlyAdmin

from .models import CapitalBudget, CapitalBudgetQuarter, Disposal, FinanceUpdate, FundingLine, FundingStream

CHANGED_ELSEWHERE = "Read only here: change it on its page under /finance/ (or through the API or the spreadsheet import)."


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class QuarterInline(_ReadOnlyInline):
    model = CapitalBudgetQuarter
    fields = ["quarter", "planned_pence", "spent_pence"]


@admin.register(FundingStream)
class FundingStreamAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "kind", "allocation_pence", "keeper", "version", "is_demo"]
    list_filter = ["kind", "is_demo"]
    search_fields = ["name", "slug"]
    list_select_related = ["keeper"]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": CHANGED_ELSEWHERE})


@admin.register(FundingLine)
class FundingLineAdmin(ReadOnlyAdmin):
    list_display = [
        "description",
        "stream",
        "party",
        "financial_year",
        "quarter",
        "allocated_pence",
        "committed_pence",
        "spent_pence",
        "version",
    ]
    list_filter = ["stream", "financial_year", "is_demo"]
    search_fields = ["description", "party__name"]
    list_select_related = ["stream", "party"]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": CHANGED_ELSEWHERE})


@admin.register(CapitalBudget)
class CapitalBudgetAdmin(ReadOnlyAdmin):
    list_display = ["financial_year", "amount_pence", "retained_receipts_pence", "keeper", "version", "is_demo"]
    inlines = [QuarterInline]


@admin.register(Disposal)
class DisposalAdmin(ReadOnlyAdmin):
    list_display = ["site", "borough", "sub_region", "owner", "status", "expected_receipt_pence", "actual_receipt_pence", "version"]
    list_filter = ["status", "sub_region", "is_demo"]
    search_fields = ["site", "borough__name", "owner__name"]
    list_select_related = ["borough", "sub_region", "owner"]


@admin.register(FinanceUpdate)
class FinanceUpdateAdmin(ReadOnlyAdmin):
    """The history: append-only."""

    list_display = ["created_at", "target", "author", "source", "created", "version"]
    list_filter = ["source", "created"]
    search_fields = ["reason", "author__username"]
    date_hierarchy = "created_at"
    list_select_related = ["stream", "line__stream", "budget", "disposal__borough", "author"]
