"""A URL configuration with the real home, account and footer views and stand-ins for the
section pages, so the header and the home redirect can be tested on their own."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import include, path

from devotracker import views


def stand_in(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return TemplateResponse(request, "pages/home.html", {})


def section(name: str, pages: list[tuple[str, str]]) -> object:
    return include(([path(route, stand_in, name=page) for route, page in pages], name))


urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
    path("privacy/", views.privacy_notice, name="privacy"),
    path("cookies/", views.cookies, name="cookies"),
    path("accounts/", include("boards.account_urls")),
    path("dashboard/", section("dashboard", [("", "index")])),
    path("", section("commitments", [("my-work/", "my-work"), ("commitments/", "list"), ("commitments/<str:ref>/", "detail")])),
    path("boards/", section("boards", [("", "list"), ("<str:code>/", "detail")])),
    path("pilots/", section("pilots", [("", "list")])),
    path("admin/", admin.site.urls),
]
