"""Article services: versions with who changed what, slugs, guards, counters and votes."""

import pytest

from closeloop.core.errors import ConcurrentChange, InvalidInput, InvalidTransition
from closeloop.customers.tests.factories import CustomerFactory
from closeloop.knowledge import services
from closeloop.knowledge.index import index_size
from closeloop.knowledge.models import (
    Article,
    ArticleUse,
    ArticleVersion,
    SelfServiceSuccess,
    SynonymGroup,
    UseKind,
)
from closeloop.knowledge.tests.factories import make_article
from closeloop.people.tests.factories import AgentFactory, UserFactory
from closeloop.tickets.tests.factories import make_ticket
from closeloop.triage.models import Category

pytestmark = pytest.mark.django_db


def test_create_renders_markdown_and_writes_version_one():
    editor = UserFactory()
    article = services.article_create(
        actor=editor,
        title="  How refunds work  ",
        body="Refunds take **5 days**.",
        language="en",
        category=Category.objects.get(code="refund"),
    )
    assert article.title == "How refunds work"
    assert article.body_html == "<p>Refunds take <strong>5 days</strong>.</p>\n"
    assert (article.status, article.version, article.published_at) == ("draft", 1, None)
    version = ArticleVersion.objects.get(article=article)
    assert (version.number, version.changed_by, version.category_code) == (1, editor, "refund")
    assert version.changed_fields == ["title", "body", "status", "visibility", "category_code"]
    assert index_size() == 0  # drafts are not searchable


def test_slugs_come_from_the_title_and_stay_unique():
    first = make_article(title="Where is my parcel?")
    second = make_article(title="Where is my parcel")
    chinese = make_article(title="如何申请退款", language="zh-hans")
    assert (first.slug, second.slug) == ("where-is-my-parcel", "where-is-my-parcel-2")
    assert chinese.slug == "如何申请退款"
    assert make_article(title="!!!").slug == "article"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": "x" * 100_001}, "body"),
        ({"questions": "\n".join(f"q{n}" for n in range(501))}, "questions"),
        ({"language": "fr"}, "language"),
        ({"visibility": "secret"}, "visibility"),
        ({"slug": "Not A Slug"}, "slug"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_written(fields, field):
    values = {"actor": None, "title": "Fine", "body": "Fine body", "language": "en", **fields}
    with pytest.raises(InvalidInput) as error:
        services.article_create(**values)
    assert error.value.details["field"] == field
    assert Article.objects.count() == 0
    assert ArticleVersion.objects.count() == 0


def test_update_appends_a_version_with_the_changed_fields_and_editor():
    article = make_article(title="Old title", body="Old body")
    editor = UserFactory()
    updated = services.article_update(
        article=article, actor=editor, note="clearer", title="New title", body="New *body*"
    )
    assert (updated.version, updated.title, updated.updated_by) == (2, "New title", editor)
    assert updated.body_html == "<p>New <em>body</em></p>\n"
    latest = updated.versions.order_by("-number").first()
    assert (latest.number, latest.changed_fields, latest.note) == (2, ["title", "body"], "clearer")
    assert latest.changed_by == editor


def test_update_without_a_change_writes_nothing():
    article = make_article(title="Same")
    services.article_update(article=article, actor=None, title="Same")
    assert ArticleVersion.objects.filter(article=article).count() == 1


def test_update_refuses_unknown_fields_and_status():
    article = make_article()
    with pytest.raises(InvalidInput):
        services.article_update(article=article, actor=None, status="archived")
    with pytest.raises(InvalidInput):
        services.article_update(article=article, actor=None, view_count=99)
    article.refresh_from_db()
    assert (article.version, article.status, article.view_count) == (1, "published", 0)


def test_a_stale_update_is_refused():
    article = make_article(title="Start")
    services.article_update(article=article, actor=None, title="Theirs")
    with pytest.raises(ConcurrentChange):
        services.article_update(article=article, actor=None, title="Mine", expected_version=1)
    article.refresh_from_db()
    assert (article.title, article.version) == ("Theirs", 2)
    assert ArticleVersion.objects.filter(article=article).count() == 2


def test_an_update_from_a_stale_copy_is_refused_too():
    article = make_article(title="Start")
    stale = Article.objects.get(pk=article.pk)
    services.article_update(article=article, actor=None, title="Theirs")
    with pytest.raises(ConcurrentChange):
        services.article_update(article=stale, actor=None, title="Mine")
    assert Article.objects.get(pk=article.pk).title == "Theirs"


def test_related_and_translations():
    english = make_article(title="Refunds")
    chinese = make_article(title="退款", language="zh-hans", translation_of=english)
    other = make_article(title="Returns")
    services.article_update(article=english, actor=None, related=[other])
    assert list(english.related.all()) == [other]
    assert list(other.related.all()) == [english]  # symmetrical
    assert list(english.translations.all()) == [chinese]
    with pytest.raises(InvalidInput):
        services.article_update(article=english, actor=None, related=[english])


def test_publish_and_archive_follow_the_allowed_changes_and_the_index():
    article = make_article(status="draft")
    assert index_size() == 0
    article = services.article_publish(article=article, actor=None)
    assert article.status == "published"
    assert article.published_at is not None
    assert index_size() == 1
    with pytest.raises(InvalidTransition):
        services.article_publish(article=article, actor=None)
    article = services.article_archive(article=article, actor=None)
    assert index_size() == 0
    assert list(article.versions.values_list("status", flat=True)) == [
        "archived", "published", "draft",
    ]  # fmt: skip


def test_restore_an_earlier_version():
    article = make_article(title="First", body="One")
    article = services.article_update(article=article, actor=None, title="Second", body="Two")
    restorer = UserFactory()
    article = services.article_restore_version(article=article, number=1, actor=restorer)
    assert (article.title, article.body, article.version) == ("First", "One", 3)
    latest = article.versions.first()
    assert latest.note == "Restored version 1"
    assert latest.changed_by == restorer
    with pytest.raises(InvalidInput):
        services.article_restore_version(article=article, number=9, actor=None)


def test_delete_takes_the_article_out_of_the_index():
    article = make_article()
    services.article_delete(article=article, actor=None)
    assert index_size() == 0
    assert not Article.objects.exists()


def test_uses_keep_the_counters():
    article = make_article()
    ticket = make_ticket()
    agent = AgentFactory()
    services.article_use_record(article=article, kind=UseKind.LINKED, ticket=ticket, agent=agent)
    services.article_use_record(article=article, kind=UseKind.VIEWED, channel="portal")
    services.article_use_record(article=article, kind=UseKind.VIEWED, channel="portal")
    article.refresh_from_db()
    assert article.view_count == 2
    assert ArticleUse.objects.filter(article=article, ticket=ticket, kind="linked").count() == 1
    with pytest.raises(InvalidInput):
        services.article_use_record(article=article, kind="liked")
    assert ArticleUse.objects.count() == 3


def test_one_vote_per_reader_a_second_vote_changes_it():
    article = make_article()
    services.article_vote(article=article, helpful=True, session_key="s1")
    services.article_vote(article=article, helpful=True, session_key="s1")
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (1, 0)
    services.article_vote(article=article, helpful=False, session_key="s1")
    services.article_vote(article=article, helpful=True, session_key="s2")
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (1, 1)
    assert ArticleUse.objects.filter(kind__in=["helpful", "unhelpful"]).count() == 2


def test_helpful_votes_count_once_per_reader_as_self_service():
    article = make_article()
    customer = CustomerFactory()
    services.article_vote(article=article, helpful=True, customer=customer)
    services.article_vote(article=article, helpful=False, customer=customer)
    services.article_vote(article=article, helpful=True, customer=customer)
    services.article_vote(article=article, helpful=True, session_key="anonymous-1")
    successes = SelfServiceSuccess.objects.filter(kind="article_helpful", article=article)
    assert successes.count() == 2
    assert successes.filter(customer=customer).count() == 1


def test_only_public_published_articles_take_votes_and_a_vote_needs_a_reader():
    with pytest.raises(InvalidInput):
        services.article_vote(article=make_article(), helpful=True)
    for article in (make_article(visibility="internal"), make_article(status="draft")):
        with pytest.raises(InvalidInput):
            services.article_vote(article=article, helpful=True, customer=CustomerFactory())
    assert not ArticleUse.objects.exists()
    assert not SelfServiceSuccess.objects.exists()
    assert not Article.objects.filter(helpful_count__gt=0).exists()


def test_synonym_groups_need_two_terms():
    group = services.synonym_group_save(actor=None, terms="退款，refund; money back")
    assert group.term_list == ["退款", "refund", "money back"]
    with pytest.raises(InvalidInput):
        services.synonym_group_save(actor=None, terms="lonely")
    assert SynonymGroup.objects.count() == 1
