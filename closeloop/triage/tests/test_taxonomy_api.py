"""The triage API: the taxonomy endpoint (this module also serves the API's URLs to the
triage API tests until the router is mounted in closeloop/api.py)."""

import pytest
from django.urls import path
from ninja import NinjaAPI

from closeloop import urls as project_urls
from closeloop.api import api as project_api
from closeloop.people.tests.factories import TeamFactory, UserFactory
from closeloop.triage.api import router
from closeloop.triage.models import Category


def _triage_is_mounted() -> bool:
    return any(mounted is router for _prefix, mounted in project_api._routers)


if _triage_is_mounted():
    urlpatterns = project_urls.urlpatterns
else:
    # The same auth, renderer and error handlers as /api/v1/, with the triage router mounted.
    _api = NinjaAPI(
        auth=project_api.auth,
        renderer=project_api.renderer,
        urls_namespace="api-v1-triage-test",
    )
    _api._exception_handlers = dict(project_api._exception_handlers)
    _api.add_router("/triage", router)
    urlpatterns = [path("api/v1/", _api.urls), *project_urls.urlpatterns]

URLS = __name__
pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLS)]


def test_taxonomy_tree_in_chinese(api):
    response = api.get("/api/v1/triage/taxonomy", lang="zh-hans")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["language"] == "zh-hans"
    assert [family["code"] for family in body["families"]] == ["product", "service", "process"]
    quality = body["families"][0]["children"][0]
    assert quality["name"] == "产品质量"
    battery = quality["children"][0]
    assert battery["code"] == "battery"
    assert battery["name"] == battery["name_zh"]
    assert battery["is_leaf"] is True
    assert battery["default_priority"] == "high"
    assert battery["required_skills"] == [{"skill": "battery", "min_level": 2}]
    assert 30 <= body["leaf_count"] <= 50


def test_taxonomy_defaults_to_the_agents_language_and_shows_team_codes(api_as):
    from closeloop.people.tests.factories import AgentFactory

    team = TeamFactory(code="after-sales")
    Category.objects.filter(code="refund").update(team=team)
    agent = AgentFactory(language="en")
    body = api_as(agent.user).get("/api/v1/triage/taxonomy").json()
    assert body["language"] == "en"
    application = body["families"][2]["children"][0]
    refund = next(leaf for leaf in application["children"] if leaf["code"] == "refund")
    assert (refund["name"], refund["team"]) == ("Refund request", "after-sales")


def test_inactive_categories_only_for_admins_who_ask(api, api_as):
    Category.objects.filter(code="coupon").update(is_active=False)
    admin = UserFactory(is_superuser=True)
    agent_body = api.get("/api/v1/triage/taxonomy", include_inactive="true").json()
    admin_body = api_as(admin).get("/api/v1/triage/taxonomy", include_inactive="true").json()
    assert admin_body["leaf_count"] == agent_body["leaf_count"] + 1


@pytest.mark.parametrize("user_kind", ["anonymous", "customer_login"])
def test_taxonomy_needs_staff(api_as, user_kind):
    user = None if user_kind == "anonymous" else UserFactory()
    response = api_as(user).get("/api/v1/triage/taxonomy")
    assert response.status_code in (401, 403)
    assert response.json()["code"] in ("unauthorized", "forbidden")
