"""Customer profile and the cross-channel timeline."""

from datetime import UTC, datetime, timedelta

import pytest

from closeloop.core import clock
from closeloop.customers.services import customer_identify
from closeloop.tickets.services import Actor, message_add
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_profile_lists_identities_and_ticket_counts(api):
    customer = customer_identify(email="mei@example.com", wechat_openid="oMei", name="梅")
    make_ticket(customer=customer)
    body = api.get(f"/api/v1/customers/{customer.pk}").json()
    assert body["name"] == "梅"
    assert sorted((i["kind"], i["value"]) for i in body["identities"]) == [
        ("email", "mei@example.com"),
        ("wechat", "oMei"),
    ]
    assert (body["ticket_count"], body["open_ticket_count"]) == (1, 1)


def test_timeline_spans_channels_newest_first(api, agent):
    customer = customer_identify(email="mei@example.com", wechat_openid="oMei")
    with clock.frozen_at(T0):
        by_mail = make_ticket(customer=customer, channel="email", subject="Invoice")
    with clock.frozen_at(T0 + timedelta(hours=1)):
        message_add(ticket=by_mail, body="Here is your invoice", actor=Actor.of_agent(agent))
    with clock.frozen_at(T0 + timedelta(hours=2)):
        by_wechat = make_ticket(customer=customer, channel="wechat", subject="Delivery")
    entries = api.get(f"/api/v1/customers/{customer.pk}/timeline").json()
    assert [(e["type"], e["ticket"]["id"], e["ticket"]["channel"]) for e in entries] == [
        ("message", by_wechat.pk, "wechat"),
        ("ticket", by_wechat.pk, "wechat"),
        ("message", by_mail.pk, "email"),
        ("message", by_mail.pk, "email"),
        ("ticket", by_mail.pk, "email"),
    ]
    assert entries[2]["message"]["body"] == "Here is your invoice"


def test_unknown_customer_is_404(api):
    assert api.get("/api/v1/customers/4242").json()["code"] == "not_found"
    assert api.get("/api/v1/customers/4242/timeline").status_code == 404
