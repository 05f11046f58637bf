"""Amounts of money: whole pence in the database (never floats), pounds with two decimals at the
edges. The one place an amount is read from text or written for people (issue 16)."""

from __future__ import annotations

import re

# Up to a trillion pounds, in pounds with at most two decimals: "1200", "1200.5", "1200.50".
# No sign, no currency symbol, no thousands separators, no exponent: anything else is refused, so a
# spreadsheet's "£1,200" or "1.2e3" is a clear error rather than a guess.
_POUNDS = re.compile(r"^(\d{1,12})(?:\.(\d{1,2}))?$")
MAX_PENCE = 10**14


class AmountError(ValueError):
    """Text that is not an amount in pounds; the message says what is wrong, for people."""


def parse_pounds(text: str) -> int:
    """Pence from pounds written as digits with at most two decimals ("1200.50" → 120050)."""
    value = text.strip() if isinstance(text, str) else ""
    if not value:
        raise AmountError("Enter an amount in pounds, for example 1200.50.")
    if value[0] in "£$€" or "," in value:
        raise AmountError("Enter the amount as a number only, without a currency sign or commas, for example 1200.50.")
    if value.startswith("-"):
        raise AmountError("The amount cannot be negative.")
    match = _POUNDS.match(value)
    if match is None:
        if re.match(r"^\d+\.\d{3,}$", value):
            raise AmountError("Give pounds and pence: at most two decimal places, for example 1200.50.")
        raise AmountError("Enter an amount in pounds, for example 1200.50.")
    pounds, pence = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(pounds) * 100 + int(pence or "0")


def pounds_text(pence: int | None) -> str:
    """The amount as pounds with two decimals and no sign or separators (for CSV and forms):
    120050 → "1200.50"; None → ""."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(int(pence)), 100)
    return f"{sign}{whole}.{part:02d}"


def format_pounds(pence: int | None, *, short: bool = False) -> str:
    """The amount for people: "£1,200.50"; with ``short``, "£120.0m" / "£45.3k" for headline
    figures. None → "Not given"."""
    if pence is None:
        return "Not given"
    sign = "−" if pence < 0 else ""
    value = abs(int(pence))
    if short and value >= 100 * 1_000_000:
        return f"{sign}£{value / 100 / 1_000_000:,.1f}m"
    if short and value >= 100 * 1_000:
        return f"{sign}£{value / 100 / 1_000:,.1f}k"
    whole, part = divmod(value, 100)
    return f"{sign}£{whole:,}.{part:02d}" if part else f"{sign}£{whole:,}"
