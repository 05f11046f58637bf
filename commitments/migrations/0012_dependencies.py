"""Dependencies between commitments and actions (issue 15, point 3)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0011_ratings"),
    ]

    operations: list[migrations.operations.base.Operation] = []
