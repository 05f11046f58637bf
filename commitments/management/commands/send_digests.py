"""``manage.py send_digests [--daily | --weekly] [--date YYYY-MM-DD] [--deliver]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from commitments import notifications, overdue


class Command(BaseCommand):
    help = (
        "Queue the officers' daily digest (--daily, the default) or the secretariats' weekly digest (--weekly). "
        "Each person (daily) or board (weekly) gets at most one per day / ISO week, however often this runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--daily", action="store_const", dest="kind", const="daily", help="The officers' daily digest (default).")
        which.add_argument("--weekly", action="store_const", dest="kind", const="weekly", help="The secretariats' weekly digest.")
        parser.add_argument("--date", help="Build the digests as of this London day (YYYY-MM-DD) instead of today.")
        parser.add_argument("--deliver", action="store_true", help="Also send the queued e-mails now, in this process.")

    def handle(self, *args: Any, **options: Any) -> None:
        run = notifications.run_digests(options["kind"] or "daily", triggered_by="command", today=overdue.parse_london_day(options["date"]))
        self.stdout.write(overdue.format_counts(run.counts))
        if options["deliver"]:
            self.stdout.write(overdue.format_counts({f"delivery_{k}": v for k, v in notifications.deliver_outbox().items()}))
