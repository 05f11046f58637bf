"""``/notifications/``: the user's e-mail digest setting (issue 5)."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.preferences, name="preferences"),
]
