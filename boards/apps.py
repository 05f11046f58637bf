from django.apps import AppConfig


class BoardsConfig(AppConfig):
    """Who: parties (organisations), boards and committees, memberships, meetings, API tokens."""

    name = "boards"
    verbose_name = "Parties, boards and people"
