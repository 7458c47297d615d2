"""Routing, as pure decisions over plain facts: which rules match a ticket and what they set,
and which agent of a team takes it. The database side (loading rules and agent snapshots,
writing the decision with its explanation) lives in ``services``; this module has no I/O,
so a decision is fast and the same in every process.

Rules are evaluated in order; every matching rule applies its actions (a later rule's value
wins), and a rule marked ``stop`` ends the evaluation. Within a team, the agent is chosen by:
1. the customer's dedicated account agent, for VIP and high-value customers, when that agent
   is online, within working hours and under capacity;
2. otherwise among online agents within working hours and under capacity: those meeting every
   required skill level first (then those meeting the most), lower load (open tickets ÷
   capacity) next, and the one assigned longest ago as the round-robin tiebreak.
Nobody available: the ticket stays in the team's queue, unassigned, and the reason says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PRIORITY_SEGMENTS = frozenset({"vip", "high_value"})


@dataclass(frozen=True)
class TicketFacts:
    """What routing may look at."""

    category: str = ""  # the category's code
    category_path: tuple[str, ...] = ()  # its ancestors' codes and its own, root first
    kind: str = ""
    channel: str = ""
    priority: str = ""
    segment: str = ""
    language: str = ""
    text: str = ""  # subject and body


@dataclass(frozen=True)
class Rule:
    """One routing rule: empty conditions match anything; every condition must hold."""

    id: int
    name: str
    categories: frozenset[str] = frozenset()  # matches the category or any descendant
    kinds: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()  # any of them, case-insensitive, in the text
    set_team: str = ""
    set_agent: int | None = None
    set_priority: str = ""
    add_tags: tuple[str, ...] = ()
    stop: bool = False

    def matches(self, facts: TicketFacts, folded_text: str) -> list[str]:
        """The conditions that held (for the explanation), or an empty list if any failed."""
        held: list[str] = []
        checks: list[tuple[str, frozenset[str], Iterable[str]]] = [
            ("category", self.categories, facts.category_path or (facts.category,)),
            ("kind", self.kinds, (facts.kind,)),
            ("channel", self.channels, (facts.channel,)),
            ("priority", self.priorities, (facts.priority,)),
            ("segment", self.segments, (facts.segment,)),
            ("language", self.languages, (_language_family(facts.language),)),
        ]
        for name, wanted, values in checks:
            if not wanted:
                continue
            hit = next((value for value in values if value in wanted), None)
            if hit is None:
                return []
            held.append(f"{name}={hit}")
        if self.keywords:
            keyword = next((k for k in self.keywords if fold(k) in folded_text), None)
            if keyword is None:
                return []
            held.append(f"keyword={keyword}")
        return held or ["always"]


@dataclass
class RuleOutcome:
    team: str = ""
    agent: int | None = None
    priority: str = ""
    tags: list[str] = field(default_factory=list)
    matched: list[dict[str, Any]] = field(default_factory=list)


def fold(text: str) -> str:
    """Text for keyword matching: NFKC (full-width → half-width), case-folded, one space."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def _language_family(language: str) -> str:
    return (language or "").lower().split("-")[0].split("_")[0]


def apply_rules(facts: TicketFacts, rules: Sequence[Rule]) -> RuleOutcome:
    """Evaluate the rules in order; return what they set and why."""
    outcome = RuleOutcome()
    folded = fold(facts.text)
    for rule in rules:
        held = rule.matches(facts, folded)
        if not held:
            continue
        actions: dict[str, Any] = {}
        if rule.set_team:
            outcome.team = actions["team"] = rule.set_team
        if rule.set_agent is not None:
            outcome.agent = actions["agent_id"] = rule.set_agent
        if rule.set_priority:
            outcome.priority = actions["priority"] = rule.set_priority
        for tag in rule.add_tags:
            if tag not in outcome.tags:
                outcome.tags.append(tag)
        if rule.add_tags:
            actions["tags"] = list(rule.add_tags)
        outcome.matched.append(
            {"rule_id": rule.id, "rule": rule.name, "because": held, "set": actions}
        )
        if rule.stop:
            break
    return outcome


@dataclass(frozen=True)
class AgentState:
    """One agent as assignment sees them."""

    id: int
    online: bool  # availability is "online"
    working: bool  # within their working hours now
    capacity: int
    open_tickets: int
    skills: Mapping[str, int] = field(default_factory=dict)  # skill code → level 1–5
    last_assigned_at: datetime | None = None

    @property
    def load(self) -> float:
        return self.open_tickets / self.capacity if self.capacity else 1.0

    @property
    def available(self) -> bool:
        return self.online and self.working and self.open_tickets < self.capacity


@dataclass
class Assignment:
    agent_id: int | None
    reason: str  # "dedicated_agent", "best_match", "nobody_available"
    scores: list[dict[str, Any]] = field(default_factory=list)  # the top candidates


def _skill_fit(agent: AgentState, required: Mapping[str, int]) -> tuple[int, int]:
    """(skills met, total margin over the required levels)."""
    met = margin = 0
    for skill, level in required.items():
        have = agent.skills.get(skill, 0)
        if have >= level:
            met += 1
            margin += have - level
    return met, margin


def choose_agent(
    agents: Sequence[AgentState],
    *,
    required_skills: Mapping[str, int] | None = None,
    dedicated_agent: int | None = None,
    segment: str = "",
    explain: int = 3,
) -> Assignment:
    """Pick the agent of a team who takes the ticket (see the module docstring)."""
    required = dict(required_skills or {})
    if dedicated_agent is not None and segment in PRIORITY_SEGMENTS:
        for agent in agents:
            if agent.id == dedicated_agent and agent.available:
                return Assignment(agent.id, "dedicated_agent", [_score(agent, required)])
    candidates = [agent for agent in agents if agent.available]
    if not candidates:
        return Assignment(None, "nobody_available")

    def key(agent: AgentState) -> tuple[Any, ...]:
        met, margin = _skill_fit(agent, required)
        # Never assigned sorts first; timestamps compare as seconds (all aware, UTC).
        last = agent.last_assigned_at.timestamp() if agent.last_assigned_at else float("-inf")
        return (-met, agent.load, -margin, last, agent.id)

    ranked = sorted(candidates, key=key)
    return Assignment(
        ranked[0].id, "best_match", [_score(agent, required) for agent in ranked[:explain]]
    )


def _score(agent: AgentState, required: Mapping[str, int]) -> dict[str, Any]:
    met, margin = _skill_fit(agent, required)
    return {
        "agent_id": agent.id,
        "skills_met": met,
        "skills_required": len(required),
        "skill_margin": margin,
        "load": round(agent.load, 3),
        "last_assigned_at": agent.last_assigned_at.isoformat() if agent.last_assigned_at else None,
    }


def keywords_of(text: str) -> list[str]:
    """Keywords as an operator types them: comma or line separated, trimmed, no empties."""
    return [part.strip() for part in re.split(r"[,，\n]", text or "") if part.strip()]
