"""The OpenAPI description of the webhooks' request bodies (the shared parts of the schema are in
:mod:`devotracker.api.schema`): exactly the keys the serializers take (``additionalProperties:
false``; an unknown key is a 400 naming it) and no NUL character in the texts (refused)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension

from devotracker.api.schema import closed_body

TEXTS = ("description", "party")


class SubscriptionInputBody(OpenApiSerializerExtension):
    target_class = "webhooks.api.serializers.SubscriptionInputSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return closed_body(auto_schema._map_serializer(self.target, direction, bypass_extensions=True), TEXTS)


class SubscriptionChangeBody(OpenApiSerializerExtension):
    target_class = "webhooks.api.serializers.SubscriptionChangeSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return closed_body(auto_schema._map_serializer(self.target, direction, bypass_extensions=True), TEXTS)
