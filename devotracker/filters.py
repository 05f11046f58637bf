"""Filter building blocks shared by every app's FilterSets (pages and API alike): typed filters
that refuse a bad or empty value with a field error (HTTP 400 in the API, an error summary on
pages) rather than a 500 or a quiet "no filter" (issue 11), and the ordering filter that declares a
list's sort keys once for its page and its API list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_filters.fields import ChoiceField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

BOOL_CHOICES = [("true", "Yes"), ("false", "No")]
# Ids are PostgreSQL bigints (and SQLite's 64-bit integers): a larger number is not an id, and
# SQLite cannot even compare with one (OverflowError, a 500 before issue 11).
MAX_ID = 2**63 - 1


class FilterSet(filters.FilterSet):
    """Every app's FilterSet: django-filter's, with its form class built once per FilterSet class.

    django-filter builds the form class again for every request: a form field for each filter, then
    a new class, then the form's own copy of its fields. Nothing in the fields depends on the
    request (the filters' querysets are declared on the class), so the class is built on first use
    and kept; each form still gets its own copy of the fields, as every Django form does."""

    def get_form_class(self) -> type[forms.Form]:
        form_class: type[forms.Form] | None = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            type(self)._form_class = form_class  # per class (read from its own __dict__), not inherited
        return form_class


class GivenMeansFilledMixin:
    """A form field for a filter that, when its parameter is given, must have a value.

    ``?updated_since=`` would otherwise clean to None and the filter be skipped: the whole list,
    unfiltered, in answer to a filter that was asked for. The list pages never send one: a GET
    form's empty boxes are removed from the URL before filtering (``views._tidy_query``).
    """

    empty_message = "Give a value, or leave this parameter out."

    def clean(self, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValidationError(self.empty_message, code="empty")
        return super().clean(value)  # type: ignore[misc]


class RawLengthCharField(forms.CharField):
    """A text box whose length limit applies to the value as sent, before its surrounding
    whitespace is stripped: the OpenAPI schema's ``maxLength`` is then exactly what is refused
    (a 13-character value starting with a control character that ``str.strip`` removes was
    accepted under ``maxLength: 12``; schemathesis, issue 12)."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(
                f"Ensure this value has at most {self.max_length} characters (it has {len(value)}).",
                code="max_length",
            )
        return super().to_python(value)


class TextFilter(filters.CharFilter):
    """Every app's free-text or key filter: django-filter's CharFilter with the raw length limit."""

    field_class = RawLengthCharField


@extend_schema_field(OpenApiTypes.STR)
class SlugMultipleChoiceFilter(filters.ModelMultipleChoiceFilter):
    """One or more slugs (``?theme=a&theme=b``); an unknown slug is a field error."""


class AwareDateTimeField(GivenMeansFilledMixin, forms.Field):
    """An ISO 8601 date-time that must carry a UTC offset (``Z`` or ``+01:00``)."""

    default_error_messages = {
        "invalid": "Enter an ISO 8601 date and time, for example 2026-01-31T09:00:00Z.",
        "naive": "Give the time zone offset too, for example 2026-01-31T09:00:00Z or 2026-01-31T09:00:00+00:00.",
    }

    def to_python(self, value: Any) -> dt.datetime | None:
        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            parsed: dt.datetime | None = value
        else:
            text = str(value).strip()
            if "T" in text and " " in text:
                # An unencoded "+01:00" in a query string arrives as " 01:00".
                text = text.replace(" ", "+")
            try:
                parsed = parse_datetime(text)
            except ValueError:
                parsed = None
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if timezone.is_naive(parsed):
            raise forms.ValidationError(self.error_messages["naive"], code="naive")
        # The same instant in UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts
        # (a 500 before; found by schemathesis, issue 4), and the first or last day of year 1 or
        # 9999 can fall outside the calendar once shifted.
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class AwareDateTimeFilter(filters.Filter):
    field_class = AwareDateTimeField


class FilledChoiceField(GivenMeansFilledMixin, ChoiceField):
    pass


class ChoiceFilter(filters.ChoiceFilter):
    """One of the choices; an empty value is a field error, like any other value not listed."""

    field_class = FilledChoiceField


class BooleanChoiceFilter(ChoiceFilter):
    """``true`` / ``false`` only: anything else is a field error rather than silently ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", BOOL_CHOICES)
        super().__init__(*args, **kwargs)


class FilledDateField(GivenMeansFilledMixin, forms.DateField):
    pass


class DateFilter(filters.DateFilter):
    """A date in ``YYYY-MM-DD``; other forms (and an empty value) are field errors."""

    field_class = FilledDateField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(*args, **kwargs)


class IdField(GivenMeansFilledMixin, forms.IntegerField):
    """A whole number from 1 to :data:`MAX_ID`, with one message for every way of missing it."""

    default_error_messages = {
        "invalid": f"Give a whole-number id from 1 to {MAX_ID}.",
        "min_value": f"Give a whole-number id from 1 to {MAX_ID}.",
        "max_value": f"Give a whole-number id from 1 to {MAX_ID}.",
    }

    def to_python(self, value: Any) -> int | None:
        # Django's IntegerField would read "1.0" as 1 and call int() on 5,000 digits (a ValueError
        # past Python's digit limit): an id is plain digits, and one with more digits than MAX_ID
        # is out of range whatever they are.
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if not (text.isascii() and text.isdigit()):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            if len(text.lstrip("0")) > len(str(MAX_ID)):
                raise ValidationError(self.error_messages["max_value"], code="max_value")
        return super().to_python(value)


class IdFilter(filters.NumberFilter):
    """An id: a whole number from 1 to 2^63 − 1 (``1.5``, ``1e3``, ``-1``, an empty value and
    anything larger are field errors, not silently rounded, ignored or sent to the database).
    The OpenAPI schema says so (an integer with ``minimum`` and ``maximum``)."""

    field_class = IdField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
        # This filter's own schema (drf-spectacular reads the override from the instance, so each
        # id filter keeps its label as the parameter's description).
        schema = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
        extend_schema_field({**schema, "description": f"{self.label or 'An id'}: a whole number from 1 to {MAX_ID}."})(self)


class BooleanFieldFilter(BooleanChoiceFilter):
    """``true`` / ``false`` on a boolean model field."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value in ("true", "false"):
            return qs.filter(**{self.field_name: value == "true"})
        return qs


# --- ordering: one declaration per list, read by its page and its API list ------------------------


@dataclass(frozen=True)
class SortKey:
    """One sort key of a list: the ORDER BY ``terms`` (field paths or expressions, ascending) the
    API's ``?ordering=`` applies, and, for a column of the list's page, its heading (``label``),
    its ``?sort=`` name (``page``, the key's own name if not given) and, where the page sorts the
    column differently (RAG by severity rather than by name, a second column before the
    tie-breaker), ``page_terms``. ``api=False``: a column of the page only."""

    terms: tuple[Any, ...]
    label: str = ""
    page: str | None = None
    page_terms: tuple[Any, ...] | None = None
    api: bool = True


class OrderingField(forms.Field):
    """``ordering``: comma-separated key names, ``-`` for descending, each exactly one of the keys
    (an empty value, an empty part such as ``ref,``, or a padded one such as ``ref, title`` is a
    field error like an unknown key, issue 11)."""

    def __init__(self, *args: Any, names: Sequence[str] = (), **kwargs: Any) -> None:
        kwargs.pop("choices", None)
        kwargs.pop("null_label", None)
        self.names = list(names)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> list[str] | None:
        if value is None:
            return None
        parts = str(value).split(",")
        unknown = [repr(part.removeprefix("-")[:40]) for part in parts if part.removeprefix("-") not in self.names]
        if unknown:
            choices = ", ".join(sorted(self.names))
            # The caller's text goes in as a parameter, never into the message itself: django-filter
            # formats every message with ``%``, so a "%" in the text would break it.
            raise ValidationError(
                "Cannot sort by %(unknown)s. Choose from: %(choices)s (prefix - to reverse, separate with commas).",
                code="invalid",
                params={"unknown": ", ".join(unknown), "choices": choices},
            )
        return parts

    def validate(self, value: Any) -> None:
        pass


class OrderingFilter(filters.OrderingFilter):
    """django-filter's ``OrderingFilter``, declared once per FilterSet as its ``ordering`` filter,
    with every sort key of the list (:class:`SortKey`):

    - the API applies it as a filter: ``?ordering=-due_date,ref`` (the keys with ``api``), the
      list's ``default`` when not given, the primary key always last so that pages never overlap
      or skip rows that sort equal; a bad value is a 400 naming ``ordering``;
    - the list's page reads its columns from it (:meth:`page_sorts`): ``?sort=`` takes one column,
      sorted by the key's terms and then by the page's tie-breakers (``page_then``).
    """

    field_class = OrderingField

    def __init__(
        self,
        *args: Any,
        keys: dict[str, SortKey],
        default: tuple[Any, ...],
        page_then: tuple[Any, ...] = (),
        **kwargs: Any,
    ) -> None:
        self.keys = keys
        self.default = default
        self.page_then = page_then
        self.api_names = [name for name, key in keys.items() if key.api]
        kwargs.setdefault("help_text", "Sort keys, comma-separated; prefix a key with - to reverse it.")
        super().__init__(*args, fields={name: name for name in self.api_names}, **kwargs)
        # The whole value is read by OrderingField (django-filter's CSV field would split it first
        # and drop empty parts, which the API refuses).
        self.field_class = OrderingField
        self.extra["names"] = self.api_names

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        terms: list[Any] = []
        for part in value or ():
            descending = part.startswith("-")
            for term in self.keys[part.removeprefix("-")].terms:
                terms.append(_reverse(term) if descending else term)
        return qs.order_by(*(terms or self.default), "pk")

    def page_sorts(self) -> dict[str, tuple[str, list[Any]]]:
        """The page's columns: ``?sort=`` name -> (heading, ORDER BY terms, ascending)."""
        sorts: dict[str, tuple[str, list[Any]]] = {}
        for name, key in self.keys.items():
            if not key.label:
                continue
            terms = list(key.page_terms if key.page_terms is not None else key.terms)
            terms.extend(term for term in self.page_then if term not in terms)
            sorts[key.page or name] = (key.label, terms)
        return sorts


def _reverse(term: Any) -> Any:
    """A term sorted the other way: ``-name`` for a field path, ``.desc()`` for an expression."""
    if isinstance(term, str):
        return term[1:] if term.startswith("-") else f"-{term}"
    return term.desc()
