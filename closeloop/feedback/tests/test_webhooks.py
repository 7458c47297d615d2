"""Survey responses are posted to the configured webhooks, signed HMAC-SHA256."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from closeloop.channels.signing import verify
from closeloop.core import clock
from closeloop.feedback.models import SurveyWebhook
from closeloop.feedback.services import Answer, response_submit, response_webhooks_send
from closeloop.feedback.tests.factories import only_survey, resolved_ticket, sent_invitation

pytestmark = pytest.mark.django_db


class _Recorder(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def test_a_response_is_posted_signed_to_each_active_webhook() -> None:
    _Recorder.received = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        SurveyWebhook.objects.create(url=url, secret="s3cret", created_at=clock.now())
        SurveyWebhook.objects.create(
            url=url + "/off", secret="x", is_active=False, created_at=clock.now()
        )
        only_survey()
        ticket = resolved_ticket()
        response = response_submit(invitation=sent_invitation(ticket), answer=Answer(score=5))
        assert response_webhooks_send(response_id=response.pk) == 1
    finally:
        server.shutdown()
        server.server_close()
    assert len(_Recorder.received) == 1
    headers, body = _Recorder.received[0]
    verify("s3cret", body, headers)  # raises when the signature does not match
    payload = json.loads(body)
    assert payload["event"] == "survey.response"
    assert (payload["score"], payload["ticket_number"]) == (5, ticket.number)
