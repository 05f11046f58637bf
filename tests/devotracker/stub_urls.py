"""A URL configuration with the real home, account and footer views and stand-ins for the
section pages, so the header and the home redirect can be tested on their own."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import include, path

from devotracker import views


def stand_in(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return TemplateResponse(request, "pages/home.html", {})


def tag_sample(request: HttpRequest) -> HttpResponse:
    """Every RAG rating and status tag on one page, for the greyscale and contrast checks."""
    template = engines["django"].from_string(TAG_SAMPLE)
    context = {"rags": ["red", "amber", "green", ""], "statuses": ["not_started", "in_progress", "complete", "not_pursued"]}
    return HttpResponse(template.render(context, request))


TAG_SAMPLE = """{% extends "base.html" %}{% block title %}Tags{% endblock %}{% block content %}
<h1 class="govuk-heading-l">Tags</h1>
<table class="govuk-table"><caption class="govuk-table__caption">Ratings</caption>
<thead class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" class="govuk-table__header">RAG</th>
<th scope="col" class="govuk-table__header">Status</th></tr></thead><tbody class="govuk-table__body">
{% for rag in rags %}<tr class="govuk-table__row"><td class="govuk-table__cell" data-rag="{{ rag|default:'none' }}">{% include "includes/rag_tag.html" %}</td>
<td class="govuk-table__cell">{% with status=statuses|slice:forloop.counter|last %}{% include "includes/status_tag.html" with overdue=forloop.first %}{% endwith %}</td></tr>{% endfor %}
</tbody></table>{% endblock %}"""


def section(name: str, pages: list[tuple[str, str]]) -> object:
    return include(([path(route, stand_in, name=page) for route, page in pages], name))


urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
    path("privacy/", views.privacy_notice, name="privacy"),
    path("cookies/", views.cookies, name="cookies"),
    path("accounts/", include("boards.account_urls")),
    path("dashboard/", section("dashboard", [("", "index")])),
    path(
        "",
        section(
            "commitments",
            [("my-work/", "my-work"), ("approvals/", "pending-list"), ("commitments/", "list"), ("commitments/<str:ref>/", "detail")],
        ),
    ),
    path("boards/", section("boards", [("", "list"), ("<str:code>/", "detail")])),
    path("pilots/", section("pilots", [("", "list")])),
    path("finance/", section("finance", [("", "index")])),
    path("meetings/", section("meetings", [("", "list")])),
    path("webhooks/", section("webhooks", [("", "list"), ("<int:pk>/", "detail")])),
    path("admin/", admin.site.urls),
    path("tag-sample/", tag_sample),
]
