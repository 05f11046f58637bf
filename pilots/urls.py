"""Pilot pages (issue 3 §3), keyed by slug."""

from django.urls import path

from . import views

app_name = "pilots"

urlpatterns = [
    path("pilots/", views.pilot_list, name="list"),
    path("pilots/<slug:slug>/", views.pilot_detail, name="detail"),
]
