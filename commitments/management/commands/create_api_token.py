"""``manage.py create_api_token USERNAME [--read-only] [--name NAME]`` (DESIGN.md §10).

Issues a new API token for a user and prints only its key on stdout, so scripts can capture it
(``KEY=$(manage.py create_api_token partner)``); messages go to stderr. Each call adds a token (a
partner rotating keys keeps the old one until an administrator revokes it). The key is shown once:
only its SHA-256 hash is stored.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from boards.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print its key (shown once) on stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The user the token acts as; its roles decide what it may write.")
        parser.add_argument("--read-only", action="store_true", help="A token that can only read (scope 'read').")
        parser.add_argument("--name", default="", help="A label for administrators, e.g. the partner system's name.")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        name: str = options["name"].strip()
        if len(name) > ApiToken._meta.get_field("name").max_length:  # type: ignore[operator]
            raise CommandError("The name must be 100 characters or fewer.")
        user_model = get_user_model()
        try:
            user = user_model.objects.get(**{user_model.USERNAME_FIELD: username})
        except user_model.DoesNotExist:
            raise CommandError(f"No user named {username!r}: create the user first.") from None
        if not user.is_active:
            raise CommandError(f"The user {username!r} is inactive: its tokens would be refused.")
        scope = ApiToken.Scope.READ if options["read_only"] else ApiToken.Scope.WRITE
        token, key = ApiToken.issue(user=user, scope=scope, name=name)
        self.stderr.write(f"Created {scope} token {token.prefix}… for {username}. The key is shown once; store it now.")
        self.stdout.write(key)
