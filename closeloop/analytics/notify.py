"""Announcing alerts: one ``AlertNotification`` row per email address and webhook, sent by a
task after the firing transaction commits, retried with back-off, never in the sweep itself.

Sending claims a row with a guarded update (pending, same attempt count, due), so a task and a
sweep's retry never send the same notification twice. Email goes through the SMTP route the
portal's mail uses (the default mailbox's server or CLOSELOOP_EMAIL_HOST); the webhook is a
JSON POST signed with HMAC-SHA256 (``closeloop.channels.webhooks.post_signed``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from closeloop.analytics.metrics import metric_get
from closeloop.analytics.models import (
    Alert,
    AlertNotification,
    AlertStatus,
    NotificationChannel,
    NotificationStatus,
)
from closeloop.channels.adapters import PermanentFailure, RetryLater
from closeloop.core import clock

if TYPE_CHECKING:
    from closeloop.analytics.models import AlertRule

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# While a sender holds a claimed row; after this a retry may take it again.
CLAIM_SECONDS = 120


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def notifications_create(
    *, alert: Alert, rule: AlertRule, event: str, now: datetime
) -> list[AlertNotification]:
    """Queue the rule's email and webhook notifications of ``event`` (firing or cleared)."""
    from closeloop.analytics.tasks import alert_notification_send_task
    from closeloop.core.jobs import enqueue_with_transaction

    targets = [(NotificationChannel.EMAIL, address) for address in rule.notify_emails]
    if rule.webhook_url:
        targets.append((NotificationChannel.WEBHOOK, rule.webhook_url))
    created = [
        AlertNotification.objects.create(
            alert=alert,
            event=event,
            channel=channel,
            target=target,
            next_attempt_at=now,
            created_at=now,
        )
        for channel, target in targets
    ]
    for notification in created:
        enqueue_with_transaction(alert_notification_send_task, notification.pk)
    return created


def alert_payload(alert: Alert, event: str) -> dict[str, Any]:
    """What a webhook receives about an alert."""
    rule = alert.rule
    base = settings.CLOSELOOP["PUBLIC_URL"]
    return {
        "event": "alert.fired" if event == AlertStatus.FIRING else "alert.cleared",
        "alert": {
            "id": alert.pk,
            "status": alert.status,
            "metric": alert.metric,
            "scope": alert.scope,
            "threshold": alert.threshold,
            "fired_at": alert.fired_at.isoformat(),
            "fired_value": alert.fired_value,
            "fired_sample": alert.fired_sample,
            "cleared_at": alert.cleared_at.isoformat() if alert.cleared_at else None,
            "cleared_value": alert.cleared_value,
            "url": f"{base}/agent/analytics/alerts/{alert.pk}/",
        },
        "rule": {
            "id": rule.pk,
            "name": rule.name,
            "comparison": rule.comparison,
            "clear_threshold": rule.clear_threshold,
            "window_hours": rule.window_hours,
        },
    }


def alert_mail(alert: Alert, event: str) -> tuple[str, str]:
    """The subject and plain-text body of an alert email."""
    rule = alert.rule
    label = str(metric_get(alert.metric).label)
    values = {
        "rule": rule.name,
        "metric": label,
        "value": alert.fired_value if event == AlertStatus.FIRING else alert.cleared_value,
        "threshold": alert.threshold,
        "clear": rule.clear_threshold,
        "sample": alert.fired_sample,
    }
    if event == AlertStatus.FIRING:
        subject = _("Alert: %(rule)s (%(metric)s %(value).1f)") % values
        body = (
            _(
                "%(metric)s is %(value).1f, past the threshold %(threshold)s "
                "(%(sample)s contacts in the window).\n"
                "A corrective action is open: find the cause and set measures within 48 hours."
            )
            % values
        )
    else:
        subject = _("Cleared: %(rule)s (%(metric)s %(value).1f)") % values
        body = _("%(metric)s is back at %(value).1f, past the clear threshold %(clear)s.") % values
    base = settings.CLOSELOOP["PUBLIC_URL"]
    return subject, f"{body}\n\n{base}/agent/analytics/alerts/{alert.pk}/\n"


def _deliver(notification: AlertNotification) -> None:
    """Send one notification; RetryLater or PermanentFailure when it could not go."""
    alert = notification.alert
    if notification.channel == NotificationChannel.WEBHOOK:
        from closeloop.channels.webhooks import post_signed

        post_signed(
            notification.target,
            alert_payload(alert, notification.event),
            secret=alert.rule.webhook_secret,
        )
        return
    from closeloop.portal.mail import configured_route, portal_mail_send

    route = configured_route()
    if route is None:
        raise PermanentFailure("no mail server is configured")
    subject, body = alert_mail(alert, notification.event)
    portal_mail_send(route, to=notification.target, subject=subject, body=body)


def alert_notification_send(notification_id: int) -> str:
    """Claim and send one notification; return its status afterwards (idempotent)."""
    now = clock.now()
    notification = AlertNotification.objects.filter(pk=notification_id).first()
    if notification is None or notification.status != NotificationStatus.PENDING:
        return notification.status if notification else "missing"
    claimed = AlertNotification.objects.filter(
        pk=notification.pk,
        status=NotificationStatus.PENDING,
        attempts=notification.attempts,
        next_attempt_at__lte=now,
    ).update(
        attempts=notification.attempts + 1, next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS)
    )
    if not claimed:
        return "claimed elsewhere"
    notification = AlertNotification.objects.select_related("alert__rule").get(pk=notification.pk)
    try:
        _deliver(notification)
    except RetryLater as error:
        failed = notification.attempts >= MAX_ATTEMPTS
        AlertNotification.objects.filter(pk=notification.pk).update(
            status=NotificationStatus.FAILED if failed else NotificationStatus.PENDING,
            next_attempt_at=now + backoff(notification.attempts),
            last_error=str(error)[:500],
        )
        logger.warning("alert notification %s: %s", notification.pk, error)
        return NotificationStatus.FAILED if failed else NotificationStatus.PENDING
    except PermanentFailure as error:
        AlertNotification.objects.filter(pk=notification.pk).update(
            status=NotificationStatus.FAILED, last_error=str(error)[:500]
        )
        logger.warning("alert notification %s failed: %s", notification.pk, error)
        return NotificationStatus.FAILED
    with transaction.atomic():
        AlertNotification.objects.filter(pk=notification.pk).update(
            status=NotificationStatus.SENT, sent_at=clock.now(), last_error=""
        )
    return NotificationStatus.SENT


def alert_notifications_retry_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Queue a send for every pending notification whose next attempt has come."""
    from closeloop.analytics.tasks import alert_notification_send_task

    now = now or clock.now()
    due = list(
        AlertNotification.objects.filter(
            status=NotificationStatus.PENDING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)[:limit]
    )
    for notification_id in due:
        alert_notification_send_task.enqueue(notification_id)
    return len(due)
