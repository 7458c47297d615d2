"""PostgreSQL hands out ticket numbers from a sequence (see tickets.services._next_ticket_number).

It starts where the organisation's counter stands, so a database that already has tickets
keeps counting on.
"""

from django.db import migrations

SEQUENCE = "closeloop_ticket_number"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    organization = apps.get_model("core", "Organization").objects.filter(id=1).first()
    start = organization.next_ticket_number if organization else 10001
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START WITH {int(start)}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_ticket_import_ref"), ("core", "0002_organization_row")]

    operations = [migrations.RunPython(forwards, backwards)]
