"""``manage.py backup [--output FILE]``: a consistent backup of the whole database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from commitments.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump custom format on PostgreSQL, SQLite's backup API on SQLite)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="Where to write the backup (default: var/backups/devotracker-<time>.<ext>).")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        ext = "dump" if connection.vendor == "postgresql" else "sqlite3"
        path = options["output"] or Path(settings.VAR_DIR) / "backups" / f"devotracker-{timezone.now():%Y%m%dT%H%M%SZ}.{ext}"
        try:
            backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(path))
        self.stderr.write(f"Backup written ({path.stat().st_size:,} bytes).")
