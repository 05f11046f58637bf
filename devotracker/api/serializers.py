"""Fields and helpers every app's API serializers share (DESIGN.md §6):

- datetimes in UTC with ``Z`` (:class:`UTCDateTimeField`, the default of :class:`ModelSerializer`);
- strict input fields: a JSON integer, string, choice or ``YYYY-MM-DD`` date, never coerced;
- a person as partners see them (:class:`UserBriefSerializer`);
- absolute links to a resource or to a filtered list (:func:`link`, :func:`list_link`,
  :class:`HistoryLinkField`);
- a part of a row shown only when it applies (:class:`PartSerializer`).

Every field here can also be read from plain rows by :mod:`devotracker.api.rows`, which derives a
list page's representation from the same serializers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from devotracker.people import display_name

# --- fields -----------------------------------------------------------------------------------


class UTCDateTimeField(serializers.DateTimeField):
    """A date-time rendered in UTC with a ``Z`` suffix (DESIGN.md §6).

    DRF converts datetimes to the current time zone (Europe/London here), which would give
    ``+01:00`` in summer; partners were promised UTC, so this field pins the zone.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", dt.UTC)
        super().__init__(*args, **kwargs)


class NoUnknownFieldsSerializer(serializers.Serializer):
    """A request body whose unknown fields are refused (400 naming each), so a typo cannot silently
    drop part of a request."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: ``"50"``, ``50.0`` and ``true`` are refused, not coerced."""

    default_error_messages = {"invalid": "Give a whole number (a JSON integer, not a string)."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A JSON string only (DRF would turn ``5`` into ``"5"``), storable as UTF-8."""

    default_error_messages = {
        "invalid": "Give text (a JSON string).",
        "encoding": "The text contains characters that cannot be stored (unpaired surrogates).",
    }

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            self.fail("encoding")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false`` only: ``"yes"``, ``1`` and ``"true"`` are refused, not coerced."""

    default_error_messages = {"invalid": "Give true or false (a JSON boolean)."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictChoiceField(serializers.ChoiceField):
    """A choice given as a JSON string; numbers and booleans are refused rather than stringified."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    """A ``YYYY-MM-DD`` string."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(*args, **kwargs)

    def to_internal_value(self, value: Any) -> dt.date:
        if not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class ModelSerializer(serializers.ModelSerializer):
    """Project base: every model DateTimeField is rendered by :class:`UTCDateTimeField`."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping, models.DateTimeField: UTCDateTimeField}


def link(view_name: str, request: Any, **kwargs: Any) -> str:
    return reverse(f"api:{view_name}", kwargs=kwargs, request=request)


def list_link(view_name: str, request: Any, **params: str) -> str:
    return f"{reverse(f'api:{view_name}', request=request)}?{urlencode(params)}"


@extend_schema_field(OpenApiTypes.URI)
class HistoryLinkField(serializers.Field):
    """A link to a filtered list about this item, e.g. its status history:
    ``HistoryLinkField("statusupdate-list", "commitment", source="ref")`` gives
    ``…/status-updates/?commitment=EST-03``."""

    def __init__(self, view_name: str, param: str, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        self.view_name, self.param = view_name, param
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return list_link(self.view_name, self.context.get("request"), **{self.param: str(value)})


@extend_schema_field(OpenApiTypes.STR)
class DisplayNameField(serializers.Field):
    """:func:`display_name` of the user the field is given (``source="*"``)."""

    row_sources = ("username", "first_name", "last_name")
    from_row = staticmethod(display_name)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return display_name(value.username, value.first_name, value.last_name)


class UserBriefSerializer(serializers.Serializer):
    """A person as partners see them: username and display name."""

    username = serializers.CharField(read_only=True)
    name = DisplayNameField()


class PartSerializer(serializers.Serializer):
    """Part of the parent's own row (``source="*"``), shown as null unless the parent's property or
    annotation ``present_if`` is true (a commitment's assessment, before one is recorded; a state in
    a period compared with, when none is asked for or the item was not in it)."""

    present_if: str | None = None

    def get_attribute(self, instance: Any) -> Any:
        if self.present_if is not None and not getattr(instance, self.present_if, None):
            return None
        return super().get_attribute(instance)
