"""The knowledge admin: article edits are versions through the services; usage is read-only."""

import pytest
from django.test import Client

from closeloop.knowledge.index import index_size
from closeloop.knowledge.models import Article, ArticleVersion, SynonymGroup
from closeloop.knowledge.tests.factories import make_article
from closeloop.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def _form(**fields):
    values = {
        "title": "Track a parcel",
        "slug": "",
        "language": "en",
        "summary": "",
        "body": "Open **Orders**.",
        "questions": "",
        "visibility": "public",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    }
    values.update(fields)
    return values


def test_adding_an_article_in_the_admin_makes_version_one(admin_client):
    response = admin_client.post("/admin/knowledge/article/add/", _form())
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get()
    assert (article.slug, article.body_html) == (
        "track-a-parcel",
        "<p>Open <strong>Orders</strong>.</p>\n",
    )
    assert ArticleVersion.objects.filter(article=article).count() == 1


def test_changing_an_article_in_the_admin_adds_a_version_and_reindexes(admin_client):
    article = make_article(title="Track a parcel", body="Old")
    url = f"/admin/knowledge/article/{article.pk}/change/"
    response = admin_client.post(
        url, _form(slug=article.slug, body="New text", **{"versions-INITIAL_FORMS": "1"})
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    article.refresh_from_db()
    assert (article.body, article.version) == ("New text", 2)
    assert index_size() == 1


def test_publish_action_and_delete(admin_client):
    draft = make_article(status="draft")
    admin_client.post(
        "/admin/knowledge/article/",
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.status == "published"
    assert index_size() == 1
    admin_client.post(f"/admin/knowledge/article/{draft.pk}/delete/", {"post": "yes"})
    assert not Article.objects.exists()
    assert index_size() == 0


def test_synonym_group_in_the_admin_goes_through_the_service(admin_client):
    response = admin_client.post(
        "/admin/knowledge/synonymgroup/add/", {"terms": "退款，refund", "is_active": "on"}
    )
    assert response.status_code == 302
    assert SynonymGroup.objects.get().terms == "退款, refund"
    bad = admin_client.post("/admin/knowledge/synonymgroup/add/", {"terms": "alone"})
    assert bad.status_code == 200  # the form again, with the error
    assert "at least two terms" in bad.content.decode()
    assert SynonymGroup.objects.count() == 1


def test_an_oversized_body_is_a_form_error(admin_client):
    response = admin_client.post("/admin/knowledge/article/add/", _form(body="x" * 100_001))
    assert response.status_code == 200
    assert not Article.objects.exists()


@pytest.mark.parametrize("model", ["article", "synonymgroup", "searchmiss", "articleuse"])
def test_admin_lists_render(admin_client, model):
    make_article()
    assert admin_client.get(f"/admin/knowledge/{model}/").status_code == 200
