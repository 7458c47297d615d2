"""Analytics work run by ``closeloop worker``: the alert sweep and sending notifications."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="sweeps")
def alerts_sweep_task() -> dict[str, int]:
    """Evaluate due alert rules, run due effect checks, retry due notifications (idempotent:
    rules and notifications are claimed by guarded updates)."""
    from closeloop.analytics.actions import corrective_actions_check_due
    from closeloop.analytics.notify import alert_notifications_retry_due
    from closeloop.analytics.services import alerts_sweep

    counts = alerts_sweep()
    counts["effect_checks"] = corrective_actions_check_due()
    counts["notifications_retried"] = alert_notifications_retry_due()
    return counts


@task()
def alert_notification_send_task(notification_id: int) -> str:
    """Send one alert notification (a second run finds it sent and does nothing)."""
    from closeloop.analytics.notify import alert_notification_send

    return alert_notification_send(notification_id)


@task(queue_name="sweeps")
def rollups_sweep_task() -> dict[str, int]:
    """Roll up the days whose daily metric rollups are missing or out of date (idempotent:
    a day's rows are replaced in one transaction)."""
    from closeloop.analytics.rollups import rollups_sweep

    return rollups_sweep()
