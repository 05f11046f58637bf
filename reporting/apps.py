from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """What reads across the domain: dashboards, charts, committee papers and their builds, meetings pages.

    It sits above the domain apps (reporting → commitments → pilots → boards, enforced by the
    import-linter contracts in pyproject.toml). It owns the reporting periods and the snapshots
    they freeze; a paper's Report row is commitments' (part of the history partners read).
    """

    name = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        from commitments import changes, comparisons

        from .comparisons import previous_in_period
        from .models import ReportingPeriod

        # ?compare_to=<period> on the API's commitments and obligations lists.
        comparisons.register(previous_in_period)

        # Partners read periods (/api/v1/periods/): their opening and closing go in the sync feed.
        changes.register(ReportingPeriod, "periods", lambda period: str(period.pk))
