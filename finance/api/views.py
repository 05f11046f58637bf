"""``/api/v1/funding-streams/``, ``funding-lines/``, ``capital-budgets/`` and ``disposals/``
(issue 16): money and estates for partners.

Reads: like every collection (filters from :mod:`finance.filtersets`, ``ordering``, pagination,
``?format=csv``, conditional requests), each list in a fixed number of queries. Writes: ``POST``
on a collection creates, ``PATCH`` on an item changes the fields given; both take JSON bodies
whose unknown fields are refused, amounts as strings of pounds, and a ``reason``; a ``PATCH``
needs the ``version`` the writer saw (409 with the record as it is now on a mismatch). They go
through :mod:`finance.services`, exactly as the browser forms and the spreadsheet import do:
403 for a role that may not write it (a read-only token first), 400 with field messages for bad
input, nothing saved either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from commitments.models import Commitment
from devotracker.api.errors import VersionConflict, refuse_large_body
from devotracker.api.permissions import TokenScopeAllowsWrite
from devotracker.api.renderers import JSONParser
from devotracker.api.schema import RETRY_AFTER, conflict_serializer, created_location, document_read_viewset, errors
from devotracker.api.throttling import TokenRateThrottle, TokenWriteRateThrottle
from devotracker.api.viewsets import INT_KEY, ReadViewSet

from .. import filtersets, services
from ..figures import with_line_totals
from ..models import CapitalBudget, CapitalBudgetQuarter, Disposal, FinanceUpdate, FundingLine, FundingStream
from . import schema as _bodies  # noqa: F401  # registers the write bodies' schema extensions
from . import serializers as s

MAX_WRITE_BODY = 64 * 1024
_COMMITMENTS = Prefetch("commitments", queryset=Commitment.objects.only("id", "ref", "title").order_by("ref"))


def _write(call: Any) -> services.Saved:
    """Run a service write, turning its refusals into the API's answers."""
    try:
        return call()
    except services.NotAllowed as exc:
        raise exceptions.PermissionDenied(exc.message) from None
    except services.InvalidUpdate as exc:
        raise exceptions.ValidationError(exc.errors or {"non_field_errors": [exc.message]}) from None


class FinanceWriteMixin:
    """``POST`` (create) and ``PATCH`` (change) through :mod:`finance.services`."""

    create_body: Any
    update_body: Any
    # The services that write: ``create_record(by=, data=, reason=, source=)`` and
    # ``update_record(record, by=, version=, data=, reason=, source=)``.
    create_record: Callable[..., services.Saved]
    update_record: Callable[..., services.Saved]

    def _represent(self, record: Any) -> Any:
        """The record as it is now in the database, as the collection represents it."""
        view: Any = self
        return view.get_serializer_class()(view.get_queryset().get(pk=record.pk), context=view.get_serializer_context()).data

    def _answer(self, record: Any, code: int) -> Response:
        data = self._represent(record)
        headers = {"Location": str(data["url"])} if code == status.HTTP_201_CREATED else {}
        return Response(data, status=code, headers=headers)

    def _body(self, request: Request, serializer_class: Any) -> tuple[dict[str, Any], str, int | None]:
        refuse_large_body(request, MAX_WRITE_BODY)
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        return s.service_data(body)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data, reason, _version = self._body(request, self.create_body)
        saved = _write(lambda: self.create_record(by=request.user, data=data, reason=reason, source=FinanceUpdate.Source.API))
        return self._answer(saved.record, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        record = view.get_object()
        # Roles before the body: a caller who may not change this learns only that.
        if not services.can_update(request.user, record):
            raise exceptions.PermissionDenied("Your roles do not allow you to change this.")
        data, reason, version = self._body(request, self.update_body)
        try:
            saved = _write(
                lambda: self.update_record(
                    record, by=request.user, version=version, data=data, reason=reason, source=FinanceUpdate.Source.API
                )
            )
        except services.VersionConflict as exc:
            raise VersionConflict(exc.message, extra={"current": self._represent(record)}) from None
        return self._answer(saved.record, status.HTTP_200_OK)


class FinanceViewSet(FinanceWriteMixin, ReadViewSet):
    """A finance collection: read like every other, written through the services."""

    permission_classes = [*ReadViewSet.permission_classes, TokenScopeAllowsWrite]
    throttle_classes = [TokenRateThrottle, TokenWriteRateThrottle]
    parser_classes = [JSONParser]


def document_writes(resource: str, rules: str) -> Any:
    """``extend_schema`` for a collection's ``create`` and ``partial_update``: its bodies and its
    representation are the viewset's ``create_body``, ``update_body`` and ``serializer_class``."""
    common = (
        'Amounts are JSON strings of pounds with at most two decimals ("1200.50"); a number, a currency sign, commas or a '
        "third decimal is a 400 naming the field. A reason is required and kept in the record's history. Totals that do not "
        "add up are saved and flagged (flags), never refused. "
    )

    def decorate(viewset: Any) -> Any:
        representation, create_body, update_body = viewset.serializer_class, viewset.create_body, viewset.update_body
        conflict = conflict_serializer(f"{representation.Meta.model.__name__}Conflict", representation)

        # Each collection its own methods: drf-spectacular keeps the schema on the function.
        def create(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            return FinanceWriteMixin.create(self, request, *args, **kwargs)

        def partial_update(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            return FinanceWriteMixin.partial_update(self, request, *args, **kwargs)

        viewset.create = extend_schema(
            summary=f"Add one of the {resource}",
            description=common + rules,
            request=create_body,
            parameters=[created_location("The record just added."), RETRY_AFTER],
            responses={201: representation, **errors(400, 401, 403, 413, 415, 429)},
        )(create)
        viewset.partial_update = extend_schema(
            summary=f"Change one of the {resource}",
            description=common + 'Only the fields given change. Send the version you saw as "version": a mismatch is a 409 '
            "whose current holds the record as it is now. " + rules,
            request=update_body,
            parameters=[RETRY_AFTER],
            responses={
                200: representation,
                **errors(400, 401, 403, 404),
                409: OpenApiResponse(conflict, description="Version conflict: current holds the record as it is now."),
                **errors(413, 415, 429),
            },
        )(partial_update)
        return viewset

    return decorate


@document_writes(
    "funding streams",
    "Administrators, or the secretariat of the stream's keeper board (a secretariat adds streams its own board keeps).",
)
@document_read_viewset("funding streams", s.FundingStreamSerializer, key="slug")
class FundingStreamViewSet(FinanceViewSet):
    """Sources of money, keyed by ``slug``, with their lines' totals."""

    lookup_field = "slug"
    serializer_class = s.FundingStreamSerializer
    filterset_class = filtersets.FundingStreamFilterSet
    create_body = s.FundingStreamCreateSerializer
    update_body = s.FundingStreamUpdateSerializer
    create_record = staticmethod(services.create_stream)
    update_record = staticmethod(services.update_stream)

    def get_queryset(self) -> Any:
        return with_line_totals(FundingStream.objects.select_related("keeper").prefetch_related(_COMMITMENTS)).order_by("name", "pk")


@document_writes(
    "funding lines",
    "The secretariat of the stream's keeper board, or an administrator; officers of the line's party may change its "
    "amounts (allocated, committed, spent) only (403 for any other field). The stream of a line never changes.",
)
@document_read_viewset("funding lines", s.FundingLineSerializer)
class FundingLineViewSet(FinanceViewSet):
    """The lines of every stream: allocated, committed and spent, by party, pilot, sub-region and period."""

    lookup_value_regex = INT_KEY
    lookup_field = "pk"
    serializer_class = s.FundingLineSerializer
    filterset_class = filtersets.FundingLineFilterSet
    create_body = s.FundingLineCreateSerializer
    update_body = s.FundingLineUpdateSerializer
    create_record = staticmethod(services.create_line)
    update_record = staticmethod(services.update_line)

    def get_queryset(self) -> Any:
        return (
            FundingLine.objects.select_related("stream", "party", "pilot", "sub_region")
            .prefetch_related(_COMMITMENTS)
            .order_by("stream__name", "financial_year", "quarter", "pk")
        )


@document_writes(
    "capital budgets",
    "The London Estates Board's secretariat, or an administrator. quarters sets the profile's quarters given.",
)
@document_read_viewset("capital budgets", s.CapitalBudgetSerializer, key="financial_year")
class CapitalBudgetViewSet(FinanceViewSet):
    """Each year's capital budget, keyed by its financial year (2018 for 2018/19), with its profile."""

    lookup_field = "financial_year"
    lookup_value_regex = "[0-9]{1,4}"
    serializer_class = s.CapitalBudgetSerializer
    filterset_class = filtersets.CapitalBudgetFilterSet
    create_body = s.CapitalBudgetCreateSerializer
    update_body = s.CapitalBudgetUpdateSerializer
    create_record = staticmethod(services.create_budget)
    update_record = staticmethod(services.update_budget)

    def get_queryset(self) -> Any:
        return (
            CapitalBudget.objects.select_related("keeper")
            .prefetch_related(Prefetch("quarters", queryset=CapitalBudgetQuarter.objects.order_by("quarter")))
            .order_by("-financial_year", "pk")
        )


@document_writes(
    "disposals",
    "The London Estates Board's secretariat, or an administrator; officers of the owning NHS body may change the status, "
    "the receipts and the completion date only (403 for any other field). An actual receipt only on a completed "
    "disposal; the sub-region must be the borough's; the status moves forward, back one step, or to withdrawn (a "
    "completed disposal is final); each refusal is a 400 naming the field.",
)
@document_read_viewset("disposals", s.DisposalSerializer)
class DisposalViewSet(FinanceViewSet):
    """Disposals of NHS sites: status, receipts expected and realised, the share retained, the
    recommendation and the decision."""

    lookup_value_regex = INT_KEY
    lookup_field = "pk"
    serializer_class = s.DisposalSerializer
    filterset_class = filtersets.DisposalFilterSet
    create_body = s.DisposalCreateSerializer
    update_body = s.DisposalUpdateSerializer
    create_record = staticmethod(services.create_disposal)
    update_record = staticmethod(services.update_disposal)

    def get_queryset(self) -> Any:
        return (
            Disposal.objects.select_related("borough", "sub_region", "owner", "recommended_by")
            .prefetch_related(_COMMITMENTS)
            .order_by("sub_region__name", "borough__name", "site", "pk")
        )
