from django.apps import AppConfig


class FinanceConfig(AppConfig):
    """Money and estates (issue 16): funding streams and their lines, a year's capital budget and
    its profile, disposals of NHS sites and their receipts. Sits between ``reporting`` (which shows
    it) and ``commitments`` (whose commitments it funds)."""

    name = "finance"
    verbose_name = "Money and estates"

    def ready(self) -> None:
        from commitments import changes

        from .models import CapitalBudget, Disposal, FundingLine, FundingStream

        # Partners follow them on the sync feed like the other collections (issue 16, point 3).
        changes.register(FundingStream, "funding-streams", lambda o: o.slug)
        changes.register(FundingLine, "funding-lines", lambda o: str(o.pk))
        changes.register(CapitalBudget, "capital-budgets", lambda o: str(o.financial_year))
        changes.register(Disposal, "disposals", lambda o: str(o.pk))
