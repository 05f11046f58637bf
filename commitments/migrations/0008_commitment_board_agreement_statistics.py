"""Extended statistics on commitments' (lead board, agreement), PostgreSQL only.

A board leads commitments of some agreements far more than others, and the planner, assuming the
two columns independent, expected thousands of a board's commitments in the dashboards' default
agreements where there were a handful: it then scanned every action to count the board's (~300 ms
at the large benchmark scale) instead of following the indexes (~40 ms). The statistics tell it
the combinations that occur. SQLite has no such thing and needs none.
"""

from django.db import migrations

CREATE = "CREATE STATISTICS IF NOT EXISTS commitment_board_agreement (mcv, dependencies) ON lead_board_id, agreement_id FROM commitments_commitment"
DROP = "DROP STATISTICS IF EXISTS commitment_board_agreement"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("commitments", "0007_report_docx")]

    operations = [migrations.RunPython(forwards, backwards)]
