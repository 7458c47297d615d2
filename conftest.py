"""Suite-wide test set-up: fresh SLA caches per test, and the PostgreSQL pass.

With ``CLOSELOOP_TEST_DATABASE=postgres`` only the tests that touch the database run (the
pure tests already ran on the SQLite pass and would say nothing new).
"""

from __future__ import annotations

import os

import pytest

DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("CLOSELOOP_TEST_DATABASE") != "postgres":
        return
    selected, deselected = [], []
    for item in items:
        uses_db = item.get_closest_marker("django_db") is not None or bool(
            DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        (selected if uses_db else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(autouse=True)
def _fresh_sla_cache() -> None:
    from closeloop.sla.policies import clear_cache

    clear_cache()
