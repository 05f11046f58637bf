"""Admin for sub-regions, boroughs and pilots."""

from django.contrib import admin

from .models import Borough, Pilot, SubRegion


@admin.register(SubRegion)
class SubRegionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]


@admin.register(Borough)
class BoroughAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "sub_region", "named_in_sources"]
    list_filter = ["sub_region", "named_in_sources"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["party"]


@admin.register(Pilot)
class PilotAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "focus", "status", "sub_region"]
    list_filter = ["focus", "status"]
    filter_horizontal = ["boroughs"]
    search_fields = ["name", "slug"]
