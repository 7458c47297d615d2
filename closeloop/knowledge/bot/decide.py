"""One decision per customer message (pure): hand off, answer, offer choices, take a pick,
or take the customer's yes or no to the last answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from closeloop.knowledge.bot.intents import asks_for_person, choice_of, feedback_of
from closeloop.knowledge.bot.matcher import Match

# Why a conversation went to a person (BotConversation.handoff_reason).
ASKED_FOR_PERSON = "asked_for_person"
LOW_CONFIDENCE = "low_confidence"
NOT_HELPFUL = "not_helpful"
NONE_OF_THESE = "none_of_these"
ABANDONED = "abandoned"
TAKEN_OVER = "taken_over"  # a person answered or took the ticket while the bot held it
TICKET_SUBMITTED = "ticket_submitted"  # a portal visitor sent a request after talking to it
# An article this unlikely is not worth offering, whatever the number of choices allowed.
MIN_CHOICE_CONFIDENCE = 0.05


@dataclass(frozen=True)
class Thresholds:
    """The settings a decision needs."""

    answer: float
    choices: float
    max_choices: int


@dataclass(frozen=True)
class State:
    """Where the conversation stands: what the bot said last, and what it offered."""

    last_kind: str = ""  # "answer" | "choices" | "" (nothing pending)
    offered: Sequence[int] = ()
    offered_titles: Sequence[str] = ()
    offered_confidences: Sequence[float] = ()


@dataclass(frozen=True)
class Decision:
    """What to do with one message."""

    kind: str  # "answer" | "choices" | "handoff" | "resolved"
    articles: list[tuple[int, float]] = field(default_factory=list)  # (id, confidence)
    reason: str = ""  # a hand-off's reason
    confirmed: bool | None = None  # the customer's word on the last answer, if given


def decide(
    *, text: str, state: State, match: Callable[[str], Match], thresholds: Thresholds
) -> Decision:
    """The bot's move for ``text``: a request for a person wins at any time; then a yes or no
    to a pending answer, or a pick among pending choices; else the matcher's confidence."""
    if asks_for_person(text):
        return Decision("handoff", reason=ASKED_FOR_PERSON)
    if state.last_kind == "answer":
        feedback = feedback_of(text)
        if feedback is True:
            return Decision("resolved", confirmed=True)
        if feedback is False:
            return Decision("handoff", reason=NOT_HELPFUL, confirmed=False)
    if state.last_kind == "choices" and state.offered:
        picked = choice_of(text, state.offered_titles)
        if picked == 0:
            return Decision("handoff", reason=NONE_OF_THESE)
        if picked is not None:
            confidences = list(state.offered_confidences) or [0.0] * len(state.offered)
            index = picked - 1
            return Decision("answer", articles=[(state.offered[index], confidences[index])])
    found = match(text)
    if found.best is not None and found.confidence >= thresholds.answer:
        return Decision("answer", articles=found.ranked[:1])
    if found.best is not None and found.confidence >= thresholds.choices:
        offered = [pair for pair in found.ranked if pair[1] >= MIN_CHOICE_CONFIDENCE]
        return Decision("choices", articles=offered[: max(1, thresholds.max_choices)])
    return Decision("handoff", articles=found.ranked[:3], reason=LOW_CONFIDENCE)
