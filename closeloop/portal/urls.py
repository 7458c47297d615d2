"""The portal's URLs, mounted at the site root."""

from django.urls import path

from closeloop.portal.views import account, articles, orders, submit

app_name = "portal"

urlpatterns = [
    path("", articles.home, name="home"),
    path("help/search", articles.search, name="search"),
    path("help/ask", articles.ask, name="ask"),
    path("help/ask/feedback", articles.ask_feedback, name="ask_feedback"),
    path("help/c/<slug:code>/", articles.category, name="category"),
    path("help/<str:slug>/", articles.article, name="article"),
    path("help/<str:slug>/vote", articles.vote, name="vote"),
    path("requests/new", submit.request_new, name="request_new"),
    path("requests/sent", submit.request_sent, name="request_sent"),
    path("signin", account.signin, name="signin"),
    path("signin/<str:token>", account.signin_token, name="signin_token"),
    path("signout", account.signout, name="signout"),
    path("tickets/", account.tickets, name="tickets"),
    path("tickets/<int:number>/", account.ticket_detail, name="ticket"),
    path("tickets/<int:number>/reply", account.ticket_reply, name="ticket_reply"),
    path("tickets/<int:number>/confirm", account.ticket_confirm_view, name="ticket_confirm"),
    path("tickets/<int:number>/reopen", account.ticket_reopen_view, name="ticket_reopen"),
    path("tickets/<int:number>/files/<int:pk>", account.attachment, name="attachment"),
    path("orders/", orders.orders, name="orders"),
]
