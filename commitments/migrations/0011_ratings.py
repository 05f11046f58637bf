"""Two ratings (issue 15, point 1): the assurance rating and its history."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0010_pending_updates"),
    ]

    operations: list[migrations.operations.base.Operation] = []
