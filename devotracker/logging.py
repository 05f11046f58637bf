"""Structured log lines: ``time level logger event key=value ...``, one line per event.

Call sites pass their fields as ``extra={"fields": {...}}``; values are quoted when they contain
spaces so the lines stay machine-readable.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any


def _fmt(value: Any) -> str:
    text = str(value)
    if not text or any(ch in text for ch in ' "=\n'):
        text = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        parts = [f"ts={when}", f"level={record.levelname.lower()}", f"logger={record.name}"]
        parts.append(f"msg={_fmt(record.getMessage())}")
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            parts.extend(f"{key}={_fmt(value)}" for key, value in fields.items())
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line
