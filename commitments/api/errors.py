"""Every 4xx of the API has one shape: ``{"detail", "code", "errors": {field: [messages]}}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for field, value in detail.items():
            if isinstance(value, (list, tuple)):
                msgs = []
                for item in value:
                    if isinstance(item, dict):
                        for sub, subval in _flatten(item).items():
                            out.setdefault(f"{field}.{sub}", []).extend(subval)
                    else:
                        msgs.append(str(item))
                if msgs:
                    out[str(field)] = msgs
            elif isinstance(value, dict):
                for sub, subval in _flatten(value).items():
                    out[f"{field}.{sub}"] = subval
            else:
                out[str(field)] = [str(value)]
        return out
    if isinstance(detail, (list, tuple)):
        return {"non_field_errors": [str(item) for item in detail]}
    return {}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        body = {"detail": "The request has invalid fields.", "code": "invalid", "errors": errors}
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        message = str(detail) if not isinstance(detail, (dict, list)) else "Request failed."
        code = getattr(detail, "code", None) or exc.default_code
        body = {"detail": message, "code": str(code), "errors": _flatten(detail) if isinstance(detail, (dict, list)) else {}}
    else:  # pragma: no cover - DRF only handles APIException subclasses
        body = {"detail": "Request failed.", "code": "error", "errors": {}}
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = "Token"
    response.data = body
    return response
