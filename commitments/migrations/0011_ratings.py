"""Two ratings (issue 15, point 1): the assurance rating and its history."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0010_pending_updates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="commitment",
            name="assurance_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="commitment",
            name="assurance_by",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="commitment",
            name="assurance_rag",
            field=models.CharField(
                blank=True,
                choices=[(None, "Not assessed"), ("red", "Red"), ("amber", "Amber"), ("green", "Green")],
                db_default="",
                default="",
                max_length=5,
            ),
        ),
        migrations.AddField(
            model_name="commitment",
            name="assurance_reason",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.AddField(
            model_name="obligation",
            name="assurance_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="obligation",
            name="assurance_by",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="obligation",
            name="assurance_rag",
            field=models.CharField(
                blank=True,
                choices=[(None, "Not assessed"), ("red", "Red"), ("amber", "Amber"), ("green", "Green")],
                db_default="",
                default="",
                max_length=5,
            ),
        ),
        migrations.AddField(
            model_name="obligation",
            name="assurance_reason",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.AddField(
            model_name="statusupdate",
            name="from_assurance_rag",
            field=models.CharField(blank=True, db_default="", default="", max_length=5),
        ),
        migrations.AddField(
            model_name="statusupdate",
            name="to_assurance_rag",
            field=models.CharField(blank=True, db_default="", default="", max_length=5),
        ),
        migrations.AddConstraint(
            model_name="commitment",
            constraint=models.CheckConstraint(
                condition=models.Q(("assurance_rag__in", ["", "red", "amber", "green"])),
                name="commitment_assurance_rag_valid",
                violation_error_message="Unknown RAG rating.",
            ),
        ),
        migrations.AddConstraint(
            model_name="obligation",
            constraint=models.CheckConstraint(
                condition=models.Q(("assurance_rag__in", ["", "red", "amber", "green"])),
                name="obligation_assurance_rag_valid",
                violation_error_message="Unknown RAG rating.",
            ),
        ),
    ]
