"""The OpenAPI description of the webhooks' request bodies (the shared parts of the schema are in
:mod:`devotracker.api.schema`): exactly the keys the serializers take (``additionalProperties:
false``; an unknown key is a 400 naming it) and no NUL character in the texts (refused)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension

from devotracker.api.schema import NO_NUL


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    schema["additionalProperties"] = False
    for name in ("description", "party"):
        if name in schema.get("properties", {}):
            schema["properties"][name]["pattern"] = NO_NUL
    return schema


class SubscriptionInputBody(OpenApiSerializerExtension):
    target_class = "webhooks.api.serializers.SubscriptionInputSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return _closed(auto_schema._map_serializer(self.target, direction, bypass_extensions=True))


class SubscriptionChangeBody(OpenApiSerializerExtension):
    target_class = "webhooks.api.serializers.SubscriptionChangeSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return _closed(auto_schema._map_serializer(self.target, direction, bypass_extensions=True))
