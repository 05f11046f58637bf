"""Money and estates: the read pages (issue 16). Being built; see finance/urls.py."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse


@login_required
def _not_yet(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404("Not yet.")


index = stream_list = stream_detail = line_list = line_detail = budget_list = budget_detail = disposal_list = disposal_detail = _not_yet
