from django.db import migrations


def forwards(apps, schema_editor):
    from closeloop.sla.defaults import install_defaults

    install_defaults(apps.get_model("sla", "Calendar"), apps.get_model("sla", "SlaPolicy"))


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
