"""Install the default surveys: CSAT after resolution (active), relationship NPS (inactive)."""

from django.db import migrations
from django.utils import timezone


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    Survey = apps.get_model("feedback", "Survey")
    if Survey.objects.exists():
        return
    now = timezone.now()
    Survey.objects.create(
        name="CSAT after resolution",
        survey_type="csat",
        trigger="resolution",
        is_active=True,
        question_en="How satisfied are you with how we handled your request?",
        question_zh="您对我们这次的服务满意吗？",
        follow_up_question_en="What could we have done better?",
        follow_up_question_zh="我们哪些地方可以做得更好？",
        delay_minutes=60,
        throttle_days=7,
        token_valid_days=14,
        low_score_threshold=2,
        comment_ticket_policy="low_only",
        created_at=now,
        updated_at=now,
    )
    Survey.objects.create(
        name="Relationship NPS",
        survey_type="nps",
        trigger="relationship",
        is_active=False,
        question_en="How likely are you to recommend us to a friend or colleague?",
        question_zh="您有多大可能把我们推荐给朋友或同事？",
        follow_up_question_en="What is the main reason for your score?",
        follow_up_question_zh="您给出这个分数的主要原因是什么？",
        delay_minutes=0,
        throttle_days=7,
        token_valid_days=14,
        comment_ticket_policy="low_only",
        relationship_period_days=90,
        relationship_sample_percent=10,
        created_at=now,
        updated_at=now,
    )


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
