"""Money and estates pages (issue 16), mounted at /finance/ with the namespace "finance".

The read pages (lists with filters and CSV, each record with its history) and the forms that
change them (edit, add, the spreadsheet import) share this module: add patterns, keep names.
"""

from django.urls import path

from . import views, writing

app_name = "finance"

urlpatterns = [
    # The forms that change the records (before the read pages, so "add" is never read as a key).
    path("streams/add/", writing.stream_add, name="stream-add"),
    path("streams/<slug:slug>/edit/", writing.stream_edit, name="stream-edit"),
    path("lines/add/", writing.line_add, name="line-add"),
    path("lines/<int:pk>/edit/", writing.line_edit, name="line-edit"),
    path("budgets/add/", writing.budget_add, name="budget-add"),
    path("budgets/<int:year>/edit/", writing.budget_edit, name="budget-edit"),
    path("disposals/add/", writing.disposal_add, name="disposal-add"),
    path("disposals/<int:pk>/edit/", writing.disposal_edit, name="disposal-edit"),
    path("import/", writing.import_upload, name="import"),
    path("import/confirm/", writing.import_confirm, name="import-confirm"),
    path("import/funding-lines.csv", writing.import_template, {"kind": "funding-lines"}, name="import-template-lines"),
    path("import/disposals.csv", writing.import_template, {"kind": "disposals"}, name="import-template-disposals"),
    path("", views.index, name="index"),
    path("streams/", views.stream_list, name="streams"),
    path("streams/<slug:slug>/", views.stream_detail, name="stream"),
    path("lines/", views.line_list, name="lines"),
    path("lines/<int:pk>/", views.line_detail, name="line"),
    path("budgets/", views.budget_list, name="budgets"),
    path("budgets/<int:year>/", views.budget_detail, name="budget"),
    path("disposals/", views.disposal_list, name="disposals"),
    path("disposals/<int:pk>/", views.disposal_detail, name="disposal"),
]
