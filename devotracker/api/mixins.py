"""Behaviour every API view shares, written once (DESIGN.md §6):

- :class:`ApiViewMixin`: JSON (and CSV on lists) with strict negotiation, input guards, the
  conditional-request machinery (strong ``ETag`` + ``Last-Modified``, ``304``), caching headers.
- :class:`CSVExportMixin`: ``?format=csv`` streams the whole filtered list, formula-safe.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.module_loading import import_string
from rest_framework import exceptions, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from .renderers import CSVRenderer, StrictContentNegotiation, csv_lines

VARY = ("Accept", "Authorization", "Cookie")
MAX_PARAM_LENGTH = 1000


def _reject_unstorable(request: Request, kwargs: Mapping[str, Any]) -> None:
    """PostgreSQL refuses NUL characters in text (psycopg2 raises ValueError, a 500); refuse them
    here, with the parameter named, before any query sees them."""
    errors: dict[str, list[str]] = {}
    for name, values in request.query_params.lists():
        if any("\x00" in value for value in values) or "\x00" in name:
            errors[name.replace("\x00", "")] = ["Contains a NUL character."]
    for name, value in kwargs.items():
        if isinstance(value, str) and "\x00" in value:
            errors[name] = ["Contains a NUL character."]
    if errors:
        raise exceptions.ValidationError(errors)


def data_head(request: Any) -> tuple[int | None, dt.datetime | None, str | None, str]:
    """The change log's head for this request: (id, at) of the newest change, the version of the
    data (None: cache nothing) and the validator of what the API serves, read once per request
    by the function ``settings.API_DATA_HEAD`` names (``commitments.versioning.data_head``)."""
    holder = getattr(request, "_request", request)
    head = getattr(holder, "_devotracker_data_head", None)
    if head is None:
        head = holder._devotracker_data_head = _head_function()()
    return head


@functools.cache
def _head_function() -> Any:
    return import_string(settings.API_DATA_HEAD)


class ApiViewMixin:
    """Negotiation, guards and conditional GETs for every API view.

    Validators come from the change log's head (``data_head``, read before the view's queries),
    not from the body, which is never hashed (ADR 0013). ETag: a hash of the head's
    validator, the London day (``overdue`` turns true at midnight without any write), the
    absolute URL with its query and the media type answered; any write of anything partners can
    read therefore changes every ETag, and nothing else does. Last-Modified: the time of the
    newest change, or London midnight today if later. HTTP dates have whole seconds and a change
    is stamped with its transaction's start: prefer If-None-Match, which is exact. Django's
    ``get_conditional_response`` evaluates the request's preconditions (RFC 9110's order) once the
    view has answered 200.
    """

    content_negotiation_class: type[BaseContentNegotiation] = StrictContentNegotiation
    # The change feed serves rows once their transaction is older than every running one: a
    # time-based validator cannot express that, so the feed turns Last-Modified off.
    conditional_last_modified = True
    # Actions answered without validators (a file streamed from storage).
    unconditional_actions: tuple[str, ...] = ()

    def get_renderers(self) -> list[Any]:
        if getattr(self, "action", None) == "list" and getattr(self, "csv_export", True):
            return [JSONRenderer(), CSVRenderer()]
        return [JSONRenderer()]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        _reject_unstorable(request, kwargs)
        # Read before the view's queries: an answer is never newer than its validators.
        self._validators = self._conditional_validators(request)

    def _conditional_validators(self, request: Request) -> tuple[str, int | None] | None:
        """(ETag, Last-Modified as a timestamp) of a GET or HEAD answered as JSON, else None."""
        if request.method not in ("GET", "HEAD") or getattr(self, "action", None) in self.unconditional_actions:
            return None
        if getattr(request, "accepted_media_type", "").split(";")[0] == "text/csv":
            return None
        _id, at, _version, validator = data_head(request)
        today = timezone.localdate()
        key = f"{validator}|{today.isoformat()}|{request.build_absolute_uri()}|{request.accepted_media_type}"
        etag = quote_etag(hashlib.sha256(key.encode()).hexdigest()[:40])
        if not self.conditional_last_modified:
            return etag, None
        midnight = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
        newest = max(at, midnight) if at is not None else midnight
        return etag, int(newest.timestamp())

    def _set_validators(self, response: HttpResponseBase) -> None:
        etag, last_modified = self._validators or (None, None)
        if etag is not None:
            response["ETag"] = etag
            response["Cache-Control"] = "private, no-cache"
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A method the address does not have is a 405 with Allow (after authentication, so 401 to
        # anonymous requests), whatever format the request asks for: DRF negotiates first, and
        # answered TRACE …?format=csv with a 406 (found by schemathesis, issue 11).
        method = (request.method or "").lower()
        if method not in self.http_method_names or not hasattr(self, method):  # type: ignore[attr-defined]
            force = True
        return super().perform_content_negotiation(request, force=force)  # type: ignore[misc]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        # An error on a CSV request is still the contract's JSON error shape.
        renderer = getattr(response, "accepted_renderer", None)
        if isinstance(response, Response) and response.status_code >= 400 and renderer is not None and renderer.format != "json":
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = "application/json"
        patch_vary_headers(response, VARY)
        validators = getattr(self, "_validators", None)
        if response.status_code != 200 or getattr(response, "streaming", False) or validators is None:
            return response
        self._set_validators(response)
        # After the view, not before: a request the view refuses (a bad filter, an unknown key) is
        # its 400 or 404 whatever its preconditions say (If-None-Match: * would match anything).
        if isinstance(response, SimpleTemplateResponse):
            response.render()
        etag, last_modified = validators
        return get_conditional_response(request._request, etag=etag, last_modified=last_modified, response=response)


# --- CSV export -------------------------------------------------------------------------------

# A list of objects becomes one cell of their keys; a list of sources or benefits, of what people
# read ("reference", "text"), never the file names kept beside them for traceability.
_KEY_NAMES = ("ref", "slug", "code", "id", "username", "reference", "text")


def csv_columns(serializer: serializers.Serializer, prefix: str = "") -> list[tuple[str, tuple[str, ...]]]:
    """(header, path) for every cell of a flattened representation: nested objects become dotted
    columns (``party.slug``); lists become one cell."""
    columns: list[tuple[str, tuple[str, ...]]] = []
    for name, field in serializer.fields.items():
        path = f"{prefix}{name}"
        if isinstance(field, serializers.Serializer) and not isinstance(field, serializers.ListSerializer):
            columns.extend((header, (name, *sub)) for header, sub in csv_columns(field, f"{path}."))
        else:
            columns.append((path, (name,)))
    return columns


def _cell(value: Any) -> Any:
    """One CSV cell: lists of objects become their keys joined by "; "; other structures JSON."""
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, Mapping):
                key = next((item[k] for k in _KEY_NAMES if k in item and item[k] not in (None, "")), None)
                parts.append(str(key) if key is not None else json.dumps(item, sort_keys=True))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _pluck(data: Any, path: Sequence[str]) -> Any:
    for step in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(step)
    return data


def _without_format(request: Request) -> HttpRequest:
    """The request, less its ``format`` query parameter, for building links."""
    plain = copy.copy(request._request)
    query = plain.GET.copy()
    query.pop("format", None)
    plain.GET = query  # type: ignore[assignment]  # a mutable copy where Django keeps an immutable one
    return plain


class CSVExportMixin:
    """``?format=csv`` (or ``Accept: text/csv``) on a list: the whole filtered, ordered list (not
    one page) streamed row by row, with a header row. Rows are fetched in chunks with their
    prefetches (Django ≥ 4.1 prefetches per chunk), so memory stays flat for any size."""

    csv_chunk_size = 500

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        if getattr(request.accepted_renderer, "format", None) == "csv":
            # page and page_size do not apply to the whole list, but a bad one is still a 400.
            check_query = getattr(getattr(self, "paginator", None), "check_query", None)
            if check_query is not None:
                check_query(request)
            return self.csv_response(self.filter_queryset(self.get_queryset()))  # type: ignore[attr-defined]
        return super().list(request, *args, **kwargs)  # type: ignore[misc]

    def csv_response(self, queryset: Any) -> StreamingHttpResponse:
        serializer_class = self.get_serializer_class()  # type: ignore[attr-defined]
        context = self.get_serializer_context()  # type: ignore[attr-defined]
        # The links in the file point at the resources, not at their CSV: DRF's reverse() carries
        # ?format= of the request into every link, and /themes/x/?format=csv is a 406.
        context["request"] = _without_format(context["request"])
        # One serializer for every row, as a list serializer does: building its fields for each row
        # cost about 13 ms a row (4.8 s for 937 status updates; found by the schemathesis run).
        serializer = serializer_class(context=context)
        columns = csv_columns(serializer)

        def rows() -> Iterator[list[Any]]:
            for data in self.csv_representations(queryset, serializer, context):
                yield [_cell(_pluck(data, path)) for _, path in columns]

        name = getattr(self, "basename", "export") or "export"
        response = StreamingHttpResponse(csv_lines([header for header, _ in columns], rows()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        response["Cache-Control"] = "private, no-store"
        return response

    def csv_representations(self, queryset: Any, serializer: serializers.Serializer, context: dict[str, Any]) -> Iterator[Any]:
        """Each row's representation, in chunks (a list built from plain rows overrides this)."""
        for obj in queryset.iterator(chunk_size=self.csv_chunk_size):
            yield serializer.to_representation(obj)
