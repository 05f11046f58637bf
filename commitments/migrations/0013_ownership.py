"""Nothing without an owner (issue 16, point 4): assignments recorded as history, escalations that
fell to the default board."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0012_dependencies"),
    ]

    operations: list[migrations.operations.base.Operation] = []
