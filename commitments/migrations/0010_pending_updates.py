"""Approval before publishing (issue 15, point 2): pending updates."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("boards", "0002_approval"),
        ("commitments", "0009_change_event"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="statusupdate",
            name="approved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="statusupdate",
            name="approved_by",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.CreateModel(
            name="PendingUpdate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "target_type",
                    models.CharField(
                        choices=[("commitment", "Commitment"), ("obligation", "Obligation"), ("action", "Action")], max_length=10
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("web", "Browser"),
                            ("api", "API"),
                            ("import", "Spreadsheet import"),
                            ("system", "DevoTracker"),
                            ("demo", "Demo data"),
                        ],
                        default="web",
                        max_length=10,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("base_version", models.PositiveIntegerField(help_text="The item's published version the update was written against.")),
                (
                    "status",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("not_started", "Not started"),
                            ("in_progress", "In progress"),
                            ("complete", "Complete"),
                            ("not_pursued", "Not pursued"),
                        ],
                        max_length=12,
                    ),
                ),
                ("rag", models.CharField(blank=True, max_length=5)),
                ("changes_rag", models.BooleanField(default=False, help_text="Whether the update sets the RAG (an empty RAG clears it).")),
                ("progress", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("due_date", models.DateField(blank=True, null=True)),
                ("reason", models.TextField(blank=True)),
                ("note", models.TextField(blank=True)),
                ("evidence", models.JSONField(blank=True, default=list)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("submitted", "Awaiting approval"),
                            ("returned", "Returned"),
                            ("approved", "Approved"),
                            ("replaced", "Replaced"),
                            ("withdrawn", "Withdrawn"),
                        ],
                        default="submitted",
                        max_length=10,
                    ),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("comment", models.TextField(blank=True, help_text="The secretariat's comment when returning (or approving).")),
                (
                    "action",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="pending_updates",
                        to="commitments.action",
                    ),
                ),
                (
                    "author",
                    models.ForeignKey(
                        null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="pending_updates", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "board",
                    models.ForeignKey(
                        help_text="The board whose approval it needs.",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="pending_updates",
                        to="boards.board",
                    ),
                ),
                (
                    "commitment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="pending_updates", to="commitments.commitment"
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "obligation",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="pending_updates",
                        to="commitments.obligation",
                    ),
                ),
                (
                    "party",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="boards.party"
                    ),
                ),
                (
                    "published",
                    models.OneToOneField(
                        blank=True,
                        help_text="The history row its approval wrote.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="pending_update",
                        to="commitments.statusupdate",
                    ),
                ),
                (
                    "replaced_by",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="replaces",
                        to="commitments.pendingupdate",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["board", "state"], name="pending_update_board_state"),
                    models.Index(fields=["author", "state"], name="pending_update_author_state"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("action__isnull", True), ("obligation__isnull", True), ("target_type", "commitment")),
                            models.Q(("action__isnull", True), ("obligation__isnull", False), ("target_type", "obligation")),
                            models.Q(("action__isnull", False), ("target_type", "action")),
                            _connector="OR",
                        ),
                        name="pending_update_one_target",
                        violation_error_message="An update has exactly one target.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("state__in", ["submitted", "returned", "approved", "replaced", "withdrawn"])),
                        name="pending_update_state_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("decided_at__isnull", True), ("state", "submitted")),
                            models.Q(models.Q(("state", "submitted"), _negated=True), ("decided_at__isnull", False)),
                            _connector="OR",
                        ),
                        name="pending_update_decided_when_not_submitted",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("state", "submitted"), ("target_type", "action")),
                        fields=("action",),
                        name="pending_update_one_per_action",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("state", "submitted"), ("target_type", "obligation")),
                        fields=("obligation",),
                        name="pending_update_one_per_obligation",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("state", "submitted"), ("target_type", "commitment")),
                        fields=("commitment",),
                        name="pending_update_one_per_commitment",
                    ),
                ],
            },
        ),
    ]
