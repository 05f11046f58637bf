"""``manage.py load_demo``: demo accounts (password from DEMO_PASSWORD; none for the API-only partner)
and illustrative demo data."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from commitments.demo import DEMO_ACCOUNTS, demo_loaded, ensure_accounts, load_demo, remove_demo_data
from commitments.models import Commitment


class Command(BaseCommand):
    help = "Create the demo accounts and, once, illustrative actions, owners, due dates and two years of history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="Delete the demo data and generate it afresh for today.")
        parser.add_argument("--accounts-only", action="store_true", help="Only create the demo accounts and reset their password.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not Commitment.objects.exists():
            raise CommandError("Load the MoU data first: manage.py load_mou")
        password = settings.DEMO_PASSWORD
        if not password:
            password = secrets.token_urlsafe(12)
            self.stdout.write(f"Demo password: {password}")
        ensure_accounts(password)
        self.stderr.write(
            f"Demo accounts ready: {', '.join(a.username for a in DEMO_ACCOUNTS)} "
            "(partner is API only, with no password: manage.py create_api_token partner gives it a key)"
        )
        if options["accounts_only"]:
            return
        if options["reset"]:
            remove_demo_data()
        if demo_loaded():
            self.stderr.write("Demo data already loaded (use --reset to regenerate it).")
            return
        counts = load_demo()
        self.stderr.write(
            self.style.SUCCESS(
                "Demo data loaded: "
                + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items())
                + " (all marked as demo data)."
            )
        )
