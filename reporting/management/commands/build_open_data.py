"""``manage.py build_open_data``: build and publish the open data package, by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reporting.opendata import build_package, current_descriptor


class Command(BaseCommand):
    help = (
        "Build the open data package (CSV files and datapackage.json) and publish it at /open-data/, as the 06:45 job does. Safe to re-run."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = build_package()
        package = current_descriptor() or {}
        rows = ", ".join(f"{r['stats']['rows']:,} {r['name']}" for r in package.get("resources", []))
        self.stdout.write(f"Open data published ({directory.name}): {rows}.")
