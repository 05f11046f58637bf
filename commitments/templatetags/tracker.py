"""Template helpers for the officer pages: state tags, dates with their precision, evidence links,
and the GOV.UK form plumbing (error summary entries, radio and date parts).

RAG is never shown by colour alone (issue 3 §3): :func:`rag_tag` always prints the word, a shape
(■ red, ▲ amber, ● green, ○ not assessed) and a border style of its own, so the rating reads the
same in greyscale and to colour-blind readers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from django import forms, template
from django.utils import dateformat
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString

from commitments import lifecycle
from commitments.models import Rag
from devotracker.people import name_of

register = template.Library()


@register.inclusion_tag("components/rag_tag.html")
def rag_tag(value: str | None, prefix: str = "") -> dict[str, Any]:
    """A RAG rating as the shared tag (templates/includes/rag_tag.html): its word, a shape and a
    border style of its own; ``prefix`` (read by screen readers) names which rating it is."""
    key = value if value in Rag.values else ""
    return {"key_value": key, "prefix": prefix}


@register.inclusion_tag("components/status_tag.html")
def status_tag(value: str | None) -> dict[str, Any]:
    """A lifecycle status as the shared GOV.UK tag with its word."""
    return {"key": value or "not_started"}


@register.simple_tag
def precise_date(value: dt.date | None, precision: str = "day", empty: str = "Not stated") -> str:
    """A date as precisely as the sources give it: "2018" (year), "April 2018" (month),
    "16 November 2017" (day)."""
    if value is None:
        return empty
    if precision == "year":
        return str(value.year)
    if precision == "month":
        return dateformat.format(value, "F Y")
    return dateformat.format(value, "j F Y")


@register.filter
def long_date(value: dt.date | None) -> str:
    """A day as people write it: "16 November 2017" (empty for no date)."""
    return dateformat.format(value, "j F Y") if value else ""


@register.simple_tag
def days_overdue(due: dt.date | None, status: str = "") -> int:
    """Whole days an item is past its due date (0 when not overdue), London calendar."""
    return lifecycle.days_overdue(due, status)


@register.simple_tag
def commitment_overdue(commitment: Any) -> bool:
    """Whether a commitment (not annotated by a queryset) is overdue by the DESIGN.md §10 rule."""
    return bool(commitment.is_overdue_on())


def is_web_link(text: str) -> bool:
    """True for an absolute http(s) URL with a host and no spaces: only those become links."""
    if not text or any(ch.isspace() for ch in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


@register.filter
def evidence_item(item: Any) -> SafeString:
    """One piece of evidence: a link when it is an http(s) URL, escaped text otherwise (a
    ``javascript:`` or ``data:`` URL stays inert text)."""
    text = str(item).strip()
    if is_web_link(text):
        return format_html('<a class="govuk-link" href="{}" rel="noopener noreferrer nofollow">{}</a>', text, text)
    return SafeString(conditional_escape(text))


@register.filter
def user_label(user: Any) -> str:
    """Who did something: the user's full name, else the username; "DevoTracker" for the system."""
    if user is None:
        return "DevoTracker"
    return name_of(user)


def _possessive_ending(text: str) -> str:
    return "'" if text.endswith("s") else "'s"


def possessive(name: Any) -> str:
    """A name in the possessive, as it reads: "NHS England's", but "National partners'" and
    "London boroughs'" (a name ending in a lower-case s takes the apostrophe alone). An
    abbreviation ending in a capital S is said with its s ("NHS's"). Empty for no name.

    The one rule for possessives: Python (page headings, messages, dashboard and report items)
    calls this; templates use the ``possessive`` filter below, which applies it."""
    text = str(name or "").strip()
    return f"{text}{_possessive_ending(text)}" if text else ""


@register.filter(name="possessive", needs_autoescape=True)
def possessive_filter(name: Any, autoescape: bool = True) -> str:
    """``{{ party.name|possessive }}``: :func:`possessive` in a template. The name is escaped as
    any value is; the apostrophe is written as typed, so the page reads "Party A's" as the
    templates' own text does."""
    text = str(name or "").strip()
    if not text:
        return ""
    return SafeString(f"{conditional_escape(text) if autoescape else text}{_possessive_ending(text)}")


# --- GOV.UK form plumbing ---------------------------------------------------------------------


@register.filter
def error_entries(form: forms.Form | None, prefix_labels: bool = False) -> list[tuple[str, str]]:
    """The error summary's entries for a bound form, in field order: (anchor, message).

    Anchors point at the field's first input (our templates give the first radio, checkbox or
    date part the field's own id, as GOV.UK Frontend does), non-field errors at the form.
    """
    if form is None or not form.is_bound:
        return []
    entries: list[tuple[str, str]] = []
    for message in form.non_field_errors():
        entries.append(("#main-content", str(message)))
    for field in form:
        for message in field.errors:
            text = f"{field.label}: {message}" if prefix_labels else str(message)
            entries.append((f"#{field.auto_id}", text))
    return entries


@register.filter
def choices_checked(field: forms.BoundField, choices: Any = None) -> list[tuple[str, str, bool]]:
    """A choice field's options as (value, label, checked), comparing as strings so bound data
    and initial values behave alike. ``choices`` overrides the field's own (for filters declared
    as plain text, such as a party slug, that a page offers as a list)."""
    raw = field.value()
    if raw is None or raw == "" or raw == []:
        # Nothing chosen: the empty option ("Any", "Not assessed", "No owner") is the one shown.
        selected: set[str] = {""}
    elif isinstance(raw, (list, tuple)):
        selected = {str(v) for v in raw}
    else:
        selected = {str(raw)}
    if not choices:
        choices = getattr(field.field, "choices", [])
    return [(str(value), str(label), str(value) in selected) for value, label in choices]


@register.filter
def date_parts(field: forms.BoundField) -> dict[str, str]:
    """Day, month and year for a GOV.UK date input, from bound data (kept as typed) or a date."""
    value = field.value()
    if isinstance(value, dt.date):
        return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
    if isinstance(value, (list, tuple)) and len(value) == 3:
        return {"day": value[0] or "", "month": value[1] or "", "year": value[2] or ""}
    return {"day": "", "month": "", "year": ""}


@register.simple_tag(takes_context=True)
def kept_filters(context: Any, *names: str) -> SafeString:
    """Hidden inputs carrying the named query parameters a filter form does not show (set by a
    dashboard drill-down, e.g. ``in_dashboards``), so using the form does not silently drop them."""
    request = context.get("request")
    if request is None:
        return SafeString("")
    pairs = [(name, value) for name in names for value in request.GET.getlist(name) if value]
    return format_html_join("", '<input type="hidden" name="{}" value="{}">', pairs)
