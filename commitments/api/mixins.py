"""Behaviour every API view shares, written once (DESIGN.md §6):

- :class:`ApiViewMixin`: JSON (and CSV on lists) with strict negotiation, input guards, the
  conditional-request machinery (strong ``ETag`` + ``Last-Modified``, ``304``), caching headers.
- :class:`CSVExportMixin`: ``?format=csv`` streams the whole filtered list, formula-safe.
- :class:`AllowListOrderingFilter`: ``ordering`` with an explicit allow-list per endpoint; an
  unknown field is a 400 with a field error, not silently ignored as DRF's own filter does.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe
from rest_framework import exceptions, serializers
from rest_framework.filters import BaseFilterBackend
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import Change
from ..versioning import POSTGRES_VERSION_SQL
from .renderers import CSVRenderer, StrictContentNegotiation, csv_lines

# Headers a 304 must repeat (RFC 9110 §15.4.5) so caches can update what they hold.
NOT_MODIFIED_HEADERS = ("ETag", "Last-Modified", "Cache-Control", "Vary", "Content-Location")
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


def _walk(data: Any, found: dict[str, Any]) -> None:
    """Collect the latest ``updated_at`` and whether any ``overdue`` appears, anywhere in ``data``."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            if key == "updated_at" and isinstance(value, str):
                try:
                    stamp = dt.datetime.fromisoformat(value)
                except ValueError:
                    continue
                if found["latest"] is None or stamp > found["latest"]:
                    found["latest"] = stamp
            elif key == "overdue":
                found["overdue"] = True
            else:
                _walk(value, found)
    elif isinstance(data, list):
        for item in data:
            _walk(item, found)


# In compact or indented JSON, a key follows "{" or "," (and maybe whitespace); inside a string
# value the same characters would be escaped (\"), so these match object keys only.
_UPDATED_AT_JSON = re.compile(rb'[{,]\s*"updated_at"\s*:\s*"([^"\\]*)"')
_OVERDUE_JSON = re.compile(rb'[{,]\s*"overdue"\s*:')


def _scan_json(content: bytes, found: dict[str, Any]) -> None:
    """What :func:`_walk` finds, read from the rendered JSON in one pass of two regular
    expressions: a page of 500 actions has ~14,000 values to walk, which cost more than building
    the page's rows (issue 7)."""
    for match in _UPDATED_AT_JSON.finditer(content):
        try:
            stamp = dt.datetime.fromisoformat(match.group(1).decode())
        except ValueError:
            continue
        if found["latest"] is None or stamp > found["latest"]:
            found["latest"] = stamp
    found["overdue"] = _OVERDUE_JSON.search(content) is not None


def change_head(request: Any) -> tuple[int | None, dt.datetime | None, str | None]:
    """(id, at) of the newest change-log row and the version of the data
    (:mod:`commitments.versioning`: what a cached count is keyed by; None inside a transaction
    that has written), read once per request in one query (an index-only look-up)."""
    holder = getattr(request, "_request", request)
    head = getattr(holder, "_devotracker_change_head", None)
    if head is None:
        newest = Change.objects.order_by("-id").values("id", "at")[:1]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                sql, params = newest.query.sql_with_params()
                cursor.execute(f"SELECT c.id, c.at, {POSTGRES_VERSION_SQL} FROM (SELECT 1) one LEFT JOIN ({sql}) c ON true", params)
                head = cursor.fetchone()
        else:
            row = newest.first()
            version = None if connection.in_atomic_block else str(row["id"] if row else 0)
            head = (row["id"], row["at"], version) if row else (None, None, version)
        holder._devotracker_change_head = head
    return head  # type: ignore[no-any-return]


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 §13.1.2): ``W/`` prefixes are ignored."""
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


class ApiViewMixin:
    """Negotiation, guards and conditional GETs for every API view.

    ETag: a hash of the rendered body, so it is exact and strong: any byte that differs changes
    it. Last-Modified: the latest of (a) every ``updated_at`` in the body, (b) the time of the
    newest entry of the change log (so a deletion, which leaves no ``updated_at`` behind, still
    moves it) and (c) London midnight today when the body carries ``overdue`` (which turns true at
    midnight without any write). It is therefore never too early; it may be later than strictly
    needed, which only costs a full answer. HTTP dates have whole seconds: prefer If-None-Match.
    """

    content_negotiation_class: type[BaseContentNegotiation] = StrictContentNegotiation
    # The change feed serves rows once their transaction is older than every running one: a
    # time-based validator cannot express that, so the feed turns Last-Modified off.
    conditional_last_modified = True

    def get_renderers(self) -> list[Any]:
        if getattr(self, "action", None) == "list" and getattr(self, "csv_export", True):
            return [JSONRenderer(), CSVRenderer()]
        return [JSONRenderer()]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        _reject_unstorable(request, kwargs)

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
        patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or getattr(response, "streaming", False):
            return response
        if isinstance(response, SimpleTemplateResponse):
            response.render()
        etag = '"' + hashlib.sha256(response.content).hexdigest()[:40] + '"'
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        last_modified = self._last_modified(response) if self.conditional_last_modified else None
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified.timestamp())
        if self._not_modified(request, etag, last_modified):
            not_modified = HttpResponseNotModified()
            for name in NOT_MODIFIED_HEADERS:
                if name in response:
                    not_modified[name] = response[name]
            return not_modified
        return response

    def _last_modified(self, response: HttpResponse) -> dt.datetime | None:
        found: dict[str, Any] = {"latest": None, "overdue": False}
        renderer = getattr(response, "accepted_renderer", None)
        if isinstance(renderer, JSONRenderer) and isinstance(getattr(response, "data", None), (dict, list)):
            _scan_json(response.content, found)
        else:
            _walk(getattr(response, "data", None), found)
        candidates = [found["latest"]]
        # The newest change-log row by id: an index-only look-up, one query whatever the page.
        candidates.append(change_head(self.request)[1])  # type: ignore[attr-defined]
        if found["overdue"]:
            midnight = dt.datetime.combine(timezone.localdate(), dt.time.min)
            candidates.append(timezone.make_aware(midnight))
        present = [c for c in candidates if c is not None]
        return max(present) if present else None

    @staticmethod
    def _not_modified(request: Request, etag: str, last_modified: dt.datetime | None) -> bool:
        # RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only counts without it.
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None:
            return _etag_matches(if_none_match, etag)
        if_modified_since = request.headers.get("If-Modified-Since")
        if if_modified_since and last_modified is not None:
            since = parse_http_date_safe(if_modified_since)
            return since is not None and int(last_modified.timestamp()) <= since
        return False


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
            for obj in queryset.iterator(chunk_size=self.csv_chunk_size):
                data = serializer.to_representation(obj)
                yield [_cell(_pluck(data, path)) for _, path in columns]

        name = getattr(self, "basename", "export") or "export"
        response = StreamingHttpResponse(csv_lines([header for header, _ in columns], rows()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        response["Cache-Control"] = "private, no-store"
        return response


# --- ordering -----------------------------------------------------------------------------------


class AllowListOrderingFilter(BaseFilterBackend):
    """``?ordering=-due_date,ref``: comma-separated names from the view's ``ordering_fields``
    (a dict from the public name to the model path), ``-`` for descending. The primary key is
    always the last key so pages never overlap or skip rows that sort equal.

    Each comma-separated part must be one of the keys the schema lists, exactly: an empty value,
    an empty part (``ref,``) or a padded one (``ref, title``) is a 400 like an unknown key
    (issue 11), not quietly dropped. (The schema's array has ``minItems: 1``: ``ordering=``
    would otherwise read both as no keys and as one empty key.)"""

    param = "ordering"

    def filter_queryset(self, request: Request, queryset: Any, view: Any) -> Any:
        allowed: Mapping[str, str] = getattr(view, "ordering_fields", {})
        raw = request.query_params.get(self.param)
        terms: list[str] = []
        unknown: list[str] = []
        for part in raw.split(",") if raw is not None else []:
            descending = part.startswith("-")
            name = part[1:] if descending else part
            if name not in allowed:
                unknown.append(repr(name[:40]))
                continue
            terms.append(("-" if descending else "") + allowed[name])
        if unknown:
            choices = ", ".join(sorted(allowed))
            raise exceptions.ValidationError(
                {self.param: [f"Cannot sort by {', '.join(unknown)}. Choose from: {choices} (prefix - to reverse, separate with commas)."]}
            )
        if not terms:
            terms = list(getattr(view, "default_ordering", ()))
        return queryset.order_by(*terms, "pk")

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        names = sorted(getattr(view, "ordering_fields", {}))
        if not names:
            return []
        return [
            {
                "name": self.param,
                "required": False,
                "in": "query",
                "description": "Sort keys, comma-separated; prefix a key with - to reverse it.",
                "schema": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": [*names, *(f"-{n}" for n in names)]}},
                "style": "form",
                "explode": False,
            }
        ]
