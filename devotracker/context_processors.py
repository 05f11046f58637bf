"""Values every page template needs: the service name, the CSP nonce and the header navigation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

SERVICE_NAME = "DevoTracker"


@dataclass(frozen=True)
class NavItem:
    """One link of the service navigation.

    ``current`` is ``"page"`` when the link is the page being shown, ``"true"`` when the page is
    inside the link's section, or ``""``; the header turns it into ``aria-current``.
    """

    text: str
    href: str
    current: str = ""


def _url(name: str) -> str | None:
    """The path for a URL name, or None while the page behind it does not exist yet."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


# (link text, URL name, who sees it, which resolved URLs count as inside the section)
_SECTIONS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("Dashboard", "dashboard:index", "all", ("dashboard",)),
    ("My work", "commitments:my-work", "work", ("commitments:my-work",)),
    ("Approvals", "commitments:pending-list", "work", ("commitments:pending-list", "commitments:pending-detail")),
    ("Commitments", "commitments:list", "all", ("commitments",)),
    ("Boards", "boards:list", "all", ("boards",)),
    ("Pilots", "pilots:list", "all", ("pilots",)),
    ("Money and estates", "finance:index", "all", ("finance",)),
    ("Meetings", "meetings:list", "all", ("meetings",)),
    ("Webhooks", "webhooks:list", "staff", ("webhooks",)),
    ("Admin", "admin:index", "staff", ("admin",)),
]


def navigation_for(request: HttpRequest) -> list[NavItem]:
    """The header's links for the signed-in user, with the current section marked.

    Dashboard, Commitments, Boards and Pilots are for everyone (everyone signed in may read
    everything); My work for officers and secretariat members; Admin for staff. Costs the one
    query of :func:`boards.accounts.roles_of`; nothing for anonymous visitors.
    """
    from boards.accounts import roles_of

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    roles = roles_of(user)
    match = getattr(request, "resolver_match", None)
    namespace = match.namespace if match else ""
    view_name = match.view_name if match else ""
    items: list[NavItem] = []
    section_found = False
    for text, name, audience, sections in _SECTIONS:
        if (audience == "work" and not roles.has_work) or (audience == "staff" and not roles.is_staff):
            continue
        href = _url(name)
        if href is None:
            continue
        current = ""
        if request.path == href:
            current = "page"
        elif not section_found and (view_name in sections or namespace in sections):
            current = "true"
        # A page belongs to one section only: "My work" wins over "Commitments" for its own page.
        if current:
            section_found = True
        items.append(NavItem(text=text, href=href, current=current))
    return items


def service(request: HttpRequest) -> dict[str, Any]:
    """``service_name``, ``csp_nonce`` (for the one inline script) and ``nav_items`` (lazy: the
    roles query runs only when a template shows the navigation)."""
    return {
        "service_name": SERVICE_NAME,
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "nav_items": SimpleLazyObject(lambda: navigation_for(request)),
    }
