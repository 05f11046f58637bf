"""The API docs views as drf-spectacular provides them (inline and split start-up script, ReDoc),
on the docs paths, to check the content security policy lets each of them run."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView, SpectacularSwaggerView

urlpatterns = [
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs-inline"),
    path("api/v1/docs/split/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs-split"),
    path("api/v1/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("devotracker.urls")),
]
