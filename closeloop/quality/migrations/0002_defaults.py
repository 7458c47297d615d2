"""Install the default scorecard (zh and en) and the default phrase lists of the checks."""

from django.db import migrations
from django.utils import timezone

from closeloop.quality.defaults import DEFAULT_CRITERIA, DEFAULT_PHRASES, DEFAULT_SCORECARD


def install(apps, schema_editor):
    Scorecard = apps.get_model("quality", "Scorecard")
    Criterion = apps.get_model("quality", "Criterion")
    Phrase = apps.get_model("quality", "Phrase")
    if not Scorecard.objects.filter(code=DEFAULT_SCORECARD["code"]).exists():
        scorecard = Scorecard.objects.create(
            **DEFAULT_SCORECARD, version=1, is_current=True, created_at=timezone.now()
        )
        for position, row in enumerate(DEFAULT_CRITERIA):
            key, name_en, name_zh, guidance_en, guidance_zh, weight, max_points, critical = row
            Criterion.objects.create(
                scorecard=scorecard,
                key=key,
                position=position,
                name_en=name_en,
                name_zh=name_zh,
                guidance_en=guidance_en,
                guidance_zh=guidance_zh,
                weight=weight,
                max_points=max_points,
                is_critical=critical,
            )
    for kind, languages in DEFAULT_PHRASES.items():
        for language, phrases in languages.items():
            for text in phrases:
                Phrase.objects.get_or_create(kind=kind, text=text, defaults={"language": language})


def remove(apps, schema_editor):
    apps.get_model("quality", "Phrase").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
