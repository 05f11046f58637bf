from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    """What: agreements, themes, commitments, obligations, actions, history, jobs and reports."""

    name = "commitments"
    verbose_name = "Commitments"
