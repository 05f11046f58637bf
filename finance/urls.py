"""Money and estates pages (issue 16), mounted at /finance/ with the namespace "finance".

The read pages (lists with filters and CSV, each record with its history) and the forms that
change them (edit, add, the spreadsheet import) share this module: add patterns, keep names.
"""

from django.urls import path

from . import views

app_name = "finance"

urlpatterns = [
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
