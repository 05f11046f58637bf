"""Nothing without an owner (issue 16, point 4): assignments recorded as history (an owner's or a lead
board's before and after on the history row), escalations that fell to the default board."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("boards", "0002_approval"),
        ("commitments", "0012_dependencies"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="escalation",
            name="fell_to_default_board",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="Sent to the default board (the SPB) because no board leads the commitment.",
            ),
        ),
        migrations.AddField(
            model_name="statusupdate",
            name="from_lead_board",
            field=models.ForeignKey(
                blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="boards.board"
            ),
        ),
        migrations.AddField(
            model_name="statusupdate",
            name="from_owner",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="statusupdate",
            name="to_lead_board",
            field=models.ForeignKey(
                blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="boards.board"
            ),
        ),
        migrations.AddField(
            model_name="statusupdate",
            name="to_owner",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="statusupdate",
            index=models.Index(condition=models.Q(("from_owner__isnull", False)), fields=["from_owner"], name="update_from_owner"),
        ),
        migrations.AddIndex(
            model_name="statusupdate",
            index=models.Index(condition=models.Q(("to_owner__isnull", False)), fields=["to_owner"], name="update_to_owner"),
        ),
        migrations.AddIndex(
            model_name="statusupdate",
            index=models.Index(
                condition=models.Q(("from_lead_board__isnull", False)), fields=["from_lead_board"], name="update_from_lead_board"
            ),
        ),
        migrations.AddIndex(
            model_name="statusupdate",
            index=models.Index(condition=models.Q(("to_lead_board__isnull", False)), fields=["to_lead_board"], name="update_to_lead_board"),
        ),
    ]
