"""schemathesis hooks for the API's test run (loaded with SCHEMATHESIS_HOOKS).

CSV exports are documented as ``text/csv`` strings; this lets schemathesis read them as such and
check them against the schema rather than skip them.
"""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.deserializer("text/csv")
def csv_text(ctx: Any, response: Any) -> str:
    return str(response.text)
