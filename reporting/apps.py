from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """What reads across the domain: dashboards, charts, committee papers and their builds, meetings pages.

    It sits above the domain apps (reporting → commitments → pilots → boards, enforced by the
    import-linter contracts in pyproject.toml) and owns no models: a paper's Report row is
    commitments' (it is part of the history partners read through the API).
    """

    name = "reporting"
    verbose_name = "Reporting"
