"""The reporting pages' URLs: the Leaders' Committee dashboards, mounted at /dashboard/, the
meetings with their papers, mounted at /meetings/ (issue 6), and the reporting periods, mounted at
/periods/ (issue 13), the open data, mounted at /open-data/ (issue 14), and the public progress
view, mounted at /public/ (issue 15). Five namespaces that devotracker/urls.py includes under their prefixes."""

from django.urls import path

from .views import dashboards, meetings, opendata, periods, public

dashboard_patterns = (
    [
        path("", dashboards.dashboard, name="index"),
        path("pilots/<slug:slug>/", dashboards.pilot_dashboard, name="pilot"),
        path("boards/<str:code>/", dashboards.board_dashboard, name="board"),
        path("parties/<slug:slug>/", dashboards.party_dashboard, name="party"),
        path("pilots/<slug:slug>/<slug:section>/", dashboards.pilot_dashboard, name="pilot-section"),
        path("boards/<str:code>/<slug:section>/", dashboards.board_dashboard, name="board-section"),
        path("parties/<slug:slug>/<slug:section>/", dashboards.party_dashboard, name="party-section"),
        path("<slug:section>/", dashboards.dashboard, name="section"),
    ],
    "dashboard",
)

meeting_patterns = (
    [
        path("", meetings.meeting_list, name="list"),
        path("<int:pk>/", meetings.meeting_detail, name="detail"),
        path("<int:pk>/build/", meetings.build, name="build"),
        path("reports/<int:pk>/", meetings.report_html, name="report"),
        path("reports/<int:pk>/pdf/", meetings.report_pdf, name="report-pdf"),
        path("reports/<int:pk>/docx/", meetings.report_docx, name="report-docx"),
        path("reports/<int:pk>/status/", meetings.report_status, name="report-status"),
    ],
    "meetings",
)

period_patterns = (
    [
        path("", periods.period_list, name="list"),
        path("new/", periods.period_add, name="add"),
        path("<int:pk>/", periods.period_detail, name="detail"),
        path("<int:pk>/close/", periods.period_close, name="close"),
    ],
    "periods",
)

open_data_patterns = (
    [
        path("", opendata.index, name="index"),
        path("<str:name>", opendata.download, name="file"),
    ],
    "open-data",
)

# Stable, linkable addresses: a theme by slug, a board by code, a pilot by slug, a commitment by ref.
public_patterns = (
    [
        path("", public.overview, name="overview"),
        path("themes/<slug:slug>/", public.theme, name="theme"),
        path("boards/<str:code>/", public.board, name="board"),
        path("pilots/<slug:slug>/", public.pilot, name="pilot"),
        path("commitments/<str:ref>/", public.commitment, name="commitment"),
    ],
    "public",
)
