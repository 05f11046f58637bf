"""``manage.py restore FILE --yes``: replace the database's contents with a backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commitments.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore the database from a backup made by manage.py backup. Everything now in the database is replaced."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--yes", action="store_true", help="Confirm that the current contents may be replaced.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("Restoring replaces everything in the database: run again with --yes to confirm.")
        try:
            restore(options["file"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(self.style.SUCCESS(f"Restored from {options['file']}."))
