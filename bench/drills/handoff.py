"""What Redis being down adds to a write that hands work to Celery (issue 11), for scripts/drill.sh.

``python -m bench.drills.handoff measure LABEL OUT.json [--writes N]``
  Makes N writes (default 40) in this process, configured as the web processes are: each records
  an update of an obligation (``record_update``) and queues a follow-up e-mail in the outbox in the
  same transaction; the commit then hands the delivery to Celery (``devotracker.celery.hand_off``).
  Each write is timed from the start of its transaction to the end of the hand-off, and the
  hand-off alone too. The same N writes are made once first, untimed: that loads the broker's
  client code (as every web process does once) and warms the database's caches, so the up and
  down runs, one after the other, compare like with like. Writes OUT.json (label, per-write
  times, how many of the queued messages are still pending) and prints the median and p95.

``python -m bench.drills.handoff compare UP.json DOWN.json [--goal-ms 100]``
  Prints the added latency with Redis down (median and p95 of the down run minus those of the up
  run) and exits non-zero when the p95 added is over the goal, or when a message queued while
  Redis was down was not kept for the outbox delivery.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


def measure(label: str, out: Path, writes: int) -> int:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    import devotracker.celery as celery_module
    from commitments import notifications
    from commitments.models import Obligation, OutboxMessage
    from commitments.services import UpdateInput, record_update

    handoffs: list[float] = []
    real_hand_off = celery_module.hand_off

    def timed_hand_off(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            real_hand_off(*args, **kwargs)
        finally:
            handoffs.append((time.perf_counter() - started) * 1000)

    celery_module.hand_off = timed_hand_off  # type: ignore[assignment]  # schedule_delivery looks it up at call time
    writer = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    if writer is None:
        raise SystemExit("no administrator: load the demo data first (manage.py load_demo)")
    obligations = list(Obligation.objects.order_by("pk").values_list("pk", flat=True)[: max(writes, 1)])
    run = uuid.uuid4().hex[:8]
    keys: list[str] = []

    def write(i: int, step: str = "") -> float:
        obligation = Obligation.objects.get(pk=obligations[i % len(obligations)])
        key = f"drill-handoff:{label}:{run}:{step}{i}"
        started = time.perf_counter()
        with transaction.atomic():
            record_update(obligation, by=writer, version=obligation.version, data=UpdateInput(note=f"drill-handoff-{label} {i}"))
            notifications.queue_email(dedupe_key=key, to=[f"handoff-{i}@drill.example"], subject="Drill", text="Drill", html="Drill")
        elapsed = (time.perf_counter() - started) * 1000
        keys.append(key)
        return elapsed

    for i in range(writes):
        write(i, "warm-up:")
    handoffs.clear()
    times = [write(i) for i in range(writes)]
    pending = OutboxMessage.objects.filter(dedupe_key__in=keys, sent_at__isnull=True).count()
    result = {
        "label": label,
        "writes": writes,
        "write_ms": times,
        "handoff_ms": handoffs,
        "queued": len(keys),
        "pending_after": pending,
        "median_ms": statistics.median(times),
        "p95_ms": _p95(times),
        "handoff_median_ms": statistics.median(handoffs) if handoffs else None,
        "handoff_p95_ms": _p95(handoffs) if handoffs else None,
    }
    out.write_text(json.dumps(result))
    print(
        f"[handoff] Redis {label}: {writes} writes, median {result['median_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms "
        f"(the hand-off alone: median {result['handoff_median_ms']:.1f} ms, p95 {result['handoff_p95_ms']:.1f} ms); "
        f"{pending} of {len(keys)} follow-up messages still in the outbox right after"
    )
    return 0 if len(handoffs) == writes else 1


def compare(up_path: Path, down_path: Path, goal_ms: float) -> int:
    up, down = json.loads(up_path.read_text()), json.loads(down_path.read_text())
    added_median = down["median_ms"] - up["median_ms"]
    added_p95 = down["p95_ms"] - up["p95_ms"]
    kept = down["pending_after"] == down["queued"]
    print(
        f"[handoff] added write latency with Redis down: median {added_median:+.1f} ms, p95 {added_p95:+.1f} ms "
        f"(goal: under {goal_ms:.0f} ms); the {down['queued']} messages queued meanwhile "
        f"{'all waited in the outbox' if kept else 'did NOT all wait in the outbox'}"
    )
    return 0 if added_p95 < goal_ms and kept else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.drills.handoff")
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    m.add_argument("label")
    m.add_argument("out", type=Path)
    m.add_argument("--writes", type=int, default=40)
    c = sub.add_parser("compare")
    c.add_argument("up", type=Path)
    c.add_argument("down", type=Path)
    c.add_argument("--goal-ms", type=float, default=100.0)
    args = parser.parse_args(argv)
    if args.command == "measure":
        return measure(args.label, args.out, max(args.writes, 2))
    return compare(args.up, args.down, args.goal_ms)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
