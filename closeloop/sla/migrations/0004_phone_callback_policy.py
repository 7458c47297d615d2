from django.db import migrations


def forwards(apps, schema_editor):
    """Existing installations get the defaults added since (the phone call-back policy)."""
    from closeloop.sla.defaults import install_defaults

    install_defaults(apps.get_model("sla", "Calendar"), apps.get_model("sla", "SlaPolicy"))


class Migration(migrations.Migration):
    dependencies = [("sla", "0003_write_fewer_indexes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
