"""schemathesis hooks for the API's schema check (tests/api/schemathesis.toml loads them; so does
tests/api/test_schema.py, which runs the same check in-process).

- CSV exports are documented as ``text/csv`` strings; this lets schemathesis read them as such and
  check them against the schema rather than skip them.
- ``format: cursor`` (the sync feed's ``after``): a string the feed gave out, which a client cannot
  make up. schemathesis is told what such strings look like, so it sends real positions of the
  feed as valid values and anything else as invalid ones.
- ``positive_update_acceptance`` stands in for schemathesis's ``positive_data_acceptance`` on the
  three write operations (``POST …/updates/``), where the config turns that check off. It is the
  same check, except that it also accepts the refusals that depend on the target as it is now,
  which no schema can state, and only those: 412 when an ``If-Match`` was sent (the version in it
  is not the current one), 428 when no version was sent at all (DESIGN.md §6), and a 400 whose
  every message is one of the three rules of ``services.validate_update`` that compare the update
  with the target's current state. Any other refusal of a request the schema calls valid fails,
  exactly as ``positive_data_acceptance`` would.
- ``ast.parse`` one call at a time: Hypothesis parses lambdas' source (to describe strategies) in
  schemathesis's worker threads, and Python 3.11's parser keeps its recursion depth per
  interpreter rather than per thread, so two parses at once can fail with "SystemError: AST
  constructor recursion depth mismatch" (an error of the run, not of the API).
"""

from __future__ import annotations

import ast
import base64
import json
import threading
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

MAX_BIGINT = 2**63 - 1

# The messages of the rules that compare an update with the target's current state (a change of
# status, RAG or due date is only a change if it differs from the current value).
STATE_RULES = {
    "reason": {"Give a reason for changing the status, RAG rating or due date."},
    "evidence": {"Give evidence that this is complete: a link, or a note saying where the evidence is."},
    "non_field_errors": {"Change at least one thing, or add a note or evidence."},
}


if not getattr(ast.parse, "one_at_a_time", False):
    _parse, _parsing = ast.parse, threading.Lock()

    def _parse_one_at_a_time(*args: Any, **kwargs: Any) -> Any:
        with _parsing:
            return _parse(*args, **kwargs)

    _parse_one_at_a_time.one_at_a_time = True  # type: ignore[attr-defined]
    ast.parse = _parse_one_at_a_time


@schemathesis.deserializer("text/csv")
def csv_text(ctx: Any, response: Any) -> str:
    return str(response.text)


def _cursor(txid: int, change_id: int) -> str:
    # The feed's own encoding (commitments.api.views.encode_cursor), without importing Django here.
    return base64.urlsafe_b64encode(f"v1:{txid}:{change_id}".encode()).decode().rstrip("=")


schemathesis.openapi.format(
    "cursor",
    st.one_of(
        st.just(""),
        st.builds(_cursor, st.integers(0, MAX_BIGINT), st.integers(0, MAX_BIGINT)),
        st.builds(_cursor, st.integers(0, 10_000), st.integers(0, 10_000)),
    ),
)


def _refusal_depends_on_the_target(response: Any, case: Any) -> bool:
    headers = {name.lower(): value for name, value in (case.headers or {}).items()}
    if_match = headers.get("if-match")
    sent_if_match = if_match is not None and if_match.strip() != "*"
    body = case.body if isinstance(case.body, dict) else {}
    if response.status_code == 412:
        return sent_if_match
    if response.status_code == 428:
        return not sent_if_match and "version" not in body
    if response.status_code == 400:
        try:
            errors = json.loads(response.content).get("errors") or {}
        except (ValueError, AttributeError):
            return False
        return bool(errors) and all(set(messages) <= STATE_RULES.get(field, set()) for field, messages in errors.items())
    return False


@schemathesis.check
def positive_update_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    """``positive_data_acceptance`` for ``POST …/updates/``, less the refusals that depend on the
    target's current state (see the module's docstring)."""
    if case.method.upper() != "POST" or not case.operation.path.endswith("/updates/"):
        return None
    try:
        return positive_data_acceptance(ctx, response, case)  # type: ignore[no-any-return]
    except RejectedPositiveData:
        if _refusal_depends_on_the_target(response, case):
            return None
        raise
