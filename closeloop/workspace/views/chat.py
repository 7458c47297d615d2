"""The live chat console (/agent/chats/): an agent's open chats, each in a tab with its
conversation; visitors' messages and typing arrive over /ws/agent/ (chat.js), the
agent answers from the pane and takes waiting chats.

Which chats: open tickets that came in by web chat, not held by the FAQ bot, visible to the
agent (restricted teams stay hidden), and either assigned to the agent, or unassigned and in
one of the agent's teams, in no team, or handed to people by the bot.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.db import transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from closeloop.core import clock
from closeloop.core.errors import CloseloopError
from closeloop.knowledge.models import BotConversation, BotOutcome
from closeloop.tickets.models import OPEN_STATUSES, AuthorKind, Channel, Message, Ticket
from closeloop.tickets.selectors import ticket_sla_state, tickets_visible_to
from closeloop.tickets.services import Actor, message_add, ticket_assign
from closeloop.workspace.access import Requester, workspace_view

MAX_TABS = 30  # a console with more open chats than this is a queue: the inbox lists them
PANE_MESSAGES = 100
MAX_REPLY_LENGTH = 5_000


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (for the type checker)."""

    htmx: HtmxDetails


# Reading ------------------------------------------------------------------------------------


def chat_tickets_for(requester: Requester) -> QuerySet[Ticket]:
    """The open chats the console shows this agent: theirs first, then waiting ones."""
    handed_off = BotConversation.objects.filter(
        ticket_id=OuterRef("pk"), outcome=BotOutcome.HANDED_OFF
    )
    tickets = tickets_visible_to(requester).filter(
        channel=Channel.CHAT, status__in=OPEN_STATUSES, is_with_bot=False
    )
    waiting = Q(assignee__isnull=True)
    if not requester.is_admin:
        waiting &= Q(team__isnull=True) | Q(team_id__in=requester.team_ids) | Q(Exists(handed_off))
    mine = Q(assignee_id=requester.agent.pk) if requester.agent else Q(pk__in=[])
    # Unread: the customer's messages since the last public reply by a person.
    unread = (
        Message.objects.filter(ticket_id=OuterRef("pk"), author_kind=AuthorKind.CUSTOMER)
        .filter(
            Q(created_at__gt=OuterRef("last_agent_reply_at"))
            | Q(ticket__last_agent_reply_at__isnull=True)
        )
        .values("ticket_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        tickets.filter(mine | waiting)
        .select_related("customer", "assignee")
        .annotate(
            is_handed_off=Exists(handed_off),
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
        )
        # The agent's own chats (assigned) before the waiting ones, each by SLA due time.
        .order_by(F("assignee_id").asc(nulls_last=True), F("sla_due_at").asc(nulls_last=True), "id")
    )


@dataclass
class Tab:
    """One chat in the console: its ticket, whether it is the agent's, its place for Ctrl+n."""

    ticket: Ticket
    is_mine: bool
    position: int
    messages: list[Message] | None = None  # loaded for the agent's own chats
    sla_state: str = "ok"  # for the ticking badge (workspace/_sla_badge.html)
    form: ChatReplyForm | None = None  # a refused reply, shown again with its error
    notice: str = ""


def _tabs(requester: Requester) -> list[Tab]:
    agent_id = requester.agent.pk if requester.agent else None
    tickets = list(chat_tickets_for(requester)[:MAX_TABS])
    now = clock.now()
    return [
        Tab(
            ticket=ticket,
            is_mine=agent_id is not None and ticket.assignee_id == agent_id,
            position=index,
            sla_state=ticket_sla_state(ticket, now=now),
        )
        for index, ticket in enumerate(tickets, start=1)
    ]


def _pane_messages(ticket_ids: list[int], *, after_id: int = 0) -> dict[int, list[Message]]:
    """The latest messages of each ticket, oldest first, in one query."""
    messages: dict[int, list[Message]] = {ticket_id: [] for ticket_id in ticket_ids}
    if not ticket_ids:
        return messages
    rows = (
        Message.objects.filter(ticket_id__in=ticket_ids, pk__gt=after_id)
        .select_related("author_agent")
        .order_by("-created_at", "-id")[: PANE_MESSAGES * len(ticket_ids)]
    )
    for message in rows:
        if len(messages[message.ticket_id]) < PANE_MESSAGES:
            messages[message.ticket_id].append(message)
    for listed in messages.values():
        listed.reverse()
    return messages


def _chat_ticket(requester: Requester, number: int) -> Ticket:
    ticket = (
        tickets_visible_to(requester)
        .filter(number=number, channel=Channel.CHAT)
        .select_related("customer", "assignee", "team")
        .first()
    )
    if ticket is None:
        raise Http404(_("No such chat."))
    return ticket


# Forms --------------------------------------------------------------------------------------


class ChatReplyForm(forms.Form):
    """A public reply typed into a chat pane."""

    body = forms.CharField(
        label=gettext_lazy("Reply"),
        max_length=MAX_REPLY_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Write a reply first.")},
    )

    def clean_body(self) -> str:
        """One kind of line break (forms post CRLF)."""
        return str(self.cleaned_data["body"]).replace("\r\n", "\n")


# Pages --------------------------------------------------------------------------------------


@require_GET
@workspace_view
def chat_console(request: HttpRequest, requester: Requester) -> HttpResponse:
    """The console: every chat of the agent in a tab, the first (or ``?open=``) shown."""
    wanted = request.GET.get("open", "")
    return _render_console(request, requester, int(wanted) if wanted.isdigit() else None)


def _render_console(
    request: HttpRequest,
    requester: Requester,
    wanted: int | None,
    *,
    form: ChatReplyForm | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    """The whole console with chat ``wanted`` shown (with ``form`` and ``notice`` in its pane:
    how a refused reply or take is shown without JavaScript)."""
    tabs = _tabs(requester)
    if wanted is not None and not any(tab.ticket.number == wanted for tab in tabs):
        # Opened from elsewhere (the inbox, a link): shown even when not in the list.
        ticket = (
            tickets_visible_to(requester)
            .filter(number=wanted, channel=Channel.CHAT)
            .select_related("customer", "assignee")
            .first()
        )
        if ticket is not None:
            ticket.is_handed_off = False  # type: ignore[attr-defined]
            ticket.unread = 0  # type: ignore[attr-defined]
            tabs.append(
                Tab(
                    ticket=ticket,
                    is_mine=requester.agent is not None
                    and ticket.assignee_id == requester.agent.pk,
                    position=len(tabs) + 1,
                    sla_state=ticket_sla_state(ticket),
                )
            )
    active = next((tab for tab in tabs if tab.ticket.number == wanted), None)
    active = active or (tabs[0] if tabs else None)
    if active is not None:
        active.form, active.notice = form, notice
    loaded = [tab for tab in tabs if tab.is_mine or tab is active]
    messages = _pane_messages([tab.ticket.pk for tab in loaded])
    for tab in loaded:
        tab.messages = messages[tab.ticket.pk]
    return render(
        request,
        "workspace/chat.html",
        {
            "tabs": tabs,
            "active": active,
            "requester": requester,
            "form": ChatReplyForm(),
            "can_answer": requester.agent is not None,
        },
        status=status,
    )


@require_GET
@workspace_view
def chat_list(request: HttpRequest, requester: Requester) -> HttpResponse:
    """The tab list alone, for chat.js to refresh when chats arrive or are taken."""
    return render(
        request, "workspace/chat_tabs.html", {"tabs": _tabs(requester), "requester": requester}
    )


@require_GET
@workspace_view
def chat_pane(request: HtmxHttpRequest, requester: Requester, number: int) -> HttpResponse:
    """One chat's pane (opened in the console without reloading it); the console without
    JavaScript."""
    ticket = _chat_ticket(requester, number)
    if not request.htmx:
        return redirect(f"{reverse('workspace:chats')}?open={number}")
    return _render_pane(request, requester, ticket, ChatReplyForm())


def _render_pane(
    request: HttpRequest,
    requester: Requester,
    ticket: Ticket,
    form: ChatReplyForm,
    *,
    status: int = 200,
    notice: str = "",
) -> HttpResponse:
    tab = Tab(
        ticket=ticket,
        is_mine=requester.agent is not None and ticket.assignee_id == requester.agent.pk,
        position=0,
        messages=_pane_messages([ticket.pk])[ticket.pk],
    )
    return render(
        request,
        "workspace/chat_pane.html",
        {
            "tab": tab,
            "form": form,
            "requester": requester,
            "can_answer": requester.agent is not None,
            "notice": notice,
        },
        status=status,
    )


@require_GET
@workspace_view
def chat_messages(request: HttpRequest, requester: Requester, number: int) -> HttpResponse:
    """The chat's messages after ``?after=<message id>`` (what a live frame announced)."""
    ticket = _chat_ticket(requester, number)
    after = request.GET.get("after", "0")
    after_id = int(after) if after.isdigit() else 0
    messages = _pane_messages([ticket.pk], after_id=after_id)[ticket.pk]
    return render(request, "workspace/chat_messages.html", {"messages": messages})


def _taken_by_someone_else(requester: Requester, ticket: Ticket) -> str:
    if ticket.assignee_id is None or (
        requester.agent is not None and ticket.assignee_id == requester.agent.pk
    ):
        return ""
    return _("%(agent)s is answering this chat.") % {"agent": ticket.assignee}


@require_POST
@workspace_view
def chat_take(request: HtmxHttpRequest, requester: Requester, number: int) -> HttpResponse:
    """Take a waiting chat: it is assigned to the agent (``ticket_assign``)."""
    ticket = _chat_ticket(requester, number)
    notice = _taken_by_someone_else(requester, ticket)
    if requester.agent is None:
        notice = _("Only agents answer chats: your account has no agent profile.")
    elif not notice and ticket.assignee_id is None:
        try:
            ticket = ticket_assign(
                ticket=ticket,
                assignee=requester.agent,
                actor=Actor.of_agent(requester.agent),
                reason="took the chat",
            )
        except CloseloopError as error:
            notice = str(error.message)
    if not request.htmx:
        if notice:
            return _render_console(request, requester, number, notice=notice, status=409)
        return redirect(f"{reverse('workspace:chats')}?open={number}")
    ticket = _chat_ticket(requester, number)
    response = _render_pane(
        request, requester, ticket, ChatReplyForm(), status=409 if notice else 200, notice=notice
    )
    response["HX-Trigger"] = "cl-chats-changed"
    return response


@require_POST
@workspace_view
def chat_reply(request: HtmxHttpRequest, requester: Requester, number: int) -> HttpResponse:
    """Answer the visitor from the pane: a public reply through the customer's channel (the
    chat channel pushes it to the widget). Replying to a waiting chat takes it first."""
    ticket = _chat_ticket(requester, number)
    form = ChatReplyForm(request.POST)
    if requester.agent is None:
        form.add_error(None, _("Only agents answer chats: your account has no agent profile."))
    elif form.is_valid():
        taken = _taken_by_someone_else(requester, ticket)
        if taken:
            form.add_error("body", taken)
        else:
            try:
                _reply(ticket, requester, form.cleaned_data["body"])
            except CloseloopError as error:
                form.add_error("body", str(error.message))
    if not request.htmx:
        if form.errors:
            return _render_console(request, requester, number, form=form, status=400)
        return redirect(f"{reverse('workspace:chats')}?open={number}")
    if form.errors:
        return render(
            request,
            "workspace/chat_form.html",
            {"form": form, "ticket": ticket, "can_answer": True},
            status=400,
        )
    response = render(
        request,
        "workspace/chat_form.html",
        {"form": ChatReplyForm(), "ticket": ticket, "can_answer": True},
    )
    response["HX-Trigger"] = "cl-chat-sent"
    return response


def _reply(ticket: Ticket, requester: Requester, body: str) -> Message:
    agent = requester.agent
    assert agent is not None  # noqa: S101 - the view checked it
    actor = Actor.of_agent(agent)
    with transaction.atomic():
        if ticket.assignee_id is None:
            ticket = ticket_assign(
                ticket=ticket, assignee=agent, actor=actor, reason="took the chat"
            )
        return message_add(ticket=ticket, body=body, actor=actor)
