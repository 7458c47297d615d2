"""The widget script (``/chat/widget.js``) and a demo page that embeds it (``/chat/demo/``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from closeloop.channels.models import ChatWidget

WIDGET_JS = Path(__file__).resolve().parent.parent / "static" / "closeloop" / "chat" / "widget.js"


@cache
def _widget_source() -> bytes:
    return WIDGET_JS.read_bytes()


@require_GET
def widget_js(request: HttpRequest) -> HttpResponse:
    """The embeddable script; cached briefly so a new version reaches sites within minutes."""
    response = HttpResponse(_widget_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def demo(request: HttpRequest) -> HttpResponse:
    """A page with the widget on it, to try a widget (``?widget=KEY``, else the first one)."""
    key = request.GET.get("widget", "")
    widgets = ChatWidget.objects.filter(enabled=True)
    widget = widgets.filter(key=key).first() if key else widgets.order_by("pk").first()
    lang = "zh-Hans" if request.GET.get("lang", "").lower().startswith("zh") else "en"
    if widget is None:
        body = format_html(
            "<p>{}</p>", _("No chat widget yet: add one in the admin (Channels › Chat widgets).")
        )
    else:
        body = format_html(
            '<p>{}</p><script src="/chat/widget.js" data-widget="{}" data-lang="{}"></script>',
            _("The chat button is in the bottom right corner."),
            widget.key,
            lang,
        )
    page = format_html(
        '<!doctype html><html lang="{}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{}</title></head><body><h1>{}</h1>{}</body></html>",
        lang,
        _("Chat widget demo"),
        _("Chat widget demo"),
        body,
    )
    return HttpResponse(page)
