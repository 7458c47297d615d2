"""Suite-wide test set-up: fresh SLA caches per test, and the PostgreSQL pass.

With ``CLOSELOOP_TEST_DATABASE=postgres`` only the tests that touch the database run (the
pure tests already ran on the SQLite pass and would say nothing new).
"""

from __future__ import annotations

import os

import pytest

DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server"}


def _uses_database(item: pytest.Item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Browser tests (Playwright) run last: after them the content types were found re-created
    # with other ids, and a later test that restores the initial rows (serialized_rollback)
    # failed on django_content_type's unique key. Nothing after them needs the database.
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))
    # A transactional test that does not restore the initial rows ends with a flush that runs
    # post_migrate: the content types come back with new ids (so the next test restoring the
    # serialized rows fails on their unique key) and the rows the data migrations installed
    # (calendars, default scorecard, surveys, alert rules, goals) are gone for later tests.
    # So every transactional test restores them.
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None or not marker.kwargs.get("transaction"):
            continue
        if not marker.kwargs.get("serialized_rollback"):
            kwargs = {**marker.kwargs, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
    if os.environ.get("CLOSELOOP_TEST_DATABASE") != "postgres":
        return
    selected, deselected = [], []
    for item in items:
        (selected if _uses_database(item) else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(scope="session", autouse=True)
def _close_stray_postgres_sessions(request: pytest.FixtureRequest):  # noqa: ANN201
    """Live-server and socket tests leave server threads' connections open; end them before
    pytest-django drops the test database, or the drop fails and the database is left behind."""
    if os.environ.get("CLOSELOOP_TEST_DATABASE") != "postgres":
        yield
        return
    request.getfixturevalue("django_db_setup")  # set up first, so torn down (dropped) after
    yield
    blocker = request.getfixturevalue("django_db_blocker")
    from django.db import connection

    with blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _restart_ticket_numbers(request: pytest.FixtureRequest) -> None:
    """PostgreSQL numbers tickets from a sequence, which no test rollback resets."""
    if os.environ.get("CLOSELOOP_TEST_DATABASE") != "postgres" or not _uses_database(request.node):
        return
    request.getfixturevalue("django_db_setup")
    blocker = request.getfixturevalue("django_db_blocker")
    from django.db import connection

    from closeloop.tickets.services import TICKET_NUMBER_SEQUENCE

    with blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT setval(%s, 10001, false)", [TICKET_NUMBER_SEQUENCE])


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.fixture(autouse=True)
def _empty_search_index_after_transactional_tests(request: pytest.FixtureRequest):  # noqa: ANN201
    """A transactional test's flush empties the articles but not the search index tables
    (not Django models); empty them first, so no later test finds stale rows."""
    if not _is_transactional(request.node):
        yield
        return
    request.getfixturevalue("_django_db_helper")  # set up first, so torn down (flushed) after
    yield
    from closeloop.knowledge.index import index_clear

    index_clear()


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    from closeloop.channels.email.adapter import clear_own_addresses
    from closeloop.core.models import Organization
    from closeloop.sla.policies import clear_cache

    clear_cache()
    Organization.clear_cache()
    clear_own_addresses()
    from closeloop.triage import tags, versions
    from closeloop.triage.models import TriageSettings

    TriageSettings.clear_cache()
    versions.clear_version_cache()
    tags.clear_suggestion_cache()
    from closeloop.triage.services import clear_caches

    clear_caches()
    from closeloop.knowledge.search import clear_synonym_cache

    clear_synonym_cache()
    from closeloop.knowledge.bot.store import clear_matcher_cache

    clear_matcher_cache()


class ApiClient:
    """A Django test client that sends a bearer token and JSON."""

    def __init__(self, token: str | None) -> None:
        from django.test import Client

        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params):  # noqa: ANN201
        return self.client.get(path, params, headers=self.headers)

    def post(
        self,
        path: str,
        data=None,
        *,
        raw: bytes | None = None,  # noqa: ANN001, ANN201
        content_type: str = "application/json",
    ):
        import json

        body = raw if raw is not None else json.dumps(data if data is not None else {})
        return self.client.post(path, body, content_type=content_type, headers=self.headers)


@pytest.fixture
def api_as():
    """``api_as(user)`` returns an ApiClient with a fresh token for ``user`` (or anonymous)."""
    from closeloop.core.tokens import api_token_create

    def make(user=None) -> ApiClient:  # noqa: ANN001
        if user is None:
            return ApiClient(None)
        _token, clear = api_token_create(user=user)
        return ApiClient(clear)

    return make


@pytest.fixture
def agent(db):  # noqa: ANN001, ANN201
    from closeloop.people.tests.factories import AgentFactory

    return AgentFactory()


@pytest.fixture
def api(api_as, agent):  # noqa: ANN001, ANN201
    """An API client acting as an ordinary agent."""
    return api_as(agent.user)
