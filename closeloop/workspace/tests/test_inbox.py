"""The inbox: every view, filter, search, restricted teams, bulk actions, query bound."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from closeloop.core import clock
from closeloop.customers.tests.factories import CustomerFactory, IdentityFactory
from closeloop.people.models import Agent
from closeloop.people.tests.factories import AgentFactory, TeamFactory, member
from closeloop.tickets.models import Status, Ticket, TicketEvent
from closeloop.tickets.services import Actor, ticket_assign, ticket_resolve, ticket_start
from closeloop.tickets.tests.factories import make_ticket
from closeloop.triage.models import Category, TicketTag, TicketTriage
from closeloop.triage.tags import ticket_tags_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def _numbers(response) -> list[int]:  # noqa: ANN001
    rows = response.context["rows"]
    return [row.ticket.number for row in rows]


def _assigned(ticket: Ticket, agent: Agent) -> Ticket:
    return ticket_assign(ticket=ticket, assignee=agent, actor=Actor.system())


def _resolved(ticket: Ticket, agent: Agent) -> Ticket:
    _assigned(ticket, agent)
    ticket_start(ticket=ticket, actor=Actor.of_agent(agent))
    return ticket_resolve(ticket=ticket, actor=Actor.of_agent(agent))


def test_default_view_is_mine(client: Client, agent: Agent) -> None:
    mine = _assigned(make_ticket(), agent)
    make_ticket()  # unassigned

    response = client.get("/agent/")

    assert response.status_code == 200
    assert response.context["view"] == "mine"
    assert _numbers(response) == [mine.number]
    assert f"/agent/tickets/{mine.number}/" in response.content.decode()


def test_team_view_lists_the_agents_teams_only(client: Client, agent: Agent) -> None:
    team, other = TeamFactory(), TeamFactory()
    member(agent, team)
    ours = make_ticket(team=team)
    make_ticket(team=other)

    assert _numbers(client.get("/agent/inbox/team/")) == [ours.number]


def test_unassigned_view(client: Client, agent: Agent) -> None:
    free = make_ticket()
    _assigned(make_ticket(), agent)

    assert _numbers(client.get("/agent/inbox/unassigned/")) == [free.number]


def test_needs_triage_view(client: Client) -> None:
    undecided, decided = make_ticket(), make_ticket()
    TicketTriage.objects.create(ticket=undecided, needs_triage=True, decided_at=clock.now())
    TicketTriage.objects.create(ticket=decided, needs_triage=False, decided_at=clock.now())

    assert _numbers(client.get("/agent/inbox/needs_triage/")) == [undecided.number]


def test_at_risk_and_breached_views(client: Client) -> None:
    now = clock.now()
    ok, warning, breached = make_ticket(), make_ticket(), make_ticket()
    Ticket.objects.filter(pk=ok.pk).update(
        sla_due_at=now + timedelta(hours=2), sla_warning_at=now + timedelta(hours=1)
    )
    Ticket.objects.filter(pk=warning.pk).update(
        sla_due_at=now + timedelta(minutes=20), sla_warning_at=now - timedelta(minutes=5)
    )
    Ticket.objects.filter(pk=breached.pk).update(sla_due_at=now - timedelta(minutes=1))

    at_risk = client.get("/agent/inbox/at_risk/")
    late = client.get("/agent/inbox/breached/")

    assert _numbers(at_risk) == [warning.number]
    assert _numbers(late) == [breached.number]
    assert 'class="sla sla-breached"' in late.content.decode()
    assert 'class="sla sla-warning"' in at_risk.content.decode()


def test_sla_badge_carries_the_due_time_for_the_countdown(client: Client, agent: Agent) -> None:
    ticket = _assigned(make_ticket(), agent)
    due = clock.now() + timedelta(hours=3)
    Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=due, sla_warning_at=None)

    body = client.get("/agent/").content.decode()

    assert f'data-due="{due.isoformat()}"' in body
    assert 'class="sla sla-ok"' in body


def test_waiting_view(client: Client, agent: Agent) -> None:
    waiting = _assigned(make_ticket(), agent)
    ticket_start(ticket=waiting, actor=Actor.of_agent(agent))
    Ticket.objects.filter(pk=waiting.pk).update(status=Status.PENDING_CUSTOMER)
    make_ticket()

    assert _numbers(client.get("/agent/inbox/waiting/")) == [waiting.number]


def test_recently_resolved_view(client: Client, agent: Agent) -> None:
    recent, old = _resolved(make_ticket(), agent), _resolved(make_ticket(), agent)
    Ticket.objects.filter(pk=old.pk).update(resolved_at=clock.now() - timedelta(days=30))
    make_ticket()

    assert _numbers(client.get("/agent/inbox/resolved/")) == [recent.number]


def test_unknown_view_is_404(client: Client) -> None:
    assert client.get("/agent/inbox/everything/").status_code == 404


def test_sort_by_sla_due_by_default_and_by_update_on_request(client: Client) -> None:
    now = clock.now()
    later, sooner = make_ticket(), make_ticket()
    Ticket.objects.filter(pk=later.pk).update(sla_due_at=now + timedelta(hours=5))
    Ticket.objects.filter(pk=sooner.pk).update(
        sla_due_at=now + timedelta(hours=1), updated_at=now - timedelta(days=1)
    )

    by_due = client.get("/agent/inbox/unassigned/")
    by_update = client.get("/agent/inbox/unassigned/", {"sort": "updated"})

    assert _numbers(by_due) == [sooner.number, later.number]
    assert _numbers(by_update) == [later.number, sooner.number]


@pytest.mark.parametrize(
    ("field", "value", "matching", "other"),
    [
        ("channel", "chat", {"channel": "chat"}, {"channel": "email"}),
        ("kind", "complaint", {"kind": "complaint"}, {"kind": "inquiry"}),
        ("priority", "high", {"priority": "high"}, {"priority": "low"}),
        ("touchpoint", "pre_sale", {"touchpoint": "pre_sale"}, {"touchpoint": "after_sale"}),
    ],
)
def test_field_filters(
    client: Client, field: str, value: str, matching: dict[str, str], other: dict[str, str]
) -> None:
    wanted = make_ticket(**matching)
    make_ticket(**other)

    assert _numbers(client.get("/agent/inbox/unassigned/", {field: value})) == [wanted.number]


def test_segment_filter(client: Client) -> None:
    vip = make_ticket(customer=CustomerFactory(segment="vip"))
    make_ticket()

    assert _numbers(client.get("/agent/inbox/unassigned/", {"segment": "vip"})) == [vip.number]


def test_category_filter_includes_descendants(client: Client) -> None:
    root = Category.objects.create(code="t-root", name_en="R", name_zh="R", family="product")
    leaf = Category.objects.create(
        code="t-leaf", name_en="L", name_zh="L", family="product", parent=root
    )
    in_leaf, elsewhere = make_ticket(), make_ticket()
    TicketTriage.objects.create(ticket=in_leaf, category=leaf, decided_at=clock.now())
    make_ticket()

    response = client.get("/agent/inbox/unassigned/", {"category": "t-root"})

    assert _numbers(response) == [in_leaf.number]
    assert elsewhere.number not in _numbers(response)


def test_tag_filter_ignores_case(client: Client, agent: Agent) -> None:
    tagged = make_ticket()
    ticket_tags_add(ticket=tagged, names=["Battery"], actor=Actor.of_agent(agent))
    make_ticket()

    response = client.get("/agent/inbox/unassigned/", {"tag": "battery"})

    assert _numbers(response) == [tagged.number]
    assert _numbers(client.get("/agent/inbox/unassigned/", {"tag": "nothing"})) == []


def test_bad_filter_values_are_reported_next_to_the_field(client: Client) -> None:
    make_ticket()

    response = client.get("/agent/inbox/unassigned/", {"priority": "urgent", "category": "nope"})

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_priority-error"' in body
    assert 'id="id_category-error"' in body


def test_search_by_number_reference_email_name_and_subject(client: Client) -> None:
    customer = CustomerFactory(name="Wang Fang")
    IdentityFactory(customer=customer, value="wang.fang@example.com")
    by_customer = make_ticket(customer=customer, subject="Screen flickers")
    other = make_ticket(subject="Refund for order 5521")

    def search(text: str) -> list[int]:
        return _numbers(client.get("/agent/inbox/unassigned/", {"q": text}))

    assert search(str(other.number)) == [other.number]
    assert search(f"CL-{other.number}") == [other.number]
    assert search(f"#{by_customer.number}") == [by_customer.number]
    assert search("WANG.FANG@example.com") == [by_customer.number]
    assert search("wang") == [by_customer.number]
    assert search("refund") == [other.number]
    assert search("not-an-email@") == []


def test_search_with_a_control_character_is_refused_next_to_the_field(client: Client) -> None:
    response = client.get("/agent/inbox/unassigned/", {"q": "a\x01b"})

    assert 'id="id_q-error"' in response.content.decode()


def test_pagination_fifty_a_page(client: Client) -> None:
    for number in range(53):
        make_ticket(subject=f"Ticket {number}")

    first = client.get("/agent/inbox/unassigned/")
    second = client.get("/agent/inbox/unassigned/", {"page": 2})

    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == 3
    assert 'rel="next"' in first.content.decode()


def test_htmx_request_gets_the_list_fragment(client: Client) -> None:
    make_ticket()

    response = client.get("/agent/inbox/unassigned/", headers={"HX-Request": "true"})

    body = response.content.decode()
    assert "<html" not in body
    assert 'class="inbox-table"' in body


def test_restricted_team_tickets_are_invisible_to_outsiders(client: Client) -> None:
    secret = TeamFactory(is_restricted=True)
    hidden = make_ticket(team=secret, subject="Security incident")
    shown = make_ticket()

    response = client.get("/agent/inbox/unassigned/")
    searched = client.get("/agent/inbox/unassigned/", {"q": str(hidden.number)})

    assert _numbers(response) == [shown.number]
    assert _numbers(searched) == []
    assert "Security incident" not in response.content.decode()


def test_restricted_team_tickets_are_visible_to_members(client: Client, agent: Agent) -> None:
    secret = TeamFactory(is_restricted=True)
    member(agent, secret)
    hidden = make_ticket(team=secret)

    assert _numbers(client.get("/agent/inbox/team/")) == [hidden.number]


def test_page_queries_do_not_grow_with_the_page_size(client: Client, agent: Agent) -> None:
    team = TeamFactory()
    member(agent, team)
    for number in range(50):
        ticket = make_ticket(team=team, subject=f"Ticket {number}")
        _assigned(ticket, AgentFactory())
    client.get("/agent/inbox/team/", {"size": 1})  # warm the per-process caches

    with CaptureQueriesContext(connection) as ten:
        small = client.get("/agent/inbox/team/", {"size": 10})
    with CaptureQueriesContext(connection) as fifty:
        large = client.get("/agent/inbox/team/", {"size": 50})

    assert len(small.context["rows"]) == 10
    assert len(large.context["rows"]) == 50
    assert len(fifty) == len(ten)
    assert len(fifty) <= 12, [query["sql"] for query in fifty.captured_queries]


def test_bulk_assign(client: Client, agent: Agent) -> None:
    first, second = make_ticket(), make_ticket()
    colleague = AgentFactory()

    response = client.post(
        "/agent/inbox-bulk/",
        {"action": "assign", "tickets": [first.pk, second.pk], "assignee": colleague.pk},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "inbox-refresh"
    assert set(Ticket.objects.values_list("assignee_id", flat=True)) == {colleague.pk}
    assert "2 tickets done." in response.content.decode()


def test_bulk_tag(client: Client) -> None:
    first, second = make_ticket(), make_ticket()

    client.post(
        "/agent/inbox-bulk/",
        {"action": "tag", "tickets": [first.pk, second.pk], "tag": "after-sales delay"},
    )

    assert TicketTag.objects.filter(tag__name="after-sales delay").count() == 2


def test_bulk_close_refuses_tickets_that_are_not_resolved(client: Client, agent: Agent) -> None:
    resolved, open_ticket = _resolved(make_ticket(), agent), make_ticket()

    response = client.post(
        "/agent/inbox-bulk/",
        {"action": "close", "tickets": [resolved.pk, open_ticket.pk]},
        headers={"HX-Request": "true"},
    )

    body = response.content.decode()
    resolved.refresh_from_db()
    open_ticket.refresh_from_db()
    assert response.status_code == 200
    assert resolved.status == Status.CLOSED
    assert open_ticket.status == Status.NEW
    assert f"CL-{open_ticket.number}" in body
    assert "1 ticket done." in body
    assert "1 refused" in body


def test_bulk_without_tickets_or_agent_is_refused_with_field_errors(client: Client) -> None:
    ticket = make_ticket()
    events = TicketEvent.objects.count()

    response = client.post(
        "/agent/inbox-bulk/",
        {"action": "assign", "tickets": [ticket.pk]},
        headers={"HX-Request": "true"},
    )
    empty = client.post("/agent/inbox-bulk/", {"action": "close"}, headers={"HX-Request": "true"})

    assert response.status_code == 400
    assert 'data-field="assignee"' in response.content.decode()
    assert empty.status_code == 400
    assert 'data-field="tickets"' in empty.content.decode()
    assert TicketEvent.objects.count() == events
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_bulk_cannot_touch_a_restricted_ticket(client: Client, agent: Agent) -> None:
    hidden = make_ticket(team=TeamFactory(is_restricted=True))
    events = TicketEvent.objects.count()

    response = client.post(
        "/agent/inbox-bulk/",
        {"action": "assign", "tickets": [hidden.pk], "assignee": agent.pk},
        headers={"HX-Request": "true"},
    )

    hidden.refresh_from_db()
    assert response.status_code == 400
    assert hidden.assignee_id is None
    assert TicketEvent.objects.count() == events


def test_bulk_bad_tag_is_refused(client: Client) -> None:
    ticket = make_ticket()

    response = client.post(
        "/agent/inbox-bulk/",
        {"action": "tag", "tickets": [ticket.pk], "tag": "   "},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 400
    assert 'data-field="tag"' in response.content.decode()
    assert not TicketTag.objects.exists()


def test_bulk_is_post_only(client: Client) -> None:
    assert client.get("/agent/inbox-bulk/").status_code == 405


def test_inbox_page_has_the_shortcut_help_and_scripts(client: Client) -> None:
    body = client.get("/agent/").content.decode()

    assert '<dialog id="shortcuts"' in body
    assert "workspace/inbox.js" in body
    assert "workspace/live.js" in body
