"""The OpenAPI description of the write body of ``POST …/updates/`` (the shared parts of the
schema are in :mod:`devotracker.api.schema`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension

from devotracker.api.schema import closed_body

# The service's range for a revised due date (``services.validate_update``), which a date format
# alone cannot state: 2000-01-01 to 2100-12-31.
REVISED_DUE_DATE_PATTERN = "^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"


class UpdateInputBody(OpenApiSerializerExtension):
    """The body of ``POST …/updates/`` as the serializer and the service check it, as far as that
    does not depend on the target: no other keys (``additionalProperties: false``; an unknown key
    is a 400, so a typo never drops part of an update), a revised due date from 2000 to 2100, and
    no NUL character in the texts (refused, as the browser form refuses it).

    What does depend on the target is not in the schema, and is documented in the operation:
    a change (a value different from the current one) of status, RAG or due date needs a reason,
    marking complete needs evidence, and an update must change something or add a note or evidence.
    """

    target_class = "commitments.api.serializers.UpdateInputSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            closed_body(schema, texts=("reason", "note", "evidence"))
            schema["properties"]["revised_due_date"]["pattern"] = REVISED_DUE_DATE_PATTERN
        return schema
