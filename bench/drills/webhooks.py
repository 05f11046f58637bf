"""The webhooks' figures and fault drill (issue 14), run by ``bash scripts/drill.sh webhooks``
with a real Celery worker and beat on Redis and PostgreSQL, and a real receiver (an HTTP server on
a free loopback port in this process, which verifies every signature with ``standardwebhooks`` and
de-duplicates on ``webhook-id``).

1. **Throughput**: ``--burst`` changes (default 1,000) committed in one transaction; deliveries
   per second from the first delivery to the last.
2. **Lag**: ``--lag`` changes (default 1,000), each its own commit, paced at ``--rate`` a second;
   the time from each commit to its delivery, median and p95.
3. **Outage**: the receiver is down (its port closed: connection refused) for ``--down`` seconds
   (default 600) while changes keep being committed, then back. Every event must be delivered,
   none twice after de-duplication, each resource's events in version order.

Prints one line per figure and exits 1 when the outage loses, repeats or reorders anything.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.drills.settings")
django.setup()

from django.db import transaction  # noqa: E402
from standardwebhooks.webhooks import Webhook  # noqa: E402

from boards.models import ApiToken, Membership  # noqa: E402
from commitments import services as commitment_services  # noqa: E402
from commitments.models import Obligation  # noqa: E402
from webhooks import services  # noqa: E402
from webhooks.models import Event, EventType  # noqa: E402


class Receiver:
    def __init__(self, secret: str = "") -> None:
        self.secret = secret
        self.lock = threading.Lock()
        self.arrivals: list[tuple[float, str, dict[str, Any]]] = []  # (time, webhook-id, body)
        self.rejected = 0
        self.server: ThreadingHTTPServer | None = None
        self.port = 0

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload = Webhook(receiver.secret).verify(body, headers)
                except Exception:
                    with receiver.lock:
                        receiver.rejected += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver.lock:
                    receiver.arrivals.append((time.time(), headers["webhook-id"], payload))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)


def update(obligation: Obligation, by: Any, n: int) -> None:
    obligation.refresh_from_db()
    commitment_services.record_update(
        obligation,
        by=by,
        version=obligation.version,
        data=commitment_services.UpdateInput(note=f"drill note {n}"),
        check_permission=False,
    )


def wait_for(receiver: Receiver, count: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while receiver.count() < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return receiver.count() >= count


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--lag", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--down", type=float, default=600.0)
    parser.add_argument("--out", default="")
    args = parser.parse_args()

    receiver = Receiver()
    receiver.start()
    membership = Membership.objects.filter(party__isnull=False).select_related("user", "party").first()
    assert membership is not None, "the drill needs the demo data (a member of a party)"
    token = ApiToken.issue(user=membership.user, scope=ApiToken.Scope.READ, name="webhooks drill")[0]
    subscription, secret = services.register(
        by=membership.user,
        party=membership.party,
        token=token,
        endpoint=f"http://127.0.0.1:{receiver.port}/hook",
        event_types=[EventType.OBLIGATION_UPDATED],
    )
    receiver.secret = secret
    obligations = list(Obligation.objects.order_by("id")[:200])
    by = membership.user
    figures: dict[str, Any] = {}
    failed = False

    # 1. Throughput: one commit of --burst changes.
    with transaction.atomic():
        for n in range(args.burst):
            update(obligations[n % len(obligations)], by, n)
    before = receiver.count()
    if not wait_for(receiver, before + args.burst, 600):
        print(f"[webhooks] throughput: only {receiver.count() - before} of {args.burst} delivered in 10 minutes")
        return 1
    times = [t for t, _id, _b in receiver.arrivals[before:]]
    span = max(times) - min(times)
    figures["deliveries_per_second"] = round(args.burst / span, 1) if span else None
    print(
        f"[webhooks] throughput: {args.burst} events delivered in {span:.1f} s from first to last: {figures['deliveries_per_second']} deliveries/s (one receiver, one worker)"
    )

    # 2. Lag: commit to delivery, each change its own commit.
    committed: dict[str, float] = {}
    start = receiver.count()
    for n in range(args.lag):
        obligation = obligations[n % len(obligations)]
        update(obligation, by, n)
        committed[f"{obligation.pk}:{obligation.version}"] = time.time()
        time.sleep(max(0.0, 1 / args.rate))
    if not wait_for(receiver, start + args.lag, 600):
        print(f"[webhooks] lag: only {receiver.count() - start} of {args.lag} delivered")
        return 1
    lags = []
    for at, _id, body in receiver.arrivals[start:]:
        sent = committed.get(f"{body['key']}:{body['version']}")
        if sent is not None:
            lags.append((at - sent) * 1000)
    figures["lag_ms_median"], figures["lag_ms_p95"] = round(statistics.median(lags)), round(pct(lags, 0.95))
    print(
        f"[webhooks] lag from commit to delivery over {len(lags)} events at {args.rate:g}/s: median {figures['lag_ms_median']} ms, p95 {figures['lag_ms_p95']} ms"
    )

    # 3. Outage: the receiver down for --down seconds while changes go on.
    receiver.stop()
    down_at = time.monotonic()
    written = 0
    while time.monotonic() - down_at < args.down:
        update(obligations[written % len(obligations)], by, written)
        written += 1
        time.sleep(max(1.0, args.down / 300))
    receiver.start()  # the same port
    back_at = time.monotonic()
    expected = Event.objects.filter(subscription=subscription).count()
    delivered_all = False
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if not Event.objects.filter(subscription=subscription).exclude(state=Event.State.DELIVERED).exists():
            delivered_all = True
            break
        time.sleep(1)
    recovery = time.monotonic() - back_at
    ids = [i for _t, i, _b in receiver.arrivals]
    unique = dict.fromkeys(ids)
    expected_ids = set(Event.objects.filter(subscription=subscription).values_list("msg_id", flat=True))
    missing = expected_ids - set(unique)
    duplicates = len(ids) - len(unique)
    # Per resource, versions in the order first received must not go down.
    firsts: dict[str, dict[str, Any]] = {}
    for _t, i, body in receiver.arrivals:
        firsts.setdefault(i, body)
    last: dict[str, int] = {}
    out_of_order = 0
    for body in firsts.values():
        if body["version"] < last.get(body["key"], 0):
            out_of_order += 1
        last[body["key"]] = body["version"]
    figures.update(
        outage_seconds=args.down,
        outage_changes=written,
        events=expected,
        recovered_in_seconds=round(recovery, 1),
        missing=len(missing),
        duplicate_deliveries=duplicates,
        out_of_order=out_of_order,
        bad_signatures=receiver.rejected,
    )
    print(
        f"[webhooks] outage: receiver down {args.down:g} s while {written} changes were committed; back, every event delivered "
        f"{'' if delivered_all else 'NOT '}within {recovery:.0f} s; {len(expected_ids)} events, {len(missing)} missing, "
        f"{duplicates} delivered more than once (removed by de-duplication on webhook-id), {out_of_order} out of order, "
        f"{receiver.rejected} bad signatures"
    )
    failed = not delivered_all or bool(missing) or bool(out_of_order) or bool(receiver.rejected)
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(figures, handle, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
