from django.db import migrations


def forwards(apps, schema_editor):
    from closeloop.triage.defaults import install_defaults

    install_defaults(
        apps.get_model("people", "Skill"),
        apps.get_model("triage", "Category"),
        apps.get_model("triage", "CategorySkill"),
        apps.get_model("triage", "Tag"),
    )


class Migration(migrations.Migration):
    dependencies = [("triage", "0001_initial"), ("people", "0002_skill_agentskill")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
