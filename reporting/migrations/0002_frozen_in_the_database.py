"""On PostgreSQL the database itself refuses to change or delete a frozen snapshot, its rows, or a
closed reporting period (issue 13): the models refuse too, but raw SQL, a bulk tool or a mistaken
admin action must not be able to rewrite what a committee was shown. SQLite (the quick start) relies
on the models' checks."""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION reporting_refuse_frozen_snapshot() RETURNS trigger AS $$
BEGIN
    IF OLD.frozen THEN
        RAISE EXCEPTION 'snapshot % is frozen: it cannot be changed or deleted', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION reporting_refuse_closed_period() RETURNS trigger AS $$
BEGIN
    IF OLD.state = 'closed' THEN
        RAISE EXCEPTION 'reporting period % is closed: it cannot be changed or deleted', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION reporting_refuse_frozen_rows() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_rows o JOIN reporting_snapshot s ON s.id = o.snapshot_id WHERE s.frozen) THEN
        RAISE EXCEPTION 'the rows of a frozen snapshot cannot be changed or deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER reporting_snapshot_frozen BEFORE UPDATE OR DELETE ON reporting_snapshot
    FOR EACH ROW EXECUTE FUNCTION reporting_refuse_frozen_snapshot();
CREATE TRIGGER reporting_period_closed BEFORE UPDATE OR DELETE ON reporting_reportingperiod
    FOR EACH ROW EXECUTE FUNCTION reporting_refuse_closed_period();
"""

STATE_TABLES = ("reporting_commitmentstate", "reporting_obligationstate", "reporting_actionstate")

# Statement-level triggers with a transition table: one check per statement, whatever the number of
# rows (a retention run deletes millions), and PostgreSQL allows one event per such trigger.
ROW_TRIGGERS = "\n".join(
    f"CREATE TRIGGER {table}_frozen_{event.lower()} AFTER {event} ON {table} REFERENCING OLD TABLE AS old_rows "
    f"FOR EACH STATEMENT EXECUTE FUNCTION reporting_refuse_frozen_rows();"
    for table in STATE_TABLES
    for event in ("UPDATE", "DELETE")
)

DROP = "\n".join(
    [
        *(f"DROP TRIGGER IF EXISTS {table}_frozen_{event} ON {table};" for table in STATE_TABLES for event in ("update", "delete")),
        "DROP TRIGGER IF EXISTS reporting_snapshot_frozen ON reporting_snapshot;",
        "DROP TRIGGER IF EXISTS reporting_period_closed ON reporting_reportingperiod;",
        "DROP FUNCTION IF EXISTS reporting_refuse_frozen_rows();",
        "DROP FUNCTION IF EXISTS reporting_refuse_closed_period();",
        "DROP FUNCTION IF EXISTS reporting_refuse_frozen_snapshot();",
    ]
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS + ROW_TRIGGERS, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_snapshots_and_periods")]

    operations = [migrations.RunPython(create, drop)]
