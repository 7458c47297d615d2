"""The knowledge API: permissions, articles and versions, search, suggestions, usage,
synonyms and misses, and bad input answered with stable codes."""

import json

import pytest

from closeloop.knowledge.models import Article, ArticleUse, ArticleVersion, SearchMiss, SynonymGroup
from closeloop.knowledge.tests.factories import make_article
from closeloop.people.tests.factories import AgentFactory, TeamFactory, UserFactory
from closeloop.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

BASE = "/api/v1/knowledge"


def _send(client, method, path, data=None):
    return client.client.generic(
        method,
        path,
        json.dumps(data if data is not None else {}),
        content_type="application/json",
        headers=client.headers,
    )


ARTICLE = {"title": "T", "body": "B", "language": "en"}


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "/articles", None),
        ("POST", "/articles", ARTICLE),
        ("GET", "/articles/1", None),
        ("PATCH", "/articles/1", {"title": "New"}),
        ("POST", "/articles/1/publish", {}),
        ("POST", "/articles/1/archive", {}),
        ("GET", "/articles/1/versions", None),
        ("POST", "/articles/1/versions/1/restore", None),
        ("GET", "/articles/1/stats", None),
        ("GET", "/search?q=refund", None),
        ("GET", "/tickets/1/suggestions", None),
        ("POST", "/tickets/1/uses", {"article_id": 1, "kind": "linked"}),
        ("GET", "/synonyms", None),
        ("POST", "/synonyms", {"terms": "a, b"}),
        ("PUT", "/synonyms/1", {"terms": "a, b"}),
        ("DELETE", "/synonyms/1", None),
        ("GET", "/misses", None),
        ("POST", "/misses/1/resolve", None),
    ],
)
def test_anonymous_gets_401_and_non_agents_403(api_as, method, path, data):
    make_article()
    anonymous = _send(api_as(None), method, BASE + path, data)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthorized"
    outsider = _send(api_as(UserFactory()), method, BASE + path, data)
    assert outsider.status_code == 403
    assert outsider.json()["code"] == "forbidden"
    assert Article.objects.get().version == 1
    assert not SynonymGroup.objects.exists()


def test_agent_and_admin_can_read(api, api_as):
    article = make_article(title="Refunds")
    admin = api_as(UserFactory(is_superuser=True))
    for client in (api, admin):
        response = client.get(f"{BASE}/articles/{article.pk}")
        assert response.status_code == 200, response.content
        assert response.json()["title"] == "Refunds"


def test_create_update_publish_and_versions(api, agent):
    created = api.post(
        f"{BASE}/articles",
        {
            "title": "如何申请退款",
            "body": "在订单页面点击**申请退款**。<script>alert(1)</script>",
            "language": "zh-hans",
            "category": "refund",
            "questions": "怎么退款\n退款多久到账",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["slug"] == "如何申请退款"
    assert body["status"] == "draft"
    assert "<strong>申请退款</strong>" in body["body_html"]
    assert "<script>" not in body["body_html"]
    assert body["questions"] == ["怎么退款", "退款多久到账"]
    assert body["versions"][0]["changed_by"] == agent.user.username
    article_id = body["id"]

    updated = _send(
        api,
        "PATCH",
        f"{BASE}/articles/{article_id}",
        {"title": "申请退款", "note": "shorter", "expected_version": 1},
    )
    assert updated.status_code == 200, updated.content
    assert (updated.json()["title"], updated.json()["version"]) == ("申请退款", 2)

    stale = _send(
        api, "PATCH", f"{BASE}/articles/{article_id}", {"title": "x", "expected_version": 1}
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"

    published = api.post(f"{BASE}/articles/{article_id}/publish", {})
    assert published.json()["status"] == "published"
    again = api.post(f"{BASE}/articles/{article_id}/publish", {})
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")

    versions = api.get(f"{BASE}/articles/{article_id}/versions").json()["items"]
    assert [v["number"] for v in versions] == [3, 2, 1]
    assert versions[1]["changed_fields"] == ["title"]
    assert versions[1]["note"] == "shorter"

    restored = api.post(f"{BASE}/articles/{article_id}/versions/1/restore", {})
    assert restored.json()["title"] == "如何申请退款"
    assert restored.json()["version"] == 4

    found = api.get(f"{BASE}/search", q="退款").json()
    assert [hit["article_id"] for hit in found["hits"]] == [article_id]
    assert "<mark>退款</mark>" in found["hits"][0]["snippet_html"]


def test_article_detail_lists_translations_and_related(api):
    english = make_article(title="Refunds")
    chinese = make_article(title="退款", language="zh-hans", translation_of=english)
    other = make_article(title="Returns", related=[english])
    body = api.get(f"{BASE}/articles/{english.pk}").json()
    assert [t["id"] for t in body["translations"]] == [chinese.pk]
    assert [r["id"] for r in body["related"]] == [other.pk]
    assert api.get(f"{BASE}/articles/{chinese.pk}").json()["translations"][0]["id"] == english.pk


def test_list_filters(api):
    make_article(title="Public English")
    make_article(title="内部", language="zh-hans", visibility="internal")
    make_article(title="Draft", status="draft")
    body = api.get(f"{BASE}/articles", status="published", visibility="internal").json()
    assert [item["title"] for item in body["items"]] == ["内部"]
    assert api.get(f"{BASE}/articles", language="en").json()["count"] == 2
    assert api.get(f"{BASE}/articles", status="nonsense").status_code == 422


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"title": "", "body": "b", "language": "en"}, 422, "validation_error"),
        ({"title": "t", "body": "b", "language": "fr"}, 422, "validation_error"),
        ({"title": "t" * 201, "body": "b", "language": "en"}, 422, "validation_error"),
        ({"title": "t", "body": "b" * 100_001, "language": "en"}, 422, "validation_error"),
        ({"title": "t", "body": "b", "language": "en", "category": "nope"}, 400, "invalid_input"),
        ({"title": "t", "body": "b", "language": "en", "related": [999]}, 400, "invalid_input"),
        ({"title": "t", "body": "b", "language": "en", "slug": "Bad Slug"}, 400, "invalid_input"),
    ],
)
def test_bad_articles_are_refused_and_nothing_written(api, payload, status, code):
    response = api.post(f"{BASE}/articles", payload)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert not Article.objects.exists()
    assert not ArticleVersion.objects.exists()


def test_unknown_article_is_404(api):
    response = api.get(f"{BASE}/articles/999")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_search_bad_input(api):
    assert api.get(f"{BASE}/search", q="   ").json()["code"] == "invalid_input"
    assert api.get(f"{BASE}/search", q="x" * 201).status_code == 400
    assert api.get(f"{BASE}/search").status_code == 422


def test_agents_search_internal_articles_and_misses_are_listed(api):
    internal = make_article(title="Escalation checklist", visibility="internal")
    found = api.get(f"{BASE}/search", q="escalation").json()
    assert [hit["article_id"] for hit in found["hits"]] == [internal.pk]
    api.get(f"{BASE}/search", q="crypto wallet")
    api.get(f"{BASE}/search", q="Crypto  wallet")
    api.get(f"{BASE}/search", q="lottery")
    misses = api.get(f"{BASE}/misses").json()
    assert [(m["normalized_query"], m["count"]) for m in misses["items"]] == [
        ("crypto wallet", 2),
        ("lottery", 1),
    ]
    resolved = api.post(f"{BASE}/misses/{misses['items'][0]['id']}/resolve")
    assert resolved.json()["is_resolved"] is True
    assert api.get(f"{BASE}/misses").json()["count"] == 1


def test_suggestions_and_uses_on_a_ticket(api, agent):
    article = make_article(title="Parcel not delivered", body="Track your parcel in the app.")
    ticket = make_ticket(subject="My parcel was not delivered", body="Where is my parcel?")
    suggestions = api.get(f"{BASE}/tickets/{ticket.pk}/suggestions").json()
    assert suggestions["items"][0]["article_id"] == article.pk

    used = api.post(
        f"{BASE}/tickets/{ticket.pk}/uses", {"article_id": article.pk, "kind": "inserted"}
    )
    assert used.status_code == 201, used.content
    use = ArticleUse.objects.get()
    assert (use.ticket, use.agent, use.kind) == (ticket, agent, "inserted")
    stats = api.get(f"{BASE}/articles/{article.pk}/stats").json()
    assert (stats["inserted"], stats["tickets"], stats["helpful_share"]) == (1, 1, None)


def test_uses_refuse_bad_kinds_and_unknown_articles(api):
    ticket = make_ticket()
    draft = make_article(status="draft")
    bad_kind = api.post(
        f"{BASE}/tickets/{ticket.pk}/uses", {"article_id": draft.pk, "kind": "viewed"}
    )
    assert bad_kind.status_code == 422
    unknown = api.post(
        f"{BASE}/tickets/{ticket.pk}/uses", {"article_id": draft.pk, "kind": "linked"}
    )
    assert (unknown.status_code, unknown.json()["code"]) == (400, "invalid_input")
    assert not ArticleUse.objects.exists()


def test_tickets_of_restricted_teams_stay_hidden(api):
    team = TeamFactory(is_restricted=True)
    ticket = make_ticket()
    ticket.team = team
    ticket.save(update_fields=["team"])
    article = make_article()
    assert api.get(f"{BASE}/tickets/{ticket.pk}/suggestions").status_code == 404
    response = api.post(
        f"{BASE}/tickets/{ticket.pk}/uses", {"article_id": article.pk, "kind": "linked"}
    )
    assert response.status_code == 404
    assert not ArticleUse.objects.exists()


def test_synonym_groups_crud(api):
    created = api.post(f"{BASE}/synonyms", {"terms": "退款, refund，money back"})
    assert created.status_code == 201, created.content
    group_id = created.json()["id"]
    assert created.json()["terms"] == ["退款", "refund", "money back"]
    make_article(title="Refund policy")
    assert api.get(f"{BASE}/search", q="退款").json()["expanded_terms"] == [
        "back",
        "money",
        "refund",
    ]

    changed = _send(
        api, "PUT", f"{BASE}/synonyms/{group_id}", {"terms": "退款, refund", "is_active": False}
    )
    assert changed.json()["is_active"] is False
    assert api.get(f"{BASE}/search", q="退款").json()["expanded_terms"] == []

    bad = api.post(f"{BASE}/synonyms", {"terms": "alone"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_input")
    assert _send(api, "DELETE", f"{BASE}/synonyms/{group_id}").status_code == 204
    assert not SynonymGroup.objects.exists()
    assert _send(api, "DELETE", f"{BASE}/synonyms/{group_id}").status_code == 404


def test_admin_without_agent_profile_can_write(api_as):
    admin = api_as(UserFactory(is_superuser=True))
    created = admin.post(f"{BASE}/articles", {"title": "T", "body": "B", "language": "en"})
    assert created.status_code == 201
    assert SearchMiss.objects.count() == 0
    assert AgentFactory._meta.model.objects.count() == 0


def test_the_openapi_schema_documents_the_knowledge_endpoints(api):
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/knowledge/articles",
        "/api/v1/knowledge/articles/{article_id}/versions/{number}/restore",
        "/api/v1/knowledge/search",
        "/api/v1/knowledge/tickets/{ticket_id}/suggestions",
        "/api/v1/knowledge/synonyms/{group_id}",
        "/api/v1/knowledge/misses/{miss_id}/resolve",
    } <= set(paths)
