"""What the bot says, in the customer's language (plain text that every channel can carry;
the chat widget also gets the facts in the message's ``meta["bot"]`` to draw buttons)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from closeloop.core.models import Organization
from closeloop.knowledge.models import Article

MAX_EXCERPT = 400
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_MARKS = re.compile(r"[*_`>#]+")


def article_url(article: Article) -> str:
    """The article's page on the portal (the portal serves exactly this address)."""
    base = settings.CLOSELOOP["PUBLIC_URL"].rstrip("/")
    return f"{base}/help/{quote(article.slug)}/"


def excerpt(article: Article) -> str:
    """The article's summary, or else the first paragraph of its body as plain text."""
    if article.summary.strip():
        return article.summary.strip()
    for block in re.split(r"\n\s*\n", article.body or ""):
        lines = [line for line in block.strip().splitlines() if not line.lstrip().startswith("#")]
        text = _MARKDOWN_MARKS.sub("", _MARKDOWN_LINK.sub(r"\1", " ".join(lines)))
        text = " ".join(text.split())
        if text:
            return text if len(text) <= MAX_EXCERPT else text[: MAX_EXCERPT - 1] + "…"
    return ""


def yes_no_words(language: str) -> tuple[str, str]:
    """The replies the "did this help?" buttons send (and the parser reads)."""
    return ("是", "否") if language.startswith("zh") else ("yes", "no")


def none_word(language: str) -> str:
    """The reply the "none of these" button sends."""
    return "都不是" if language.startswith("zh") else "none"


def answer_text(article: Article, *, language: str, body: str = "") -> str:
    """An answer: the article's title, its gist (or the generated text), its link, and the
    question whether it helped."""
    yes, no = yes_no_words(language)
    with translation.override(language):
        ask = _('Did this answer your question? Reply "%(yes)s" or "%(no)s".') % {
            "yes": yes,
            "no": no,
        }
    parts = [article.title, body or excerpt(article), article_url(article), ask]
    return "\n\n".join(part for part in parts if part)


def choices_text(articles: list[Article], *, language: str) -> str:
    """An offer of the best articles, numbered, and how to pick one."""
    numbers = ", ".join(str(n) for n in range(1, len(articles) + 1))
    with translation.override(language):
        intro = _("I found a few articles that may help:")
        how = _('Reply with a number (%(numbers)s), or "%(none)s" to talk to a person.') % {
            "numbers": numbers,
            "none": none_word(language),
        }
    lines = [f"{n}. {article.title}" for n, article in enumerate(articles, start=1)]
    return "\n".join([intro, *lines, "", how])


def resolved_text(*, language: str) -> str:
    """The bot's last word when its answer helped."""
    with translation.override(language):
        return _("Glad I could help. This conversation is now closed; write again any time.")


def portal_handoff_text(*, language: str) -> str:
    """On the portal no ticket exists yet: the customer is invited to send a request."""
    with translation.override(language):
        return _(
            "I could not find an answer to that. Please send us a request below and a person "
            "will answer you."
        )


def not_understood_text(*, language: str) -> str:
    """Nothing to act on (feedback without an answer, an empty message)."""
    with translation.override(language):
        return _("Please type your question and I will look for an answer.")


def _when(due_at: datetime, *, now: datetime) -> str:
    zone = ZoneInfo(Organization.cached().time_zone or "UTC")
    local_due, local_now = due_at.astimezone(zone), now.astimezone(zone)
    if local_due.date() == local_now.date():
        return local_due.strftime("%H:%M")
    return local_due.strftime("%Y-%m-%d %H:%M")


def handoff_text(
    *, language: str, person: str, team: str, due_at: datetime | None, now: datetime
) -> str:
    """Who will answer and by when, e.g. "I've passed this to Li Na (After-sales); you'll
    hear back by 14:30." """
    facts: dict[str, Any] = {"person": person, "team": team}
    with translation.override(language):
        if person and team:
            who = _("I've passed this to %(person)s (%(team)s)") % facts
        elif person:
            who = _("I've passed this to %(person)s") % facts
        elif team:
            who = _("I've passed this to our %(team)s team") % facts
        else:
            who = _("I've passed this to our team")
        if due_at is not None:
            return _("%(who)s; you'll hear back by %(time)s.") % {
                "who": who,
                "time": _when(due_at, now=now),
            }
        return _("%(who)s; a person will answer you as soon as possible.") % {"who": who}
