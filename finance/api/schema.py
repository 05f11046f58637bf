"""The OpenAPI description of the finance writes' bodies (the shared parts of the schema are in
:mod:`devotracker.api.schema`): each body is closed (``additionalProperties: false``; an unknown
key is a 400) and its texts hold no NUL character, as the serializers check."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension

from devotracker.api.schema import closed_body

# Body → its text properties (refs, slugs and codes included).
TEXTS = (
    *("reason", "slug", "name", "description", "allocation_source", "keeper", "commitments", "stream", "party", "pilot"),
    *("sub_region", "notes", "site", "borough", "owner", "recommendation", "recommended_by", "decision"),
)
BODIES = (
    "FundingStreamCreateSerializer",
    "FundingStreamUpdateSerializer",
    "FundingLineCreateSerializer",
    "FundingLineUpdateSerializer",
    "CapitalBudgetCreateSerializer",
    "CapitalBudgetUpdateSerializer",
    "QuarterInputSerializer",
    "DisposalCreateSerializer",
    "DisposalUpdateSerializer",
)


def _closed_body_extension(name: str) -> type[OpenApiSerializerExtension]:
    def map_serializer(self: Any, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            closed_body(schema, texts=TEXTS)
            if name.endswith("UpdateSerializer"):  # a PATCH: only the fields given change, but these are always needed
                schema["required"] = ["reason", "version"]
        return schema

    return type(
        f"{name}Body", (OpenApiSerializerExtension,), {"target_class": f"finance.api.serializers.{name}", "map_serializer": map_serializer}
    )


EXTENSIONS = [_closed_body_extension(name) for name in BODIES]
