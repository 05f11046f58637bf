from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from commitments import changes

        from . import dispatch

        # Every commit that records changes nudges the follower of the log (a hand-off, no more).
        changes.on_recorded(dispatch.nudge)
