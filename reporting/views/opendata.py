"""The open data pages (issue 14), mounted at /open-data/ and public (no sign-in): the page that
says what the package holds and what each field means, and the package's files. Only the files the
package declares are served (a fixed list, so no path reaches anything else)."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_safe

from ..opendata import FILES, LICENCE, RESOURCES, current_descriptor, current_dir


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """``/open-data/``: the package's files, when it was built, and every field explained."""
    package = current_descriptor()
    counts = {r["name"]: r["stats"]["rows"] for r in package["resources"]} if package else {}
    resources = [
        {
            "name": r.name,
            "title": r.title,
            "description": r.description,
            "path": r.path,
            "rows": counts.get(r.name),
            "fields": [c.schema() for c in r.columns],
        }
        for r in RESOURCES
    ]
    return render(
        request,
        "reporting/open_data.html",
        {
            "package": package,
            "built_at": parse_datetime(package["created"]) if package else None,
            "resources": resources,
            "licence": LICENCE,
        },
    )


@require_safe
def download(request: HttpRequest, name: str) -> FileResponse:
    """``/open-data/<file>``: one file of the published package."""
    directory = current_dir()
    if name not in FILES or directory is None:
        raise Http404("There is no open data file of that name.")
    content_type = "application/json" if name.endswith(".json") else "text/csv; charset=utf-8"
    response = FileResponse((directory / name).open("rb"), content_type=content_type, as_attachment=name.endswith(".csv"), filename=name)
    response["Access-Control-Allow-Origin"] = "*"
    return response
