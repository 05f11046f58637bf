"""A bug behind the API is still answered in the API's error shape (issue 11).

Partner systems parse every answer as JSON: an unexpected exception in an API view, whatever
raised it, answers 500 with ``{"detail", "code": "server_error", "errors": {}}`` and
``application/json``, never the HTML error page and never the exception's text. Pages keep the
GOV.UK 500 page. The failures are made by patching a view in the test only.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.test import Client

from commitments.api import views as api_views
from devotracker import views as site_views
from devotracker.api.views import ApiRootView

from ..conftest import token_client

pytestmark = pytest.mark.django_db

SECRET = "a-detail-that-must-not-leak"


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(SECRET)


def assert_json_500(response: Any) -> None:
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["code"] == "server_error"
    assert body["errors"] == {}
    assert body["detail"]
    assert SECRET.encode() not in response.content
    assert b"Traceback" not in response.content


@pytest.mark.parametrize("method", ["list", "retrieve"])
def test_an_exception_in_an_api_view_answers_the_json_error_shape(read_token: str, commitment: Any, method: str) -> None:
    api = token_client(read_token)
    api.raise_request_exception = False
    url = "/api/v1/themes/" if method == "list" else f"/api/v1/themes/{commitment.theme.slug}/"
    with mock.patch.object(api_views.ThemeViewSet, method, boom):
        response = api.get(url)
    assert_json_500(response)


def test_an_exception_outside_drf_under_the_api_answers_the_json_error_shape(read_token: str) -> None:
    # The schema view is drf-spectacular's; the failure happens before DRF's exception handler.
    api = token_client(read_token)
    api.raise_request_exception = False
    with mock.patch("drf_spectacular.views.SpectacularAPIView.get", boom):
        response = api.get("/api/v1/schema/")
    assert_json_500(response)


def test_an_exception_in_the_api_for_a_session_user_answers_json_too(officer: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    with mock.patch.object(ApiRootView, "get", boom):
        response = client.get("/api/v1/")
    assert_json_500(response)


def test_a_page_keeps_the_html_500_page(officer: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    with mock.patch.object(site_views, "_page_facts", boom):
        response = client.get("/cookies/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert b"Sorry, there is a problem with the service" in response.content
    assert SECRET.encode() not in response.content
