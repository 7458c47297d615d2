"""The demo organisation: teams, agents, customers and about 90 days of service history.

Everything is drawn from one seeded random generator, so a seed and a ``now`` give the same
organisation and the same tickets. The history is written as import lines and loaded through
``closeloop.tickets.importer``, the path a migration from another helpdesk takes, so every
event, milestone and SLA clock is what live operation would have produced.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q

from closeloop.console.demo_alerts import install_demo_alerts
from closeloop.console.demo_channels import install_demo_channels
from closeloop.console.demo_content import (
    AGENTS,
    ANSWERS,
    CHANNELS,
    DEPARTMENT_HEAD,
    ENGLISH_NAMES,
    ESCALATION_REASONS,
    EXPERTS,
    FIRST_REPLY,
    FOLLOW_UPS,
    GIVEN_NAMES,
    HOUR,
    MOBILE_PREFIXES,
    NOTES,
    PRIORITY_REASONS,
    PRODUCTS,
    REOPENS,
    SCENARIOS,
    SURNAMES,
    TEAMS,
    THANKS,
    VIP_AGENTS,
    Scenario,
)
from closeloop.console.demo_diagnosis import install_demo_diagnosis
from closeloop.console.demo_engine import install_demo_engine
from closeloop.console.demo_feedback import install_demo_feedback
from closeloop.console.demo_knowledge import install_demo_knowledge, install_demo_macros
from closeloop.console.demo_people import install_demo_people
from closeloop.console.demo_problems import install_demo_problems
from closeloop.console.demo_quality import install_demo_quality
from closeloop.console.demo_triage import assign_teams, label_history, train_demo_classifier
from closeloop.core import clock
from closeloop.core.errors import CloseloopError
from closeloop.core.models import Organization
from closeloop.customers.models import Customer, Segment
from closeloop.customers.services import customer_identify, customer_set_segment
from closeloop.people.models import Agent, Availability, Team, TeamMembership
from closeloop.sla.clocks import Target
from closeloop.sla.models import TicketClock
from closeloop.sla.policies import policy_for
from closeloop.sla.services import sla_sweep
from closeloop.tickets.importer import import_lines
from closeloop.tickets.models import Message, Ticket

ORGANIZATION_NAME = "Closeloop Demo 示例公司"
# Published demo logins, not secrets.
AGENT_PASSWORD = "demo1234"  # noqa: S105
ADMIN_USERNAME, ADMIN_PASSWORD = "admin", "admin"
LOCAL_TIME = ZoneInfo("Asia/Shanghai")


class DemoRefused(CloseloopError):
    """The demo only loads into an empty database."""

    code = "demo_refused"
    http_status = 409


@dataclass(frozen=True)
class DemoSummary:
    """What ``load_demo`` created."""

    organization: str
    teams: int
    agents: int
    logins: tuple[tuple[str, str], ...]  # (username, password)
    customers: int
    tickets: int
    tickets_by_status: dict[str, int]
    messages: int
    escalated: int
    reopened: int
    breached: int  # tickets with an SLA breach recorded while the history was replayed
    breaches_due: int  # overdue clocks the next ``closeloop worker --once`` fires
    skipped: list[str]  # import lines that failed (a bug in the generator if not empty)
    seconds: float
    digest: str  # SHA-256 over number, subject and status of every ticket

    def lines(self) -> list[str]:
        """The summary as text for the console."""
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.tickets_by_status.items()))
        return [
            f"{self.organization}: {self.teams} teams, {self.agents} agents, "
            f"{self.customers} customers",
            f"{self.tickets} tickets ({statuses}), {self.messages} messages, "
            f"{self.escalated} escalated, {self.reopened} reopened, {self.breached} breached, "
            f"{self.breaches_due} breaches due for the worker; loaded in {self.seconds:.1f} s",
            "Logins: " + ", ".join(f"{user} / {password}" for user, password in self.logins),
        ]


@dataclass
class _Person:
    """A demo customer as the generator sees them."""

    handles: dict[str, str]
    name: str
    segment: str
    language: int  # 0 Chinese, 1 English
    dedicated_agent: str | None = None


@dataclass
class _Story:
    """One ticket's history being written: a cursor in time and the steps so far."""

    created_at: datetime
    steps: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.at = self.created_at

    def add(self, after: timedelta, step_type: str, **fields: Any) -> None:
        self.at += max(after, timedelta(seconds=1))
        self.steps.append({"at": self.at, "type": step_type, **fields})

    def reply(self, after: timedelta, *, agent: str, body: str) -> None:
        """A public reply by an agent."""
        self.add(after, "message", author="agent", agent=agent, is_public=True, body=body)


def load_demo(
    *,
    seed: int = 7,
    days: int = 90,
    tickets_per_day: int = 35,
    now: datetime | None = None,
    stdout: Writer | None = None,
) -> DemoSummary:
    """Create the demo organisation and its history; refuse a database that is in use.

    The demo belongs in a fresh data directory (``closeloop --data-dir DIR demo``): it refuses
    with ``DemoRefused`` when the database already has tickets, customers, teams or users, so it
    can never mix invented history into real data or delete anything; start again by pointing
    at a new directory. Everything is written in one transaction: a failure leaves the
    database as it was. Given the same ``seed`` and ``now``, the data is the same. ``now``
    (default: the clock) is where the history ends; steps later than it have not happened yet,
    which leaves the most recent tickets open in every state, and a few unanswered ones are past
    due or at risk for the next ``closeloop worker --once`` to flag. Progress goes to
    ``stdout``; the caller prints ``DemoSummary.lines()``.
    """
    _refuse_unless_empty()
    started = time.monotonic()
    end = (now or clock.now()).replace(microsecond=0)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    with transaction.atomic():
        _organization()
        install_demo_channels()
        agents = _people()
        people = _customers(
            rng,
            agents,
            count=max(30, days * tickets_per_day // 6),
            end=end,
            span=timedelta(days=days),
        )
        scenarios: dict[str, str] = {}
        lines = _ticket_lines(
            rng, people, days=days, per_day=tickets_per_day, end=end, scenarios=scenarios
        )
        _say(stdout, f"Importing {len(lines)} demo tickets …")
        report = import_lines(lines, sweep=sla_sweep)
        labelled = label_history(scenarios)
        assign_teams()
        _say(stdout, f"Training the ticket classifier on {labelled} labelled tickets …")
        train_demo_classifier(labelled)
        _say(stdout, "Publishing the help centre and training the FAQ bot …")
        install_demo_knowledge()
        install_demo_macros()
        # The rest reads "now" (last week's QA sample, the alert windows): the history's end.
        with clock.frozen_at(end):
            _say(stdout, "Adding training, surveys, QA, alerts, problems, daily figures …")
            install_demo_people(seed=seed)
            install_demo_feedback(seed=seed)
            install_demo_quality(seed=seed)
            install_demo_alerts()
            install_demo_problems()
            install_demo_diagnosis()
            # Last: the daily rollups and the baseline over everything above.
            install_demo_engine()
        summary = _summary(report.errors, started, end)
    for error in summary.skipped:
        _say(stdout, f"skipped {error}")
    return summary


class Writer(Protocol):
    """Where progress goes: a text stream or a management command's ``self.stdout``."""

    def write(self, text: str, /) -> Any:
        """Write ``text``."""


def _say(stdout: Writer | None, text: str) -> None:
    if stdout is not None:
        stdout.write(text + "\n")


def _refuse_unless_empty() -> None:
    counts = {
        "tickets": Ticket.objects.count(),
        "customers": Customer.objects.count(),
        "teams": Team.objects.count(),
        "users": User.objects.count(),
    }
    present = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
    if present:
        raise DemoRefused(
            f"The database already has {present}; the demo loads only into an empty one "
            "(closeloop --data-dir NEW_DIR demo).",
            details=counts,
        )


def _organization() -> None:
    organization = Organization.current()
    organization.name = ORGANIZATION_NAME
    organization.time_zone = "Asia/Shanghai"
    organization.save(update_fields=["name", "time_zone", "updated_at"])


def _people() -> dict[str, Agent]:
    """Teams, agents with logins, leads, department head, experts and the administrator."""
    teams = {
        code: Team.objects.create(name=name, code=code, is_restricted=restricted)
        for code, name, restricted in TEAMS
    }
    # One hash for every agent: hashing is deliberately slow, and these are demo passwords.
    password = make_password(AGENT_PASSWORD)
    agents: dict[str, Agent] = {}
    for username, display_name, team_code, role in AGENTS:
        user = User.objects.create(
            username=username,
            password=password,
            email=f"{username}@demo.closeloop.invalid",
            is_staff=True,
        )
        agents[username] = Agent.objects.create(
            user=user, display_name=display_name, availability=Availability.ONLINE
        )
        if team_code is not None:
            TeamMembership.objects.create(team=teams[team_code], agent=agents[username], role=role)
    for code, team in teams.items():
        team.department_head = agents[DEPARTMENT_HEAD]
        team.expert = agents[EXPERTS[code]]
        team.save(update_fields=["department_head", "expert"])
    admin = User.objects.create_superuser(
        username=ADMIN_USERNAME, password=ADMIN_PASSWORD, email="admin@demo.closeloop.invalid"
    )
    agents[ADMIN_USERNAME] = Agent.objects.create(user=admin, display_name="管理员 Admin")
    return agents


def _customers(
    rng: random.Random, agents: dict[str, Agent], *, count: int, end: datetime, span: timedelta
) -> list[_Person]:
    """Customers with handles across channels and value segments; VIPs get a dedicated agent."""
    people = []
    for number in range(count):
        language = 1 if rng.random() < 0.18 else 0
        name = (
            rng.choice(ENGLISH_NAMES)
            if language
            else (rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES))
        )
        handles: dict[str, str] = {}
        if rng.random() < 0.7 or language:
            handles["email"] = f"customer{number:04d}@example.com"
        if rng.random() < 0.85:
            handles["phone"] = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if rng.random() < 0.55 and not language:
            handles["wechat_openid"] = "o" + "".join(
                rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
                for _ in range(27)
            )
        if rng.random() < 0.4:
            handles["app_user_id"] = f"app-{100000 + number}"
        if not handles:
            handles["email"] = f"customer{number:04d}@example.com"
        segment = rng.choices(
            [Segment.VIP, Segment.HIGH_VALUE, Segment.STANDARD, Segment.NEW], [5, 15, 70, 10]
        )[0]
        person = _Person(handles=handles, name=name, segment=segment, language=language)
        if segment == Segment.VIP:
            person.dedicated_agent = rng.choice(VIP_AGENTS)
        with clock.frozen_at(end - span - timedelta(days=rng.uniform(1, 700))):
            customer = customer_identify(name=name, **handles)  # type: ignore[arg-type]
            customer_set_segment(customer=customer, segment=segment)
        if person.dedicated_agent:
            # No service sets a dedicated agent yet; this is the demo's own setup.
            Customer.objects.filter(pk=customer.pk).update(
                dedicated_agent=agents[person.dedicated_agent]
            )
        people.append(person)
    return people


def _ticket_lines(
    rng: random.Random,
    people: list[_Person],
    *,
    days: int,
    per_day: int,
    end: datetime,
    scenarios: dict[str, str],
) -> list[str]:
    """The history as import lines, oldest first, then a few tickets left waiting; each
    ticket's scenario goes into ``scenarios`` (by external_ref)."""
    members = _members()
    local_end = end.astimezone(LOCAL_TIME)
    hour_weights = [1, 1, 1, 1, 1, 2, 3, 6, 9, 12, 12, 11, 8, 9, 11, 11, 10, 9, 8, 8, 7, 6, 4, 2]
    created: list[datetime] = []
    for days_back in range(days - 1, -1, -1):
        day = (local_end - timedelta(days=days_back)).replace(hour=0, minute=0, second=0)
        factor = 0.75 if day.weekday() >= 5 else 1.1
        for _ in range(round(per_day * factor * rng.uniform(0.8, 1.2))):
            hour = rng.choices(range(24), hour_weights)[0]
            moment = day + timedelta(hours=hour, seconds=rng.randrange(3600))
            if moment < end - timedelta(minutes=2):
                created.append(moment.astimezone(end.tzinfo))
    created.sort()
    lines = []
    for number, created_at in enumerate(created, start=1):
        record = _ticket(
            rng, f"demo-{number:05d}", rng.choice(people), members, created_at=created_at, end=end
        )
        scenarios[record["external_ref"]] = record.pop("_scenario")
        lines.append(json.dumps(record, ensure_ascii=False))
    # Unanswered tickets, as old as these shares of their first-response target: three past
    # due, two at risk. Last in the file, so no later line's replay sweeps them and the next
    # worker run fires their breaches and warnings.
    for number, (waiting, priority) in enumerate(
        [(1.6, "high"), (2.5, "high"), (1.4, "medium"), (0.85, "high"), (0.9, "medium")],
        start=len(created) + 1,
    ):
        record = _ticket(
            rng,
            f"demo-{number:05d}",
            rng.choice(people),
            members,
            end=end,
            priority=priority,
            waiting=waiting,
        )
        scenarios[record["external_ref"]] = record.pop("_scenario")
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines


def _members() -> dict[str, list[str]]:
    rows = TeamMembership.objects.values_list("team__code", "agent__user__username").order_by(
        "team__code", "agent__user__username"
    )
    members: dict[str, list[str]] = {}
    for code, username in rows:
        members.setdefault(code, []).append(username)
    return members


def _pick(rng: random.Random, options: tuple[str, ...], **values: Any) -> str:
    return rng.choice(options).format(**values)


def _ticket(
    rng: random.Random,
    ref: str,
    person: _Person,
    members: dict[str, list[str]],
    *,
    end: datetime,
    created_at: datetime | None = None,
    priority: str | None = None,
    waiting: float | None = None,
) -> dict[str, Any]:
    """One ticket's import line: its contact, and a history cut off at ``end``.

    A ticket ``waiting`` has had no reply yet and is that share of its first-response target
    old (routing may have assigned it).
    """
    scenario = rng.choices(SCENARIOS, [s.weight for s in SCENARIOS])[0]
    lang = person.language
    channel = _channel(rng, person)
    if priority is None:
        priority = rng.choices(["high", "medium", "low"], scenario.priorities)[0]
        if person.segment == Segment.VIP and priority == "low":
            priority = "medium"
    if waiting is not None:
        first_target = _targets(scenario, channel, priority, person.segment)[0]
        created_at = end - timedelta(minutes=first_target * waiting)
    if created_at is None:
        raise ValueError("a ticket needs created_at or waiting")
    product = PRODUCTS[rng.randrange(len(PRODUCTS))][lang]
    values = {
        "order": f"SO{created_at:%y%m%d}{rng.randrange(10000):04d}",
        "product": product,
        "amount": rng.choice([59, 129, 199, 299, 699, 1299, 2499]),
        "days": rng.randint(5, 12),
        "name": person.name,
    }
    customer: dict[str, str] = {"name": person.name, "segment": person.segment}
    customer.update(_revealed_handles(channel, person))
    story = _Story(created_at)
    _lifecycle(
        rng, story, scenario, person, members, channel=channel, priority=priority, values=values
    )
    history = []
    for step in story.steps:
        if step["at"] > end or (waiting is not None and step["type"] != "assign"):
            break
        history.append({**step, "at": step["at"].isoformat()})
    return {
        "_scenario": scenario.code,  # not part of the import line: the demo labels by it
        "external_ref": ref,
        "subject": _pick(rng, scenario.subjects[lang], **values),
        "channel": channel,
        "kind": scenario.kind,
        "priority": priority,
        "touchpoint": scenario.touchpoint,
        "team": scenario.team,
        "customer": customer,
        "created_at": created_at.isoformat(),
        "body": scenario.body[lang].format(**values),
        "history": history,
    }


def _channel(rng: random.Random, person: _Person) -> str:
    usable = {
        "chat": "email" in person.handles or "phone" in person.handles,
        "portal": "email" in person.handles or "phone" in person.handles,
        "wechat": "wechat_openid" in person.handles,
        "email": "email" in person.handles,
        "phone": "phone" in person.handles,
        "app": "app_user_id" in person.handles,
    }
    names = [name for name in CHANNELS if usable[name]]
    return rng.choices(names, [CHANNELS[name] for name in names])[0]


def _revealed_handles(channel: str, person: _Person) -> dict[str, str]:
    """The handles a contact through ``channel`` tells us (identify finds the rest)."""
    wanted = {
        "email": ("email",),
        "phone": ("phone",),
        "wechat": ("wechat_openid",),
        "app": ("app_user_id", "phone"),
        "chat": ("email", "phone"),
        "portal": ("email", "phone"),
    }[channel]
    return {key: person.handles[key] for key in wanted if key in person.handles}


def _targets(scenario: Scenario, channel: str, priority: str, segment: str) -> tuple[int, int, int]:
    """First-response, next-response and resolution targets in minutes, from the policies."""
    loaded = policy_for(priority=priority, kind=scenario.kind, channel=channel, segment=segment)
    if loaded is None:
        return 4 * HOUR, 4 * HOUR, 72 * HOUR
    targets = loaded.targets
    first = _minutes(targets.first_response, 24 * HOUR)
    return first, _minutes(targets.next_response, first), _minutes(targets.resolution, 72 * HOUR)


def _minutes(target: Target | None, default: int) -> int:
    if target is None:
        return default
    # A working day counts as about 1.4 calendar days (weekends): good enough for pacing.
    return target.minutes or int((target.working_days or 1) * 1.4 * 24 * HOUR)


def _late(rng: random.Random, target: int, *, on_time: float) -> timedelta:
    """A delay against a target: mostly comfortably in time, some close, some late."""
    roll = rng.random()
    if roll < on_time:
        share = rng.uniform(0.05, 0.7)
    elif roll < on_time + (1 - on_time) / 2:
        share = rng.uniform(0.8, 0.98)
    else:
        share = rng.uniform(1.05, 3.0)
    return timedelta(minutes=target * share)


def _lifecycle(
    rng: random.Random,
    story: _Story,
    scenario: Scenario,
    person: _Person,
    members: dict[str, list[str]],
    *,
    channel: str,
    priority: str,
    values: dict[str, Any],
) -> None:
    """Write what happens to the ticket: routing, replies, waits, escalations, resolution."""
    lang = person.language
    first_target, next_target, resolution_target = _targets(
        scenario, channel, priority, person.segment
    )
    team = scenario.team
    agent = (
        person.dedicated_agent
        if person.dedicated_agent and team == "after-sales"
        else (rng.choice(members[team]))
    )
    first_reply = _late(rng, first_target, on_time=0.95 if channel != "phone" else 1.0)
    routing = rng.random()
    if routing < 0.6:
        story.add(
            first_reply * rng.uniform(0.05, 0.3), "assign", to=agent, reason="routed by skill"
        )
    elif routing < 0.85:
        story.add(first_reply * rng.uniform(0.05, 0.5), "assign", agent=agent)
    story.at = max(story.at, story.created_at + first_reply)
    greeting = FIRST_REPLY[lang].format(name=person.name, agent=agent)
    story.add(timedelta(0), "message", author="agent", agent=agent, is_public=True, body=greeting)
    if rng.random() < 0.2:
        story.add(
            timedelta(minutes=rng.uniform(1, 30)),
            "message",
            author="agent",
            agent=agent,
            is_public=False,
            body=rng.choice(NOTES),
        )
    if rng.random() < 0.1 and scenario.team == "pre-sales":
        # A sales question that turns out to be technical: transfer the ticket.
        story.add(
            timedelta(minutes=rng.uniform(5, 60)),
            "update",
            agent=agent,
            team="technical",
            reason="转技术支持 / handed to technical support",
        )
        agent = rng.choice(members["technical"])
        story.add(timedelta(minutes=rng.uniform(1, 20)), "assign", to=agent)
    elif priority != "high" and rng.random() < 0.06:
        story.add(
            timedelta(minutes=rng.uniform(5, 120)),
            "update",
            agent=agent,
            priority="high",
            reason=rng.choice(PRIORITY_REASONS),
        )
    if rng.random() < 0.35:
        story.reply(
            timedelta(minutes=rng.uniform(1, 10)),
            agent=agent,
            body=scenario.ask[lang].format(**values),
        )
        story.add(
            timedelta(seconds=rng.uniform(5, 60)),
            "pend",
            agent=agent,
            reason="waiting for customer details",
        )
        if rng.random() < 0.9:
            story.add(
                timedelta(hours=rng.uniform(0.3, 30)),
                "message",
                author="customer",
                body=_pick(rng, ANSWERS[lang], **values),
            )
            story.reply(
                _late(rng, next_target, on_time=0.95),
                agent=agent,
                body=_pick(rng, THANKS[lang]),
            )
    if rng.random() < 0.3:
        story.add(
            timedelta(hours=rng.uniform(1, 20)),
            "message",
            author="customer",
            body=_pick(rng, FOLLOW_UPS[lang]),
        )
        story.reply(
            _late(rng, next_target, on_time=0.95),
            agent=agent,
            body=("正在加急处理，请稍候。", "We are on it, thank you.")[lang],
        )
    escalation_chance = 0.15 if scenario.kind == "complaint" else 0.02
    if person.segment == Segment.VIP:
        escalation_chance += 0.05
    if rng.random() < escalation_chance:
        story.add(
            timedelta(minutes=rng.uniform(10, 240)),
            "escalate",
            agent=agent,
            reason=rng.choice(ESCALATION_REASONS),
        )
        if rng.random() < 0.3:
            story.add(
                timedelta(hours=rng.uniform(1, 12)),
                "escalate",
                agent=agent,
                reason="一线与组长均无法解决，升级部门负责人",
            )
    _resolve(rng, story, scenario, person, agent, resolution_target, values)


def _resolve(
    rng: random.Random,
    story: _Story,
    scenario: Scenario,
    person: _Person,
    agent: str,
    resolution_target: int,
    values: dict[str, Any],
) -> None:
    """Resolution, then confirmation, auto-close after 72 h, or a reopening."""
    lang = person.language
    for attempt in range(2):
        due = story.created_at + _late(rng, resolution_target, on_time=0.95)
        story.at = max(story.at + timedelta(minutes=rng.uniform(5, 90)), due)
        story.reply(
            timedelta(0),
            agent=agent,
            body=scenario.solution[lang].format(**values),
        )
        story.add(
            timedelta(minutes=rng.uniform(1, 15)),
            "resolve",
            agent=agent,
            reason=scenario.solution[lang].format(**values),
        )
        outcome = rng.random()
        if attempt == 0 and outcome < 0.08:
            if rng.random() < 0.65:
                story.add(
                    timedelta(hours=rng.uniform(2, 60)),
                    "message",
                    author="customer",
                    body=_pick(rng, REOPENS[lang]),
                )
            else:
                story.add(
                    timedelta(hours=rng.uniform(2, 60)),
                    "reopen",
                    reason="客户表示问题未解决 / customer says it is not solved",
                )
            continue
        if outcome < 0.6:
            story.add(timedelta(hours=rng.uniform(0.2, 48)), "confirm")
        else:
            story.add(
                timedelta(hours=72, minutes=rng.uniform(0, 5)),
                "close",
                reason="confirmation window elapsed",
            )
        return


def _summary(errors: list[Any], started: float, end: datetime) -> DemoSummary:
    tickets = Ticket.objects.all()
    by_status = Counter(tickets.values_list("status", flat=True))
    digest = hashlib.sha256()
    for number, subject, status in tickets.order_by("number").values_list(
        "number", "subject", "status"
    ):
        digest.update(f"{number}|{subject}|{status}\n".encode())
    late = (
        Q(stopped_at__isnull=True, paused_since__isnull=True)
        | Q(stopped_at__gt=F("due_at"))
        | Q(paused_since__gt=F("due_at"))
    )
    return DemoSummary(
        organization=ORGANIZATION_NAME,
        teams=Team.objects.count(),
        agents=Agent.objects.count(),
        logins=(
            (ADMIN_USERNAME, ADMIN_PASSWORD),
            *((username, AGENT_PASSWORD) for username, *_rest in AGENTS),
        ),
        customers=Customer.objects.count(),
        tickets=tickets.count(),
        tickets_by_status=dict(sorted(by_status.items())),
        messages=Message.objects.count(),
        escalated=tickets.filter(escalation_level__gt=0).count(),
        reopened=tickets.filter(reopen_count__gt=0).count(),
        breached=tickets.filter(sla_breached_at__isnull=False).count(),
        breaches_due=TicketClock.objects.filter(
            late, breached_at__isnull=True, due_at__lte=end
        ).count(),
        skipped=[str(error) for error in errors],
        seconds=time.monotonic() - started,
        digest=digest.hexdigest(),
    )
