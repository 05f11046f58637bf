"""``/notifications/``: the user's e-mail digest setting (issue 5)."""

from django.urls import path

from . import notification_views

app_name = "notifications"

urlpatterns = [
    path("", notification_views.preferences, name="preferences"),
]
