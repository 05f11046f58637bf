"""A URL configuration with only the home, account and footer views: none of the pages the home
page sends people to exist, so it must fall back to its own page."""

from django.urls import include, path

from devotracker import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
    path("accounts/", include("boards.account_urls")),
]
