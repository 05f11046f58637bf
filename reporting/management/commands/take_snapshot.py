"""``manage.py take_snapshot [--date YYYY-MM-DD] [--no-prune]``: the daily snapshot, by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reporting.snapshots import prune_snapshots, take_snapshot


class Command(BaseCommand):
    help = (
        "Record the state of every commitment, obligation and action for a London day (default today), "
        "as the 06:30 job does, then apply retention (daily for SNAPSHOT_DAILY_DAYS days, then weekly). Safe to re-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="The London day to record, YYYY-MM-DD (default today).")
        parser.add_argument("--no-prune", action="store_true", help="Do not apply retention.")

    def handle(self, *args: Any, **options: Any) -> None:
        day = None
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date must be a date as YYYY-MM-DD, not {options['date']!r}") from exc
        snapshot, written = take_snapshot(day=day)
        counts = f"{snapshot.commitments:,} commitments, {snapshot.obligations:,} obligations, {snapshot.actions:,} actions"
        self.stdout.write(f"{'Snapshot taken' if written else 'Snapshot already taken'} for {snapshot.day.isoformat()}: {counts}.")
        if not options["no_prune"]:
            self.stdout.write(f"Retention removed {prune_snapshots()} snapshot(s).")
