"""The API's root and its answer for unknown paths under ``/api/v1/``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from .mixins import ApiViewMixin


class ApiRootView(ApiViewMixin, APIView):
    """``/api/v1/``: where everything is. Public: it holds no data."""

    permission_classes = [permissions.AllowAny]
    # (collection, route basename) in the order the router registered them (devotracker.api.urls).
    collections: list[tuple[str, str]] = []

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        links: dict[str, Any] = {name: reverse(f"api:{basename}-list", request=request) for name, basename in self.collections}
        links["changes"] = reverse("api:changes", request=request)
        links["schema"] = reverse("api:schema", request=request)
        links["docs"] = reverse("api:docs", request=request)
        return Response(links)


@csrf_exempt
def api_not_found(request: HttpRequest, unmatched: str = "") -> HttpResponse:
    """Unknown paths under /api/v1/ answer in the error shape, not with the site's HTML 404.

    A GET that only lacks its trailing slash is redirected (CommonMiddleware's APPEND_SLASH cannot,
    because this catch-all makes every path "valid"); other methods are told the right address.
    """
    if not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != "not-found":
            if request.method in ("GET", "HEAD"):
                query = request.META.get("QUERY_STRING", "")
                return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
            detail = f"No such address: did you mean {request.path}/ (with a trailing slash)?"
            return JsonResponse({"detail": detail, "code": "not_found", "errors": {}}, status=404)
    return JsonResponse(
        {"detail": "No such address in the API. See /api/v1/ for the collections.", "code": "not_found", "errors": {}}, status=404
    )
