"""``manage.py load_finance_demo``: the quick start's illustrative funding lines, capital budgets and
disposals (all marked as demo data), with the transformation fund's allocation taken from COM-08
("circa £120 million"). Idempotent: what is already there is left alone."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from finance.demo import SourceFigureMissing, load_finance_demo


class Command(BaseCommand):
    help = "Load, once, illustrative funding streams and lines, capital budgets and disposals (marked as demo data)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = load_finance_demo()
        except SourceFigureMissing as exc:
            raise CommandError(str(exc)) from exc
        if not any(counts.values()):
            self.stderr.write("Finance demo data already loaded.")
            return
        self.stderr.write(
            self.style.SUCCESS(
                "Finance demo data loaded: "
                + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items())
                + " (all marked as demo data)."
            )
        )
