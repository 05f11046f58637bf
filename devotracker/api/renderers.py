"""What the API speaks: JSON everywhere, CSV on lists (``?format=csv``), and a negotiation that
answers an unknown format or an unsatisfiable ``Accept`` with 406 in the contract's error shape.

CSV cells are made formula-safe: a spreadsheet would run a cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula, so such cells get a leading single quote
(the OWASP "CSV injection" advice). Every value a partner or an officer typed (titles, notes,
reasons) ends up in these files, so this is not hypothetical.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from rest_framework import exceptions, parsers, renderers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request

from devotracker.spreadsheets import csv_safe


class CSVRenderer(renderers.BaseRenderer):
    """``text/csv``. Lists stream their rows themselves (see ``CSVExportMixin``); this renderer
    exists so that ``?format=csv`` and ``Accept: text/csv`` negotiate, and renders a plain list of
    flat dicts when asked to (used by nothing that streams)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None) -> bytes:
        rows: list[dict[str, Any]] = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
        header = list(rows[0].keys()) if rows else []
        return "".join(csv_lines(header, ([row.get(h) for h in header] for row in rows))).encode("utf-8")


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The header line, then one line per row, every cell formula-safe."""
    writer = csv.writer(_Echo())
    yield writer.writerow([csv_safe(h) for h in header])
    for row in rows:
        yield writer.writerow([csv_safe(v) for v in row])


class StrictContentNegotiation(DefaultContentNegotiation):
    """DRF answers an unknown ``?format=`` with a bare 404; partners get a 406 that names the formats."""

    def filter_renderers(self, renderers: Iterable[renderers.BaseRenderer], format: str) -> list[renderers.BaseRenderer]:
        matching = [r for r in renderers if r.format == format]
        if not matching:
            formats = ", ".join(sorted({r.format for r in renderers}))
            raise exceptions.NotAcceptable(f"Unknown format {format[:20]!r}: this endpoint offers {formats}.")
        return matching

    def select_renderer(
        self, request: Request, renderers: Iterable[renderers.BaseRenderer], format_suffix: str | None = None
    ) -> tuple[renderers.BaseRenderer, str]:
        if not format_suffix and request.query_params.get(self.settings.URL_FORMAT_OVERRIDE) == "":
            # DRF reads ``?format=`` as no format at all; it names none of the formats offered.
            raise exceptions.NotAcceptable(f"Unknown format '': this endpoint offers {', '.join(sorted({r.format for r in renderers}))}.")
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except exceptions.NotAcceptable as exc:
            if "Unknown format" in str(exc.detail):
                raise
            offered = ", ".join(r.media_type for r in renderers)
            raise exceptions.NotAcceptable(f"Cannot answer with the media type you accept: this endpoint offers {offered}.") from None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but a body nested deeper than Python's recursion limit (``[[[[…``) is a
    400 like any other malformed JSON instead of a RecursionError (a 500)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None
