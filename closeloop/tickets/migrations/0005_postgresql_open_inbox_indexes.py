"""PostgreSQL-only partial indexes that serve the inbox in order: open tickets by SLA due time.

PostgreSQL walks them and stops after one page (measured in bench/inbox.py); SQLite cannot
prove a bound ``status IN (…)`` implies an index's condition, so there they would only cost
writes, and the composite indexes in the model serve instead.
"""

from django.db import migrations

OPEN = "('new', 'assigned', 'in_progress', 'pending_customer')"
INDEXES = {
    "ticket_open_due": "(sla_due_at, id)",
    "ticket_open_team_due": "(team_id, sla_due_at, id)",
    "ticket_open_assignee_due": "(assignee_id, sla_due_at, id)",
}
UNASSIGNED = "ticket_open_unassigned_due"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("tickets", "Ticket")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        for name, columns in INDEXES.items():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns} WHERE status IN {OPEN}"
            )
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {UNASSIGNED} ON {table} (sla_due_at, id) "
            f"WHERE status IN {OPEN} AND assignee_id IS NULL"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in [*INDEXES, UNASSIGNED]:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_write_fewer_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
