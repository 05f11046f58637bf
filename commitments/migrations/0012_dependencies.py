"""Dependencies between commitments and actions (issue 15, point 3)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0011_ratings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Dependency",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "basis",
                    models.CharField(
                        choices=[("sources", "From the sources"), ("secretariat", "Added by a secretariat")],
                        default="secretariat",
                        max_length=12,
                    ),
                ),
                ("source_key", models.CharField(blank=True, help_text="The inventory entry the dependency is read from.", max_length=80)),
                ("source_field", models.CharField(blank=True, help_text="The entry's field that gives it.", max_length=40)),
                ("source_note", models.TextField(blank=True, help_text="The words or citation it rests on.")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "action",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="waiting_on_links",
                        to="commitments.action",
                    ),
                ),
                (
                    "commitment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="waiting_on_links",
                        to="commitments.commitment",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "prerequisite_action",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="holding_up_links",
                        to="commitments.action",
                    ),
                ),
                (
                    "prerequisite_commitment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="holding_up_links",
                        to="commitments.commitment",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "dependencies",
                "ordering": ["id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("action__isnull", True), ("commitment__isnull", False)),
                            models.Q(("action__isnull", False), ("commitment__isnull", True)),
                            _connector="OR",
                        ),
                        name="dependency_one_dependent",
                        violation_error_message="A dependency is of exactly one commitment or action.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("prerequisite_action__isnull", True), ("prerequisite_commitment__isnull", False)),
                            models.Q(("prerequisite_action__isnull", False), ("prerequisite_commitment__isnull", True)),
                            _connector="OR",
                        ),
                        name="dependency_one_prerequisite",
                        violation_error_message="A dependency waits on exactly one commitment or action.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("commitment__isnull", True),
                                ("prerequisite_commitment__isnull", True),
                                models.Q(("commitment", models.F("prerequisite_commitment")), _negated=True),
                                _connector="OR",
                            ),
                            models.Q(
                                ("action__isnull", True),
                                ("prerequisite_action__isnull", True),
                                models.Q(("action", models.F("prerequisite_action")), _negated=True),
                                _connector="OR",
                            ),
                        ),
                        name="dependency_not_on_itself",
                        violation_error_message="An item cannot wait on itself.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("basis__in", ["sources", "secretariat"])),
                        name="dependency_basis_valid",
                        violation_error_message="Unknown basis.",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("commitment__isnull", False), ("prerequisite_commitment__isnull", False)),
                        fields=("commitment", "prerequisite_commitment"),
                        name="dependency_once_cc",
                        violation_error_message="This item already waits on that one.",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("commitment__isnull", False), ("prerequisite_action__isnull", False)),
                        fields=("commitment", "prerequisite_action"),
                        name="dependency_once_ca",
                        violation_error_message="This item already waits on that one.",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("action__isnull", False), ("prerequisite_commitment__isnull", False)),
                        fields=("action", "prerequisite_commitment"),
                        name="dependency_once_ac",
                        violation_error_message="This item already waits on that one.",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("action__isnull", False), ("prerequisite_action__isnull", False)),
                        fields=("action", "prerequisite_action"),
                        name="dependency_once_aa",
                        violation_error_message="This item already waits on that one.",
                    ),
                ],
            },
        ),
    ]
