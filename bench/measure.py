"""Measurements that run inside Django, one JSON object per call on stdout (used by bench/bench.py
as ``python -m bench.measure NAME``, each in its own process so that its peak memory is its own).

- ``overdue``: the overdue pass on the current database: the first pass (in a transaction that is
  rolled back, so it can be repeated), with its Python peak memory (tracemalloc) and the process's
  peak RSS; ``--keep`` runs it for real instead, then the re-run on the same day and the daily
  passes of the following days.
- ``overdue-floor``: the least any overdue pass must write for ``--items`` newly overdue actions,
  as bare set-based statements with nothing to decide (PostgreSQL; rolled back, so it can be
  repeated): each item's overdue record (the pass's one UPDATE), its step-1 escalation row (DESIGN
  §10: the owner is told on day 0), its change-log row (the partners' feed and webhooks), and the
  escalation rows' foreign-key checks that COMMIT would run. A pass cannot be faster than this sum.
- ``report``: building the Leaders' Committee report (HTML, then PDF) for the latest Leaders'
  Committee meeting.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()


class _Rollback(Exception):
    pass


def overdue(today: dt.date, keep: bool, daily_days: int, reruns: int) -> dict[str, Any]:
    """Time the overdue pass; see the module docstring."""
    from django.db import transaction

    from commitments.models import Action, Obligation
    from commitments.overdue import flag_overdue

    out: dict[str, Any] = {"actions": Action.objects.count(), "obligations": Obligation.objects.count(), "today": today.isoformat()}
    if not keep:
        # Modules the pass imports on first use (the outbox's delivery) would otherwise count as
        # the pass's memory at one size and not at the other.
        import commitments.notifications  # noqa: F401

        tracemalloc.start()
        started = time.perf_counter()
        try:
            with transaction.atomic():
                out["first_pass_counts"] = flag_overdue(today=today)
                out["first_pass_seconds"] = time.perf_counter() - started
                raise _Rollback
        except _Rollback:
            pass
        out["python_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return out
    started = time.perf_counter()
    out["first_pass_counts"] = flag_overdue(today=today)
    out["first_pass_seconds"] = time.perf_counter() - started
    # The first pass rewrote a fifth of the rows: autovacuum would now vacuum and analyze these
    # tables (its thresholds are 20 % and 10 % of a table) well before the next day's pass.
    # Without it the daily pass runs on statistics that say nothing is flagged yet.
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("commitments_action", "commitments_obligation", "commitments_escalation", "commitments_change"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    out["vacuum_after_first_pass_seconds"] = time.perf_counter() - started
    rerun: list[float] = []
    for _ in range(reruns):
        started = time.perf_counter()
        counts = flag_overdue(today=today)
        rerun.append(time.perf_counter() - started)
        assert not any(counts.values()), counts  # a re-run the same day changes nothing
    out["rerun_seconds"] = rerun
    daily: list[float] = []
    daily_counts: list[dict[str, int]] = []
    for n in range(1, daily_days + 1):
        started = time.perf_counter()
        daily_counts.append(flag_overdue(today=today + dt.timedelta(days=n)))
        daily.append(time.perf_counter() - started)
    out["daily_seconds"] = daily
    out["daily_counts"] = daily_counts
    # And a re-run on the last of those days, after the daily pass has run.
    after: list[float] = []
    for _ in range(reruns):
        started = time.perf_counter()
        flag_overdue(today=today + dt.timedelta(days=daily_days))
        after.append(time.perf_counter() - started)
    out["rerun_after_daily_seconds"] = after
    return out


def overdue_floor(items: int, repeats: int) -> dict[str, Any]:
    """Time the bare writes of ``items`` newly overdue actions; see the module docstring."""
    from django.db import connection, transaction

    from commitments.lifecycle import london_today
    from commitments.models import Action, Change, Escalation, Obligation

    if connection.vendor != "postgresql":
        raise SystemExit("overdue-floor measures PostgreSQL")
    action, obligation, escalation, change = (m._meta.db_table for m in (Action, Obligation, Escalation, Change))
    statements = {
        "overdue_record": f"UPDATE {action} a SET overdue_since = %(today)s, escalation_level = 1 FROM floor_pick p WHERE a.id = p.id",
        "escalation_rows": f"""INSERT INTO {escalation} (target_type, obligation_id, action_id, commitment_id, step, overdue_since,
                created_at, board_id, notified, fell_to_default_board)
            SELECT 'action', p.obligation_id, p.id, p.commitment_id, 1, %(today)s, now(), NULL, '[]', false FROM floor_pick p
            ON CONFLICT DO NOTHING""",
        "change_rows": f"""INSERT INTO {change} (resource, key, object_id, op, version, at, event)
            SELECT 'actions', CAST(p.id AS TEXT), p.id, 'update', p.version, now(), 'overdue' FROM floor_pick p""",
        "foreign_key_checks": "SET CONSTRAINTS ALL IMMEDIATE",
    }
    runs: list[dict[str, float]] = []
    for _ in range(repeats):
        run: dict[str, float] = {}
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"""CREATE TEMP TABLE floor_pick ON COMMIT DROP AS
                        SELECT a.id, a.obligation_id, o.commitment_id, a.version FROM {action} a JOIN {obligation} o ON o.id = a.obligation_id
                        WHERE a.overdue_since IS NULL ORDER BY a.id LIMIT %s""",
                    [items],
                )
                for name, sql in statements.items():
                    started = time.perf_counter()
                    cursor.execute(sql, {"today": london_today()})
                    run[name] = time.perf_counter() - started
                raise _Rollback
        except _Rollback:
            pass
        run["total"] = sum(run.values())
        runs.append(run)
    return {
        "items": items,
        "runs": runs,
        "median": {name: statistics.median(r[name] for r in runs) for name in runs[0]},
    }


def _pdf_pages(pdf: bytes) -> int | None:
    """The page count of a PDF by poppler's pdfinfo (None when it is not installed)."""
    import re
    import shutil
    import subprocess

    if shutil.which("pdfinfo") is None:
        return None
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=False).stdout.decode(errors="replace")
    match = re.search(r"^Pages:\s+(\d+)", out, re.M)
    return int(match.group(1)) if match else None


def report(repeats: int) -> dict[str, Any]:
    """Build the Leaders' Committee report for the latest LC meeting ``repeats`` times."""
    from django.utils import timezone

    from boards.models import Meeting
    from commitments.models import Commitment, Report
    from reporting.papers import html_to_pdf, render_paper

    meeting = Meeting.objects.filter(board__code__iexact="LC").order_by("-date").first()
    if meeting is None:
        raise SystemExit("no Leaders' Committee meeting: load the MoU data first")
    as_of = timezone.localdate()
    html_times: list[float] = []
    pdf_times: list[float] = []
    html = ""
    pdf = b""
    for _ in range(repeats):
        started = time.perf_counter()
        html = render_paper(meeting, Report.Kind.LEADERS_COMMITTEE, as_of=as_of)
        html_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        pdf = html_to_pdf(html)
        pdf_times.append(time.perf_counter() - started)
    pages = _pdf_pages(pdf)
    return {
        "meeting": f"{meeting.board.code} {meeting.date}",
        "commitments": Commitment.objects.count(),
        "html_seconds": html_times,
        "pdf_seconds": pdf_times,
        "html_chars": len(html),
        "pdf_bytes": len(pdf),
        "pdf_pages": pages,
        "median_html": statistics.median(html_times),
        "median_pdf": statistics.median(pdf_times),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.measure")
    sub = parser.add_subparsers(dest="what", required=True)
    p_over = sub.add_parser("overdue")
    p_over.add_argument("--today", required=True, type=dt.date.fromisoformat)
    p_over.add_argument("--keep", action="store_true")
    p_over.add_argument("--daily-days", type=int, default=5)
    p_over.add_argument("--reruns", type=int, default=5)
    p_floor = sub.add_parser("overdue-floor")
    p_floor.add_argument("--items", type=int, default=1025)
    p_floor.add_argument("--repeats", type=int, default=5)
    p_rep = sub.add_parser("report")
    p_rep.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    _setup()
    if args.what == "overdue":
        result = overdue(args.today, args.keep, args.daily_days, args.reruns)
    elif args.what == "overdue-floor":
        result = overdue_floor(args.items, args.repeats)
    else:
        result = report(args.repeats)
    json.dump(result, sys.stdout, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
