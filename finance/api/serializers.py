"""The representations of money and estates in the partner API (issue 16), and the bodies of
their writes.

Amounts: every amount is given twice, as a string of pounds with two decimals (``"allocated":
"120000000.00"``, from :func:`finance.money.pounds_text`: no sign, no separators, no currency
symbol) for people and spreadsheets, and as whole pence (``"allocated_pence": 12000000000``) for
programs. They are the same figure; pence are exact and are what DevoTracker stores. An amount
not given is ``null`` in both. Writes take pounds only, as a JSON string of digits with at most two
decimals (``"1200.50"``); a number, a currency sign, commas or a third decimal are a 400 naming the
field.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from boards.api.serializers import BoardBriefSerializer, PartyBriefSerializer
from commitments.api.serializers import CommitmentBriefSerializer
from commitments.services import MAX_TEXT
from devotracker.api.serializers import (
    ModelSerializer,
    NoUnknownFieldsSerializer,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictIntegerField,
    UTCDateTimeField,
)
from pilots.api.serializers import BoroughBriefSerializer, PilotBriefSerializer, SubRegionSerializer

from ..figures import STREAM_OVER_ALLOCATED
from ..models import CapitalBudget, CapitalBudgetQuarter, Disposal, FundingLine, FundingStream, year_label
from ..money import AmountError, parse_pounds, pounds_text

# What a write's amount must look like: the OpenAPI pattern and the check are the same rule.
POUNDS_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
_POUNDS = re.compile(POUNDS_PATTERN)
MAX_VERSION = 2_147_483_647


# --- amounts ----------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "nullable": True, "pattern": POUNDS_PATTERN, "example": "1200.50"})
class PoundsField(serializers.Field):
    """An amount held in pence, shown as pounds with two decimals ("1200.50"), or null."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str | None:
        return None if value is None else pounds_text(value)


@extend_schema_field({"type": "string", "pattern": POUNDS_PATTERN, "example": "1200.50"})
class PoundsInputField(serializers.Field):
    """An amount to write: a JSON string of pounds with at most two decimals ("1200.50"). A JSON
    number, a currency sign, commas, spaces, a minus sign or a third decimal are refused with a
    message saying what to send."""

    default_error_messages = {
        "type": 'Give the amount as a JSON string of pounds, for example "1200.50" (not a number).',
        "null": "This amount cannot be empty.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", 'Pounds as a string with at most two decimals, for example "1200.50".')
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("type")
        if _POUNDS.fullmatch(data) is None:
            try:  # the shared parser's message says what is wrong ("£", commas, a third decimal, "-")
                parse_pounds(data)
            except AmountError as exc:
                raise serializers.ValidationError(str(exc)) from None
            raise serializers.ValidationError("Enter the amount as digits only, for example 1200.50 (no spaces).")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


# --- brief representations -------------------------------------------------------------------


class FundingStreamBriefSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:fundingstream-detail", lookup_field="slug")

    class Meta:
        model = FundingStream
        fields = ["url", "slug", "name", "kind"]


def stream_flags(stream: FundingStream) -> list[str]:
    """A stream's flags, from the line totals :func:`finance.figures.with_line_totals` annotates."""
    out = []
    allocated = getattr(stream, "lines_allocated", None)
    if stream.allocation_pence is not None and allocated is not None and allocated > stream.allocation_pence:
        out.append(STREAM_OVER_ALLOCATED)
    flagged = getattr(stream, "flagged_lines", 0) or 0
    if flagged:
        out.append(f"{flagged} of its lines do not add up." if flagged != 1 else "One of its lines does not add up.")
    return out


def budget_flags(budget: CapitalBudget) -> list[str]:
    return budget.flags(list(budget.quarters.all()))


def disposal_flags(disposal: Disposal) -> list[str]:
    if disposal.status == Disposal.Status.COMPLETED and disposal.actual_receipt_pence is None:
        return ["Completed, but no realised receipt is recorded."]
    return []


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class FlagsField(serializers.Field):
    """What does not add up, for people; empty when the record is consistent."""

    def __init__(self, of: Any, **kwargs: Any) -> None:
        self.of = of
        kwargs.update(read_only=True, source="*")
        kwargs.setdefault("help_text", "What does not add up, for people (empty when consistent). Flagged records are kept, not refused.")
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> list[str]:
        return list(self.of(value))


@extend_schema_field(OpenApiTypes.STR)
class YearLabelField(serializers.Field):
    """The financial year as people write it: 2018 → "2018/19"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(read_only=True, source="financial_year")
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return year_label(value)


# --- funding streams ---------------------------------------------------------------------------


class FundingStreamSerializer(ModelSerializer):
    """A source of money (transformation funding, a capital programme, a grant), keyed by ``slug``.
    ``allocation`` / ``allocation_pence``: the whole allocation where a source gives one, and
    ``allocation_source`` says which; ``lines_*``: the totals of its lines. Flagged when its lines
    allocate more than its allocation."""

    url = serializers.HyperlinkedIdentityField(view_name="api:fundingstream-detail", lookup_field="slug")
    allocation = PoundsField(source="allocation_pence", help_text="The whole allocation, pounds (null: not given).")
    allocation_pence = serializers.IntegerField(read_only=True, allow_null=True, help_text="The same, in pence.")
    keeper = BoardBriefSerializer(read_only=True, allow_null=True, help_text="The board whose secretariat keeps the stream.")
    commitments = CommitmentBriefSerializer(many=True, read_only=True, help_text="The commitments it funds.")
    lines_allocated = PoundsField(help_text="The total allocated by its lines, pounds.")
    lines_allocated_pence = serializers.IntegerField(source="lines_allocated", read_only=True)
    lines_committed = PoundsField(help_text="The total committed by its lines, pounds.")
    lines_committed_pence = serializers.IntegerField(source="lines_committed", read_only=True)
    lines_spent = PoundsField(help_text="The total spent by its lines, pounds.")
    lines_spent_pence = serializers.IntegerField(source="lines_spent", read_only=True)
    line_count = serializers.IntegerField(read_only=True)
    flags = FlagsField(stream_flags)
    created_at = UTCDateTimeField(read_only=True)
    updated_at = UTCDateTimeField(read_only=True)

    class Meta:
        model = FundingStream
        fields = [
            "url",
            "slug",
            "name",
            "kind",
            "description",
            "allocation",
            "allocation_pence",
            "allocation_source",
            "keeper",
            "commitments",
            "lines_allocated",
            "lines_allocated_pence",
            "lines_committed",
            "lines_committed_pence",
            "lines_spent",
            "lines_spent_pence",
            "line_count",
            "flags",
            "version",
            "is_demo",
            "created_at",
            "updated_at",
        ]


# --- funding lines -----------------------------------------------------------------------------


class FundingLineSerializer(ModelSerializer):
    """One line of a stream: allocated, committed and spent (pounds and pence), for a party, a
    pilot and/or a sub-region, in a financial year (``financial_year``: the year it starts in,
    2018 for 2018/19) and quarter (1 = April to June; null: the whole year). Flagged when
    committed is above allocated or spent above committed."""

    url = serializers.HyperlinkedIdentityField(view_name="api:fundingline-detail")
    stream = FundingStreamBriefSerializer(read_only=True)
    party = PartyBriefSerializer(read_only=True, allow_null=True)
    pilot = PilotBriefSerializer(read_only=True, allow_null=True)
    sub_region = SubRegionSerializer(read_only=True, allow_null=True)
    financial_year_label = YearLabelField()
    allocated = PoundsField(source="allocated_pence", help_text="Allocated, pounds.")
    committed = PoundsField(source="committed_pence", help_text="Committed, pounds.")
    spent = PoundsField(source="spent_pence", help_text="Spent, pounds.")
    commitments = CommitmentBriefSerializer(many=True, read_only=True, help_text="The commitments it funds.")
    flags = FlagsField(lambda line: line.flags)
    created_at = UTCDateTimeField(read_only=True)
    updated_at = UTCDateTimeField(read_only=True)

    class Meta:
        model = FundingLine
        fields = [
            "url",
            "id",
            "stream",
            "description",
            "party",
            "pilot",
            "sub_region",
            "financial_year",
            "financial_year_label",
            "quarter",
            "allocated",
            "allocated_pence",
            "committed",
            "committed_pence",
            "spent",
            "spent_pence",
            "commitments",
            "flags",
            "version",
            "is_demo",
            "created_at",
            "updated_at",
        ]


# --- capital budgets ----------------------------------------------------------------------------


class CapitalBudgetQuarterSerializer(serializers.ModelSerializer):
    planned = PoundsField(source="planned_pence", help_text="Profiled spend, pounds.")
    spent = PoundsField(source="spent_pence", help_text="Spent, pounds.")

    class Meta:
        model = CapitalBudgetQuarter
        fields = ["quarter", "planned", "planned_pence", "spent", "spent_pence"]


class CapitalBudgetSerializer(ModelSerializer):
    """A year's capital budget, keyed by its financial year, with its spending profile by quarter.
    Flagged when the profile is not the budget plus its retained receipts, or a quarter's spend is
    above its profile."""

    url = serializers.HyperlinkedIdentityField(view_name="api:capitalbudget-detail", lookup_field="financial_year")
    financial_year_label = YearLabelField()
    amount = PoundsField(source="amount_pence", help_text="The year's capital budget, pounds.")
    retained_receipts = PoundsField(source="retained_receipts_pence", help_text="Retained receipts profiled for this year, pounds.")
    keeper = BoardBriefSerializer(read_only=True, allow_null=True)
    quarters = CapitalBudgetQuarterSerializer(many=True, read_only=True)
    flags = FlagsField(budget_flags)
    created_at = UTCDateTimeField(read_only=True)
    updated_at = UTCDateTimeField(read_only=True)

    class Meta:
        model = CapitalBudget
        fields = [
            "url",
            "financial_year",
            "financial_year_label",
            "amount",
            "amount_pence",
            "retained_receipts",
            "retained_receipts_pence",
            "notes",
            "keeper",
            "quarters",
            "flags",
            "version",
            "is_demo",
            "created_at",
            "updated_at",
        ]


# --- disposals ----------------------------------------------------------------------------------


class DisposalSerializer(ModelSerializer):
    """A disposal of an NHS site: where, whose (``owner``), how far it has got (``status``), the
    receipt expected and realised (the actual receipt only once completed), the share retained in
    London (``retained``: that share of the realised receipt, else of the expected one), the
    board's recommendation on the receipt's use and the decision."""

    url = serializers.HyperlinkedIdentityField(view_name="api:disposal-detail")
    borough = BoroughBriefSerializer(read_only=True)
    sub_region = SubRegionSerializer(read_only=True)
    owner = PartyBriefSerializer(read_only=True, help_text="The NHS body that owns the site.")
    expected_receipt = PoundsField(source="expected_receipt_pence", help_text="Expected receipt, pounds.")
    actual_receipt = PoundsField(source="actual_receipt_pence", help_text="Realised receipt, pounds (completed disposals only).")
    retained = PoundsField(source="retained_pence", help_text="The part of the receipt retained in London, pounds.")
    retained_pence = serializers.IntegerField(read_only=True, allow_null=True)
    recommended_by = BoardBriefSerializer(read_only=True, allow_null=True)
    commitments = CommitmentBriefSerializer(many=True, read_only=True)
    flags = FlagsField(disposal_flags)
    created_at = UTCDateTimeField(read_only=True)
    updated_at = UTCDateTimeField(read_only=True)

    class Meta:
        model = Disposal
        fields = [
            "url",
            "id",
            "site",
            "borough",
            "sub_region",
            "owner",
            "status",
            "expected_receipt",
            "expected_receipt_pence",
            "actual_receipt",
            "actual_receipt_pence",
            "retained_share_percent",
            "retained",
            "retained_pence",
            "recommendation",
            "recommended_by",
            "recommended_on",
            "decision",
            "decided_on",
            "completed_on",
            "commitments",
            "flags",
            "version",
            "is_demo",
            "created_at",
            "updated_at",
        ]


# --- writes ------------------------------------------------------------------------------------


def _text(max_length: int = MAX_TEXT, **kwargs: Any) -> StrictCharField:
    kwargs.setdefault("required", False)
    return StrictCharField(max_length=max_length, allow_blank=True, trim_whitespace=False, **kwargs)


def _key(max_length: int, help_text: str, **kwargs: Any) -> StrictCharField:
    kwargs.setdefault("required", False)
    return StrictCharField(max_length=max_length, help_text=help_text, **kwargs)


def _refs() -> serializers.ListField:
    return serializers.ListField(
        child=StrictCharField(max_length=12), required=False, max_length=100, help_text="Commitment refs (replaces the list)."
    )


REASON_HELP = "Why (required): recorded in the record's history."
VERSION_HELP = "The version you saw (409 with the current record on a mismatch)."


class _Body(NoUnknownFieldsSerializer):
    reason = StrictCharField(max_length=MAX_TEXT, trim_whitespace=False, help_text=REASON_HELP)


class _UpdateBody(_Body):
    version = StrictIntegerField(min_value=1, max_value=MAX_VERSION, help_text=VERSION_HELP)


class FundingStreamCreateSerializer(_Body):
    """``POST /funding-streams/``: a new stream (administrators, or a secretariat for a stream its own board keeps)."""

    slug = StrictCharField(max_length=80, help_text="Lower-case letters, digits and hyphens; the stream's key.")
    name = StrictCharField(max_length=200)
    kind = StrictChoiceField(choices=FundingStream.Kind.choices)
    description = _text()
    allocation = PoundsInputField(required=False, allow_null=True)
    allocation_source = _text()
    keeper = _key(16, "The keeper board's code, e.g. SPB.", allow_null=True)
    commitments = _refs()


class FundingStreamUpdateSerializer(_UpdateBody):
    """``PATCH /funding-streams/{slug}/``: only the fields given change (the slug never does)."""

    name = StrictCharField(max_length=200, required=False)
    kind = StrictChoiceField(choices=FundingStream.Kind.choices, required=False)
    description = _text()
    allocation = PoundsInputField(required=False, allow_null=True)
    allocation_source = _text()
    keeper = _key(16, "The keeper board's code (administrators only for another board).", allow_null=True)
    commitments = _refs()


class _LineFields(serializers.Serializer):
    description = StrictCharField(max_length=300, required=False)
    party = _key(80, "The party's slug.", allow_null=True)
    pilot = _key(80, "The pilot's slug.", allow_null=True)
    sub_region = _key(80, "The sub-region's slug.", allow_null=True)
    financial_year = StrictIntegerField(min_value=2000, max_value=2100, required=False, help_text="2018 for 2018/19.")
    quarter = StrictIntegerField(
        min_value=1, max_value=4, required=False, allow_null=True, help_text="1 (April to June) to 4; null: the year."
    )
    allocated = PoundsInputField(required=False)
    committed = PoundsInputField(required=False)
    spent = PoundsInputField(required=False)
    commitments = _refs()


class FundingLineCreateSerializer(_LineFields, _Body):
    """``POST /funding-lines/``: a new line of a stream (its keeper's secretariat, or an administrator)."""

    stream = StrictCharField(max_length=80, help_text="The stream's slug.")
    description = StrictCharField(max_length=300)
    financial_year = StrictIntegerField(min_value=2000, max_value=2100, help_text="2018 for 2018/19.")
    allocated = PoundsInputField()
    committed = PoundsInputField()
    spent = PoundsInputField()


class FundingLineUpdateSerializer(_LineFields, _UpdateBody):
    """``PATCH /funding-lines/{id}/``: only the fields given change. Officers of the line's party
    may change the amounts only; its stream never changes."""


class QuarterInputSerializer(NoUnknownFieldsSerializer):
    quarter = StrictIntegerField(min_value=1, max_value=4)
    planned = PoundsInputField()
    spent = PoundsInputField()


class _BudgetFields(serializers.Serializer):
    amount = PoundsInputField(required=False)
    retained_receipts = PoundsInputField(required=False)
    notes = _text()
    keeper = _key(16, "The keeper board's code (the London Estates Board's, LEB, when not given).", allow_null=True)
    quarters = QuarterInputSerializer(many=True, required=False, help_text="The profile: quarters given are set, others kept.")


class CapitalBudgetCreateSerializer(_BudgetFields, _Body):
    """``POST /capital-budgets/``: a year's budget (the London Estates Board's secretariat)."""

    financial_year = StrictIntegerField(min_value=2000, max_value=2100, help_text="2018 for 2018/19.")
    amount = PoundsInputField()
    retained_receipts = PoundsInputField(required=False)


class CapitalBudgetUpdateSerializer(_BudgetFields, _UpdateBody):
    """``PATCH /capital-budgets/{financial_year}/``: the fields given, and the quarters given."""


class _DisposalFields(serializers.Serializer):
    site = StrictCharField(max_length=200, required=False)
    borough = _key(80, "The borough's slug.")
    sub_region = _key(80, "The sub-region's slug: the borough's own (taken from the borough when not given).", allow_null=True)
    owner = _key(80, "The owning NHS body's party slug.")
    status = StrictChoiceField(choices=Disposal.Status.choices, required=False)
    expected_receipt = PoundsInputField(required=False, allow_null=True)
    actual_receipt = PoundsInputField(required=False, allow_null=True, help_text="Pounds; only on a completed disposal.")
    retained_share_percent = StrictIntegerField(min_value=0, max_value=100, required=False, allow_null=True)
    recommendation = _text()
    recommended_by = _key(16, "The recommending board's code (LEB or a sub-regional board).", allow_null=True)
    recommended_on = StrictDateField(required=False, allow_null=True)
    decision = _text()
    decided_on = StrictDateField(required=False, allow_null=True)
    completed_on = StrictDateField(required=False, allow_null=True)
    commitments = _refs()


class DisposalCreateSerializer(_DisposalFields, _Body):
    """``POST /disposals/``: a new disposal (the London Estates Board's secretariat)."""

    site = StrictCharField(max_length=200)
    borough = StrictCharField(max_length=80, help_text="The borough's slug.")
    owner = StrictCharField(max_length=80, help_text="The owning NHS body's party slug.")


class DisposalUpdateSerializer(_DisposalFields, _UpdateBody):
    """``PATCH /disposals/{id}/``: only the fields given change. Officers of the owner may change
    the status, the receipts and the completion date only."""


def service_data(body: serializers.Serializer) -> tuple[dict[str, Any], str, int | None]:
    """(the fields to write, the reason, the version) from a validated write body."""
    data = dict(body.validated_data)
    reason = data.pop("reason", "")
    version = data.pop("version", None)
    if "quarters" in data:
        data["quarters"] = [dict(q) for q in data["quarters"]]
    return data, reason, version
