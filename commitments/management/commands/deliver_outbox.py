"""``manage.py deliver_outbox [--limit N]``: send what the outbox holds now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commitments import notifications, overdue


class Command(BaseCommand):
    help = "Send pending outbox e-mails (escalation notices, digests), retrying failed ones whose back-off has passed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="Send at most this many messages (default: OUTBOX_BATCH_SIZE, 200).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be 1 or more.")
        self.stdout.write(overdue.format_counts(notifications.deliver_outbox(limit=options["limit"])))
