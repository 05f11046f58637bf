"""How a person is named wherever DevoTracker shows one: pages, papers and the API."""

from __future__ import annotations

from typing import Any


def display_name(username: str, first_name: str | None, last_name: str | None) -> str:
    """The full name (as Django's ``get_full_name`` writes it), or the username when there is none."""
    return f"{first_name or ''} {last_name or ''}".strip() or username


def name_of(user: Any) -> str:
    """:func:`display_name` of a user."""
    return display_name(user.get_username(), user.first_name, user.last_name)
