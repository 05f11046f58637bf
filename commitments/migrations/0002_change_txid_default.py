"""On PostgreSQL, stamp each change-log row with the id of the transaction that wrote it.

The model declares ``db_default=0`` so Django leaves the column out of its INSERTs; here the
PostgreSQL default becomes the writing transaction's id (see commitments/changes.py for why the
sync feed needs it). SQLite keeps 0: its writers are serialised, so ids follow commit order.
"""

from django.db import migrations


def set_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE commitments_change ALTER COLUMN txid SET DEFAULT (pg_current_xact_id()::text::bigint)")


def unset_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE commitments_change ALTER COLUMN txid SET DEFAULT 0")


class Migration(migrations.Migration):
    dependencies = [("commitments", "0001_initial")]
    operations = [migrations.RunPython(set_default, unset_default)]
