"""Factories for customers."""

from __future__ import annotations

import factory

from closeloop.core import clock
from closeloop.customers.models import Customer, Identity, IdentityKind, Segment


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Customer {n}")
    segment = Segment.STANDARD
    created_at = factory.LazyFunction(clock.now)
    email = factory.RelatedFactory(
        "closeloop.customers.tests.factories.IdentityFactory", factory_related_name="customer"
    )


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity

    kind = IdentityKind.EMAIL
    value = factory.Sequence(lambda n: f"customer{n}@example.com")
    created_at = factory.LazyFunction(clock.now)
