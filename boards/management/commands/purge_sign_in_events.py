"""``manage.py purge_sign_in_events``: apply the sign-in log's retention period."""

from typing import Any

from django.core.management.base import BaseCommand

from boards.services import purge_sign_in_events


class Command(BaseCommand):
    help = "Delete sign-in audit rows older than SIGN_IN_LOG_RETENTION_DAYS (default 365)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Deleted {purge_sign_in_events()} sign-in audit rows.")
