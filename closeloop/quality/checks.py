"""The automatic checks: pure functions over one conversation, run on every ticket.

Each check returns ``(outcome, detail)``; nothing here reads the database, so the engine
(``closeloop.quality.engine``) can feed 100,000 conversations through in batches. Phrase lists
come in as a ``Lexicon``: one precompiled regular expression per list (every phrase of the list
in one alternation, longest first), so a message is scanned once per list whatever its length.

Checks and their codes:

- ``first_response``: the first-response SLA clock stopped by its due time.
- ``next_response``: no next-response clock breached (each customer message got a reply in time).
- ``greeting``: the first public agent reply greets the customer.
- ``closing``: the last public agent reply closes politely.
- ``forbidden``: no public agent reply contains a forbidden phrase.
- ``apology``: on a complaint, some public agent reply apologises.
- ``silence``: on a chat channel, the customer never waited longer than the limit for a reply.
- ``sentiment``: the customer's last message is not negative.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from closeloop.quality.defaults import DEFAULT_PHRASES, NEGATIONS

PASSED = "passed"
FAILED = "failed"
NOT_APPLICABLE = "not_applicable"

CHAT_CHANNELS = frozenset({"chat", "wechat", "app"})
DEFAULT_SILENCE_MINUTES = 10  # DESIGN.md: chat answered within 10 minutes

Outcome = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Line:
    """One message of a conversation as the checks see it."""

    author_kind: str  # customer / agent / bot / system
    body: str
    is_public: bool
    created_at: datetime


@dataclass(slots=True)
class Conversation:
    """A ticket with its messages (in order) and the SLA facts the checks need."""

    ticket_id: int
    kind: str
    channel: str
    agent_id: int | None
    lines: list[Line] = field(default_factory=list)
    # First-response clock: True met, False missed (stopped late or breached), None no clock.
    first_response_met: bool | None = None
    # Next-response clock: True never breached, False breached at least once, None no clock.
    next_response_met: bool | None = None


_ASCII_WORD = re.compile(r"^[\x00-\x7f]+$")
_HAN_RUN = re.compile("([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def normalize(text: str) -> str:
    """NFKC, case-folded, typographic apostrophes made plain: what phrases are matched on."""
    return unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching any of the phrases; Latin phrases only as whole words."""
    parts = []
    for phrase in sorted(
        {normalize(p).strip() for p in phrases if p.strip()}, key=len, reverse=True
    ):
        escaped = re.escape(phrase)
        if _ASCII_WORD.match(phrase):
            parts.append(rf"(?<![a-z0-9]){escaped}(?![a-z0-9])")
        else:
            parts.append(escaped)
    return re.compile("|".join(parts)) if parts else None


@dataclass(frozen=True)
class Lexicon:
    """The compiled phrase lists and the sentiment word sets every check run uses."""

    greeting: re.Pattern[str] | None
    closing: re.Pattern[str] | None
    forbidden: re.Pattern[str] | None
    apology: re.Pattern[str] | None
    negative_words: frozenset[str]
    positive_words: frozenset[str]
    negations: frozenset[str]
    silence: timedelta

    @classmethod
    def build(
        cls,
        phrases: Mapping[str, Iterable[str]],
        *,
        silence_minutes: int = DEFAULT_SILENCE_MINUTES,
    ) -> Lexicon:
        """Compile the lists given as kind → phrases (any language mixed)."""
        return cls(
            greeting=phrase_pattern(phrases.get("greeting", ())),
            closing=phrase_pattern(phrases.get("closing", ())),
            forbidden=phrase_pattern(phrases.get("forbidden", ())),
            apology=phrase_pattern(phrases.get("apology", ())),
            negative_words=frozenset(normalize(p) for p in phrases.get("negative", ())),
            positive_words=frozenset(normalize(p) for p in phrases.get("positive", ())),
            negations=frozenset(word for words in NEGATIONS.values() for word in words),
            silence=timedelta(minutes=silence_minutes),
        )

    @classmethod
    def defaults(cls, *, silence_minutes: int = DEFAULT_SILENCE_MINUTES) -> Lexicon:
        """The lexicon of the shipped default lists (tests, and before migrations ran)."""
        merged = {
            kind: [p for phrases in languages.values() for p in phrases]
            for kind, languages in DEFAULT_PHRASES.items()
        }
        return cls.build(merged, silence_minutes=silence_minutes)


def _segmenter() -> Any:
    # The search index's jieba instance: one dictionary in memory per process.
    from closeloop.knowledge.text import _segmenter as search_segmenter

    return search_segmenter()


def words(text: str) -> list[str]:
    """The words of a message: Latin words by spaces, Chinese runs segmented by jieba."""
    normal = normalize(text)
    tokens: list[str] = []
    for index, part in enumerate(_HAN_RUN.split(normal)):
        if not part:
            continue
        if index % 2:
            tokens.extend(_segmenter().lcut(part, HMM=False))
        else:
            tokens.extend(_LATIN_WORD.findall(part))
    return tokens


def sentiment(text: str, lexicon: Lexicon) -> int:
    """Positive minus negative lexicon words; a negation flips the word after it (不满意)."""
    score = 0
    negated = False
    for word in words(text):
        if word in lexicon.negations:
            negated = True
            continue
        polarity = 0
        if word in lexicon.negative_words:
            polarity = -1
        elif word in lexicon.positive_words:
            polarity = 1
        score += -polarity if negated else polarity
        negated = False
    return score


def _agent_replies(conversation: Conversation) -> list[Line]:
    return [line for line in conversation.lines if line.author_kind == "agent" and line.is_public]


def check_first_response(conversation: Conversation, lexicon: Lexicon) -> Outcome:
    """The first-response clock stopped in time."""
    if conversation.first_response_met is None:
        return NOT_APPLICABLE, ""
    return (PASSED, "") if conversation.first_response_met else (FAILED, "late")


def check_next_response(conversation: Conversation, lexicon: Lexicon) -> Outcome:
    """No next-response clock breached."""
    if conversation.next_response_met is None:
        return NOT_APPLICABLE, ""
    return (PASSED, "") if conversation.next_response_met else (FAILED, "late")


def _first_match(pattern: re.Pattern[str] | None, text: str) -> str | None:
    if pattern is None:
        return None
    found = pattern.search(normalize(text))
    return found.group() if found else None


def check_greeting(conversation: Conversation, lexicon: Lexicon) -> Outcome:
    """The first public agent reply greets the customer."""
    replies = _agent_replies(conversation)
    if not replies:
        return NOT_APPLICABLE, ""
    found = _first_match(lexicon.greeting, replies[0].body)
    return (PASSED, found) if found else (FAILED, "")


def check_closing(conversation: Conversation, lexicon: Lexicon) -> Outcome:
    """The last public agent reply closes politely."""
    replies = _agent_replies(conversation)
    if not replies:
        return NOT_APPLICABLE, ""
    found = _first_match(lexicon.closing, replies[-1].body)
    return (PASSED, found) if found else (FAILED, "")


def check_forbidden(conversation: Conversation, lexicon: Lexicon) -> Outcome:
    """No public agent reply contains a forbidden phrase (the detail names the first found)."""
    replies = _agent_replies(conversation)
    if not replies:
        return NOT_APPLICABLE, ""
    for reply in replies:
        found = _first_match(lexicon.forbidden, reply.body)
        if found:
            return FAILED, found
    return PASSED, ""


def check_apology(conversation: Conversation, lexicon: Lexicon) -> Outcome:
    """On a complaint, some public agent reply apologises."""
    if conversation.kind != "complaint":
        return NOT_APPLICABLE, ""
    replies = _agent_replies(conversation)
    if not replies:
        return NOT_APPLICABLE, ""
    for reply in replies:
        found = _first_match(lexicon.apology, reply.body)
        if found:
            return PASSED, found
    return FAILED, ""


def check_silence(conversation: Conversation, lexicon: Lexicon) -> Outcome:
    """On a chat channel, every wait of the customer for a person's reply stayed in the limit.

    A wait starts at the first customer message after a reply and ends at the next public
    agent reply; a bot answer ends a wait too (the customer was answered), so the wait for a
    person starts at the message after the bot's last answer. A wait the conversation ended
    in (no reply came) is not counted.
    """
    if conversation.channel not in CHAT_CHANNELS:
        return NOT_APPLICABLE, ""
    longest = timedelta(0)
    waiting_since: datetime | None = None
    replied = False
    for line in conversation.lines:
        if not line.is_public:
            continue
        if line.author_kind == "customer":
            if waiting_since is None:
                waiting_since = line.created_at
        elif line.author_kind == "agent":
            if waiting_since is not None:
                longest = max(longest, line.created_at - waiting_since)
            waiting_since = None
            replied = True
        elif line.author_kind == "bot":
            waiting_since = None  # answered by the bot: the wait for a person starts later
    if not replied:
        return NOT_APPLICABLE, ""
    if longest > lexicon.silence:
        return FAILED, f"{int(longest.total_seconds() // 60)} min"
    return PASSED, ""


def check_sentiment(conversation: Conversation, lexicon: Lexicon) -> Outcome:
    """The customer's last message is not negative."""
    for line in reversed(conversation.lines):
        if line.author_kind == "customer":
            score = sentiment(line.body, lexicon)
            return (FAILED, str(score)) if score < 0 else (PASSED, str(score))
    return NOT_APPLICABLE, ""


CHECKS: dict[str, Callable[[Conversation, Lexicon], Outcome]] = {
    "first_response": check_first_response,
    "next_response": check_next_response,
    "greeting": check_greeting,
    "closing": check_closing,
    "forbidden": check_forbidden,
    "apology": check_apology,
    "silence": check_silence,
    "sentiment": check_sentiment,
}


CHECK_LABELS = {
    "first_response": _("First response within target"),
    "next_response": _("Next responses within target"),
    "greeting": _("Greeting in the first reply"),
    "closing": _("Closing in the last reply"),
    "forbidden": _("No forbidden phrases"),
    "apology": _("Apology on a complaint"),
    "silence": _("No long silences in chat"),
    "sentiment": _("Customer's last message not negative"),
}


def run_checks(conversation: Conversation, lexicon: Lexicon) -> dict[str, Outcome]:
    """Every check on one conversation: code → (outcome, detail)."""
    return {code: check(conversation, lexicon) for code, check in CHECKS.items()}
