"""``manage.py load_mou``: load the MoU domain from commitments/data/ (idempotent, all-or-nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commitments.loader import CLAUSES, INVENTORY, DataFileError, load_mou


class Command(BaseCommand):
    help = "Load the MoU's agreements, themes, commitments, obligations, parties, boards, boroughs and pilots."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--inventory", type=Path, default=INVENTORY, help="The inventory data file (default: the project's copy).")
        parser.add_argument("--clauses", type=Path, default=CLAUSES, help="The signed-MoU clauses data file.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = load_mou(options["inventory"], options["clauses"])
        except DataFileError as exc:
            for problem in exc.problems:
                self.stderr.write(f"  {problem}")
            raise CommandError(f"The data file is malformed ({len(exc.problems)} problem(s)); nothing was changed.") from exc
        if options["verbosity"] >= 2:
            for line in report.lines():
                self.stdout.write(f"  {line}")
        if report.changed:
            created, updated = sum(report.created.values()), sum(report.updated.values())
            self.stdout.write(self.style.SUCCESS(f"MoU data loaded: {created} rows created, {updated} updated."))
        else:
            self.stdout.write("MoU data already up to date: no change.")
        for note in report.notes:
            self.stdout.write(f"Note: {note}")
