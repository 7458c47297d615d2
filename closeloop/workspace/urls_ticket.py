"""Workspace paths of the ticket pages (included by urls.py)."""

from django.urls import path

from closeloop.workspace.views import customer, ticket, ticket_assist

urlpatterns = [
    path("tickets/<int:number>/", ticket.ticket_page, name="ticket"),
    path("tickets/<int:number>/reply/", ticket.ticket_reply, name="ticket_reply"),
    path("tickets/<int:number>/action/", ticket.ticket_action, name="ticket_action"),
    path("tickets/<int:number>/merge/", ticket.ticket_merge, name="ticket_merge"),
    path("tickets/<int:number>/category/", ticket_assist.ticket_category, name="ticket_category"),
    path("tickets/<int:number>/priority/", ticket_assist.ticket_priority, name="ticket_priority"),
    path(
        "tickets/<int:number>/knowledge/", ticket_assist.ticket_knowledge, name="ticket_knowledge"
    ),
    path("tickets/<int:number>/articles/", ticket_assist.ticket_article_use, name="ticket_article"),
    path(
        "tickets/<int:number>/macros/<int:macro_id>/",
        ticket_assist.ticket_macro,
        name="ticket_macro",
    ),
    path("tickets/<int:number>/customer/", customer.ticket_customer, name="ticket_customer"),
    path(
        "tickets/<int:number>/files/<int:attachment_id>/",
        ticket.ticket_attachment,
        name="ticket_attachment",
    ),
]
