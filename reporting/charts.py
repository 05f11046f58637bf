"""Server-rendered SVG charts for the dashboards and papers (issue 6): no JavaScript, no library.

Every chart is an inline ``<svg role="img">`` named by its own ``<title>`` and ``<desc>`` through
``aria-labelledby``; the desc says in words what the chart shows. Bars carry their numbers as text,
and each RAG rating is drawn with a pattern as well as a colour (red: diagonal stripes, amber:
dots, green: solid, not assessed: pale with cross-hatching), so the chart reads in greyscale and
for colour-blind readers. A chart is never the only way to a number: every chart on a page is
followed by the table it was drawn from (:class:`reporting.dashboards.Table`).

All text that reaches the SVG is escaped here; the functions return a ``SafeString``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

RAG_ORDER: tuple[str, ...] = ("red", "amber", "green", "none")
RAG_NAMES: dict[str, str] = {"red": "Red", "amber": "Amber", "green": "Green", "none": "Not assessed"}
# GOV.UK Frontend's palette: red, orange, green, mid-grey; text is GOV.UK black.
COLOURS: dict[str, str] = {"red": "#d4351c", "amber": "#f47738", "green": "#00703c", "none": "#f3f2f1"}
INK = "#0b0c0c"
SERIES_COLOURS: tuple[str, ...] = ("#1d70b8", "#5694ca")
FONT = "font-family=\"Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif\""


class RagLike(Protocol):
    label: str

    def get(self, key: str) -> int: ...


def _patterns(prefix: str) -> str:
    """Pattern fills for the four RAG values and two plain series, with ids unique to one chart."""
    p = escape(prefix)
    return (
        "<defs>"
        f'<pattern id="{p}-red" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="8" height="8" fill="{COLOURS["red"]}"/><rect width="3" height="8" fill="#ffffff" fill-opacity="0.55"/></pattern>'
        f'<pattern id="{p}-amber" width="7" height="7" patternUnits="userSpaceOnUse">'
        f'<rect width="7" height="7" fill="{COLOURS["amber"]}"/><circle cx="3.5" cy="3.5" r="1.6" fill="{INK}"/></pattern>'
        f'<pattern id="{p}-green" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{COLOURS["green"]}"/></pattern>'
        f'<pattern id="{p}-none" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{COLOURS["none"]}"/>'
        f'<path d="M0 0L8 8M8 0L0 8" stroke="#505a5f" stroke-width="1"/></pattern>'
        f'<pattern id="{p}-s0" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{SERIES_COLOURS[0]}"/></pattern>'
        f'<pattern id="{p}-s1" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">'
        f'<rect width="8" height="8" fill="{SERIES_COLOURS[1]}"/><rect width="2" height="8" fill="{INK}" fill-opacity="0.6"/></pattern>'
        "</defs>"
    )


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> str:
    cid = escape(chart_id)
    return (
        f'<svg class="app-chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{cid}-title {cid}-desc" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" focusable="false" {FONT}>'
        f'<title id="{cid}-title">{escape(title)}</title><desc id="{cid}-desc">{escape(desc)}</desc>' + _patterns(chart_id)
    )


def _chip(x: float, y: float, text: str, *, min_width: float = 0) -> str:
    """A number on a white chip, so it stays legible on any fill (contrast, greyscale, print)."""
    width = max(min_width, 8 + 7.5 * len(text))
    return (
        f'<rect x="{x - width / 2:.1f}" y="{y - 9:.1f}" width="{width:.1f}" height="18" rx="3" fill="#ffffff" stroke="{INK}" stroke-width="0.5"/>'
        f'<text x="{x:.1f}" y="{y + 4.5:.1f}" text-anchor="middle" font-size="13" fill="{INK}">{escape(text)}</text>'
    )


def _legend(chart_id: str, keys: Sequence[tuple[str, str]], y: float) -> str:
    parts, x = [], 0.0
    for key, name in keys:
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="18" height="18" fill="url(#{escape(chart_id)}-{key})" stroke="{INK}" stroke-width="1"/>'
            f'<text x="{x + 24:.1f}" y="{y + 14:.1f}" font-size="14" fill="{INK}">{escape(name)}</text>'
        )
        x += 36 + 8.2 * len(name)
    return "".join(parts)


def _wrap(label: str, width: int) -> list[str]:
    """Split a label into at most two lines of about ``width`` characters."""
    words, lines, line = label.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
        if len(lines[1]) > width:
            lines[1] = lines[1][: width - 1] + "…"
    return lines


def describe_rag(series: Sequence[RagLike], unit: str) -> str:
    """The chart's data in words, for its ``<desc>``."""
    parts = []
    for s in series:
        counts = ", ".join(f"{s.get(k)} {RAG_NAMES[k].lower()}" for k in RAG_ORDER if s.get(k))
        parts.append(f"{s.label}: {counts or f'no {unit}'}")
    return "; ".join(parts) + "."


def rag_bar_chart(*, chart_id: str, title: str, series: Sequence[RagLike], unit: str = "commitments") -> SafeString:
    """Horizontal stacked bars, one per row of a breakdown, split by RAG, with counts on the bars.

    Each bar's segments are labelled with their count (on a white chip, when the segment is wide
    enough) and the bar with its total; the label column wraps long names (theme names such as
    "Integration - commissioning and payments") onto two lines.
    """
    label_w, bar_w, row_h, top = 300, 400, 44, 40
    width = label_w + bar_w + 60
    height = top + row_h * max(len(series), 1) + 10
    peak = max([sum(s.get(k) for k in RAG_ORDER) for s in series] + [1])
    out = [_open(chart_id, title, f"{title}. {describe_rag(series, unit)}", width, height)]
    out.append(_legend(chart_id, [(k, RAG_NAMES[k]) for k in RAG_ORDER], 4))
    for i, s in enumerate(series):
        y = top + i * row_h
        lines = _wrap(s.label, 38)
        for j, line in enumerate(lines):
            dy = y + row_h / 2 + (j - (len(lines) - 1) / 2) * 16 + 5
            out.append(f'<text x="{label_w - 10}" y="{dy:.1f}" text-anchor="end" font-size="14" fill="{INK}">{escape(line)}</text>')
        x = float(label_w)
        total = 0
        for key in RAG_ORDER:
            n = s.get(key)
            if not n:
                continue
            w = bar_w * n / peak
            out.append(
                f'<rect x="{x:.1f}" y="{y + 8}" width="{w:.1f}" height="{row_h - 16}" fill="url(#{escape(chart_id)}-{key})" '
                f'stroke="{INK}" stroke-width="1"><title>{escape(f"{s.label}: {n} {RAG_NAMES[key].lower()}")}</title></rect>'
            )
            if w >= 26:
                out.append(_chip(x + w / 2, y + row_h / 2, str(n)))
            x += w
            total += n
        out.append(f'<text x="{x + 8:.1f}" y="{y + row_h / 2 + 5:.1f}" font-size="14" font-weight="bold" fill="{INK}">{total}</text>')
    out.append("</svg>")
    return mark_safe("".join(out))  # every piece of text above went through escape()


def _column_axis(labels: Sequence[str], left: float, col_w: float, base_y: float, every: int) -> str:
    parts = [f'<line x1="{left}" y1="{base_y}" x2="{left + col_w * len(labels)}" y2="{base_y}" stroke="{INK}" stroke-width="1"/>']
    for i, label in enumerate(labels):
        if i % every and i != len(labels) - 1:
            continue
        x = left + col_w * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{base_y + 14}" font-size="12" fill="{INK}" text-anchor="end" '
            f'transform="rotate(-45 {x:.1f} {base_y + 14})">{escape(label)}</text>'
        )
    return "".join(parts)


def stacked_column_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    stacks: Sequence[dict[str, int]],
    keys: Sequence[tuple[str, str]],
    label_every: int = 1,
) -> SafeString:
    """Columns over time (months or weeks), each stacked by ``keys`` (pattern id, name), with the
    column's total written above it and the period under it."""
    left, top, plot_h, col_w = 50, 40, 220, 30  # room on the left for the first slanted label
    width = int(left + col_w * max(len(labels), 1) + 20)
    height = top + plot_h + 80
    base_y = top + plot_h
    peak = max([sum(s.get(k, 0) for k, _ in keys) for s in stacks] + [1])
    out = [_open(chart_id, title, desc, width, height), _legend(chart_id, keys, 4)]
    for i, stack in enumerate(stacks):
        x = left + col_w * i + 4
        y = float(base_y)
        total = 0
        for key, name in keys:
            n = stack.get(key, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{col_w - 8}" height="{h:.1f}" fill="url(#{escape(chart_id)}-{key})" '
                f'stroke="{INK}" stroke-width="0.75"><title>{escape(f"{labels[i]}: {n} {name.lower()}")}</title></rect>'
            )
            total += n
        out.append(f'<text x="{x + (col_w - 8) / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="11" fill="{INK}">{total}</text>')
    out.append(_column_axis(labels, left, col_w, base_y, label_every))
    out.append("</svg>")
    return mark_safe("".join(out))  # every piece of text above went through escape()


def rag_trend_chart(*, chart_id: str, title: str, points: Sequence[Any]) -> SafeString:
    """RAG mix per month as stacked columns (red at the bottom, as on the bar charts)."""
    first, last = points[0], points[-1]
    desc = (
        f"{title}. {first.label}: "
        + ", ".join(f"{getattr(first, k)} {RAG_NAMES[k].lower()}" for k in RAG_ORDER)
        + f". {last.label}: "
        + ", ".join(f"{getattr(last, k)} {RAG_NAMES[k].lower()}" for k in RAG_ORDER)
        + ". Every month's figures are in the table that follows."
    )
    return stacked_column_chart(
        chart_id=chart_id,
        title=title,
        desc=desc,
        labels=[p.label for p in points],
        stacks=[{k: getattr(p, k) for k in RAG_ORDER} for p in points],
        keys=[(k, RAG_NAMES[k]) for k in RAG_ORDER],
        label_every=1,
    )


def overdue_trend_chart(*, chart_id: str, title: str, points: Sequence[Any]) -> SafeString:
    """Overdue obligations and actions per week as stacked columns."""
    first, last = points[0], points[-1]
    peak = max(points, key=lambda p: p.total)
    desc = (
        f"{title}. Week ending {first.label}: {first.total} overdue; week ending {last.label}: {last.total} overdue; "
        f"highest {peak.total} in the week ending {peak.label}. Every week's figures are in the table that follows."
    )
    return stacked_column_chart(
        chart_id=chart_id,
        title=title,
        desc=desc,
        labels=[p.on.strftime("%-d %b") for p in points],
        stacks=[{"s0": p.obligations, "s1": p.actions} for p in points],
        keys=[("s0", "Obligations"), ("s1", "Actions")],
        label_every=1,
    )


class AmountLike(Protocol):
    label: str

    def get(self, key: str) -> int: ...


# A third plain series for the amount charts (allocated, committed, spent): pale with dots, so the
# three read apart in greyscale as well as by colour.
THIRD_SERIES = "#b1b4b6"


def _third_pattern(prefix: str) -> str:
    p = escape(prefix)
    return (
        f'<defs><pattern id="{p}-s2" width="7" height="7" patternUnits="userSpaceOnUse">'
        f'<rect width="7" height="7" fill="{THIRD_SERIES}"/><circle cx="3.5" cy="3.5" r="1.4" fill="{INK}"/></pattern></defs>'
    )


def describe_amounts(rows: Sequence[AmountLike], keys: Sequence[tuple[str, str]], fmt: Any) -> str:
    """An amount chart's data in words, for its ``<desc>``: each row's amounts by name."""
    return "; ".join(f"{r.label}: " + ", ".join(f"{name.lower()} {fmt(r.get(k))}" for k, name in keys) for r in rows) + "."


def amount_bar_chart(
    *, chart_id: str, title: str, rows: Sequence[AmountLike], keys: Sequence[tuple[str, str]], fmt: Any, note: str = ""
) -> SafeString:
    """Grouped horizontal bars of amounts (issue 16): one group per row (a sub-region, a pilot,
    all of London), one bar per key (allocated, committed and spent; or expected, realised and
    retained), each bar labelled with its amount as ``fmt`` writes it (pounds), on one scale.
    Up to three keys, drawn with the series patterns (solid, striped, dotted)."""
    label_w, bar_w, bar_h, gap, top = 260, 380, 20, 16, 40
    width = label_w + bar_w + 130
    group_h = bar_h * len(keys) + gap
    height = top + group_h * max(len(rows), 1) + 10
    peak = max([r.get(k) for r in rows for k, _ in keys] + [1])
    series = [f"s{i}" for i in range(len(keys))]
    desc = f"{title}. {describe_amounts(rows, keys, fmt)}{' ' + note if note else ''}"
    out = [_open(chart_id, title, desc, width, height), _third_pattern(chart_id)]
    out.append(_legend(chart_id, [(s, name) for s, (_, name) in zip(series, keys, strict=True)], 4))
    for i, r in enumerate(rows):
        y0 = top + i * group_h
        lines = _wrap(r.label, 32)
        mid = y0 + bar_h * len(keys) / 2
        for j, line in enumerate(lines):
            dy = mid + (j - (len(lines) - 1) / 2) * 16 + 5
            out.append(f'<text x="{label_w - 10}" y="{dy:.1f}" text-anchor="end" font-size="14" fill="{INK}">{escape(line)}</text>')
        for j, ((key, name), s) in enumerate(zip(keys, series, strict=True)):
            value = r.get(key)
            w = max(bar_w * max(value, 0) / peak, 1 if value else 0)
            y = y0 + j * bar_h
            text = fmt(value)
            out.append(
                f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{bar_h - 4}" fill="url(#{escape(chart_id)}-{s})" '
                f'stroke="{INK}" stroke-width="1"><title>{escape(f"{r.label}: {name.lower()} {text}")}</title></rect>'
            )
            out.append(f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h / 2 + 5:.1f}" font-size="13" fill="{INK}">{escape(text)}</text>')
    out.append("</svg>")
    return mark_safe("".join(out))  # every piece of text above went through escape()


__all__ = [
    "amount_bar_chart",
    "describe_amounts",
    "describe_rag",
    "overdue_trend_chart",
    "rag_bar_chart",
    "rag_trend_chart",
    "stacked_column_chart",
]
