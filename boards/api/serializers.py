"""Representations of the boards app's resources (DESIGN.md §6): boards, and the brief forms of
parties, boards and meetings that other resources nest.

A party's full representation names its borough, which the pilots app owns, so it is defined there
(``pilots.api.serializers.PartySerializer``); a meeting's lists its reports, which the commitments
app owns (``commitments.api.serializers.MeetingSerializer``): a representation lives in the lowest
app that knows all it shows, so no app imports one above it.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from devotracker.api.serializers import ModelSerializer, list_link

from ..models import Board, Meeting, Party


class PartyBriefSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:party-detail", lookup_field="slug")

    class Meta:
        model = Party
        fields = ["url", "slug", "name"]


class BoardBriefSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:board-detail", lookup_field="code")

    class Meta:
        model = Board
        fields = ["url", "code", "name"]


class MeetingBriefSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:meeting-detail")

    class Meta:
        model = Meeting
        fields = ["url", "id", "date", "title"]


class BoardSerializer(ModelSerializer):
    """A governance body, keyed by ``code`` (matched case-insensitively in URLs)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:board-detail", lookup_field="code")
    chair = PartyBriefSerializer(read_only=True, allow_null=True)
    owner = PartyBriefSerializer(read_only=True, allow_null=True)
    reports_to = BoardBriefSerializer(read_only=True, allow_null=True)
    supports = BoardBriefSerializer(read_only=True, allow_null=True)
    commitments_url = serializers.SerializerMethodField()

    class Meta:
        model = Board
        fields = [
            "url",
            "code",
            "slug",
            "name",
            "kind",
            "role",
            "is_mou_board",
            "chair",
            "chair_basis",
            "owner",
            "reports_to",
            "reports_to_basis",
            "supports",
            "supports_basis",
            "status_at_mou",
            "notes",
            "requires_approval",
            "commitments_url",
            "updated_at",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_commitments_url(self, obj: Board) -> str:
        return list_link("commitment-list", self.context.get("request"), board=obj.code)
