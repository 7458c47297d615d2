"""Order lookup: the field mapping, the demo source, and a real HTTP order system on loopback
(auth header sent, not found, down, a contact that does not match)."""

from __future__ import annotations

import pytest

from closeloop.core.errors import InvalidInput
from closeloop.knowledge.models import SelfServiceKind, SelfServiceSuccess
from closeloop.portal.models import OrderSource, OrderSourceKind
from closeloop.portal.orders import (
    DEMO_EMAIL,
    OrderNotFound,
    OrderSourceUnavailable,
    clean_order_number,
    contact_matches,
    demo_order_json,
    order_find,
    order_from_json,
    value_at,
)
from closeloop.portal.services import portal_order_lookup
from closeloop.portal.tests.support import fake_order_system, signed_in_client

SHOP_ORDER = {
    "order": {
        "id": "SO-7781",
        "state": "SHIPPED",
        "created": "2026-03-01",
        "buyer": {"email": "Bob@Example.com", "mobile": "138 0013 8001"},
        "lines": [{"title": "Kettle", "qty": 2}],
        "amount": {"value": "59.90", "currency": "EUR"},
        "shipping": {"tracking": "1Z999", "company": "UPS", "eta": "2026-03-04"},
    }
}
MAPPING = {
    "number": "order.id",
    "status": "order.state",
    "placed_at": "order.created",
    "items": "order.lines",
    "total": "order.amount.value",
    "currency": "order.amount.currency",
    "tracking_number": "order.shipping.tracking",
    "carrier": "order.shipping.company",
    "estimated_delivery": "order.shipping.eta",
    "email": "order.buyer.email",
    "phone": "order.buyer.mobile",
}


def test_value_at_follows_dotted_paths_and_list_indices():
    data = {"a": {"b": [{"c": 1}, {"c": 2}]}}
    assert value_at(data, "a.b.1.c") == 2
    assert value_at(data, "a.b.5.c") is None
    assert value_at(data, "a.x") is None
    assert value_at(data, "a.b.c") is None


def test_order_from_json_maps_every_field():
    order = order_from_json(SHOP_ORDER, MAPPING, source="shop")
    assert order is not None
    assert order.number == "SO-7781"
    assert order.status == "SHIPPED"
    assert order.items == [{"name": "Kettle", "quantity": "2"}]
    assert (order.total, order.currency) == ("59.90", "EUR")
    assert (order.tracking_number, order.carrier) == ("1Z999", "UPS")
    assert order.estimated_delivery == "2026-03-04"
    assert order.emails == ("bob@example.com",)
    assert order_from_json({"order": {}}, MAPPING) is None  # no status: not an order


def test_contact_matches_email_case_and_phone_formats():
    order = order_from_json(SHOP_ORDER, MAPPING)
    assert order is not None
    assert contact_matches(order, emails=["BOB@example.com"])
    assert contact_matches(order, phones=["+86 138-0013-8001"], region="CN")
    assert not contact_matches(order, emails=["eve@example.com"], phones=["13800138002"])
    assert not contact_matches(order)


def test_order_numbers_are_checked():
    assert clean_order_number("  DEMO-100001 ") == "DEMO-100001"
    for bad in ["", "../etc/passwd", "a b", "x" * 65, "订单"]:
        with pytest.raises(InvalidInput):
            clean_order_number(bad)


def test_demo_orders_are_deterministic():
    statuses = [demo_order_json(f"DEMO-{n}")["status"] for n in range(100001, 100005)]
    assert statuses == ["paid", "shipped", "delivered", "refunded"]
    assert demo_order_json("DEMO-100002") == demo_order_json("demo-100002")
    assert demo_order_json("DEMO-100002")["tracking_number"] == "SF0000100002"
    assert demo_order_json("DEMO-099999") is None
    assert demo_order_json("SO-1") is None


@pytest.mark.django_db
def test_the_demo_source_is_installed_and_active():
    source = OrderSource.objects.get(kind=OrderSourceKind.DEMO)
    assert source.is_active
    order = order_find("DEMO-100003", emails=[DEMO_EMAIL])
    assert order.status == "delivered"


@pytest.mark.django_db
def test_http_source_sends_the_auth_header_and_maps_the_answer():
    with fake_order_system(orders={"SO-7781": SHOP_ORDER}) as shop:
        source = OrderSource.objects.create(
            name="Shop",
            url_template=shop.url(),
            auth_header_name="Authorization",
            auth_header_value="Bearer shop-secret",
            field_mapping=MAPPING,
        )
        order = order_find("SO-7781", emails=["bob@example.com"], sources=[source])
    assert order.status == "SHIPPED"
    assert order.source == "Shop"
    assert shop.requests[0]["path"] == "/api/orders/SO-7781"
    assert shop.requests[0]["headers"]["Authorization"] == "Bearer shop-secret"


@pytest.mark.django_db
def test_wrong_auth_is_reported_as_the_source_being_unavailable():
    with fake_order_system(orders={"SO-7781": SHOP_ORDER}) as shop:
        source = OrderSource.objects.create(
            name="Shop", url_template=shop.url(), field_mapping=MAPPING
        )
        with pytest.raises(OrderSourceUnavailable):
            order_find("SO-7781", emails=["bob@example.com"], sources=[source])


@pytest.mark.django_db
def test_unknown_order_and_someone_elses_order_both_read_not_found():
    with fake_order_system(orders={"SO-7781": SHOP_ORDER}) as shop:
        source = OrderSource.objects.create(
            name="Shop",
            url_template=shop.url(),
            auth_header_name="Authorization",
            auth_header_value="Bearer shop-secret",
            field_mapping=MAPPING,
        )
        with pytest.raises(OrderNotFound):
            order_find("SO-0000", emails=["bob@example.com"], sources=[source])
        with pytest.raises(OrderNotFound):
            order_find("SO-7781", emails=["eve@example.com"], sources=[source])


@pytest.mark.django_db
def test_a_source_that_is_down_or_answers_garbage_is_unavailable():
    with fake_order_system(status_override=500) as shop:
        source = OrderSource.objects.create(name="Shop", url_template=shop.url())
        with pytest.raises(OrderSourceUnavailable):
            order_find("SO-1", emails=["bob@example.com"], sources=[source])
    with fake_order_system(raw_override=b"<html>not json") as shop:
        source.url_template = shop.url()
        source.auth_header_name, source.auth_header_value = "Authorization", shop.token
        with pytest.raises(OrderSourceUnavailable):
            order_find("SO-1", emails=["bob@example.com"], sources=[source])
    # Nothing listens any more on that port.
    with pytest.raises(OrderSourceUnavailable):
        order_find("SO-1", emails=["bob@example.com"], sources=[source])


@pytest.mark.django_db
def test_a_successful_lookup_is_a_self_service_success():
    order = portal_order_lookup(number="DEMO-100002", email=DEMO_EMAIL)
    assert order.status == "shipped"
    success = SelfServiceSuccess.objects.get()
    assert (success.kind, success.reference, success.channel) == (
        SelfServiceKind.ORDER_LOOKUP,
        "DEMO-100002",
        "portal",
    )
    with pytest.raises(OrderNotFound):
        portal_order_lookup(number="DEMO-100002", email="eve@example.com")
    assert SelfServiceSuccess.objects.count() == 1


@pytest.mark.django_db
def test_orders_page_shows_an_order_and_refuses_a_mismatch():
    from django.test import Client

    client = Client()
    page = client.post("/orders/", {"order_number": "DEMO-100002", "contact": DEMO_EMAIL})
    assert page.status_code == 200
    assert "SF0000100002" in page.content.decode()
    refused = client.post("/orders/", {"order_number": "DEMO-100002", "contact": "x@example.com"})
    assert refused.status_code == 404
    assert "SF0000100002" not in refused.content.decode()
    bad = client.post("/orders/", {"order_number": "../../x", "contact": DEMO_EMAIL})
    assert bad.status_code == 400
    assert 'aria-invalid="true"' in bad.content.decode()
    assert SelfServiceSuccess.objects.count() == 1


@pytest.mark.django_db
def test_the_order_status_is_in_the_pages_language():
    from django.test import Client

    data = {"order_number": "DEMO-100002", "contact": DEMO_EMAIL}
    chinese = Client().post("/orders/?lang=zh-hans", data).content.decode()
    english = Client().post("/orders/?lang=en", data).content.decode()
    assert "已发货" in chinese
    assert "Shipped" in english


@pytest.mark.django_db
def test_orders_page_for_a_signed_in_customer_needs_no_contact():
    client, customer = signed_in_client(DEMO_EMAIL)
    page = client.post("/orders/", {"order_number": "DEMO-100001"})
    assert page.status_code == 200
    assert SelfServiceSuccess.objects.get().customer == customer


@pytest.mark.django_db
def test_orders_page_says_when_the_order_system_is_down():
    from django.test import Client

    OrderSource.objects.update(is_active=False)
    OrderSource.objects.create(name="Down", url_template="http://127.0.0.1:1/{order_number}")
    page = Client().post("/orders/", {"order_number": "SO-1", "contact": "bob@example.com"})
    assert page.status_code == 503
    assert "not answering" in page.content.decode()
