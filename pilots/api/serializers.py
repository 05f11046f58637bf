"""Representations of the pilots app's resources (DESIGN.md §6): pilots, boroughs and parties (a
party names its borough, which this app owns; see ``boards.api.serializers``), and the brief forms
other resources nest."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from boards.api.serializers import PartyBriefSerializer
from boards.models import Party
from devotracker.api.serializers import ModelSerializer, list_link

from ..models import Borough, Pilot, SubRegion


class PilotBriefSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:pilot-detail", lookup_field="slug")

    class Meta:
        model = Pilot
        fields = ["url", "slug", "name"]


class BoroughBriefSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:borough-detail", lookup_field="slug")

    class Meta:
        model = Borough
        fields = ["url", "slug", "name"]


class SubRegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubRegion
        fields = ["slug", "name"]


class PartySerializer(ModelSerializer):
    """An organisation that can owe obligations; a local authority links to its borough."""

    url = serializers.HyperlinkedIdentityField(view_name="api:party-detail", lookup_field="slug")
    borough = serializers.SerializerMethodField()
    obligations_url = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = ["url", "slug", "name", "type", "collective", "peripheral", "notes", "borough", "obligations_url", "updated_at"]

    @extend_schema_field(BoroughBriefSerializer(allow_null=True))
    def get_borough(self, obj: Party) -> dict[str, Any] | None:
        borough = getattr(obj, "borough", None)  # reverse one-to-one: absent for most parties
        return BoroughBriefSerializer(borough, context=self.context).data if borough else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_obligations_url(self, obj: Party) -> str:
        return list_link("obligation-list", self.context.get("request"), party=obj.slug)


class PilotSerializer(ModelSerializer):
    """A devolution pilot and its member boroughs."""

    url = serializers.HyperlinkedIdentityField(view_name="api:pilot-detail", lookup_field="slug")
    boroughs = BoroughBriefSerializer(many=True, read_only=True)
    sub_region = SubRegionSerializer(read_only=True, allow_null=True)
    commitments_url = serializers.SerializerMethodField()

    class Meta:
        model = Pilot
        fields = [
            "url",
            "slug",
            "name",
            "focus",
            "status",
            "description",
            "boroughs",
            "sub_region",
            "notes",
            "commitments_url",
            "updated_at",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_commitments_url(self, obj: Pilot) -> str:
        return list_link("commitment-list", self.context.get("request"), pilot=obj.slug)


class BoroughSerializer(ModelSerializer):
    """One of the 33 London local authorities; each is also a party."""

    url = serializers.HyperlinkedIdentityField(view_name="api:borough-detail", lookup_field="slug")
    party = PartyBriefSerializer(read_only=True)
    sub_region = SubRegionSerializer(read_only=True, allow_null=True)
    pilots = PilotBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Borough
        fields = ["url", "slug", "name", "party", "sub_region", "named_in_sources", "pilots", "notes", "updated_at"]
