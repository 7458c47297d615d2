"""Alert notifications over the wire: a real SMTP server (aiosmtpd) and a local HTTP server that
verifies the HMAC-SHA256 signature; retries after a failing answer; never sent twice."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from closeloop.analytics.models import AlertNotification, NotificationStatus
from closeloop.analytics.notify import alert_notification_send, alert_notifications_retry_due
from closeloop.analytics.services import alert_rule_evaluate
from closeloop.analytics.tests.factories import at, rule, ticket
from closeloop.channels.signing import InvalidSignature, verify
from closeloop.channels.tests.email_support import running_smtp, support_mailbox
from closeloop.core import clock

SECRET = "alert-secret"


@contextmanager
def webhook_receiver(answers: list[int]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback HTTP server that verifies each request's signature, records the verified
    JSON bodies, and answers the given statuses in turn (then 200)."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                verify(SECRET, body, dict(self.headers.items()))
            except InvalidSignature:
                self.send_response(401)
                self.end_headers()
                return
            status = answers.pop(0) if answers else 200
            if status == 200:
                received.append(json.loads(body))
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerts", received
    finally:
        server.shutdown()
        server.server_close()


def fire_and_clear(watched: Any) -> None:
    for _ in range(10):
        ticket(created=at(1), kind="complaint", touchpoint="after_sale")
    alert_rule_evaluate(rule=watched, now=at(2))
    for _ in range(200):
        ticket(created=at(2.5), kind="inquiry", touchpoint="after_sale")
    alert_rule_evaluate(rule=watched, now=at(3))


def send_pending() -> list[str]:
    with clock.frozen_at(at(10)):
        return [
            alert_notification_send(pk)
            for pk in AlertNotification.objects.order_by("pk").values_list("pk", flat=True)
        ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fire_and_clear_are_mailed_and_posted_signed() -> None:
    with running_smtp() as (smtp, mails), webhook_receiver([]) as (url, posts):
        support_mailbox(smtp.port)
        watched = rule(
            name="After-sale complaints",
            touchpoint="after_sale",
            notify_emails=["lead@shop.example", "head@shop.example"],
            webhook_url=url,
            webhook_secret=SECRET,
        )
        fire_and_clear(watched)
        assert AlertNotification.objects.count() == 6  # (2 mails + 1 webhook) × (fire, clear)
        assert send_pending() == ["sent"] * 6
        # Sending again changes nothing: each went exactly once.
        assert send_pending() == ["sent"] * 6
    assert sorted(str(mail["To"]) for mail in mails.messages) == [
        "head@shop.example",
        "head@shop.example",
        "lead@shop.example",
        "lead@shop.example",
    ]
    subjects = sorted(str(mail["Subject"]) for mail in mails.messages)
    assert subjects[0].startswith("Alert: After-sale complaints (Complaint rate 100.0)")
    assert subjects[-1].startswith("Cleared: After-sale complaints (Complaint rate 4.8)")
    assert [post["event"] for post in posts] == ["alert.fired", "alert.cleared"]
    assert posts[0]["alert"]["fired_value"] == 100.0
    assert posts[0]["alert"]["scope"] == {"touchpoint": "after_sale"}
    assert posts[1]["alert"]["cleared_value"] == pytest.approx(1000 / 210)
    assert posts[0]["rule"]["name"] == "After-sale complaints"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_webhook_is_retried_with_backoff_until_it_answers() -> None:
    with webhook_receiver([503, 500]) as (url, posts):
        watched = rule(webhook_url=url, webhook_secret=SECRET, touchpoint="after_sale")
        for _ in range(10):
            ticket(created=at(1), kind="complaint", touchpoint="after_sale")
        alert_rule_evaluate(rule=watched, now=at(2))
        notification = AlertNotification.objects.get()
        with clock.frozen_at(at(2)):
            assert alert_notification_send(notification.pk) == NotificationStatus.PENDING
        notification.refresh_from_db()
        assert notification.attempts == 1
        assert notification.next_attempt_at == at(2) + timedelta(minutes=1)
        assert "503" in notification.last_error
        # Not due yet: the retry sweep leaves it alone; due: it goes out again (500, then OK).
        assert alert_notifications_retry_due(now=at(2) + timedelta(seconds=30)) == 0
        with clock.frozen_at(at(2) + timedelta(minutes=1)):
            assert alert_notification_send(notification.pk) == NotificationStatus.PENDING
        notification.refresh_from_db()
        assert notification.next_attempt_at == at(2) + timedelta(minutes=3)
        with clock.frozen_at(at(2) + timedelta(minutes=3)):
            assert alert_notification_send(notification.pk) == NotificationStatus.SENT
    assert len(posts) == 1
    notification.refresh_from_db()
    assert (notification.attempts, notification.status) == (3, "sent")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_refused_webhook_and_no_mail_server_fail_for_good() -> None:
    with webhook_receiver([404]) as (url, _posts):
        watched = rule(
            webhook_url=url,
            webhook_secret=SECRET,
            notify_emails=["lead@shop.example"],
            touchpoint="after_sale",
        )
        for _ in range(10):
            ticket(created=at(1), kind="complaint", touchpoint="after_sale")
        alert_rule_evaluate(rule=watched, now=at(2))
        assert send_pending() == ["failed", "failed"]
    errors = set(AlertNotification.objects.values_list("last_error", flat=True))
    assert any("404" in error for error in errors)
    assert "no mail server is configured" in errors
