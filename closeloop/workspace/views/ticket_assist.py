"""What helps the agent answer: the classifier's suggestions, knowledge articles, macros.

Accepting a category goes through ``triage_correct`` (the correction is training data);
inserting or linking an article records an ArticleUse (the knowledge-use rate).
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from closeloop.core.errors import CloseloopError
from closeloop.knowledge.models import Article, ArticleStatus, UseKind
from closeloop.knowledge.search import article_search, article_suggestions_for_ticket
from closeloop.knowledge.services import article_use_record
from closeloop.tickets import services
from closeloop.triage.decisions import triage_correct
from closeloop.triage.taxonomy import category_by_code
from closeloop.workspace.access import Requester, workspace_view
from closeloop.workspace.forms_ticket import (
    ArticleSearchForm,
    ArticleUseForm,
    CategoryForm,
    PriorityForm,
)
from closeloop.workspace.services import macro_render, macros_for
from closeloop.workspace.views.ticket import _done, acting, forms_for, visible_ticket
from closeloop.workspace.views.ticket_context import ticket_page_context


def _triage_refused(
    request: HttpRequest, requester: Requester, number: int, message: str, status: int = 400
) -> HttpResponse:
    ticket = visible_ticket(requester, number)
    context = ticket_page_context(requester, ticket)
    context["triage_error"] = message
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "workspace/_ticket_triage.html", context, status=status)
    context.update(forms_for(ticket, context))
    return render(request, "workspace/ticket.html", context, status=status)


@require_POST
@workspace_view
def ticket_category(request: HttpRequest, requester: Requester, number: int) -> HttpResponse:
    """Accept the suggested problem type or pick another one."""
    ticket = visible_ticket(requester, number)
    form = CategoryForm(request.POST)
    if not form.is_valid():
        return _triage_refused(request, requester, number, str(form.errors["category"][0]))
    try:
        with transaction.atomic():
            actor = acting(requester)
            category = category_by_code(form.cleaned_data["category"], leaf_only=True)
            assert actor.agent is not None  # noqa: S101 (acting() checked it)
            triage_correct(ticket=ticket, category=category, agent=actor.agent)
    except CloseloopError as error:
        return _triage_refused(request, requester, number, str(error.message), error.http_status)
    return _done(request, requester, number, "triage")


@require_POST
@workspace_view
def ticket_priority(request: HttpRequest, requester: Requester, number: int) -> HttpResponse:
    """Accept the suggested priority."""
    ticket = visible_ticket(requester, number)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _triage_refused(request, requester, number, str(form.errors["priority"][0]))
    try:
        services.ticket_update(
            ticket=ticket,
            actor=acting(requester),
            changes={"priority": form.cleaned_data["priority"]},
            reason="triage suggestion accepted",
        )
    except CloseloopError as error:
        return _triage_refused(request, requester, number, str(error.message), error.http_status)
    return _done(request, requester, number, "triage")


@require_GET
@workspace_view
def ticket_knowledge(request: HttpRequest, requester: Requester, number: int) -> HttpResponse:
    """Articles for the ticket (its words), or the results of the agent's own search."""
    ticket = visible_ticket(requester, number)
    form = ArticleSearchForm(request.GET if "q" in request.GET else None)
    error = ""
    query = ""
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"]
        try:
            hits = article_search(query, audience="agent", limit=8).hits
        except CloseloopError as refused:
            hits, error = [], str(refused.message)
    else:
        if form.is_bound:
            error = str(form.errors["q"][0])
        hits = article_suggestions_for_ticket(ticket=ticket, limit=5)
    status = 400 if error else 200
    return render(
        request,
        "workspace/_ticket_knowledge.html",
        {"ticket": ticket, "hits": hits, "form": form, "query": query, "search_error": error},
        status=status,
    )


def article_insert_text(article: Article, *, link: str) -> str:
    """What "insert" puts into the reply: the article's title and gist, and its public link."""
    gist = article.summary.strip() or article.body.strip().split("\n\n", 1)[0]
    parts = [article.title, gist]
    if link:
        parts.append(link)
    return "\n".join(part for part in parts if part)


@require_POST
@workspace_view
def ticket_article_use(request: HttpRequest, requester: Requester, number: int) -> HttpResponse:
    """Insert an article into the reply (its text comes back) or link it to the ticket; both
    are recorded as knowledge use."""
    ticket = visible_ticket(requester, number)
    form = ArticleUseForm(request.POST)
    if not form.is_valid():
        return JsonResponse(
            {"code": "invalid_input", "message": _("Choose an article.")}, status=400
        )
    article = Article.objects.filter(
        pk=form.cleaned_data["article"], status=ArticleStatus.PUBLISHED
    ).first()
    if article is None:
        return JsonResponse(
            {"code": "not_found", "message": _("That article is not published.")}, status=404
        )
    kind = form.cleaned_data["kind"]
    article_use_record(
        article=article,
        kind=UseKind(kind),
        ticket=ticket,
        agent=requester.agent,
        customer=ticket.customer,
        channel=ticket.channel,
    )
    link = (
        request.build_absolute_uri(reverse("portal:article", kwargs={"slug": article.slug}))
        if article.is_public
        else ""
    )
    return JsonResponse(
        {
            "kind": kind,
            "article": article.pk,
            "title": article.title,
            "link": link,
            "text": article_insert_text(article, link=link) if kind == "inserted" else "",
        }
    )


@require_GET
@workspace_view
def ticket_macro(
    request: HttpRequest, requester: Requester, number: int, macro_id: int
) -> HttpResponse:
    """A macro's text for this ticket, variables filled; unfilled ones are named."""
    ticket = visible_ticket(requester, number)
    macro = macros_for(requester).filter(pk=macro_id).first()
    if macro is None:
        return JsonResponse(
            {"code": "not_found", "message": _("That macro does not exist.")}, status=404
        )
    filled = macro_render(macro=macro, ticket=ticket, agent=requester.agent)
    return JsonResponse(
        {
            "text": filled.text,
            "language": filled.language,
            "unknown": list(filled.unknown),
            "missing": list(filled.missing),
        }
    )
