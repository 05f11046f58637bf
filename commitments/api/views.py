"""The partner API's views (DESIGN.md §6): thin viewsets over the ``for_api`` queryset methods, the
shared filtersets and the write service.

- Reads: one viewset per collection, keyed as the contract says (commitments by ``ref``, boards by
  ``code`` in any case, reference data by ``slug``, the rest by ``id``).
- Writes: ``POST …/updates/`` on commitments, obligations and actions validates the body, settles
  which version the writer saw (body ``version`` → 409, ``If-Match`` → 412, neither → 428) and calls
  :func:`commitments.services.record_update`, exactly as the browser form does.
- Sync: ``/changes/`` serves the change log after an opaque cursor (see :mod:`commitments.changes`).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q
from django.http import FileResponse, HttpResponse
from django.urls import NoReverseMatch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, permissions
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from boards.filtersets import MeetingFilterSet
from boards.models import Meeting
from devotracker.api.errors import PreconditionFailed, PreconditionRequired, VersionConflict, refuse_large_body
from devotracker.api.mixins import ApiViewMixin
from devotracker.api.permissions import TokenScopeAllowsWrite
from devotracker.api.renderers import JSONParser
from devotracker.api.schema import (
    ETAG,
    IF_NONE_MATCH,
    NOT_MODIFIED,
    READ_HEADERS,
    RETRY_AFTER,
    document_read_viewset,
    document_write,
    errors,
)
from devotracker.api.throttling import TokenRateThrottle, TokenWriteRateThrottle
from devotracker.api.viewsets import INT_KEY, ReadViewSet

from .. import changes, comparisons, filtersets, services
from ..models import Action, Agreement, Commitment, Obligation, PendingUpdate, Report, StatusUpdate, Theme
from . import schema as _write_body_schema  # noqa: F401  # registers the write body's schema extension
from . import serializers as s
from .assurance import CommitmentAssuranceMixin, ObligationAssuranceMixin
from .ownership import ActionOwnerMixin, CommitmentLeadBoardMixin, ObligationOwnerMixin
from .pending import PendingUpdateSerializer

# A status update is a few kilobytes at most (5,000-character texts, 20 pieces of evidence).
MAX_WRITE_BODY = 256 * 1024


# --- writing an update ------------------------------------------------------------------------

_IF_MATCH_VERSION = re.compile(r'^\s*"?(\d{1,10})"?\s*$')


def _if_match_version(request: Request) -> int | None:
    """The version in ``If-Match: "<version>"``; None when absent or ``*`` (which names no
    version); -1 for anything else, which can match no version (so fails the precondition)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = _IF_MATCH_VERSION.match(header)
    return int(match.group(1)) if match else -1


class UpdateWriteMixin:
    """``POST …/updates/``: the same write as the browser form, through the same service."""

    def _fresh(self, target: Any) -> Any:
        return self.get_queryset().get(pk=target.pk)  # type: ignore[attr-defined]

    def _represent(self, target: Any) -> dict[str, Any]:
        serializer_class = s.TARGET_SERIALIZERS[type(target)]
        view: Any = self  # the viewset this mixin is part of
        return serializer_class(self._fresh(target), context=view.get_serializer_context()).data

    def record_update(self, request: Request) -> Response:
        refuse_large_body(request, MAX_WRITE_BODY)
        target = self.get_object()  # type: ignore[attr-defined]
        # Roles before the body: a user who may not write this target learns only that.
        if not services.can_write(request.user, target):
            raise exceptions.PermissionDenied("Your roles do not allow you to update this.")
        body = s.UpdateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        body_version = data.pop("version", None)
        header_version = _if_match_version(request)
        if header_version == -1:
            raise PreconditionFailed(
                'If-Match must carry the version you saw, for example If-Match: "3".', extra={"current": self._represent(target)}
            )
        if header_version is None and body_version is None:
            raise PreconditionRequired()
        if header_version is not None and body_version is not None and header_version != body_version:
            # Two different versions: whichever is stale decides the answer (the header first, as
            # HTTP evaluates preconditions before the request's own content).
            if header_version != target.version:
                raise PreconditionFailed(extra={"current": self._represent(target)})
            raise VersionConflict(extra={"current": self._represent(target)})
        version = header_version if header_version is not None else body_version
        update_input = services.UpdateInput(
            status=data.get("status"),
            rag=data.get("rag"),
            progress=data.get("progress"),
            revised_due_date=data.get("revised_due_date"),
            reason=data.get("reason", ""),
            note=data.get("note", ""),
            evidence=list(data.get("evidence", [])),
        )
        try:
            update = services.record_update(
                target,
                by=request.user,
                version=version,
                data=update_input,
                source=StatusUpdate.Source.API,
                replace_pending=data.get("replace_pending", False),
            )
        except services.NotAllowed as exc:
            raise exceptions.PermissionDenied(exc.message) from None
        except services.VersionConflict as exc:
            conflict = PreconditionFailed if header_version is not None else VersionConflict
            raise conflict(exc.message, extra={"current": self._represent(target)}) from None
        except services.PendingExists as exc:
            pending_url = reverse("api:pendingupdate-detail", kwargs={"pk": exc.pending.pk}, request=request)
            raise PendingUpdateWaiting(exc.message, extra={"pending_update": pending_url, "current": self._represent(target)}) from None
        except services.InvalidUpdate as exc:
            raise exceptions.ValidationError(exc.errors or {"non_field_errors": [exc.message]}) from None
        if isinstance(update, PendingUpdate):
            # Approval before publishing (issue 15): accepted, not applied; the item is unchanged.
            location = reverse("api:pendingupdate-detail", kwargs={"pk": update.pk}, request=request)
            view: Any = self  # the viewset this mixin is part of
            accepted = PendingUpdateSerializer(PendingUpdate.objects.for_list().get(pk=update.pk), context=view.get_serializer_context())
            return Response(accepted.data, status=202, headers={"Location": location})
        location = reverse("api:statusupdate-detail", kwargs={"pk": update.pk}, request=request)
        return Response(self._represent(target), status=201, headers={"Location": location})


class PendingUpdateWaiting(VersionConflict):
    """409: the item has an update awaiting approval (send ``replace_pending: true`` to replace it)."""

    default_detail = "This item has an update awaiting approval."
    default_code = "pending_update"


WRITE_OPTIONS: dict[str, Any] = {
    "detail": True,
    "methods": ["post"],
    "url_path": "updates",
    "url_name": "updates",
    "parser_classes": [JSONParser],
    "permission_classes": [permissions.IsAuthenticated, TokenScopeAllowsWrite],
    "throttle_classes": [TokenRateThrottle, TokenWriteRateThrottle],
}


# --- trackable collections --------------------------------------------------------------------


def compared(view: Any, queryset: Any, kind: comparisons.Kind) -> Any:
    """``queryset`` with each item's state in the period of ``?compare_to=`` (a list only), else
    with nulls. A well-formed id of an unknown or open period is a 404 saying so (as a key in the
    path would be); a malformed one is a 400 from the FilterSet's id filter."""
    period = None
    if view.action == "list" and "compare_to" in view.request.query_params:
        try:  # read as the FilterSet's id filter reads it (the filter itself answers a bad one)
            period = view.filterset_class.base_filters["compare_to"].field.clean(view.request.query_params["compare_to"])
        except DjangoValidationError:
            period = None
    try:
        return comparisons.with_previous(queryset, period, kind)
    except LookupError as exc:
        raise exceptions.NotFound(f"compare_to: {exc}") from None


@document_read_viewset("commitments", s.CommitmentSerializer, s.CommitmentDetailSerializer, key="ref")
class CommitmentViewSet(CommitmentLeadBoardMixin, CommitmentAssuranceMixin, UpdateWriteMixin, ReadViewSet):
    """The inventory's commitments, keyed by ``ref``, with their shown state and obligations."""

    lookup_field = "ref"
    filterset_class = filtersets.CommitmentFilterSet

    def get_queryset(self) -> Any:
        if self.action in ("retrieve", "updates", "assurance", "lead_board"):
            return compared(self, Commitment.objects.for_api_detail(), "commitments")
        return compared(self, Commitment.objects.for_api(), "commitments")

    def get_serializer_class(self) -> Any:
        return s.CommitmentSerializer if self.action == "list" else s.CommitmentDetailSerializer

    plain_rows = True

    def fetch_page(self, queryset: Any, bottom: int, top: int) -> list[Any]:
        """A page's rows without sorting every commitment (``CommitmentQuerySet.page_ids``), then
        those rows alone by their ids."""
        if self._links is not None:
            return self.row_plan().render_ids(self._base, queryset.page_ids(bottom, top), self._links)
        return queryset.page(bottom, top)

    @document_write("commitment", s.CommitmentDetailSerializer, s.UpdateInputSerializer, accepted=PendingUpdateSerializer)
    @action(**WRITE_OPTIONS)
    def updates(self, request: Request, ref: str | None = None) -> Response:
        """Record the lead board secretariat's assessment of a commitment."""
        return self.record_update(request)


@document_read_viewset("obligations", s.ObligationSerializer)
class ObligationViewSet(ObligationOwnerMixin, ObligationAssuranceMixin, UpdateWriteMixin, ReadViewSet):
    """What each party owes under each commitment, with its actions."""

    lookup_value_regex = INT_KEY
    lookup_field = "pk"
    serializer_class = s.ObligationSerializer
    filterset_class = filtersets.ObligationFilterSet

    def get_queryset(self) -> Any:
        return compared(self, Obligation.objects.for_api(), "obligations")

    @document_write("obligation", s.ObligationSerializer, s.UpdateInputSerializer, accepted=PendingUpdateSerializer)
    @action(**WRITE_OPTIONS)
    def updates(self, request: Request, pk: str | None = None) -> Response:
        """Record an update of an obligation (its party's officers, or the lead board's secretariat)."""
        return self.record_update(request)


@document_read_viewset("actions", s.ActionSerializer)
class ActionViewSet(ActionOwnerMixin, UpdateWriteMixin, ReadViewSet):
    """Dated steps under obligations."""

    lookup_value_regex = INT_KEY
    lookup_field = "pk"
    serializer_class = s.ActionSerializer
    filterset_class = filtersets.ActionFilterSet

    def get_queryset(self) -> Any:
        return Action.objects.for_api()

    plain_rows = True

    @document_write("action", s.ActionSerializer, s.UpdateInputSerializer, accepted=PendingUpdateSerializer)
    @action(**WRITE_OPTIONS)
    def updates(self, request: Request, pk: str | None = None) -> Response:
        """Record an update of an action."""
        return self.record_update(request)


@document_read_viewset("status updates", s.StatusUpdateSerializer)
class StatusUpdateViewSet(ReadViewSet):
    """The append-only history of every change of state, newest first."""

    lookup_value_regex = INT_KEY
    lookup_field = "pk"
    serializer_class = s.StatusUpdateSerializer
    filterset_class = filtersets.StatusUpdateFilterSet

    def get_queryset(self) -> Any:
        return StatusUpdate.objects.for_api()


# --- reference data ---------------------------------------------------------------------------


@document_read_viewset("agreements", s.AgreementSerializer, key="slug")
class AgreementViewSet(ReadViewSet):
    """The instruments commitments come from."""

    lookup_field = "slug"
    serializer_class = s.AgreementSerializer
    filterset_class = filtersets.AgreementFilterSet
    queryset = Agreement.objects.select_related("supersedes")


@document_read_viewset("themes", s.ThemeSerializer, key="slug")
class ThemeViewSet(ReadViewSet):
    """The six themes of the inventory."""

    lookup_field = "slug"
    serializer_class = s.ThemeSerializer
    filterset_class = filtersets.ThemeFilterSet
    queryset = Theme.objects.all()


@document_read_viewset("meetings", s.MeetingSerializer)
class MeetingViewSet(ReadViewSet):
    """Board and committee meetings, with the reports built for them."""

    lookup_value_regex = INT_KEY
    lookup_field = "pk"
    serializer_class = s.MeetingSerializer
    filterset_class = MeetingFilterSet
    queryset = Meeting.objects.select_related("board").prefetch_related(
        Prefetch("reports", queryset=Report.objects.defer("html").order_by("-requested_at"))
    )


@document_read_viewset("reports", s.ReportSerializer)
class ReportViewSet(ReadViewSet):
    """Built committee reports and board papers; the HTML and PDF are served beside them."""

    lookup_value_regex = INT_KEY
    lookup_field = "pk"
    serializer_class = s.ReportSerializer
    filterset_class = filtersets.ReportFilterSet

    def get_queryset(self) -> Any:
        if self.action == "html":
            return Report.objects.all()
        # The HTML can be large: lists and metadata only need to know whether there is any.
        return (
            Report.objects.select_related("meeting")
            .defer("html")
            .annotate(has_html=ExpressionWrapper(~Q(html=""), output_field=BooleanField()))
        )

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The file downloads answer in their own media type; errors on them are JSON.
        return super().perform_content_negotiation(request, force=force or self.action in ("html", "pdf"))

    @extend_schema(
        summary="The report's HTML",
        parameters=READ_HEADERS,
        responses={(200, "text/html"): OpenApiTypes.STR, **NOT_MODIFIED, **errors(401, 404, 429)},
    )
    @action(detail=True, methods=["get"], url_path="html", url_name="html")
    def html(self, request: Request, pk: str | None = None) -> HttpResponse:
        report = self.get_object()
        if not report.html:
            raise exceptions.NotFound(f"This report has no HTML yet (state: {report.state}).")
        response = HttpResponse(report.html, content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="report-{report.pk}.html"'
        return response

    @extend_schema(
        summary="The report's PDF",
        parameters=[RETRY_AFTER],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **errors(401, 404, 429)},
    )
    @action(detail=True, methods=["get"], url_path="pdf", url_name="pdf")
    def pdf(self, request: Request, pk: str | None = None) -> FileResponse:
        report = self.get_object()
        if not report.pdf:
            raise exceptions.NotFound(f"This report has no PDF yet (state: {report.state}).")
        try:
            handle = report.pdf.open("rb")
        except OSError:
            raise exceptions.NotFound("The PDF file of this report is missing.") from None
        return FileResponse(handle, content_type="application/pdf", filename=f"report-{report.pk}.pdf")


# --- the sync feed ----------------------------------------------------------------------------

# The collections of the change log, in its order (``changes.RESOURCES``).
FEED_RESOURCES = [name for name, _key in changes.RESOURCES.values()]
FEED_DEFAULT_LIMIT = 100
FEED_MAX_LIMIT = 500
_CURSOR_TEXT = re.compile(r"v1:([0-9]{1,19}):([0-9]{1,19})")
_CURSOR_CHARS = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX_BIGINT = 2**63 - 1
# The OpenAPI format of a cursor: a string this feed gave out (a client cannot make one up; an
# empty one is the start). tests/api/schemathesis_hooks.py tells schemathesis how to make them.
CURSOR_FORMAT = "cursor"


def encode_cursor(txid: int, change_id: int) -> str:
    """An opaque, URL-safe cursor for the position (txid, id) in the feed."""
    return base64.urlsafe_b64encode(f"v1:{txid}:{change_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """The position a cursor stands for; an empty cursor is the start of the feed."""
    if cursor == "":
        return 0, 0
    invalid = exceptions.ValidationError({"after": ["Not a cursor this feed gave out: use next_cursor from an earlier answer."]})
    if not _CURSOR_CHARS.fullmatch(cursor):
        raise invalid
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise invalid from None
    match = _CURSOR_TEXT.fullmatch(text)
    if not match:
        raise invalid
    txid, change_id = int(match.group(1)), int(match.group(2))
    if txid > _MAX_BIGINT or change_id > _MAX_BIGINT:
        raise invalid
    return txid, change_id


def _feed_limit(request: Request) -> int:
    """``limit``: a whole number of at least 1 (the schema's ``minimum: 1``), larger values served
    as :data:`FEED_MAX_LIMIT` whatever their size; an empty value is a 400 like any other non-number."""
    raw = request.query_params.get("limit")
    if raw is None:
        return FEED_DEFAULT_LIMIT
    digits = raw.strip().lstrip("0") if re.fullmatch(r"[0-9]+", raw.strip()) else ""
    if not digits:
        raise exceptions.ValidationError({"limit": ["Give a whole number of at least 1."]})
    return min(int(digits), FEED_MAX_LIMIT) if len(digits) <= 9 else FEED_MAX_LIMIT


def _feed_resources(request: Request) -> list[str] | None:
    """``resource``, repeated for several collections (``resource=obligations&resource=actions``),
    each value one collection's name exactly as the schema lists them."""
    values = request.query_params.getlist("resource")
    if not values:
        return None
    unknown = sorted({v for v in values if v not in FEED_RESOURCES})
    if unknown:
        names = ", ".join(repr(u[:40]) for u in unknown)
        raise exceptions.ValidationError(
            {"resource": [f"Unknown resource {names}. Choose from: {', '.join(FEED_RESOURCES)} (repeat the parameter for several)."]}
        )
    return values


class ChangeFeedView(ApiViewMixin, generics.GenericAPIView):
    """``GET /api/v1/changes/?after=<cursor>``: every create, update and delete after the cursor,
    in commit order. Only changes of finished transactions are served (``changes.changes_after``),
    so following ``next_cursor`` neither misses nor repeats a change."""

    serializer_class = s.ChangeFeedSerializer
    pagination_class = None
    filter_backends: list[Any] = []
    conditional_last_modified = False
    # collection -> (route basename, URL keyword), given by the router that mounts the routes
    # (devotracker.api.urls), so that the links follow the routes as registered.
    routes: dict[str, tuple[str, str]] = {}

    @extend_schema(
        operation_id="changes_list",
        summary="The sync feed",
        description=(
            "Creates, updates and deletes (tombstones) after the cursor, in commit order. Start with no "
            "cursor (the whole history) or with /changes/head/ taken before a full pull; then send "
            "next_cursor back as after. has_more means ask again now; otherwise poll later."
        ),
        parameters=[
            OpenApiParameter(
                "after",
                {"type": "string", "format": CURSOR_FORMAT},
                description=(
                    "A cursor this feed gave out (next_cursor, or cursor from /changes/head/); anything else is a 400. "
                    "Empty or left out: the start of the feed."
                ),
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1},
                description=f"At most this many changes (default {FEED_DEFAULT_LIMIT}; larger values than {FEED_MAX_LIMIT} are served as {FEED_MAX_LIMIT}).",
            ),
            OpenApiParameter(
                "resource",
                {"type": "array", "items": {"type": "string", "enum": FEED_RESOURCES}},
                description="Only changes of these collections.",
                style="form",
                explode=True,
            ),
            IF_NONE_MATCH,
            ETAG,
            RETRY_AFTER,
        ],
        responses={200: s.ChangeFeedSerializer, **NOT_MODIFIED, **errors(400, 401, 406, 429)},
    )
    def get(self, request: Request) -> Response:
        txid, change_id = decode_cursor(request.query_params.get("after", ""))
        limit = _feed_limit(request)
        resources = _feed_resources(request)
        rows = changes.changes_after(txid, change_id, limit + 1, resources=resources)
        has_more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].txid, rows[-1].id) if rows else encode_cursor(txid, change_id)
        results = [
            {
                "resource": c.resource,
                "key": c.key,
                "op": c.op,
                "event": c.event,
                "version": c.version,
                "at": c.at,
                "url": self._url(request, c.resource, c.key),
            }
            for c in rows
        ]
        data = s.ChangeFeedSerializer({"results": results, "next_cursor": next_cursor, "has_more": has_more}).data
        return Response(data)

    def _url(self, request: Request, resource: str, key: str) -> str | None:
        route = self.routes.get(resource)
        if route is None:
            return None
        try:
            return reverse(f"api:{route[0]}-detail", kwargs={route[1]: key}, request=request)
        except NoReverseMatch:
            return None


class ChangeFeedHeadView(ApiViewMixin, generics.GenericAPIView):
    """``GET /api/v1/changes/head/``: a cursor at the feed's present position."""

    serializer_class = s.CursorSerializer
    pagination_class = None
    filter_backends: list[Any] = []
    conditional_last_modified = False

    @extend_schema(
        operation_id="changes_head",
        summary="The feed's present position",
        description="Take this cursor before a full pull of the lists, then follow /changes/?after=<cursor>: nothing is missed.",
        parameters=[IF_NONE_MATCH, ETAG, RETRY_AFTER],
        responses={200: s.CursorSerializer, **NOT_MODIFIED, **errors(401, 406, 429)},
    )
    def get(self, request: Request) -> Response:
        txid, change_id = changes.feed_head()
        return Response({"cursor": encode_cursor(txid, change_id)})
