"""A list page built from plain rows, derived from the resource's serializer (ADR 0019).

The serializer is the one definition of a resource's representation: its fields, their nesting,
links, null rules and the OpenAPI schema. Walking it field by field for a page of 100 commitments
with their 500 obligations visits ~13,000 fields on ~2,000 model instances and reverses ~2,000
URLs, which took ~80 % of the time of ``/api/v1/commitments/?page_size=100`` (docs/benchmarks.md).

:class:`RowPlan` reads a serializer's declared fields once per class and compiles them into a
plan: the columns to ask ``values_list()`` for and, for each key, a small function of a row. A
page is then one query for its rows plus one per nested list, and its dictionaries are built with
each kind of link reversed once per request. The plan adds no field of its own: it reads what
the serializer declares, so a field added to the serializer appears in both ways of rendering, and
``tests/devotracker/test_rows.py`` checks that both give the same bytes.

What a plan can read, and how:

- a model column, also across foreign keys (``source="obligation.commitment"``), converted as the
  DRF field converts it (strings, choices, whole numbers, booleans, dates, UTC date-times; any other
  field's own ``to_representation``);
- an annotation of the list's queryset (``is_overdue``) and, at the top level, a property of the
  model, evaluated on the row by the model's own property (``shown_status``);
- identity and related links (``HyperlinkedIdentityField``, ``HyperlinkedRelatedField``) and
  :class:`~devotracker.api.serializers.HistoryLinkField`;
- nested serializers: a foreign key (null when the key is null), ``source="*"`` parts (with
  :class:`~devotracker.api.serializers.PartSerializer`'s ``present_if``), and lists over a reverse
  foreign key or a many-to-many relation (one query each, ordered as the list queryset's
  ``Prefetch`` or the related model orders them);
- a field that declares ``row_sources`` and ``from_row`` (a person's display name).

Anything else raises :class:`UnsupportedField` when the plan is compiled: a serializer offered to
a plan must be readable from rows, or the viewset must not offer it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, quote_plus

from django.db import models
from django.db.models.constants import LOOKUP_SEP
from rest_framework import relations, serializers
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings

from .serializers import HistoryLinkField, PartSerializer, UTCDateTimeField

# What Django's reverse() leaves unquoted in a path (django.urls.resolvers: RFC 3986 sub-delims
# plus "/~:@"), so a key quoted here reads exactly as reverse() would write it.
_PATH_SAFE = "!$&'()*+,;=/~:@"
# Digits match every key pattern of the API's routes (slugs, refs, codes and integer ids), and
# this string cannot occur in a host name or path by chance.
_SENTINEL = "9081726354637281"
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.~-]*")


class UnsupportedField(TypeError):
    """A serializer field a plan cannot read from rows."""


class Links:
    """The API's absolute links for one request, each kind reversed once and then completed by
    string concatenation: ``detail("api:commitment-detail", "ref", "EST-03")`` is what a
    ``HyperlinkedIdentityField`` gives, ``history("api:statusupdate-list", "commitment", "EST-03")``
    what :class:`~devotracker.api.serializers.HistoryLinkField` gives."""

    def __init__(self, request: Any) -> None:
        self.request = request
        self._detail: dict[tuple[str, str], tuple[str, str]] = {}
        self._lists: dict[str, str] = {}

    def detail(self, view_name: str, kwarg: str, value: Any) -> str:
        parts = self._detail.get((view_name, kwarg))
        if parts is None:
            url = reverse(view_name, kwargs={kwarg: _SENTINEL}, request=self.request)
            prefix, found, suffix = url.partition(_SENTINEL)
            if not found or _SENTINEL in suffix:  # pragma: no cover - a route that cannot take the sentinel
                raise ValueError(f"cannot build links for {view_name}")
            parts = self._detail[(view_name, kwarg)] = (prefix, suffix)
        text = str(value)
        # Ids, slugs and refs need no quoting; anything else is quoted as reverse() quotes it.
        if type(value) is not int and not _PLAIN_KEY.fullmatch(text):
            text = quote(text, safe=_PATH_SAFE)
        return f"{parts[0]}{text}{parts[1]}"

    def history(self, view_name: str, param: str, value: Any) -> str:
        base = self._lists.get(view_name)
        if base is None:
            base = self._lists[view_name] = reverse(view_name, request=self.request)
        return f"{base}?{quote_plus(param)}={quote_plus(str(value))}"


def links_for(context: dict[str, Any]) -> Links | None:
    """:class:`Links` for a serializer context, or None when a plan must not be used: without a
    request DRF writes relative links, and with a ``.json``-style format suffix links carry it."""
    request = context.get("request")
    if request is None or context.get("format"):
        return None
    return Links(request)


# --- converters: what each DRF field's to_representation does to a value that is not None ---------


def _utc(value: dt.datetime) -> str:
    """As :class:`UTCDateTimeField`: ISO 8601 in UTC with ``Z``."""
    text = value.astimezone(dt.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# DRF's BigIntegerField (a model's big integer, such as an id), which its type stubs do not know.
_BIG_INTEGER: type[serializers.Field] | None = getattr(serializers, "BigIntegerField", None)


def _converter(field: serializers.Field) -> Callable[[Any], Any] | None:
    """The conversion of a non-null value, or None when the value is used as it is."""
    kind = type(field)
    iso = (
        str(api_settings.DATE_FORMAT).lower() == "iso-8601"
        and getattr(field, "format", api_settings.DATE_FORMAT) is api_settings.DATE_FORMAT
    )
    if kind in (serializers.CharField, serializers.ReadOnlyField):
        return None  # text columns are str already: str(value) is the value
    if kind is serializers.ChoiceField and all(isinstance(key, str) for key in field.choices):  # type: ignore[attr-defined]
        return None  # a stored choice is its own key
    if kind is serializers.IntegerField:
        return int
    if kind is _BIG_INTEGER and not getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING):
        return int  # a big integer (an id) as a number, unless it is to be a string
    if kind is serializers.BooleanField:
        return bool
    if kind is serializers.DateField and iso:
        return dt.date.isoformat
    if kind is UTCDateTimeField and getattr(field, "format", api_settings.DATETIME_FORMAT) is api_settings.DATETIME_FORMAT:
        return _utc
    return field.to_representation


# --- the plan ------------------------------------------------------------------------------------
#
# A plan is compiled into the source of one function per kind of row (the listed resource, each
# nested list), the way ``dataclasses`` writes ``__init__``: a dictionary display whose values read
# the row's columns by position. Calling one function per row instead of one per field is what
# makes the derived page as fast as a hand-written one.

Row = Sequence[Any]


class _Page:
    """What a page's rows share: the links and each nested list's rows by parent id."""

    __slots__ = ("children", "links")

    def __init__(self, links: Links) -> None:
        self.links = links
        self.children: dict[str, dict[Any, list[dict[str, Any]]]] = {}


class _RowView:
    """A row read as an instance would be (``row.status``), so a model's own property can be
    evaluated on it; subclassed per model with the model's properties."""

    __slots__ = ("_row",)
    _index: dict[str, int] = {}

    def __init__(self, row: Row) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        try:
            return self._row[self._index[name]]
        except KeyError:
            raise AttributeError(f"{name!r} is not among the columns the plan reads") from None


def _properties(model: type[models.Model]) -> dict[str, property]:
    found: dict[str, property] = {}
    for klass in reversed(model.__mro__):
        found.update({name: value for name, value in vars(klass).items() if isinstance(value, property)})
    return found


class _Rows:
    """The columns of one kind of row, the names its generated function uses, and its nested lists."""

    def __init__(self, model: type[models.Model], first: Sequence[str] = ()) -> None:
        self.model = model
        self.columns: list[str] = list(first)
        self.names: dict[str, Any] = {}
        self.view: type[_RowView] | None = None
        self.children: list[_Child] = []
        self.build: Any = None

    def column(self, name: str) -> str:
        if name not in self.columns:
            self.columns.append(name)
        return f"row[{self.columns.index(name)}]"

    def name(self, value: Any, hint: str) -> str:
        """A name for ``value`` in the generated function's globals."""
        for existing, held in self.names.items():
            if held is value:
                return existing
        name = f"{re.sub(r'[^A-Za-z0-9_]', '_', hint)}_{len(self.names)}"
        self.names[name] = value
        return name

    def finish(self, expression: str) -> None:
        """Compile ``lambda row, page: <expression>`` (with the row's view when properties are read)."""
        if self.view is not None:
            # The model's properties read its own columns: fetch them all (but long text).
            for f in self.model._meta.concrete_fields:
                if not isinstance(f, models.TextField):
                    self.column(f.attname)
            self.view._index = {name: i for i, name in enumerate(self.columns)}
        lines = ["def build(row, page):", "    links = page.links"]
        if self.view is not None:
            lines.append(f"    view = {self.name(self.view, 'View')}(row)")
        lines.append(f"    return {expression}")
        namespace = dict(self.names)
        # The source is built from the serializer's declarations alone (names, indexes, literals
        # through repr), never from data or input.
        exec(compile("\n".join(lines), f"<row plan {self.model.__name__}>", "exec"), namespace)
        self.build = namespace["build"]


class _Child:
    """A nested list: one query for the rows of every parent on the page. The query is taken
    afresh from each page's base queryset (its ``Prefetch``), whose annotations may hold the day."""

    def __init__(self, key: str, attr: str, parent_column: str, rows: _Rows) -> None:
        self.key, self.attr, self.parent_column, self.rows = key, attr, parent_column, rows
        self.through: type[models.Model] | None = None
        self.target = ""

    def queryset(self, base: models.QuerySet[Any]) -> models.QuerySet[Any]:
        prefetch = next(
            (p for p in getattr(base, "_prefetch_related_lookups", ()) if isinstance(p, models.Prefetch) and p.prefetch_to == self.attr),
            None,
        )
        if prefetch is not None and prefetch.queryset is not None:
            related = prefetch.queryset
        else:
            relation: Any = base.model._meta.get_field(self.attr)
            related = relation.related_model._default_manager.all()
        if self.through is None:
            return related
        order = related.query.order_by or related.model._meta.ordering
        sep = LOOKUP_SEP
        terms = [f"-{self.target}{sep}{t[1:]}" if t.startswith("-") else f"{self.target}{sep}{t}" for t in order]
        return self.through._default_manager.order_by(*terms)

    def fetch(self, base: models.QuerySet[Any], parent_ids: list[Any], page: _Page) -> dict[Any, list[dict[str, Any]]]:
        grouped: dict[Any, list[dict[str, Any]]] = {}
        if not parent_ids:
            return grouped
        queryset = self.queryset(base).prefetch_related(None).filter(**{f"{self.parent_column}__in": parent_ids})
        build = self.rows.build
        for row in queryset.values_list(*self.rows.columns):
            grouped.setdefault(row[0], []).append(build(row, page))
        return grouped


class RowPlan:
    """A serializer's representation compiled for plain rows of its model (see the module)."""

    def __init__(self, serializer_class: type[serializers.BaseSerializer[Any]], base: models.QuerySet[Any]) -> None:
        self.rows = _Rows(base.model, ("pk",))
        serializer = serializer_class(context={})
        if not isinstance(serializer, serializers.Serializer):
            raise UnsupportedField(f"{serializer_class.__name__} is not a serializer of fields")
        self.rows.finish(self._serializer(serializer, self.rows, ""))

    @staticmethod
    def of(serializer_class: type[serializers.BaseSerializer[Any]], base: models.QuerySet[Any]) -> RowPlan:
        """The plan of ``serializer_class`` over ``base`` (the list's unfiltered queryset, whose
        annotations and ``Prefetch`` querysets the plan reads), compiled once per pair of
        serializer and model."""
        plan = _PLANS.get((serializer_class, base.model))
        if plan is None:
            plan = _PLANS[(serializer_class, base.model)] = RowPlan(serializer_class, base)
        return plan

    # -- rendering

    def render(self, queryset: models.QuerySet[Any], links: Links, order: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """The representations of ``queryset``'s rows, in its order, or in the order of the
        primary keys ``order`` when given (rows missing from the queryset are left out)."""
        found = list(queryset.prefetch_related(None).values_list(*self.rows.columns))
        if order is not None:
            by_key = {row[0]: row for row in found}
            found = [by_key[pk] for pk in order if pk in by_key]
        page = _Page(links)
        if self.rows.children:
            parent_ids = [row[0] for row in found]
            for child in self.rows.children:
                page.children[child.key] = child.fetch(queryset, parent_ids, page)
        build = self.rows.build
        return [build(row, page) for row in found]

    def render_ids(self, base: models.QuerySet[Any], ids: Sequence[Any], links: Links) -> list[dict[str, Any]]:
        """Rows ``ids`` of ``base``, in that order: a query on primary keys alone, which compiles
        and plans in a fraction of the time of the filtered list's."""
        if not ids:
            return []
        return self.render(base.order_by().filter(pk__in=ids), links, order=ids)

    # -- compiling: each returns the source of an expression over ``row``, ``page``, ``links``

    def _serializer(self, serializer: serializers.Serializer, rows: _Rows, prefix: str) -> str:
        items = [f"{name!r}: {self._field(field, rows, prefix)}" for name, field in serializer.fields.items() if not field.write_only]
        return "{" + ", ".join(items) + "}"

    def _view(self, rows: _Rows, prefix: str, what: str) -> None:
        if prefix:
            raise UnsupportedField(f"{what}: a property is read at the top level of a row only")
        if rows.view is None:
            rows.view = type(f"{rows.model.__name__}Row", (_RowView,), {"__slots__": (), **_properties(rows.model)})

    def _field(self, field: Any, rows: _Rows, prefix: str) -> str:
        attrs: list[str] = list(field.source_attrs)
        path = prefix + LOOKUP_SEP.join(attrs)
        if isinstance(field, relations.HyperlinkedIdentityField):
            value = rows.column(prefix + field.lookup_field)
            return f"links.detail({field.view_name!r}, {field.lookup_url_kwarg!r}, {value})"
        if isinstance(field, relations.HyperlinkedRelatedField):
            value = rows.column(f"{path}{LOOKUP_SEP}{field.lookup_field}")
            return f"(None if {value} is None else links.detail({field.view_name!r}, {field.lookup_url_kwarg!r}, {value}))"
        if isinstance(field, HistoryLinkField):
            return f"links.history({'api:' + field.view_name!r}, {field.param!r}, {rows.column(path)})"
        if isinstance(field, serializers.ListSerializer):
            return self._list(field, attrs, rows, prefix)
        if isinstance(field, serializers.Serializer):
            return self._nested(field, attrs, rows, prefix)
        if hasattr(field, "row_sources"):
            sep = LOOKUP_SEP if attrs else ""
            values = ", ".join(rows.column(f"{path}{sep}{source}") for source in field.row_sources)
            return f"{rows.name(field.from_row, 'from_row')}({values})"
        if isinstance(field, serializers.SerializerMethodField | relations.RelatedField) or not attrs:
            raise UnsupportedField(f"{type(field).__name__} {field.field_name!r} cannot be read from rows")
        target = _target(rows.model, prefix, attrs)
        if target == "column":
            value = rows.column(path)
        elif prefix or len(attrs) != 1:
            raise UnsupportedField(f"{field.field_name!r}: a computed source is read at the top level only")
        elif target == "property":
            self._view(rows, prefix, field.field_name)
            value = f"view.{attrs[0]}"
        else:
            value = rows.column(attrs[0])  # an annotation of the queryset
        convert = _converter(field)
        if convert is None:
            return value
        return f"(None if {value} is None else {rows.name(convert, 'convert')}({value}))"

    def _nested(self, field: serializers.Serializer, attrs: list[str], rows: _Rows, prefix: str) -> str:
        if not attrs:  # source="*": a part of this very row
            part = self._serializer(field, rows, prefix)
            present_if = field.present_if if isinstance(field, PartSerializer) else None
            if present_if is None:
                return part
            self._view(rows, prefix, str(field.field_name))
            return f"({part} if view.{present_if} else None)"
        # A foreign key: its columns joined into this row, null when the key is.
        path = prefix + LOOKUP_SEP.join(attrs)
        key = rows.column(path)
        return f"(None if {key} is None else {self._serializer(field, rows, path + LOOKUP_SEP)})"

    def _list(self, field: serializers.ListSerializer, attrs: list[str], rows: _Rows, prefix: str) -> str:
        if prefix or len(attrs) != 1 or rows is not self.rows:
            raise UnsupportedField(f"{field.field_name!r}: nested lists are read at the top level only")
        relation: Any = rows.model._meta.get_field(attrs[0])
        key = attrs[0]
        if relation.one_to_many:
            child = _Child(key, key, relation.field.attname, _Rows(relation.related_model, (relation.field.attname,)))
            inner = ""
        elif relation.many_to_many and not relation.auto_created:
            through = relation.remote_field.through
            parent_column = f"{relation.m2m_field_name()}_id"
            child = _Child(key, key, parent_column, _Rows(through, (parent_column,)))
            child.through, child.target = through, relation.m2m_reverse_field_name()
            inner = child.target + LOOKUP_SEP
        else:
            raise UnsupportedField(f"{field.field_name!r}: only reverse foreign keys and many-to-many lists")
        item = field.child
        if not isinstance(item, serializers.Serializer):
            raise UnsupportedField(f"{field.field_name!r}: a list of plain values")
        child.rows.finish(self._serializer(item, child.rows, inner))
        rows.children.append(child)
        return f"page.children[{key!r}].get(row[0], [])"


def _target(model: type[models.Model], prefix: str, attrs: Sequence[str]) -> str:
    """ "column" for a path of concrete fields from ``model``; else "property" (a property of the
    model) or "annotation" (a name the queryset annotates)."""
    current: Any = model
    for attr in [*prefix.split(LOOKUP_SEP)[:-1], *attrs]:
        try:
            f = current._meta.get_field(attr)
        except Exception:
            return "property" if attr in _properties(current) else "annotation"
        current = f.related_model if f.is_relation else None
    return "column"


_PLANS: dict[tuple[type[serializers.BaseSerializer[Any]], type[models.Model]], RowPlan] = {}
