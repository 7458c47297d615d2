"""Identifying customers across channels."""

import pytest

from closeloop.core.errors import InvalidInput
from closeloop.customers.models import Customer, Identity
from closeloop.customers.services import customer_identify

pytestmark = pytest.mark.django_db


def test_same_email_in_any_case_is_one_customer():
    first = customer_identify(email="Wang.Fang@Example.com", name="王芳")
    second = customer_identify(email="wang.fang@example.COM")
    assert first.pk == second.pk
    assert first.name == "王芳"
    assert Customer.objects.count() == 1


def test_new_handle_joins_the_known_customer():
    by_email = customer_identify(email="zhang@example.com")
    by_both = customer_identify(email="zhang@example.com", phone="13900001111")
    by_phone = customer_identify(phone="+86 139 0000 1111")
    assert by_email.pk == by_both.pk == by_phone.pk
    assert set(Identity.objects.values_list("kind", "value")) == {
        ("email", "zhang@example.com"),
        ("phone", "+8613900001111"),
    }


def test_handles_of_different_customers_are_not_merged_silently():
    app_user = customer_identify(app_user_id="u-1")
    email_user = customer_identify(email="x@example.com")
    found = customer_identify(app_user_id="u-1", email="x@example.com")
    assert found.pk == app_user.pk
    assert Identity.objects.get(kind="email").customer_id == email_user.pk


def test_a_customer_needs_a_handle():
    with pytest.raises(InvalidInput):
        customer_identify(name="nobody")
    assert Customer.objects.count() == 0


def test_invalid_phone_creates_nothing():
    with pytest.raises(InvalidInput):
        customer_identify(email="ok@example.com", phone="123")
    assert Customer.objects.count() == 0


def test_losing_the_race_for_a_new_handle_returns_the_winner(monkeypatch):
    """Another request registers the same email between our lookup and our insert."""
    from closeloop.customers import services

    winner = customer_identify(email="race@example.com")
    real_lookup = services._lookup
    calls = []

    def stale_lookup(handles):
        calls.append(1)
        return {} if len(calls) == 1 else real_lookup(handles)

    monkeypatch.setattr(services, "_lookup", stale_lookup)
    found = customer_identify(email="race@example.com")
    assert found.pk == winner.pk
    assert Customer.objects.count() == 1
    assert Identity.objects.count() == 1
    assert len(calls) == 2
