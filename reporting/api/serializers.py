"""Representations of the reporting app's resources (issue 13): reporting periods, with the frozen
snapshot a closed period holds."""

from __future__ import annotations

from rest_framework import serializers

from boards.api.serializers import BoardBriefSerializer
from commitments.api.serializers import RAG_CHOICES
from devotracker.api.serializers import ModelSerializer, UserBriefSerializer, UTCDateTimeField

from ..models import ActionState, CommitmentState, ObligationState, ReportingPeriod, Snapshot


class SnapshotSerializer(ModelSerializer):
    """The frozen figures of a closed period: the London day they record and how many items."""

    taken_at = UTCDateTimeField(read_only=True)

    class Meta:
        model = Snapshot
        fields = ["day", "taken_at", "commitments", "obligations", "actions"]


class PeriodSerializer(ModelSerializer):
    """A reporting period of a board's cycle: ``open`` while people work, ``closed`` once its figures
    are frozen (``snapshot``; null while open)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:period-detail")
    board = BoardBriefSerializer(read_only=True)
    closed_by = UserBriefSerializer(read_only=True, allow_null=True)
    snapshot = SnapshotSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ReportingPeriod
        fields = ["url", "id", "board", "name", "starts_on", "ends_on", "state", "closed_at", "closed_by", "snapshot", "created_at"]


# --- a closed period's frozen rows ---------------------------------------------------------------

STATE_FIELDS = ["status", "rag", "progress", "due_date", "overdue", "overdue_since", "escalation_level"]


class _StateSerializer(ModelSerializer):
    """An item's tracked state on the day of the period's snapshot."""

    rag = serializers.ChoiceField(choices=RAG_CHOICES, read_only=True, allow_blank=True)
    overdue = serializers.BooleanField(read_only=True, help_text="Overdue on the snapshot's day (the one rule, as it stood then).")
    ref = serializers.CharField(read_only=True, allow_null=True, help_text="The commitment's ref (null if it has since been deleted).")


class CommitmentStateSerializer(_StateSerializer):
    """A commitment as frozen: its shown state, and both its assessment and roll-up."""

    rollup_rag = serializers.ChoiceField(choices=RAG_CHOICES, read_only=True, allow_blank=True)

    class Meta:
        model = CommitmentState
        fields = ["commitment_id", "ref", *STATE_FIELDS, "assessed", "rollup_status", "rollup_rag", "rollup_progress"]


class ObligationStateSerializer(_StateSerializer):
    """An obligation as frozen, with the party that owed it."""

    party = serializers.CharField(read_only=True, allow_null=True, help_text="The party's slug (null if it has since been deleted).")

    class Meta:
        model = ObligationState
        fields = ["obligation_id", "commitment_id", "ref", "party", *STATE_FIELDS]


class ActionStateSerializer(_StateSerializer):
    """An action as frozen, with its obligation and the party that owed it."""

    party = serializers.CharField(read_only=True, allow_null=True, help_text="The party's slug (null if it has since been deleted).")

    class Meta:
        model = ActionState
        fields = ["action_id", "obligation_id", "commitment_id", "ref", "party", *STATE_FIELDS]
