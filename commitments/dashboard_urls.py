"""The Leaders' Committee dashboards (issue 6), mounted at /dashboard/: London-wide and scoped to
one pilot, one lead board or one party. ``dashboard:index`` is the viewers' home page."""

from django.urls import path

from . import dashboard_views

app_name = "dashboard"

urlpatterns = [
    path("", dashboard_views.dashboard, name="index"),
    path("pilots/<slug:slug>/", dashboard_views.pilot_dashboard, name="pilot"),
    path("boards/<str:code>/", dashboard_views.board_dashboard, name="board"),
    path("parties/<slug:slug>/", dashboard_views.party_dashboard, name="party"),
]
