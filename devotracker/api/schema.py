"""The OpenAPI 3 description of the partner API (drf-spectacular).

What this module adds to drf-spectacular's own inference:

- the token security scheme (``Authorization: Token <key>``) beside the session cookie;
- the contract's error shape as a component, and the error responses each kind of operation can
  give (so that a client generated from the schema, and schemathesis, know every status code);
- the conditional-request and rate-limit headers (``ETag``, ``Last-Modified``, ``If-None-Match``,
  ``If-Modified-Since``, ``Retry-After``, ``Location``);
- a preprocessing hook that keeps the schema to ``/api/v1/`` only;
- the filters' query parameters exactly as the filters read them (:class:`FilterParameters`) and
  the write body's rules that do not depend on the target (``commitments.api.schema``), so that a
  request the schema calls valid is accepted and one it calls invalid is refused (issue 11; checked
  by schemathesis in tests/api/test_schema.py);
- OpenAPI ``links`` from a list to its items and from an item to its updates (:class:`LinkedAutoSchema`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db import DatabaseError
from django_filters import filters as django_filters
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers

from devotracker.filters import OrderingFilter

API_PREFIX = "/api/v1/"


class HashedTokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Token <key>``: the partner systems' API keys (stored hashed)."""

    target_class = "devotracker.api.authentication.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Send "Token <key>". Keys come from an administrator (manage.py create_api_token).',
        }


def only_api_v1(endpoints: list[tuple[str, str, str, Any]], **kwargs: Any) -> list[tuple[str, str, str, Any]]:
    """Preprocessing hook: document ``/api/v1/`` and nothing else the project may route."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(API_PREFIX)]


# --- query parameters and the write body, as the API reads them --------------------------------

# Text PostgreSQL cannot store, so no row can match it: the API refuses it in any parameter (400).
NO_NUL = "^[^\\u0000]*$"


class FilterParameters(DjangoFilterExtension):
    """drf-spectacular's django-filter parameters, completed from each filter's form field so that
    the schema states what the filter accepts (a client generated from it, and schemathesis, then
    send only values the API takes):

    - text: the field's ``max_length`` as ``maxLength``, and no NUL character;
    - choices (``true``/``false`` included): strings from the choice list, whatever the model
      field's type (a query parameter is text);
    - slugs of reference data (``theme``, ``pilot``, ``party`` on commitments, which refuse an
      unknown slug): the slugs there are, read when the schema is generated.

    A typed filter given with an empty value is refused (``GivenMeansFilledMixin``), as its type
    or format already says; an empty text filter is not applied, and "" is text. So no parameter
    needs ``allowEmptyValue``.
    """

    priority = 1

    def resolve_filter_field(
        self, auto_schema: Any, model: Any, filterset_class: Any, field_name: str, filter_field: Any
    ) -> list[dict[str, Any]]:
        if isinstance(filter_field, OrderingFilter):
            return [ordering_parameter(field_name, filter_field)]
        parameters: list[dict[str, Any]] = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        for parameter in parameters:
            schema = parameter["schema"]
            complete_filter_schema(schema["items"] if schema.get("type") == "array" else schema, filter_field)
        return parameters


def ordering_parameter(name: str, filter_field: OrderingFilter) -> dict[str, Any]:
    """``ordering`` as :class:`devotracker.filters.OrderingField` reads it: one or more of the keys,
    each maybe prefixed with -, comma-separated (an empty value is no key, and refused)."""
    names = sorted(filter_field.api_names)
    return {
        "name": name,
        "required": False,
        "in": "query",
        "description": "Sort keys, comma-separated; prefix a key with - to reverse it.",
        "schema": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": [*names, *(f"-{n}" for n in names)]}},
        "style": "form",
        "explode": False,
    }


def complete_filter_schema(schema: dict[str, Any], filter_field: Any) -> None:
    """Add to a filter parameter's (or its items') schema the limits its form field applies."""
    field = filter_field.field
    if isinstance(filter_field, django_filters.ModelMultipleChoiceFilter | django_filters.ModelChoiceFilter):
        key = filter_field.extra.get("to_field_name") or "pk"
        try:
            values = sorted(str(v) for v in field.queryset.values_list(key, flat=True))
        except DatabaseError:  # generated without a database (manage.py spectacular): no list
            values = []
        if values:
            schema["enum"] = values
        return
    if "enum" in schema:
        if all(isinstance(value, str) for value in schema["enum"]):
            schema["type"] = "string"
        return
    if isinstance(field, forms.CharField) and schema.get("type") == "string" and "format" not in schema:
        if field.max_length is not None:
            schema.setdefault("maxLength", field.max_length)
        if field.min_length is not None:
            schema.setdefault("minLength", field.min_length)
        schema.setdefault("pattern", NO_NUL)


# --- links: from a list to its items, from an item to its updates --------------------------------


class LinkedAutoSchema(AutoSchema):
    """drf-spectacular's schema of a read collection, plus OpenAPI ``links`` that say how one
    answer leads to the next request: a list's first result to that item (by its key), an item
    to ``POST …/updates/`` with the item's ``version``, a report to its HTML and PDF. Clients
    and tools that follow links (schemathesis's stateful phase) then reach real items."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None or "200" not in operation.get("responses", {}):
            return operation
        view = self.view
        lookup = getattr(view, "lookup_field", "pk")
        key = "id" if lookup == "pk" else lookup
        prefix = operation["operationId"].rsplit("_", 1)[0]
        links: dict[str, Any] = {}
        if getattr(view, "action", None) == "list":
            links["item"] = {
                "operationId": f"{prefix}_retrieve",
                "parameters": {key: f"$response.body#/results/0/{key}"},
                "description": f"The first result, by its {key}.",
            }
        elif getattr(view, "action", None) == "retrieve":
            if hasattr(view, "updates"):
                links["update"] = {
                    "operationId": f"{prefix}_updates_create",
                    "parameters": {key: f"$response.body#/{key}"},
                    "requestBody": {"version": "$response.body#/version"},
                    "description": "Record an update of this item, with the version just read.",
                }
            for download in ("html", "pdf"):
                if hasattr(view, download):
                    links[download] = {"operationId": f"{prefix}_{download}_retrieve", "parameters": {key: f"$response.body#/{key}"}}
        if links:
            operation["responses"]["200"]["links"] = links
        return operation


# --- the error shape ------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """Every 4xx: a message for people, a stable code for programs, messages per field."""

    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(help_text="A stable code for programs, e.g. invalid, not_found, version_conflict.")
    errors = serializers.DictField(  # type: ignore[assignment]  # a declared field, not Serializer.errors
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field (400); empty otherwise. non_field_errors holds whole-request messages.",
    )


def conflict_serializer(name: str, target: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The 409/412 body: the error shape plus ``current``, the target as it is now."""
    return type(name, (ErrorSerializer,), {"current": target(read_only=True, help_text="The target as it is now.")})


_ERROR_TEXT = {
    400: "Invalid input: see errors, keyed by field.",
    401: "No valid credentials: send Authorization: Token <key> (or sign in).",
    403: "Authenticated, but not allowed: a read-only token, a CSRF failure, or a target your roles may not write.",
    404: "No such resource (or, on lists, no such page).",
    406: "Cannot answer in the requested format or media type.",
    409: "Version conflict: the version in the body is not the current one. current holds the target as it is now.",
    412: "Precondition failed: the version in If-Match is not the current one. current holds the target as it is now.",
    413: "The request body is too large.",
    415: "The body must be JSON (Content-Type: application/json).",
    428: 'No version given: send "version" in the body or If-Match: "<version>".',
    429: "Rate limit reached: wait the number of seconds in Retry-After.",
}

RETRY_AFTER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[429], description="Seconds to wait before trying again."
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 304],
    description="A strong validator of this answer: it changes with any write of data the API serves.",
)
LAST_MODIFIED = OpenApiParameter(
    "Last-Modified",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 304],
    description="An HTTP date: the newest change, or London midnight today if later. Prefer ETag.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An ETag from an earlier answer: 304 with an empty body when it still matches.",
)
IF_MODIFIED_SINCE = OpenApiParameter(
    "If-Modified-Since",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An HTTP date (Last-Modified of an earlier answer): 304 when nothing changed since. Ignored with If-None-Match.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The version you saw, quoted: If-Match: "3". A mismatch is 412. Alternative to "version" in the body.',
)


def created_location(what: str) -> OpenApiParameter:
    """The ``Location`` header of a 201: the address of ``what`` the write created."""
    return OpenApiParameter("Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[201], description=what)


LOCATION = created_location("The status update this write created.")


def closed_body(schema: dict[str, Any], texts: Iterable[str] = ()) -> dict[str, Any]:
    """A request body's schema as :class:`~devotracker.api.serializers.NoUnknownFieldsSerializer`
    checks it: no keys but its own (``additionalProperties: false``), and no NUL character in the
    text properties ``texts`` (in each item, for a list of texts)."""
    schema["additionalProperties"] = False
    properties = schema.get("properties", {})
    for name in texts:
        if name in properties:
            text = properties[name].get("items", properties[name])
            text["pattern"] = NO_NUL
    return schema


LIST_FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=["json", "csv"],
    description="csv: the whole filtered, ordered list (every page) as formula-safe CSV with a header row.",
)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer, description=_ERROR_TEXT[code]) for code in codes}


NOT_MODIFIED = {304: OpenApiResponse(description="Not modified: your copy (If-None-Match / If-Modified-Since) is current. No body.")}
READ_HEADERS = [IF_NONE_MATCH, IF_MODIFIED_SINCE, ETAG, LAST_MODIFIED, RETRY_AFTER]


def document_read_viewset(
    resource: str, serializer: Any, detail_serializer: Any = None, key: str = "id", path_parameters: list[Any] | None = None
) -> Any:
    """``extend_schema_view`` for a read collection: its list (JSON or CSV) and its detail.
    ``path_parameters``: the keywords of a collection under another resource."""
    detail_serializer = detail_serializer or serializer
    outer = path_parameters or []
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {resource}",
            parameters=[*outer, LIST_FORMAT, *READ_HEADERS],
            responses={
                (200, "application/json"): serializer,
                (200, "text/csv"): OpenApiTypes.STR,
                **NOT_MODIFIED,
                **errors(400, 401, 404, 406, 429),
            },
        ),
        retrieve=extend_schema(
            summary=f"One of the {resource}, by {key}",
            parameters=[*outer, *READ_HEADERS],
            responses={200: detail_serializer, **NOT_MODIFIED, **errors(400, 401, 404, 406, 429)},
        ),
    )


def document_write(target: str, target_serializer: type[serializers.Serializer], input_serializer: Any, accepted: Any = None) -> Any:
    """``extend_schema`` for ``POST …/updates/`` on one kind of target; ``accepted``: the
    representation of an update kept for approval (202)."""
    conflict = conflict_serializer(f"{target.capitalize()}Conflict", target_serializer)
    return extend_schema(
        summary=f"Record an update of this {target}",
        description=(
            "Changes status, RAG, progress and/or the due date, with a reason, a note and evidence, "
            'exactly as the browser form does. Send the version you saw as "version" (409 on a mismatch) '
            'or If-Match: "<version>" (412 on a mismatch); neither is 428. 201 answers with the new state '
            "and the created status update's address in Location. Besides the body's schema, three rules "
            "depend on the target as it is now; breaking one is a 400: a change of status, RAG or due date "
            "(a value different from the current one) needs a reason; a change of status to complete needs "
            "evidence; and an update must change something or add a note or evidence. Where the lead board of "
            "the item's commitment requires approval and you are not its secretariat, the update is kept for "
            "approval instead: 202 answers with the pending update (its address in Location) and the item is "
            "unchanged until the secretariat approves it; an item whose update awaits approval answers 409 (code "
            '"pending_update", its address in pending_update) unless the body says replace_pending: true.'
        ),
        request=input_serializer,
        parameters=[IF_MATCH, LOCATION, RETRY_AFTER],
        responses={
            201: target_serializer,
            **({202: OpenApiResponse(accepted, description="Kept for the secretariat's approval; not yet published.")} if accepted else {}),
            **errors(400, 401, 403, 404),
            409: OpenApiResponse(conflict, description=_ERROR_TEXT[409]),
            412: OpenApiResponse(conflict, description=_ERROR_TEXT[412]),
            **errors(413, 415, 428, 429),
        },
    )
