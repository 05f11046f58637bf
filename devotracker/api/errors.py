"""Every 4xx of the API has one shape: ``{"detail", "code", "errors": {field: [messages]}}``.

DRF's own exceptions (401, 403, 404, 405, 406, 415, 429, 400 from serializers and filters) are
reshaped by :func:`exception_handler`; the write endpoint adds 409, 412, 413 and 428 with the
exception classes below. An exception may carry ``extra`` keys (the 409/412 answers carry the
target's ``current`` state) that are added beside the three contract keys.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApiError(exceptions.APIException):
    """An API error with optional extra body keys."""

    def __init__(self, detail: str | None = None, code: str | None = None, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail, code)
        self.extra = extra or {}


class VersionConflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Someone else changed this after you read it."
    default_code = "version_conflict"


class PreconditionFailed(ApiError):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The version in If-Match is not the current version."
    default_code = "precondition_failed"


class PayloadTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def refuse_large_body(request: Any, limit: int) -> None:
    """A 413 before reading a body whose declared length is over ``limit`` bytes (a write's
    bodies are small; this keeps a large one from being parsed at all)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise PayloadTooLarge(f"The body must be at most {limit // 1024} KB.")


class PreconditionRequired(ApiError):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = 'Send the version you saw, in the body ("version") or as If-Match: "<version>".'
    default_code = "precondition_required"


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for field, value in detail.items():
            # Django's form-wide key reads better in the DRF spelling partners already know.
            name = "non_field_errors" if field == "__all__" else str(field)
            if isinstance(value, (list, tuple)):
                msgs = []
                for index, item in enumerate(value):
                    if isinstance(item, dict):
                        for sub, subval in _flatten(item).items():
                            out.setdefault(f"{name}.{sub}", []).extend(subval)
                    elif isinstance(item, (list, tuple)):
                        out.setdefault(f"{name}.{index}", []).extend(str(i) for i in item)
                    else:
                        msgs.append(str(item))
                if msgs:
                    out.setdefault(name, []).extend(msgs)
            elif isinstance(value, dict):
                for sub, subval in _flatten(value).items():
                    out[f"{name}.{sub}"] = subval
            else:
                out.setdefault(name, []).append(str(value))
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
    body: dict[str, Any]
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
    body.update(getattr(exc, "extra", {}))
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = "Token"
    response.data = body
    return response
