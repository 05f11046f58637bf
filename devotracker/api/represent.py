"""A resource's API representation outside a request, as a given token would be answered
(issue 14: a webhook event carries the resource as the subscriber's token would read it).

The detail view itself decides: its permissions, its queryset (annotations included) and its
serializer, so an event's ``data`` is exactly what ``GET`` on the resource's URL gives that
token, with links on ``SITE_URL``. No second representation is written for events.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest
from django.urls import Resolver404, resolve, reverse
from rest_framework.exceptions import APIException
from rest_framework.request import ForcedAuthentication, Request
from rest_framework.utils.encoders import JSONEncoder


class _SiteRequest(HttpRequest):
    """A GET on ``SITE_URL``: links in the representation are the site's."""

    def __init__(self, path: str) -> None:
        super().__init__()
        site = urlsplit(settings.SITE_URL)
        self._site_scheme = site.scheme or "http"
        self._site_host = site.netloc or "localhost"
        self.method = "GET"
        self.path = self.path_info = path
        self.META = {
            "SERVER_NAME": site.hostname or "localhost",
            "SERVER_PORT": str(site.port or (443 if self._site_scheme == "https" else 80)),
            "HTTP_HOST": site.netloc,
            "HTTP_ACCEPT": "application/json",
        }

    def _get_scheme(self) -> str:
        return self._site_scheme

    def get_host(self) -> str:
        # The site's own configured address, not a client's Host header: nothing to validate
        # against ALLOWED_HOSTS (which a worker's settings need not list it in).
        return self._site_host


def resource_path(collection: str, key: str) -> str:
    """The API path of one resource of ``collection`` (``commitments``, ``actions``…)."""
    return f"{reverse('api:root')}{collection}/{quote(key, safe='')}/"


def represent(collection: str, key: str, *, user: Any, token: Any = None) -> dict[str, Any] | None:
    """The representation ``GET`` on the resource gives ``user`` (through ``token``), as JSON-ready
    data; None when that answer would be an error (gone, or not readable by this token)."""
    path = resource_path(collection, key)
    try:
        match = resolve(path)
    except Resolver404:
        return None
    view_class = getattr(match.func, "cls", None)
    actions = getattr(match.func, "actions", None)
    if view_class is None or not actions or "get" not in actions:
        return None
    view = view_class(**getattr(match.func, "initkwargs", {}))
    request = Request(_SiteRequest(path), authenticators=[ForcedAuthentication(user, token)])  # type: ignore[list-item]
    view.action_map = actions
    view.action = actions["get"]
    view.args, view.kwargs = (), match.kwargs
    view.request = request
    view.format_kwarg = None
    view.headers = {}
    try:
        view.check_permissions(request)
        instance = view.get_object()
        data = view.get_serializer(instance).data
    except (Http404, APIException):
        return None
    # Through the API's JSON encoder: dates, decimals and lazy strings as the API writes them.
    return json.loads(json.dumps(data, cls=JSONEncoder))
