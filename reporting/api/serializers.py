"""Representations of the reporting app's resources (issue 13): reporting periods, with the frozen
snapshot a closed period holds."""

from __future__ import annotations

from rest_framework import serializers

from boards.api.serializers import BoardBriefSerializer
from devotracker.api.serializers import ModelSerializer, UserBriefSerializer, UTCDateTimeField

from ..models import ReportingPeriod, Snapshot


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
