"""The public progress view (issue 15, point 4), mounted at /public/: no sign-in, the published
state of every commitment by theme, lead board and pilot, and one page per commitment.

Thin views over :mod:`reporting.public`. Each request, in this order:

1. ``PUBLIC_VIEW`` off: 404, whatever the address.
2. Its own rate limit per client address (:class:`PublicRateThrottle`, the API's throttle with the
   ``PUBLIC_RATE_LIMIT`` rate and the sign-in throttling's reading of the client's address): past
   it, a 429 page with ``Retry-After``.
3. The change log's head (one query): the cache key of the page's data and its ``ETag``.
4. The page's data from the cache, or built in a fixed number of queries; 404 for an unknown
   theme, board, pilot or ref.
5. ``If-None-Match`` matching the ETag: 304 (no rendering). Otherwise the page, rendered per
   request (its CSP nonce is the response's own), with ``Cache-Control: public, no-cache``.

The pages never read the session or the user (the login middleware checks the path first and the
public layout has no signed-in header), so they are the same for everyone.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag
from django.views.decorators.http import require_safe

from boards.accounts import client_address
from commitments.lifecycle import london_today
from commitments.versioning import data_head
from devotracker.api.throttling import TokenRateThrottle

from .. import public

CACHE_CONTROL = "public, no-cache"
# What a theme's or pilot's slug, a board's code and a commitment's ref look like; anything else
# (a NUL byte, markup, a megabyte of text) is a 404 before any query or cache key is made of it.
KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")


class PublicRateThrottle(TokenRateThrottle):
    """``PUBLIC_RATE_LIMIT`` requests per client address (``boards.accounts.client_address``, which
    honours ``LOGIN_TRUSTED_PROXIES``). Counted in the cache like the API's limits, and, like them,
    not applied while the cache is unreachable (the request is let through and the outage logged)."""

    scope = "public"

    def get_rate(self) -> str | None:
        return str(settings.PUBLIC_RATE_LIMIT)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request) or "unknown"}


def too_many_requests(request: HttpRequest, wait: float | None) -> HttpResponse:
    seconds = max(1, math.ceil(wait or 1))
    response = render(request, "reporting/public/429.html", {"retry_after": seconds}, status=429)
    response["Retry-After"] = str(seconds)
    return response


View = Callable[..., HttpResponseBase]


def public_page(view: View) -> View:
    """Steps 1 and 2 above, around a public view (which answers GET and HEAD only)."""

    @wraps(view)
    @require_safe
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not settings.PUBLIC_VIEW:
            raise Http404("The public progress view is switched off.")
        throttle = PublicRateThrottle()
        # DRF's throttles read only the request's META (the address) here.
        if not throttle.allow_request(cast(Any, request), None):
            return too_many_requests(request, throttle.wait())
        return view(request, *args, **kwargs)

    return wrapped


def _respond(request: HttpRequest, page: str, arg: str, build: Callable[..., dict[str, Any] | None], template: str) -> HttpResponseBase:
    if arg and not KEY.fullmatch(arg):
        raise Http404("There is nothing public at this address.")
    on = london_today()
    validator = data_head()[3]
    data = public.cached(page, arg, build, validator=validator, on=on)
    if data is None:
        raise Http404("There is nothing public at this address.")
    etag = quote_etag(hashlib.sha256(f"{validator}|{on.isoformat()}|{request.path}".encode()).hexdigest())
    answered = get_conditional_response(request, etag=etag)
    if answered is not None:
        # A 304 (or 412) has no body: it keeps the stored page's policy header (whose nonce is the
        # stored page's), so it sends none of its own.
        answered._csp_exempt = True  # type: ignore[attr-defined]
        answered["ETag"] = etag
        answered["Cache-Control"] = CACHE_CONTROL
        return answered
    response = render(request, template, {"data": data, "as_of": on})
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response


@public_page
def overview(request: HttpRequest) -> HttpResponseBase:
    """``/public/``: every commitment counted by theme, lead board and pilot."""
    return _respond(request, "overview", "", public.overview, "reporting/public/overview.html")


@public_page
def theme(request: HttpRequest, slug: str) -> HttpResponseBase:
    """``/public/themes/<slug>/``."""
    return _respond(request, "theme", slug, public.theme_page, "reporting/public/group.html")


@public_page
def board(request: HttpRequest, code: str) -> HttpResponseBase:
    """``/public/boards/<code>/`` (the code in any case)."""
    return _respond(request, "board", code.upper(), public.board_page, "reporting/public/group.html")


@public_page
def pilot(request: HttpRequest, slug: str) -> HttpResponseBase:
    """``/public/pilots/<slug>/``."""
    return _respond(request, "pilot", slug, public.pilot_page, "reporting/public/group.html")


@public_page
def commitment(request: HttpRequest, ref: str) -> HttpResponseBase:
    """``/public/commitments/<ref>/``."""
    return _respond(request, "commitment", ref, public.commitment_page, "reporting/public/commitment.html")
