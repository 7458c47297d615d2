"""Help pages: home, search with snippets, a category, an article (views counted once per
session, one vote per session), what customers may not read (404), script inert, language
switching, and the "Ask a question" box with answer, choices and hand-off."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from closeloop.knowledge.bot.store import clear_matcher_cache
from closeloop.knowledge.models import (
    Article,
    ArticleUse,
    BotConversation,
    BotOutcome,
    SelfServiceKind,
    SelfServiceSuccess,
)
from closeloop.knowledge.tests.bot_articles import trained_articles
from closeloop.portal.tests.support import form_nonce, make_article
from closeloop.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def test_home_shows_search_ask_sections_and_popular_articles():
    make_article("Return an item", category_code=_leaf_code())
    html = Client().get("/").content.decode()
    assert 'role="search"' in html
    assert 'for="id_q"' in html
    assert 'for="id_question"' in html
    assert 'class="skip-link" href="#main"' in html
    assert '<html lang="en">' in html
    assert "Return an item" in html
    assert "Browse by topic" in html


def _leaf_code() -> str:
    from closeloop.triage.taxonomy import leaf_categories

    leaf = leaf_categories().first()
    assert leaf is not None
    return leaf.code


def test_search_finds_english_and_chinese_articles_with_highlighted_snippets():
    make_article("Return an item", "You can return any item within 30 days.")
    make_article("退货流程", "收到商品七天内可以申请退货，运费由我们承担。", language="zh-hans")
    english = Client().get("/help/search", {"q": "return"}).content.decode()
    assert "Return an item" in english
    assert "<mark>" in english
    chinese = Client().get("/help/search", {"q": "退货"}).content.decode()
    assert "退货流程" in chinese


def test_a_search_that_is_too_long_is_refused_without_a_500():
    response = Client().get("/help/search", {"q": "x" * 201})
    assert response.status_code == 400


def test_category_pages_list_articles_filed_below_them():
    code = _leaf_code()
    make_article("Filed here", category_code=code)
    make_article("Not filed")
    html = Client().get(f"/help/c/{code}/").content.decode()
    assert "Filed here" in html
    assert "Not filed" not in html
    assert Client().get("/help/c/no-such-thing/").status_code == 404


def test_an_article_page_renders_the_body_and_counts_a_view_once_per_session():
    article = make_article(body="Open **My orders**.")
    client = Client()
    html = client.get(f"/help/{article.slug}/").content.decode()
    assert "<strong>My orders</strong>" in html
    client.get(f"/help/{article.slug}/")
    assert ArticleUse.objects.filter(article=article, kind="viewed").count() == 1
    assert Article.objects.get(pk=article.pk).view_count == 1
    Client().get(f"/help/{article.slug}/")
    assert ArticleUse.objects.filter(article=article, kind="viewed").count() == 2


@pytest.mark.parametrize(
    ("status", "visibility"),
    [("draft", "public"), ("archived", "public"), ("published", "internal")],
)
def test_drafts_archived_and_internal_articles_are_not_found(status, visibility):
    article = make_article("Secret process", status=status, visibility=visibility)
    response = Client().get(f"/help/{article.slug}/")
    assert response.status_code == 404
    assert "Secret process" not in response.content.decode()
    assert Client().post(f"/help/{article.slug}/vote", {"helpful": "yes"}).status_code == 404
    assert ArticleUse.objects.count() == 0


def test_one_vote_per_session_and_a_helpful_vote_is_a_self_service_success():
    article = make_article()
    client = Client()
    client.get(f"/help/{article.slug}/")
    response = client.post(f"/help/{article.slug}/vote", {"helpful": "yes"})
    assert response.status_code == 302
    client.post(f"/help/{article.slug}/vote", {"helpful": "no"})
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (1, 0)
    assert SelfServiceSuccess.objects.filter(kind=SelfServiceKind.ARTICLE_HELPFUL).count() == 1
    html = client.get(f"/help/{article.slug}/").content.decode()
    assert "Thank you for your feedback." in html
    assert client.post(f"/help/{article.slug}/vote", {"helpful": "maybe"}).status_code == 400


def test_votes_need_the_csrf_token():
    article = make_article()
    client = Client(enforce_csrf_checks=True)
    assert client.post(f"/help/{article.slug}/vote", {"helpful": "yes"}).status_code == 403
    assert ArticleUse.objects.filter(kind__in=["helpful", "unhelpful"]).count() == 0


def test_script_in_an_article_is_rendered_inert():
    article = make_article(
        'Title <script>alert("t")</script>',
        'Body <script>alert("b")</script> <img src=x onerror="alert(1)"> [x](javascript:alert(2))',
    )
    html = Client().get(f"/help/{article.slug}/").content.decode()
    assert '<script>alert("t")' not in html
    assert '<script>alert("b")' not in html
    assert "<img src=x onerror" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in html


def test_related_articles_and_the_translation_are_linked():
    english = make_article("Warranty", "Two years.")
    chinese = make_article("保修", "两年。", language="zh-hans", translation_of=english)
    internal = make_article("Internal notes", visibility="internal")
    english.related.set([chinese, internal])
    html = Client().get(f"/help/{english.slug}/").content.decode()
    assert f'href="{reverse("portal:article", args=[chinese.slug])}"' in html
    assert "阅读中文版" in html
    assert "Internal notes" not in html


def test_the_language_switches_with_lang_and_stays_in_the_cookie():
    client = Client()
    chinese = client.get("/?lang=zh-hans")
    assert '<html lang="zh-Hans">' in chinese.content.decode()
    assert chinese.cookies["django_language"].value == "zh-hans"
    assert '<html lang="zh-Hans">' in client.get("/orders/").content.decode()
    assert '<html lang="en">' in client.get("/?lang=en").content.decode()
    switched = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/orders/"})
    assert switched.status_code == 302
    assert switched["Location"] == "/orders/"


@pytest.fixture
def trained_bot():  # noqa: ANN201
    return trained_articles()


def test_the_bot_answers_a_question_and_yes_resolves_it(trained_bot):
    client = Client()
    client.post("/help/ask", {"question": "where is my order"})
    html = client.get("/").content.decode()
    assert "Track your order" in html
    assert "Did this answer your question?" in html
    client.post("/help/ask/feedback", {"helpful": "yes"})
    conversation = BotConversation.objects.get(channel="portal")
    assert conversation.outcome == BotOutcome.RESOLVED
    assert conversation.is_confirmed is True


def test_asking_for_a_person_hands_off_to_the_prefilled_request_form(trained_bot):
    client = Client()
    client.post("/help/ask", {"question": "my speaker makes a buzzing noise at night"})
    client.post("/help/ask", {"question": "agent please"})
    html = client.get("/").content.decode()
    assert 'href="/requests/new?from=bot"' in html
    form = client.get("/requests/new?from=bot").content.decode()
    assert "buzzing noise" in form
    data = {
        "nonce": form_nonce(form),
        "from_bot": "1",
        "email": "mo@example.com",
        "kind": "problem",
        "subject": "Buzzing speaker",
        "description": "It buzzes at night.",
    }
    assert client.post("/requests/new", data).status_code == 302
    ticket = Ticket.objects.get()
    conversation = BotConversation.objects.get(channel="portal", ticket=ticket)
    assert conversation.outcome == BotOutcome.HANDED_OFF
    # The transcript is on the ticket for the agent, not shown to the customer as a message.
    assert Message.objects.filter(ticket=ticket, is_public=False).exists()


def test_an_empty_question_is_refused_next_to_the_field():
    response = Client().post("/help/ask", {"question": ""})
    assert response.status_code == 400
    assert 'id="id_question-error" role="alert"' in response.content.decode()
    assert BotConversation.objects.count() == 0


def test_a_search_for_script_is_shown_inert():
    html = Client().get("/help/search", {"q": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_bot_offers_choices_and_a_pick_answers_with_that_article(trained_bot):
    from closeloop.knowledge.models import BotSettings

    BotSettings.objects.update_or_create(
        id=1, defaults={"answer_threshold": 0.999, "choices_threshold": 0.05}
    )
    clear_matcher_cache()
    client = Client()
    client.post("/help/ask", {"question": "order refund status"})
    html = client.get("/").content.decode()
    assert "Which of these is closest?" in html
    assert '<button type="submit" name="question" value="2"' in html
    assert "None of these" in html
    client.post("/help/ask", {"question": "2"})
    html = client.get("/").content.decode()
    assert "Did this answer your question?" in html
    assert 'href="/help/track-order/"' in html


def test_a_bot_conversation_survives_signing_in_and_joins_the_request(trained_bot, caplog):
    """The conversation is keyed by a visitor id kept in the session, not by the session key
    (a credential, which signing in replaces)."""
    import logging
    import re

    client = Client()
    client.post("/help/ask", {"question": "my speaker makes a buzzing noise at night"})
    client.post("/help/ask", {"question": "agent please"})
    keys = set(BotConversation.objects.values_list("session_key", flat=True))
    assert len(keys) == 1
    assert client.session.session_key not in keys
    with caplog.at_level(logging.INFO, logger="closeloop.portal.services"):
        client.post("/signin", {"email": "mo@example.com"})
    token = re.search(r"/signin/([A-Za-z0-9_-]+)", caplog.text).group(1)
    assert client.post(f"/signin/{token}").status_code == 302

    form = client.get("/requests/new?from=bot").content.decode()
    assert "buzzing noise" in form
    data = {
        "nonce": form_nonce(form),
        "from_bot": "1",
        "kind": "problem",
        "subject": "Buzzing speaker",
        "description": "It buzzes at night.",
    }
    assert client.post("/requests/new", data).status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.customer.identities.get().value == "mo@example.com"
    handed_off = BotConversation.objects.get(ticket=ticket)
    assert handed_off.session_key in keys
