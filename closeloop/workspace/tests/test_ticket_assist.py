"""The classifier's suggestions (accept or correct) and knowledge suggestions (insert, link,
search) on the ticket page; each use is recorded, each refusal writes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from closeloop.knowledge.models import ArticleStatus, ArticleUse, SearchMiss, Visibility
from closeloop.knowledge.tests.factories import make_article
from closeloop.people.models import Agent
from closeloop.tickets.models import EventType, Ticket, TicketEvent
from closeloop.tickets.tests.factories import make_ticket
from closeloop.triage.decisions import triage_record
from closeloop.triage.models import Category, TicketTriage, TriageCorrection, TriageSource
from closeloop.triage.taxonomy import leaf_categories

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _client(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def _suggested(ticket: Ticket) -> tuple[Category, Category]:
    first, second = list(leaf_categories()[:2])
    triage_record(
        ticket=ticket,
        category=first,
        confidence=0.41,
        version=None,
        reason={"top": [[first.code, 0.41], [second.code, 0.32]]},
    )
    return first, second


def test_the_page_shows_the_top_suggestions_with_confidences(agent: Agent) -> None:
    ticket = make_ticket()
    first, second = _suggested(ticket)
    page = _client(agent).get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert f'data-category="{first.code}"' in page
    assert f'data-category="{second.code}"' in page
    assert "41%" in page
    assert "32%" in page
    assert "(needs triage)" in page


def test_one_click_accept_sets_the_category_through_the_correction(agent: Agent) -> None:
    ticket = make_ticket()
    first, _second = _suggested(ticket)
    response = _client(agent).post(
        f"/agent/tickets/{ticket.number}/category/", {"category": first.code}, **HTMX
    )
    assert response.status_code == 200
    record = TicketTriage.objects.get(ticket=ticket)
    assert (record.category_id, record.source, record.needs_triage) == (
        first.pk,
        TriageSource.AGENT,
        False,
    )
    correction = TriageCorrection.objects.get(ticket=ticket)
    assert (correction.from_category_id, correction.to_category_id) == (first.pk, first.pk)
    assert correction.agent_id == agent.pk
    assert "(set by an agent)" in response.content.decode()


def test_picking_another_category_corrects_the_classifier(agent: Agent) -> None:
    ticket = make_ticket()
    first, second = _suggested(ticket)
    _client(agent).post(f"/agent/tickets/{ticket.number}/category/", {"category": second.code})
    assert TicketTriage.objects.get(ticket=ticket).category_id == second.pk
    event = TicketEvent.objects.filter(ticket=ticket, type=EventType.FIELD_CHANGED).last()
    assert event is not None
    assert (event.before, event.after) == ({"category": first.code}, {"category": second.code})


@pytest.mark.parametrize("code", ["", "no-such-type"])
def test_a_bad_category_is_a_message_and_writes_nothing(agent: Agent, code: str) -> None:
    ticket = make_ticket()
    _suggested(ticket)
    response = _client(agent).post(
        f"/agent/tickets/{ticket.number}/category/", {"category": code}, **HTMX
    )
    assert response.status_code == 400
    assert 'class="error form-error"' in response.content.decode()
    assert not TriageCorrection.objects.exists()
    assert TicketTriage.objects.get(ticket=ticket).source == TriageSource.CLASSIFIER


def test_the_suggested_priority_can_be_accepted(agent: Agent) -> None:
    ticket = make_ticket(priority="low")
    category = next(c for c in leaf_categories() if c.default_priority == "high")
    triage_record(ticket=ticket, category=category, confidence=0.3, version=None,
                  reason={"top": [[category.code, 0.3]]})  # fmt: skip
    page = _client(agent).get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert "Accept suggested priority" in page
    response = _client(agent).post(
        f"/agent/tickets/{ticket.number}/priority/", {"priority": "high"}, **HTMX
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    refused = _client(agent).post(
        f"/agent/tickets/{ticket.number}/priority/", {"priority": "urgent!"}, **HTMX
    )
    assert refused.status_code == 400
    ticket.refresh_from_db()
    assert ticket.priority == "high"


def test_knowledge_suggestions_and_insert_records_the_use(agent: Agent) -> None:
    article = make_article(
        title="Refund timing", summary="Refunds reach your card in 5 working days.",
        body="Refunds reach the card in five working days.", slug="refund-timing",
    )  # fmt: skip
    ticket = make_ticket(subject="Refund not received", body="Where is my refund?")
    client = _client(agent)

    panel = client.get(f"/agent/tickets/{ticket.number}/knowledge/").content.decode()
    assert f'data-article="{article.pk}"' in panel
    assert "Refund timing" in panel

    response = client.post(
        f"/agent/tickets/{ticket.number}/articles/", {"article": article.pk, "kind": "inserted"}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["kind"] == "inserted"
    assert data["link"] == "http://testserver/help/refund-timing/"
    assert data["text"] == (
        "Refund timing\nRefunds reach your card in 5 working days.\n"
        "http://testserver/help/refund-timing/"
    )
    use = ArticleUse.objects.get()
    assert (use.kind, use.ticket_id, use.agent_id) == ("inserted", ticket.pk, agent.pk)

    linked = client.post(
        f"/agent/tickets/{ticket.number}/articles/", {"article": article.pk, "kind": "linked"}
    )
    assert linked.json()["text"] == ""
    assert list(ArticleUse.objects.order_by("id").values_list("kind", flat=True)) == [
        "inserted",
        "linked",
    ]


def test_an_internal_article_is_inserted_without_a_public_link(agent: Agent) -> None:
    article = make_article(title="Escalate refunds", summary="Ask finance.",
                           visibility=Visibility.INTERNAL)  # fmt: skip
    ticket = make_ticket()
    data = (
        _client(agent)
        .post(
            f"/agent/tickets/{ticket.number}/articles/", {"article": article.pk, "kind": "inserted"}
        )
        .json()
    )
    assert data["link"] == ""
    assert data["text"] == "Escalate refunds\nAsk finance."


@pytest.mark.parametrize("case", ["draft", "missing", "bad_kind"])
def test_bad_article_uses_are_refused_and_not_recorded(agent: Agent, case: str) -> None:
    draft = make_article(status=ArticleStatus.DRAFT)
    ticket = make_ticket()
    data = {"article": draft.pk, "kind": "inserted"}
    if case == "missing":
        data["article"] = 999999
    if case == "bad_kind":
        data["kind"] = "viewed"
    response = _client(agent).post(f"/agent/tickets/{ticket.number}/articles/", data)
    assert response.status_code in (400, 404)
    assert response.json()["code"] in ("invalid_input", "not_found")
    assert not ArticleUse.objects.exists()


def test_the_agents_own_search_and_an_empty_search(agent: Agent) -> None:
    make_article(title="Warranty repairs", body="Repairs under warranty are free.")
    ticket = make_ticket()
    client = _client(agent)
    found = client.get(f"/agent/tickets/{ticket.number}/knowledge/", {"q": "warranty"})
    assert found.status_code == 200
    assert "Warranty repairs" in found.content.decode()
    empty = client.get(f"/agent/tickets/{ticket.number}/knowledge/", {"q": "   "})
    assert empty.status_code == 400
    assert 'id="knowledge-q-error"' in empty.content.decode()
    assert not SearchMiss.objects.exists()
