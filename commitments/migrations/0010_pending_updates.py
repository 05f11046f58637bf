"""Approval before publishing (issue 15, point 2): pending updates."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0009_change_event"),
    ]

    operations: list[migrations.operations.base.Operation] = []
