"""``manage.py backfill_tallies [--date YYYY-MM-DD]``: the trends' figures for days before the first snapshot."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commitments.lifecycle import london_today
from reporting.dashboards import backfill_tallies, trend_days


class Command(BaseCommand):
    help = (
        "Reconstruct from the status history the day-by-day tallies the dashboards' trends read, for the past days "
        "the trends of a London day (default today) show that have none: the end of each of the last 23 months and "
        "the same weekday in each of the last 25 weeks. Run once after loading data with history; safe to re-run "
        "(days already tallied, by a snapshot or an earlier run, are left as they are)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="The London day whose trends to fill, YYYY-MM-DD (default today).")

    def handle(self, *args: Any, **options: Any) -> None:
        on = london_today()
        if options["date"]:
            try:
                on = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date must be a date as YYYY-MM-DD, not {options['date']!r}") from exc
        written = backfill_tallies(trend_days(on))
        if written:
            self.stdout.write(f"Tallies reconstructed for {len(written)} day(s), {written[0].isoformat()} to {written[-1].isoformat()}.")
        else:
            self.stdout.write("Every day the trends show is already tallied.")
