"""Fixtures of the analytics tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from closeloop.analytics.tests.pages import signed_in
from closeloop.people.tests.factories import TeamFactory, lead_of


@pytest.fixture
def lead_client(db: Any) -> Client:
    """A client signed in as the lead of a new team."""
    return signed_in(lead_of(TeamFactory()).user)
