"""``manage.py flag_overdue [--date YYYY-MM-DD] [--deliver]``: run the overdue pass now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commitments import notifications, overdue
from commitments.models import JobRun


class Command(BaseCommand):
    help = (
        "Flag overdue obligations and actions, clear those no longer overdue, take due escalation steps and queue "
        "their e-mails (the same pass beat runs daily at 06:00 London). Prints the counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Run for this London day (YYYY-MM-DD) instead of today.")
        parser.add_argument("--deliver", action="store_true", help="Also send the queued e-mails now, in this process.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = overdue.parse_london_day(options["date"])
        run = overdue.run_flag_overdue("command", today=today)
        if run.outcome != JobRun.Outcome.SUCCESS:
            raise CommandError(f"The overdue pass failed (job run {run.pk}): {run.error}")
        self.stdout.write(overdue.format_counts(run.counts))
        if options["deliver"]:
            self.stdout.write(overdue.format_counts({f"delivery_{k}": v for k, v in notifications.deliver_outbox().items()}))
