"""Money for people on the finance pages, the dashboard and the papers: ``{{ pence|pounds }}``
("£1,200.50"), ``{{ pence|pounds_short }}`` ("£120.0m"), and a history row's value."""

from __future__ import annotations

from typing import Any

from django import template

from ..money import format_pounds

register = template.Library()


@register.filter
def pounds(pence: Any) -> str:
    """Whole pence as pounds: 120050 → "£1,200.50"; None → "Not given"."""
    if pence is None or pence == "":
        return format_pounds(None)
    try:
        return format_pounds(int(pence))
    except (TypeError, ValueError):
        return str(pence)


@register.filter
def pounds_short(pence: Any) -> str:
    """A headline figure: 12000000000 → "£120.0m"."""
    try:
        return format_pounds(None if pence is None else int(pence), short=True)
    except (TypeError, ValueError):
        return str(pence)


@register.filter
def change_value(value: Any, amount: bool = False) -> str:
    """A field's value before or after a change, as the history shows it."""
    if amount:
        return pounds(value)
    if value is None or value == "":
        return "None"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "None"
    return str(value)
