"""The service plans' three alert thresholds as active rules (no one is notified until an
administrator adds addresses or a webhook; each firing still opens a corrective action)."""

from django.db import migrations
from django.utils import timezone

DEFAULT_RULES = (
    # name, metric, comparison, threshold, clear threshold, minimum sample, touchpoint
    ("Complaint rate at after-sale above 10 %", "complaint_rate", "above", 10.0, 8.0, 30, "after_sale"),
    ("CSAT below 85 %", "csat", "below", 85.0, 87.0, 30, ""),
    ("SLA breach rate above 2 %", "sla_breach_rate", "above", 2.0, 1.5, 50, ""),
)


def add_rules(apps, schema_editor):
    AlertRule = apps.get_model("analytics", "AlertRule")
    now = timezone.now()
    for name, metric, comparison, threshold, clear, sample, touchpoint in DEFAULT_RULES:
        AlertRule.objects.get_or_create(
            name=name,
            defaults={
                "metric": metric,
                "comparison": comparison,
                "threshold": threshold,
                "clear_threshold": clear,
                "window_hours": 7 * 24,
                "min_sample": sample,
                "touchpoint": touchpoint,
                "is_active": True,
                "evaluate_every_minutes": 15,
                "created_at": now,
                "updated_at": now,
                "next_evaluation_at": now,
            },
        )


def remove_rules(apps, schema_editor):
    AlertRule = apps.get_model("analytics", "AlertRule")
    AlertRule.objects.filter(name__in=[rule[0] for rule in DEFAULT_RULES], alerts=None).delete()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]

    operations = [migrations.RunPython(add_rules, remove_rules)]
