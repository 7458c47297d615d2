"""Help pages: home, search, a category's articles, an article (with its vote), and the
"Ask a question" box the FAQ bot answers."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_POST

from closeloop.core.errors import CloseloopError
from closeloop.knowledge.bot.portal import bot_portal_ask, bot_portal_feedback
from closeloop.knowledge.models import UseKind
from closeloop.knowledge.search import article_search
from closeloop.knowledge.services import article_use_record, article_vote
from closeloop.portal import selectors
from closeloop.portal.forms import AskForm, SearchForm
from closeloop.portal.session import portal_page, signed_in_customer, visitor_key

CHANNEL = "portal"
SESSION_VIEWED = "portal_viewed_articles"
SESSION_VOTED = "portal_voted_articles"
SESSION_BOT = "portal_bot"
MAX_REMEMBERED = 300


def _language() -> str:
    return get_language() or "en"


@require_GET
@portal_page
def home(request: HttpRequest) -> HttpResponse:
    """Search, ask the bot, browse the sections, the most read articles."""
    language = _language()
    return render(
        request,
        "portal/home.html",
        {
            "search_form": SearchForm(),
            "ask_form": AskForm(),
            "sections": selectors.help_sections(language),
            "popular": selectors.popular_articles(language),
            "bot": request.session.get(SESSION_BOT),
        },
    )


@require_GET
@portal_page
def search(request: HttpRequest) -> HttpResponse:
    """Search results with highlighted snippets."""
    form = SearchForm(request.GET)
    results = None
    error = ""
    status = 200
    if form.is_valid() and form.cleaned_data["q"].strip():
        try:
            results = article_search(
                form.cleaned_data["q"], audience="customer", language=None, limit=20
            )
        except CloseloopError as failure:
            error = str(failure.message)
            status = 400
    elif not form.is_valid():
        status = 400
    return render(
        request,
        "portal/search.html",
        {"search_form": form, "results": results, "error": error},
        status=status,
    )


@require_GET
@portal_page
def category(request: HttpRequest, code: str) -> HttpResponse:
    """The public articles filed under one part of the taxonomy."""
    node = selectors.category_for_help(code)
    if node is None:
        raise Http404
    language = _language()
    return render(
        request,
        "portal/category.html",
        {
            "category": node,
            "category_name": node.display_name(language),
            "articles": selectors.category_articles(node, language),
            "search_form": SearchForm(),
        },
    )


def _remember(request: HttpRequest, key: str, value: int) -> bool:
    """Add ``value`` to a list kept in the session; False when it was there already."""
    seen: list[int] = list(request.session.get(key, []))
    if value in seen:
        return False
    request.session[key] = [*seen, value][-MAX_REMEMBERED:]
    return True


@require_GET
@portal_page
def article(request: HttpRequest, slug: str) -> HttpResponse:
    """One article; its view is counted once per session."""
    found = selectors.article_for_customer(slug)
    if found is None:
        raise Http404
    customer = signed_in_customer(request)
    if _remember(request, SESSION_VIEWED, found.pk):
        article_use_record(
            article=found,
            kind=UseKind.VIEWED,
            customer=customer,
            channel=CHANNEL,
            session_key=visitor_key(request),
        )
    language = _language()
    return render(
        request,
        "portal/article.html",
        {
            "article": found,
            "category_name": found.category.display_name(language) if found.category else "",
            "related": selectors.related_public(found),
            "translations": selectors.article_translations(found),
            "voted": found.pk in request.session.get(SESSION_VOTED, []),
            "thanks": request.GET.get("voted") == "1",
        },
    )


@require_POST
@portal_page
def vote(request: HttpRequest, slug: str) -> HttpResponse:
    """An article's "was this helpful?": one vote per session and article."""
    found = selectors.article_for_customer(slug)
    if found is None:
        raise Http404
    answer = request.POST.get("helpful")
    if answer not in ("yes", "no"):
        return render(
            request,
            "portal/message.html",
            {},
            status=400,
        )
    if _remember(request, SESSION_VOTED, found.pk):
        article_vote(
            article=found,
            helpful=answer == "yes",
            customer=signed_in_customer(request),
            session_key=visitor_key(request),
            channel=CHANNEL,
        )
    return redirect(reverse("portal:article", args=[found.slug]) + "?voted=1#vote")


@require_POST
@portal_page
def ask(request: HttpRequest) -> HttpResponse:
    """A question (or a pick among offered articles) for the FAQ bot."""
    form = AskForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "portal/home.html",
            {
                "search_form": SearchForm(),
                "ask_form": form,
                "sections": selectors.help_sections(_language()),
                "popular": selectors.popular_articles(_language()),
            },
            status=400,
        )
    question = form.cleaned_data["question"]
    reply = bot_portal_ask(
        session_key=visitor_key(request),
        text=question,
        language=_language(),
        customer=signed_in_customer(request),
    )
    _keep_reply(request, reply, question=question)
    return redirect(reverse("portal:home") + "#ask")


@require_POST
@portal_page
def ask_feedback(request: HttpRequest) -> HttpResponse:
    """The visitor's answer to "did this help?" after a bot answer."""
    answer = request.POST.get("helpful")
    if answer not in ("yes", "no"):
        return redirect(reverse("portal:home") + "#ask")
    reply = bot_portal_feedback(session_key=visitor_key(request), helpful=answer == "yes")
    _keep_reply(request, reply, question="")
    return redirect(reverse("portal:home") + "#ask")


def _keep_reply(request: HttpRequest, reply: object, *, question: str) -> None:
    """The bot's latest reply, shown by the home page (post / redirect / get)."""
    previous = request.session.get(SESSION_BOT) or {}
    questions = list(previous.get("questions", []))
    if question and not question.strip().isdigit():
        questions = [*questions, question][-5:]
    request.session[SESSION_BOT] = {
        "kind": getattr(reply, "kind", ""),
        "text": getattr(reply, "text", ""),
        "articles": list(getattr(reply, "articles", []) or [])[:5],
        "conversation_id": getattr(reply, "conversation_id", None),
        "questions": questions,
        "asked": question,
    }
