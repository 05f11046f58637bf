"""Representations of the partner API (DESIGN.md §6): one output serializer per resource, slim
"brief" variants for nesting, and one explicit input serializer for the write endpoint.

Conventions every representation follows:

- ``url`` is the resource's own absolute link; nested references carry their key and ``url``.
- Datetimes are ISO 8601 in UTC with ``Z`` (:class:`UTCDateTimeField`), whatever the server's
  time zone (Europe/London); dates are ``YYYY-MM-DD``.
- Trackable items (commitments, obligations, actions) carry ``status``, ``rag``, ``progress``,
  ``version``, ``due_date``, ``overdue`` (computed from dates on the London calendar by the
  querysets' ``with_overdue``), ``overdue_since`` and ``updated_at``. A commitment shows its
  *shown* state (the secretariat's assessment when one is recorded, else the roll-up of its
  obligations) with both parts in ``assessment`` and ``rollup``.

The viewsets' querysets (``for_api`` methods) join and prefetch everything these serializers
read, so a page costs the same number of queries whatever its size.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from boards.api.serializers import BoardBriefSerializer, MeetingBriefSerializer, PartyBriefSerializer
from boards.models import Meeting
from devotracker.api.serializers import (
    HistoryLinkField,
    ModelSerializer,
    NoUnknownFieldsSerializer,
    PartSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictIntegerField,
    UserBriefSerializer,
    UTCDateTimeField,
    link,
    list_link,
)
from pilots.models import Pilot

from ..models import (
    Action,
    Agreement,
    Change,
    Citation,
    Commitment,
    CommitmentPilot,
    Dependency,
    Obligation,
    Report,
    Status,
    StatusUpdate,
    Theme,
)
from ..services import MAX_EVIDENCE_ITEMS, MAX_EVIDENCE_LENGTH, MAX_TEXT

# RAG as partners see it: "" (not yet assessed) or a colour. The model's choices carry None for
# the empty choice (a TextChoices ``__empty__``), which is not a value the API ever sends.
RAG_CHOICES = [("", "Not assessed"), ("red", "Red"), ("amber", "Amber"), ("green", "Green")]

# --- fields -----------------------------------------------------------------------------------


# --- brief references (nesting) ---------------------------------------------------------------


class ThemeBriefSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:theme-detail", lookup_field="slug")

    class Meta:
        model = Theme
        fields = ["url", "slug", "name"]


class AgreementBriefSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:agreement-detail", lookup_field="slug")

    class Meta:
        model = Agreement
        fields = ["url", "slug", "short_name"]


class CommitmentBriefSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:commitment-detail", lookup_field="ref")

    class Meta:
        model = Commitment
        fields = ["url", "ref", "title"]


class ObligationBriefSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:obligation-detail")
    party = PartyBriefSerializer(read_only=True)

    class Meta:
        model = Obligation
        fields = ["url", "id", "party"]


class ActionBriefSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:action-detail")

    class Meta:
        model = Action
        fields = ["url", "id"]


class ReportBriefSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:report-detail")

    class Meta:
        model = Report
        fields = ["url", "id", "kind", "state"]


# --- the two ratings (issue 15) -------------------------------------------------------------------

RATING_SOURCES = [("assurance", "The assurance rating"), ("self", "The self-assessed rating")]


class AssuranceSerializer(serializers.Serializer):
    """The assurance rating: given by the lead board's secretariat (Leaders' Committee's where no
    board leads), with who gave it, when and why; ``rag`` is "" until one is given (or once cleared)."""

    rag = serializers.ChoiceField(source="assurance_rag", choices=RAG_CHOICES, read_only=True, allow_blank=True)
    by = serializers.CharField(source="assurance_by.username", read_only=True, allow_null=True, help_text="Username of who gave it.")
    at = UTCDateTimeField(source="assurance_at", read_only=True, allow_null=True)
    reason = serializers.CharField(source="assurance_reason", read_only=True)


class RatingsMixin(serializers.Serializer):
    """The two ratings of a commitment or an obligation, and which one roll-ups and reports use."""

    self_assessed_rag = serializers.ChoiceField(
        choices=RAG_CHOICES, read_only=True, allow_blank=True, help_text="The owner's rating (a commitment's: its shown RAG)."
    )
    assurance_rag = serializers.ChoiceField(choices=RAG_CHOICES, read_only=True, allow_blank=True, help_text="The assurance rating.")
    assurance = AssuranceSerializer(source="*", read_only=True)
    rating_used = serializers.ChoiceField(
        choices=RAG_CHOICES,
        read_only=True,
        allow_blank=True,
        help_text="The assurance rating where one is given, else the self-assessed one.",
    )
    rating_source = serializers.ChoiceField(choices=RATING_SOURCES, read_only=True, help_text="Which rating rating_used is.")
    ratings_disagree = serializers.BooleanField(
        read_only=True, help_text="An assurance rating is given and differs from the self-assessed one."
    )

    RATING_FIELDS = ["self_assessed_rag", "assurance_rag", "assurance", "rating_used", "rating_source", "ratings_disagree"]


# --- dependencies (issue 15) ---------------------------------------------------------------------


class WaitingOnSerializer(serializers.ModelSerializer):
    """Something an item waits on: a commitment (its ref) or an action (its id); ``url`` is the
    dependency itself (``/api/v1/dependencies/{id}/``)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:dependency-detail")
    commitment = serializers.CharField(
        source="prerequisite_commitment.ref", read_only=True, allow_null=True, help_text="The commitment waited on (ref), or null."
    )
    action = serializers.IntegerField(
        source="prerequisite_action_id", read_only=True, allow_null=True, help_text="The action waited on (id), or null."
    )

    class Meta:
        model = Dependency
        fields = ["url", "id", "commitment", "action"]


class HoldingUpSerializer(serializers.ModelSerializer):
    """Something an item holds up (that waits on it): a commitment (its ref) or an action (its id)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:dependency-detail")
    commitment = serializers.CharField(
        source="commitment.ref", read_only=True, allow_null=True, help_text="The waiting commitment (ref), or null."
    )
    action = serializers.IntegerField(source="action_id", read_only=True, allow_null=True, help_text="The waiting action (id), or null.")

    class Meta:
        model = Dependency
        fields = ["url", "id", "commitment", "action"]


class DependentsMixin(serializers.Serializer):
    """``at_risk``, ``waiting_on`` and ``holding_up`` of a commitment or an action."""

    at_risk = serializers.BooleanField(
        read_only=True, help_text="Open, and waiting on something overdue, not pursued or rated red (see waiting_on)."
    )
    waiting_on = WaitingOnSerializer(source="waiting_on_links", many=True, read_only=True)
    holding_up = HoldingUpSerializer(source="holding_up_links", many=True, read_only=True)

    DEPENDENCY_FIELDS = ["at_risk", "waiting_on", "holding_up"]


# --- trackable state ----------------------------------------------------------------------------


class _TrackedSerializer(ModelSerializer):
    """State fields shared by obligations and actions (their own state: no roll-up)."""

    rag = serializers.ChoiceField(choices=RAG_CHOICES, read_only=True, allow_blank=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True, help_text="Due before today (London) and still open.")
    owner = UserBriefSerializer(read_only=True, allow_null=True)

    STATE_FIELDS = ["status", "rag", "progress", "version", "due_date", "overdue", "overdue_since", "updated_at"]


class PreviousStateSerializer(PartSerializer):
    """The item's state in the closed reporting period named by ``?compare_to=`` (lists only): null
    without it, and for an item the period's snapshot does not hold."""

    present_if = "previous_status"

    status = serializers.ChoiceField(source="previous_status", choices=Status.choices, read_only=True)
    rag = serializers.ChoiceField(source="previous_rag", choices=RAG_CHOICES, read_only=True, allow_blank=True)
    progress = serializers.IntegerField(source="previous_progress", read_only=True)
    due_date = serializers.DateField(source="previous_due_date", read_only=True, allow_null=True)
    overdue = serializers.BooleanField(source="previous_overdue", read_only=True, help_text="Overdue on the snapshot's day.")


class ActionSummarySerializer(_TrackedSerializer):
    """An action as listed under its obligation."""

    url = serializers.HyperlinkedIdentityField(view_name="api:action-detail")

    class Meta:
        model = Action
        fields = ["url", "id", "description", "owner", *_TrackedSerializer.STATE_FIELDS]


class ObligationSummarySerializer(_TrackedSerializer):
    """An obligation as listed under its commitment: the party and its state."""

    url = serializers.HyperlinkedIdentityField(view_name="api:obligation-detail")
    party = PartyBriefSerializer(read_only=True)

    class Meta:
        model = Obligation
        fields = ["url", "id", "party", "owner", *_TrackedSerializer.STATE_FIELDS]


class ObligationSerializer(RatingsMixin, _TrackedSerializer):
    """What one party owes under one commitment, with its actions and its two ratings."""

    url = serializers.HyperlinkedIdentityField(view_name="api:obligation-detail")
    commitment = CommitmentBriefSerializer(read_only=True)
    party = PartyBriefSerializer(read_only=True)
    previous = PreviousStateSerializer(source="*", read_only=True, allow_null=True)
    actions = ActionSummarySerializer(many=True, read_only=True)
    updates_url = HistoryLinkField("statusupdate-list", "obligation", source="pk", help_text="This obligation's status history.")

    class Meta:
        model = Obligation
        fields = [
            "url",
            "id",
            "commitment",
            "party",
            "owner",
            *_TrackedSerializer.STATE_FIELDS,
            *RatingsMixin.RATING_FIELDS,
            "created_at",
            "is_demo",
            "previous",
            "actions",
            "updates_url",
        ]


class ActionSerializer(DependentsMixin, _TrackedSerializer):
    """A dated step under an obligation, with what it waits on and holds up."""

    url = serializers.HyperlinkedIdentityField(view_name="api:action-detail")
    obligation = ObligationBriefSerializer(read_only=True)
    commitment = CommitmentBriefSerializer(source="obligation.commitment", read_only=True)
    updates_url = HistoryLinkField("statusupdate-list", "action", source="pk", help_text="This action's status history.")

    class Meta:
        model = Action
        fields = [
            "url",
            "id",
            "obligation",
            "commitment",
            "description",
            "owner",
            *_TrackedSerializer.STATE_FIELDS,
            "original_due_date",
            "completed_date",
            "created_at",
            "is_demo",
            *DependentsMixin.DEPENDENCY_FIELDS,
            "updates_url",
        ]


class AssessmentSerializer(PartSerializer):
    """The lead board secretariat's recorded assessment of a commitment (null until one is)."""

    present_if = "is_assessed"

    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    rag = serializers.ChoiceField(choices=RAG_CHOICES, read_only=True, allow_blank=True)
    progress = serializers.IntegerField(read_only=True)
    assessed_at = UTCDateTimeField(read_only=True)
    assessed_by = UserBriefSerializer(read_only=True, allow_null=True)


class RollupSerializer(serializers.Serializer):
    """The roll-up of a commitment's obligations (RAG the worst, progress the mean)."""

    status = serializers.ChoiceField(source="rollup_status", choices=Status.choices, read_only=True)
    rag = serializers.ChoiceField(source="rollup_rag", choices=RAG_CHOICES, read_only=True, allow_blank=True)
    progress = serializers.IntegerField(source="rollup_progress", read_only=True)


class CommitmentPilotSerializer(serializers.ModelSerializer):
    """A pilot a commitment concerns, with how sure the sources are of the link."""

    url: serializers.HyperlinkedRelatedField[Pilot] = serializers.HyperlinkedRelatedField(
        source="pilot", view_name="api:pilot-detail", lookup_field="slug", read_only=True
    )
    slug = serializers.CharField(source="pilot.slug", read_only=True)
    name = serializers.CharField(source="pilot.name", read_only=True)

    class Meta:
        model = CommitmentPilot
        fields = ["url", "slug", "name", "basis"]


class CitationSerializer(serializers.ModelSerializer):
    """A source passage of a commitment, as people cite it (``reference``, built from the
    document's title, publisher and date and the passage's ``location``, with a ``url`` where the
    document is published), and as the inventory traces it (``document``: the source's file name,
    ``lines``: line numbers in it; for reconciliation, not for display)."""

    reference = serializers.CharField(
        read_only=True,
        help_text="The citation as a person writes it: publisher, 'title', date, location. Never a file name or code.",
    )
    document_date = serializers.DateField(read_only=True, allow_null=True, help_text="The document's date (see document_date_precision).")
    document_date_precision = serializers.CharField(read_only=True, help_text='"day", "month" or "year" (the date is its first day).')
    url = serializers.CharField(read_only=True, help_text="Where the document is published; empty when no public copy is known.")
    title = serializers.CharField(source="document_title", read_only=True, help_text="Same as document_title (kept for existing clients).")

    class Meta:
        model = Citation
        fields = [
            "reference",
            "document_title",
            "publisher",
            "document_kind",
            "document_date",
            "document_date_precision",
            "location",
            "url",
            "quote",
            "document",
            "lines",
            "title",
        ]


class CommitmentSerializer(DependentsMixin, RatingsMixin, ModelSerializer):
    """A commitment of the inventory, keyed by ``ref``, with its obligations.

    ``status``/``rag``/``progress`` are the shown state (DESIGN.md §10); ``assessment`` is null
    until the secretariat records one; ``due_date`` is an alias of ``target_date``.
    """

    url = serializers.HyperlinkedIdentityField(view_name="api:commitment-detail", lookup_field="ref")
    agreement = AgreementBriefSerializer(read_only=True)
    theme = ThemeBriefSerializer(read_only=True)
    lead_board = BoardBriefSerializer(read_only=True, allow_null=True)
    co_lead_boards = BoardBriefSerializer(many=True, read_only=True)
    pilots = CommitmentPilotSerializer(source="pilot_links", many=True, read_only=True)
    parent = CommitmentBriefSerializer(read_only=True, allow_null=True)
    status = serializers.ChoiceField(source="shown_status", choices=Status.choices, read_only=True, help_text="Shown status.")
    rag = serializers.ChoiceField(source="shown_rag", choices=RAG_CHOICES, read_only=True, allow_blank=True, help_text="Shown RAG.")
    progress = serializers.IntegerField(source="shown_progress", read_only=True, help_text="Shown progress (0-100).")
    due_date = serializers.DateField(source="target_date", read_only=True, allow_null=True, help_text="Alias of target_date.")
    overdue = serializers.BooleanField(source="is_overdue", read_only=True, help_text="Target date before today (London) and open.")
    assessment = AssessmentSerializer(source="*", read_only=True, allow_null=True)
    rollup = RollupSerializer(source="*", read_only=True)
    assessment_differs = serializers.BooleanField(read_only=True, help_text="The assessment and the roll-up disagree.")
    previous = PreviousStateSerializer(source="*", read_only=True, allow_null=True)
    obligations = ObligationSummarySerializer(many=True, read_only=True)
    updates_url = HistoryLinkField("statusupdate-list", "commitment", source="ref", help_text="This commitment's status history.")

    class Meta:
        model = Commitment
        fields = [
            "url",
            "ref",
            "key",
            "title",
            "summary",
            "kind",
            "framing",
            "agreement",
            "theme",
            "subtheme",
            "lead_board",
            "lead_board_basis",
            "co_lead_boards",
            "pilots",
            "parent",
            "target_date",
            "target_date_precision",
            "due_date",
            "timing",
            "amount",
            "conditions",
            "status",
            "rag",
            "progress",
            "version",
            "overdue",
            "overdue_since",
            "updated_at",
            "created_at",
            "assessment",
            "rollup",
            "assessment_differs",
            *RatingsMixin.RATING_FIELDS,
            *DependentsMixin.DEPENDENCY_FIELDS,
            "previous",
            "obligations",
            "updates_url",
        ]


class CommitmentDetailSerializer(CommitmentSerializer):
    """One commitment with its sources and links to related commitments."""

    citations = CitationSerializer(many=True, read_only=True)
    children = CommitmentBriefSerializer(many=True, read_only=True)
    followed_up_by = serializers.SerializerMethodField()
    related = serializers.SerializerMethodField()

    class Meta(CommitmentSerializer.Meta):
        fields = [*CommitmentSerializer.Meta.fields, "citations", "children", "followed_up_by", "related", "notes"]

    def _linked(self, obj: Commitment, kind: str) -> list[dict[str, Any]]:
        targets = [link.target for link in obj.links_out.all() if link.kind == kind]
        return CommitmentBriefSerializer(targets, many=True, context=self.context).data  # type: ignore[return-value]

    @extend_schema_field(CommitmentBriefSerializer(many=True))
    def get_followed_up_by(self, obj: Commitment) -> list[dict[str, Any]]:
        return self._linked(obj, "followed_up_by")

    @extend_schema_field(CommitmentBriefSerializer(many=True))
    def get_related(self, obj: Commitment) -> list[dict[str, Any]]:
        return self._linked(obj, "related")


class StateSerializer(serializers.Serializer):
    """One side (before or after) of a status update."""

    status = serializers.CharField(read_only=True, help_text="Empty when the side had no status (a new item).")
    rag = serializers.CharField(read_only=True)
    progress = serializers.IntegerField(read_only=True, allow_null=True)
    due_date = serializers.DateField(read_only=True, allow_null=True)
    assurance_rag = serializers.CharField(
        read_only=True, help_text="The assurance rating; before and after differ when the update changed it."
    )
    owner = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="An obligation's or action's owner (username); before and after differ only on an assignment, null otherwise.",
    )
    lead_board = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="A commitment's lead board (code); before and after differ only on an assignment, null otherwise.",
    )


class StatusUpdateSerializer(ModelSerializer):
    """One row of the append-only history: who changed what, from what to what, and why."""

    url = serializers.HyperlinkedIdentityField(view_name="api:statusupdate-detail")
    commitment = CommitmentBriefSerializer(read_only=True)
    obligation = ObligationBriefSerializer(read_only=True, allow_null=True)
    action = ActionBriefSerializer(read_only=True, allow_null=True)
    party = PartyBriefSerializer(read_only=True, allow_null=True)
    author = UserBriefSerializer(read_only=True, allow_null=True)
    approved_by = UserBriefSerializer(read_only=True, allow_null=True, help_text="Who approved it, where it needed approval.")
    before = serializers.SerializerMethodField()
    after = serializers.SerializerMethodField()
    evidence = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = StatusUpdate
        fields = [
            "url",
            "id",
            "target_type",
            "commitment",
            "obligation",
            "action",
            "party",
            "author",
            "approved_by",
            "approved_at",
            "source",
            "created_at",
            "version",
            "before",
            "after",
            "reason",
            "note",
            "evidence",
        ]

    @extend_schema_field(StateSerializer)
    def get_before(self, obj: StatusUpdate) -> dict[str, Any]:
        return {
            "status": obj.from_status,
            "rag": obj.from_rag,
            "progress": obj.from_progress,
            "due_date": obj.from_due_date.isoformat() if obj.from_due_date else None,
            "assurance_rag": obj.from_assurance_rag,
            "owner": obj.from_owner.get_username() if obj.from_owner_id and obj.from_owner else None,
            "lead_board": obj.from_lead_board.code if obj.from_lead_board_id and obj.from_lead_board else None,
        }

    @extend_schema_field(StateSerializer)
    def get_after(self, obj: StatusUpdate) -> dict[str, Any]:
        return {
            "status": obj.to_status,
            "rag": obj.to_rag,
            "progress": obj.to_progress,
            "due_date": obj.to_due_date.isoformat() if obj.to_due_date else None,
            "assurance_rag": obj.to_assurance_rag,
            "owner": obj.to_owner.get_username() if obj.to_owner_id and obj.to_owner else None,
            "lead_board": obj.to_lead_board.code if obj.to_lead_board_id and obj.to_lead_board else None,
        }


# --- reference data -------------------------------------------------------------------------


class AgreementSerializer(ModelSerializer):
    """An instrument commitments come from (the 2015 Agreement, the 2017 MoU, …)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:agreement-detail", lookup_field="slug")
    supersedes = AgreementBriefSerializer(read_only=True, allow_null=True)
    commitments_url = serializers.SerializerMethodField()

    class Meta:
        model = Agreement
        fields = [
            "url",
            "slug",
            "name",
            "short_name",
            "kind",
            "date",
            "date_precision",
            "title_as_printed",
            "purpose",
            "notes",
            "in_dashboards_by_default",
            "supersedes",
            "commitments_url",
            "updated_at",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_commitments_url(self, obj: Agreement) -> str:
        return list_link("commitment-list", self.context.get("request"), agreement=obj.slug)


class ThemeSerializer(ModelSerializer):
    """One of the six themes of the inventory."""

    url = serializers.HyperlinkedIdentityField(view_name="api:theme-detail", lookup_field="slug")
    commitments_url = serializers.SerializerMethodField()

    class Meta:
        model = Theme
        fields = ["url", "slug", "name", "ref_prefix", "order", "subthemes", "expected_benefits", "notes", "commitments_url", "updated_at"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_commitments_url(self, obj: Theme) -> str:
        return list_link("commitment-list", self.context.get("request"), theme=obj.slug)


class MeetingSerializer(ModelSerializer):
    """A meeting of a board or committee, with the reports built for it."""

    url = serializers.HyperlinkedIdentityField(view_name="api:meeting-detail")
    board = BoardBriefSerializer(read_only=True)
    reports = ReportBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "url",
            "id",
            "key",
            "board",
            "date",
            "date_precision",
            "title",
            "item_number",
            "report_by",
            "contact",
            "notes",
            "is_demo",
            "reports",
            "updated_at",
        ]


class ReportSerializer(ModelSerializer):
    """A built paper for a meeting; ``html_url`` / ``pdf_url`` are null until that part is built."""

    url = serializers.HyperlinkedIdentityField(view_name="api:report-detail")
    meeting = MeetingBriefSerializer(read_only=True)
    html_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "url",
            "id",
            "meeting",
            "kind",
            "state",
            "title",
            "requested_at",
            "built_at",
            "as_of",
            "html_url",
            "pdf_url",
            "updated_at",
        ]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_html_url(self, obj: Report) -> str | None:
        # Lists defer the (large) html column and annotate has_html instead: reading obj.html
        # there would cost a query per row.
        has_html = getattr(obj, "has_html", None)
        if has_html is None:
            has_html = bool(obj.html)
        return link("report-html", self.context.get("request"), pk=obj.pk) if has_html else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_pdf_url(self, obj: Report) -> str | None:
        return link("report-pdf", self.context.get("request"), pk=obj.pk) if obj.pdf else None


# --- the sync feed ----------------------------------------------------------------------------


class ChangeSerializer(serializers.Serializer):
    """One entry of the sync feed: a create, update or delete (tombstone) of a resource."""

    resource = serializers.CharField(read_only=True, help_text="The collection: commitments, obligations, …")
    key = serializers.CharField(read_only=True, help_text="The resource's key in URLs (ref, code, slug or id).")
    op = serializers.ChoiceField(choices=["create", "update", "delete"], read_only=True)
    event = serializers.ChoiceField(
        choices=Change.Event.values,
        read_only=True,
        help_text='Why, when more than "changed": overdue (first flagged), escalated-1/2/3 (a step of the ladder), published (a paper), closed (a period); "" otherwise.',
    )
    version = serializers.IntegerField(read_only=True, allow_null=True, help_text="The item's version after the change (trackable items).")
    at = UTCDateTimeField(read_only=True)
    url = serializers.URLField(read_only=True, allow_null=True, help_text="Where the resource lives (404 after a delete).")


class ChangeFeedSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True, read_only=True)
    next_cursor = serializers.CharField(read_only=True, help_text="Send as ?after= to continue; unchanged when there was nothing new.")
    has_more = serializers.BooleanField(read_only=True, help_text="More changes are ready now: ask again at once.")


class CursorSerializer(serializers.Serializer):
    cursor = serializers.CharField(read_only=True, help_text="The feed's position now: follow it from here.")


# --- writing an update ------------------------------------------------------------------------


class UpdateInputSerializer(NoUnknownFieldsSerializer):
    """The body of ``POST …/updates/``: what to change, why, and the version the writer saw.

    Types are strict (``progress`` is a JSON integer, not ``"50"``) and unknown fields are refused,
    so a typo cannot silently drop part of an update. The rules that depend on the target (at least
    one change, a reason for a change of status/RAG/date, evidence for "complete") are the
    service's, shared with the browser form.
    """

    status = StrictChoiceField(choices=Status.choices, required=False)
    rag = StrictChoiceField(choices=RAG_CHOICES, required=False, allow_blank=True, help_text='"" means not assessed.')
    progress = StrictIntegerField(required=False, min_value=0, max_value=100)
    reason = StrictCharField(required=False, allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False)
    note = StrictCharField(required=False, allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False)
    evidence = serializers.ListField(
        child=StrictCharField(max_length=MAX_EVIDENCE_LENGTH, trim_whitespace=False),
        required=False,
        max_length=MAX_EVIDENCE_ITEMS,
        help_text="Links or notes saying where the evidence is.",
    )
    revised_due_date = StrictDateField(required=False, help_text="A new due date (target date for a commitment).")
    version = StrictIntegerField(
        required=False, min_value=1, max_value=2_147_483_647, help_text='The version you saw; or send If-Match: "<version>".'
    )
    replace_pending = StrictBooleanField(
        required=False,
        default=False,
        help_text="true replaces the item's update awaiting approval with this one; without it such an item answers 409 "
        '(code "pending_update").',
    )


class AssuranceInputSerializer(NoUnknownFieldsSerializer):
    """The body of ``POST …/assurance/``: the assurance rating ("" clears it), why, and the version
    the writer saw. Unknown fields are refused; the service checks the rest (a reason, a rating
    different from the current one)."""

    rag = StrictChoiceField(choices=RAG_CHOICES, allow_blank=True, help_text='red, amber or green; "" clears the assurance rating.')
    reason = StrictCharField(allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False, help_text="Why (required).")
    version = StrictIntegerField(min_value=1, max_value=2_147_483_647, help_text="The version you saw (409 on a mismatch).")


class LeadBoardInputSerializer(NoUnknownFieldsSerializer):
    """The body of ``POST /commitments/{ref}/lead-board/`` (issue 16): the board's code, why, and
    the version the writer saw. Unknown fields are refused; the service checks the rest (a board
    that exists and that the writer may choose, a reason)."""

    board = StrictCharField(max_length=16, help_text="The code of the board that will lead the commitment (any case), e.g. SPB.")
    reason = StrictCharField(allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False, help_text="Why (required).")
    version = StrictIntegerField(min_value=1, max_value=2_147_483_647, help_text="The version you saw (409 on a mismatch).")


class OwnerInputSerializer(NoUnknownFieldsSerializer):
    """The body of ``POST /obligations/{id}/owner/`` and ``POST /actions/{id}/owner/`` (issue 16):
    the owner's username, why, and the version the writer saw. The service checks that the owner
    is an active officer of the party that owes the item, and that a reason is given."""

    owner = StrictCharField(max_length=150, help_text="The username of an active officer of the owing party.")
    reason = StrictCharField(allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False, help_text="Why (required).")
    version = StrictIntegerField(min_value=1, max_value=2_147_483_647, help_text="The version you saw (409 on a mismatch).")


TARGET_SERIALIZERS: dict[type[models.Model], type[serializers.Serializer]] = {
    Commitment: CommitmentDetailSerializer,
    Obligation: ObligationSerializer,
    Action: ActionSerializer,
}
