from django.db import migrations


def forwards(apps, schema_editor):
    apps.get_model("core", "Organization").objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
