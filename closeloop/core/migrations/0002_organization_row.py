from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    region = settings.CLOSELOOP["DEFAULT_PHONE_REGION"].upper()
    apps.get_model("core", "Organization").objects.get_or_create(
        id=1, defaults={"default_phone_region": region}
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
