"""Meetings and their papers (issue 6), mounted at /meetings/: the list, a meeting's page with its
reports and the "Build" button, and each report's HTML, PDF and build status."""

from django.urls import path

from . import meeting_views

app_name = "meetings"

urlpatterns = [
    path("", meeting_views.meeting_list, name="list"),
    path("<int:pk>/", meeting_views.meeting_detail, name="detail"),
    path("<int:pk>/build/", meeting_views.build, name="build"),
    path("reports/<int:pk>/", meeting_views.report_html, name="report"),
    path("reports/<int:pk>/pdf/", meeting_views.report_pdf, name="report-pdf"),
    path("reports/<int:pk>/status/", meeting_views.report_status, name="report-status"),
]
