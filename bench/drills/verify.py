"""Checks run after a drill (scripts/drill.sh), against the drill's database.

``python -m bench.drills.verify writes RUN LEDGER STATS_CSV [--started ISO] [--allow-ghosts]``
  Compares what the clients were told (the ledger the locust users wrote) with the history in the
  database: every accepted write is there exactly once, on the right item, with the version the
  server answered; no history row of the run is missing from the ledger (a "ghost": stored although
  the client was not told so; tolerated only with ``--allow-ghosts``, and still reported); for every
  item written during the run, no two history rows share a version and each starts from the state
  the one before it left. Prints the figures (requests, failures, p50/p95/p99 from locust's CSV) and exits
  non-zero when a request failed or anything was lost or doubled.

``python -m bench.drills.verify outbox MAIL_DIR --since ISO [--expect-sent N] [--timeout S] [--label TEXT]``
  Waits (up to S seconds, default 120) for the messages queued since ISO to be sent, then counts
  the e-mails the file backend wrote since then: each message sent must be one e-mail with its own
  Message-ID (nothing sent twice). Prints the figures.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any


def locust_figures(stats_csv: Path) -> dict[str, Any]:
    with stats_csv.open() as f:
        rows = {row["Name"]: row for row in csv.DictReader(f)}
    total = rows["Aggregated"]
    endpoints = [r for name, r in rows.items() if name != "Aggregated"]
    slowest = sorted(endpoints, key=lambda r: float(r["95%"] or 0), reverse=True)[:3]
    return {
        "slowest": ", ".join(f"{r['Type']} {r['Name']} p95 {r['95%']} ms" for r in slowest),
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50": total["50%"],
        "p95": total["95%"],
        "p99": total["99%"],
        "max": total["Max Response Time"],
    }


def check_writes(run: str, ledger: Path, stats_csv: Path, started: dt.datetime | None, allow_ghosts: bool) -> int:
    from commitments.models import Action, Obligation, StatusUpdate

    entries = [json.loads(line) for line in ledger.read_text().splitlines() if line.strip()]
    accepted = [e for e in entries if "token" in e]
    conflicts = sum(1 for e in entries if "conflict" in e)
    unavailable = sum(1 for e in entries if "unavailable" in e)
    prefix = f"drill-{run}-"
    rows = list(
        StatusUpdate.objects.filter(note__startswith=prefix).values("pk", "note", "version", "obligation_id", "action_id", "target_type")
    )
    by_token: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_token[row["note"].split()[0]].append(row)

    lost, doubled, wrong = [], [], []
    for e in accepted:
        found = by_token.get(e["token"], [])
        if not found:
            lost.append(e)
        elif len(found) > 1:
            doubled.append(e)
        else:
            row = found[0]
            target_id = row["action_id"] if e["target"] == "action" else row["obligation_id"]
            if row["target_type"] != e["target"] or target_id != e["id"] or row["version"] != e["version"]:
                wrong.append((e, row))
    told = {e["token"] for e in accepted}
    ghosts = [t for t in by_token if t not in told]

    # Every item written during the run: no two history rows share a version, the item's version is
    # at least the last one, and each row starts from the state the row before it left (nothing
    # interleaved). The overdue pass may raise a version with no history row of its own (it changes
    # ``overdue_since``, not the state), so versions may skip, but never repeat or go back.
    gaps = []
    since = started or dt.datetime.min.replace(tzinfo=dt.UTC)
    for model, field in ((Obligation, "obligation_id"), (Action, "action_id")):
        target_type = model.__name__.lower()
        ids = {r[field] for r in rows if r["target_type"] == target_type}
        history: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in StatusUpdate.objects.filter(**{f"{field}__in": ids}, target_type=target_type, created_at__gte=since).values_list(
            field, "version", "from_status", "from_rag", "from_progress", "to_status", "to_rag", "to_progress"
        ):
            history[row[0]].append(row[1:])
        current = dict(model.objects.filter(pk__in=ids).values_list("pk", "version"))
        for target_id, chain in history.items():
            chain.sort()
            versions = [link[0] for link in chain]
            broken = [b for a, b in itertools.pairwise(chain) if b[1:4] != a[4:7]]
            if len(set(versions)) != len(versions) or versions[-1] > current[target_id] or broken:
                gaps.append((target_type, target_id, versions[:8], current[target_id], broken[:1]))

    figures = locust_figures(stats_csv)
    print(
        f"[{run}] {figures['requests']} requests, {figures['failures']} failed, {figures['rps']:.1f}/s; "
        f"latency p50 {figures['p50']} ms, p95 {figures['p95']} ms, p99 {figures['p99']} ms, max {float(figures['max']):.0f} ms"
    )
    print(f"[{run}] slowest: {figures['slowest']}")
    print(
        f"[{run}] writes: {len(accepted)} accepted and found exactly once: {len(accepted) - len(lost) - len(doubled) - len(wrong)}; "
        f"lost {len(lost)}, doubled {len(doubled)}, wrong item or version {len(wrong)}; conflicts told (409) {conflicts}; "
        f"clean 503s {unavailable}; stored but not acknowledged {len(ghosts)}; items whose history repeats a version or breaks its chain {len(gaps)}"
    )
    for label, items in (("LOST", lost), ("DOUBLED", doubled), ("WRONG", wrong), ("CHAIN", gaps), ("GHOST", ghosts)):
        for item in items[:10]:
            print(f"[{run}] {label}: {item}")
    bad = figures["failures"] or lost or doubled or wrong or gaps or (ghosts and not allow_ghosts) or not accepted
    return 1 if bad else 0


def check_outbox(
    mail_dir: Path,
    since: dt.datetime,
    expect_sent: int | None,
    timeout: float = 120,
    label: str = "queued while Redis was down and delivered after",
) -> int:
    from commitments.models import OutboxMessage

    deadline = time.monotonic() + timeout
    pending = OutboxMessage.objects.filter(created_at__gte=since, sent_at__isnull=True)
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(1)
    left = pending.count()
    sent = OutboxMessage.objects.filter(created_at__gte=since, sent_at__isnull=False, last_error="").count()
    ids = []
    for path in sorted(mail_dir.glob("*")):
        if path.stat().st_mtime < since.timestamp():
            continue  # written before this check's messages were queued (an earlier scenario's)
        ids += re.findall(r"^Message-ID: (.+)$", path.read_text(errors="replace"), re.M)
    repeats = [mid for mid, n in Counter(ids).items() if n > 1]
    print(f"[outbox] {label}: {sent} sent, {left} still pending; e-mails written {len(ids)}, sent twice {len(repeats)}")
    ok = left == 0 and not repeats and len(ids) == sent and sent > 0 and (expect_sent is None or sent == expect_sent)
    return 0 if ok else 1


def main(argv: list[str]) -> int:
    import django

    django.setup()
    parser = argparse.ArgumentParser(prog="python -m bench.drills.verify")
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("writes")
    w.add_argument("run")
    w.add_argument("ledger", type=Path)
    w.add_argument("stats_csv", type=Path)
    w.add_argument("--started", type=dt.datetime.fromisoformat)
    w.add_argument("--allow-ghosts", action="store_true")
    o = sub.add_parser("outbox")
    o.add_argument("mail_dir", type=Path)
    o.add_argument("--since", type=dt.datetime.fromisoformat, required=True)
    o.add_argument("--expect-sent", type=int)
    o.add_argument("--timeout", type=float, default=120)
    o.add_argument("--label", default="queued while Redis was down and delivered after")
    args = parser.parse_args(argv)
    if args.command == "writes":
        return check_writes(args.run, args.ledger, args.stats_csv, args.started, args.allow_ghosts)
    return check_outbox(args.mail_dir, args.since, args.expect_sent, args.timeout, args.label)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
