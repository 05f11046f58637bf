"""``manage.py build_demo_papers``: the demo's Leaders' Committee report and board paper, built once."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from commitments.models import Report
from reporting.demo import build_demo_papers


class Command(BaseCommand):
    help = (
        "Build, once, the paper of the latest demo meeting of Leaders' Committee and of the SPB (HTML and PDF, "
        "through the same task as any build), so the demo viewer has papers to open. Run after load_demo and flag_overdue."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        results = build_demo_papers()
        if not results:
            self.stderr.write("No demo meeting to build papers for (load the demo data first: manage.py load_demo).")
            return
        failed = False
        for meeting, report, built in results:
            what = f"{meeting.board.code} {meeting.date:%-d %B %Y}: {report.get_kind_display().lower()}"
            if not built:
                self.stderr.write(f"Demo paper already there ({report.get_state_display().lower()}): {what}")
            elif report.state == Report.State.READY:
                self.stderr.write(self.style.SUCCESS(f"Demo paper built: {what}"))
            else:
                failed = True
                self.stderr.write(self.style.ERROR(f"Demo paper failed: {what}: {report.error}"))
        self.stderr.write(f"Demo papers done in {time.monotonic() - started:.1f} s.")
        if failed:
            # A failed build leaves the site usable (the paper can be built from its meeting's
            # page); say so without stopping the quick start.
            self.stderr.write("The failed paper can be built again from its meeting's page at /meetings/.")
