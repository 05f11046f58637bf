"""Spreadsheet safety: the one rule for cells a spreadsheet must show as text (CSV injection).

Every CSV the product writes (API exports, dashboard downloads, import templates and error files)
passes each cell through :func:`csv_safe`. It lives in the project package because every app's
exports use it and it knows nothing of the domain.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

# A cell starting with one of these is a formula to a spreadsheet; tab and carriage return start one
# in some spreadsheets too (OWASP, "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs as a formula.

    Text starting with ``= + - @`` (or tab, carriage return) gets a leading apostrophe, so it shows
    as typed. Numbers stay numbers (a negative figure is not a formula; an amount in pounds is a
    ``Decimal``); ``None`` is an empty cell.
    """
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_download(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """A CSV file to download as ``filename``: UTF-8 with a byte-order mark (so spreadsheets read
    names right), the header, then every row with each cell :func:`csv_safe`."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so Excel opens it as UTF-8
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return response
