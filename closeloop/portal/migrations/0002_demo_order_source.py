"""The built-in demo order source (DEMO-100001 … with statuses paid/shipped/delivered/refunded),
active by default so a fresh installation can try order lookup; deactivate it in the admin
once a real order system is configured."""

from django.db import migrations


def add_demo_source(apps, schema_editor):
    OrderSource = apps.get_model("portal", "OrderSource")
    OrderSource.objects.get_or_create(
        name="Demo orders",
        defaults={"kind": "demo", "is_active": True, "order": 1000, "timeout_seconds": 5},
    )


def remove_demo_source(apps, schema_editor):
    apps.get_model("portal", "OrderSource").objects.filter(name="Demo orders", kind="demo").delete()


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]

    operations = [migrations.RunPython(add_demo_source, remove_demo_source)]
