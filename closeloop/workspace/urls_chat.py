"""Workspace paths of the chat pages (included by urls.py)."""

from django.urls import URLPattern, path

from closeloop.workspace.views import chat

urlpatterns: list[URLPattern] = [
    path("chats/", chat.chat_console, name="chats"),
    path("chats/list/", chat.chat_list, name="chat-list"),
    path("chats/<int:number>/", chat.chat_pane, name="chat-pane"),
    path("chats/<int:number>/messages/", chat.chat_messages, name="chat-messages"),
    path("chats/<int:number>/take/", chat.chat_take, name="chat-take"),
    path("chats/<int:number>/reply/", chat.chat_reply, name="chat-reply"),
]
