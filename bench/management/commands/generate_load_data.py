"""``manage.py generate_load_data --scale mou|small|medium|large [--seed S]``: load data for benchmarks."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench import loadgen
from commitments.models import Action, Commitment, Obligation, StatusUpdate


class Command(BaseCommand):
    help = "Generate realistic load data at a named scale (mou, small, medium, large), reproducibly from a seed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=["mou", *loadgen.SCALES], default="mou")
        parser.add_argument("--seed", type=float, default=0.42, help="A number between -1 and 1 (PostgreSQL setseed).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not -1 <= options["seed"] <= 1:
            raise CommandError("--seed must be between -1 and 1")
        started = time.perf_counter()
        try:
            if options["scale"] == "mou":
                steps = loadgen.generate_mou()
            else:
                steps = loadgen.generate_large(options["scale"], options["seed"])
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        total = time.perf_counter() - started
        for step in steps:
            self.stdout.write(f"  {step.name:<32} {step.rows:>10,} rows {step.seconds:8.2f} s")
        self.stdout.write(
            f"Scale {options['scale']}: {Commitment.objects.count():,} commitments, {Obligation.objects.count():,} obligations, "
            f"{Action.objects.count():,} actions, {StatusUpdate.objects.count():,} status updates in {total:.1f} s"
        )
