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


def test_merge_joins_timelines_and_undo_separates_them(api, agent):
    mail = customer_identify(email="he@example.com")
    phone = customer_identify(phone="13600136000")
    by_mail = make_ticket(customer=mail, channel="email", subject="Invoice")
    by_phone = make_ticket(customer=phone, channel="phone", subject="Call")
    response = api.post(
        f"/api/v1/customers/{phone.pk}/merge", {"into": mail.pk, "reason": "same person"}
    )
    assert response.status_code == 201, response.content
    merge = response.json()
    assert (merge["source_id"], merge["target_id"], merge["merged_by"]) == (
        phone.pk,
        mail.pk,
        agent.user.username,
    )
    timeline = api.get(f"/api/v1/customers/{mail.pk}/timeline").json()
    assert {e["ticket"]["id"] for e in timeline} == {by_mail.pk, by_phone.pk}
    profile = api.get(f"/api/v1/customers/{mail.pk}").json()
    assert {i["kind"] for i in profile["identities"]} == {"email", "phone"}
    assert api.get(f"/api/v1/customers/{phone.pk}").json()["merged_into_id"] == mail.pk
    # A second merge of the merged-away record is refused and changes nothing.
    again = api.post(f"/api/v1/customers/{phone.pk}/merge", {"into": mail.pk, "reason": "x"})
    assert again.status_code == 400
    undo = api.post(f"/api/v1/customers/merges/{merge['id']}/undo")
    assert undo.json()["undone_at"] is not None
    timeline = api.get(f"/api/v1/customers/{mail.pk}/timeline").json()
    assert {e["ticket"]["id"] for e in timeline} == {by_mail.pk}
    assert api.get(f"/api/v1/customers/{phone.pk}").json()["merged_into_id"] is None
    assert api.post(f"/api/v1/customers/merges/{merge['id']}/undo").status_code == 400


def test_merge_into_itself_or_nobody_is_refused(api):
    customer = customer_identify(email="solo@example.com")
    itself = api.post(
        f"/api/v1/customers/{customer.pk}/merge", {"into": customer.pk, "reason": "x"}
    )
    assert (itself.status_code, itself.json()["code"]) == (400, "invalid_input")
    nobody = api.post(f"/api/v1/customers/{customer.pk}/merge", {"into": 999999, "reason": "x"})
    assert (nobody.status_code, nobody.json()["code"]) == (404, "not_found")
