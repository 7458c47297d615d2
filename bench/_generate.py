"""A generator of realistic, deterministic service-desk history straight into the database:
``generate(count)`` writes ``count`` tickets over two years with everything the metrics read.

What it writes (all drawn from ``random.Random(seed)``, so every run holds the same rows):

- 6 teams, 24 agents (one lead per team), customers (one per five tickets; 3 % VIP, 12 %
  high value, 10 % new, the rest standard).
- Tickets opened over ``days`` days up to now, with a slow growth, a weekly rhythm (Monday
  busiest, Sunday quietest) and a daily one (peaks at 10:00 and 15:00, quiet at night; the
  organisation's time zone). Channel, touchpoint, kind and priority mixes; a problem type
  from the real taxonomy with a long tail (a few categories carry most tickets: the Pareto
  the monthly review shows); the category's team (or a random one) and one of its agents.
- First response and resolution times log-normal around per-channel medians that halve
  over the two years (so the dashboards have a baseline to beat); 3 % never answered; recent
  tickets still open; 4 % reopened once, 3 % escalated; public agent replies (62 % one).
- SLA: the matching policy (chat reception, phone call-back on working hours, otherwise by
  priority), first-response and resolution clocks with due and warning times, stopped at the
  reply and the resolution; breaches marked on the ticket.
- Triage rows for every ticket, corrections on 12 % (kept unchanged more often over time).
- Survey responses (CSAT on 25 % of resolved tickets, NPS and CES on 6 % each) with their
  invitations and a few comments; QA reviews of 1.5 % of resolved tickets; bot
  conversations (about 0.6 per ticket, bot share rising from 40 % to 60 %); self-service
  successes; article uses (knowledge use rising from 60 % to 90 %).

PostgreSQL: rows go in with COPY (psycopg); SQLite: ``executemany`` in chunks. 100,000 tickets
take well under a minute on SQLite; 1,000,000 a few minutes on PostgreSQL.
Run inside a child process with Django set up on a fresh database (``bench._support``).
"""

from __future__ import annotations

import bisect
import json
import random
import zoneinfo
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

CHUNK = 20_000
CHANNELS = (("email", 22), ("chat", 25), ("wechat", 20), ("app", 12), ("phone", 13), ("portal", 8))
TOUCHPOINTS = (("pre_sale", 20), ("in_sale", 20), ("after_sale", 45), ("maintenance", 15))
KINDS = (("inquiry", 50), ("request", 18), ("complaint", 8), ("incident", 14), ("feedback", 10))
PRIORITIES = (("high", 15), ("medium", 55), ("low", 30))
SEGMENTS = (("vip", 3), ("high_value", 12), ("standard", 75), ("new", 10))
# Median first-response minutes by channel at the start (they halve over the span).
FIRST_RESPONSE = {"email": 240, "chat": 3, "wechat": 8, "app": 15, "phone": 2, "portal": 300}
RESOLUTION_HOURS = {"high": 6, "medium": 20, "low": 48}
WEEKDAY = (1.25, 1.15, 1.1, 1.05, 1.0, 0.7, 0.6)  # Monday … Sunday
HOURLY = (
    0.15, 0.1, 0.08, 0.07, 0.08, 0.15, 0.3, 0.6, 1.0, 1.5, 1.8, 1.7,
    1.3, 1.4, 1.6, 1.7, 1.5, 1.2, 1.0, 0.9, 0.8, 0.6, 0.4, 0.25,
)  # fmt: skip
SUBJECTS = {
    "inquiry": ("Question about my order", "How do I change my address?", "Delivery time?"),
    "request": ("Please send an invoice", "Change my subscription", "Cancel my order"),
    "complaint": ("Parcel arrived damaged", "Still no refund", "Rude delivery driver"),
    "incident": ("App crashes at checkout", "Cannot log in", "Payment failed"),
    "feedback": ("Suggestion for the app", "Great service", "Packaging feedback"),
}
COMMENTS = ("Quick and friendly.", "Took too long.", "Problem solved, thanks!", "服务很好", "")


def _pick(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    return rng.choices([value for value, _w in table], [weight for _v, weight in table])[0]


class Sink:
    """Writes rows to one table: COPY on PostgreSQL, executemany on SQLite. Values are
    Python values; datetimes aware (stored as UTC), dicts and lists as JSON."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.written: dict[str, int] = {}

    def _value(self, value: Any) -> Any:
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        if not self.postgres:
            if isinstance(value, datetime):
                return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
            if isinstance(value, bool):
                return int(value)
        return value

    def write(self, model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Insert ``rows`` (values for ``columns``; every other NOT NULL column gets the
        field's default) and return how many."""
        fields = [
            f
            for f in model._meta.concrete_fields
            if not f.primary_key and f.column not in columns and not f.null
        ]
        tail = [self._value(f.get_default()) for f in fields]
        names = list(columns) + [f.column for f in fields]
        table = model._meta.db_table
        count = 0
        with self.connection.cursor() as cursor:
            if self.postgres:
                quoted = ", ".join(f'"{name}"' for name in names)
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row([self._value(v) for v in row] + tail)
                        count += 1
            else:
                marks = ", ".join("%s" for _ in names)
                sql = f'INSERT INTO "{table}" ({", ".join(names)}) VALUES ({marks})'  # noqa: S608
                batch: list[list[Any]] = []
                for row in rows:
                    batch.append([self._value(v) for v in row] + tail)
                    if len(batch) >= CHUNK:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        self.written[table] = self.written.get(table, 0) + count
        return count

    def next_id(self, model: Any) -> int:
        """One more than the table's largest id."""
        with self.connection.cursor() as cursor:
            cursor.execute(f'SELECT MAX(id) FROM "{model._meta.db_table}"')  # noqa: S608
            return int(cursor.fetchone()[0] or 0) + 1

    def reset_sequences(self, models: Sequence[Any]) -> None:
        """After explicit ids on PostgreSQL, move the identity sequences past them."""
        if not self.postgres:
            return
        with self.connection.cursor() as cursor:
            for model in models:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
                )


def opening_times(
    rng: random.Random, count: int, end: datetime, days: int, tz: zoneinfo.ZoneInfo
) -> list[datetime]:
    """``count`` opening times over the ``days`` before ``end``, sorted: growth, weekly and
    daily rhythm in time zone ``tz``."""
    local_end = end.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    slots: list[datetime] = []
    weights: list[float] = []
    for hour in range(days * 24):
        moment = local_end - timedelta(hours=days * 24 - hour)
        growth = 0.7 + 0.6 * hour / (days * 24)
        slots.append(moment)
        weights.append(growth * WEEKDAY[moment.weekday()] * HOURLY[moment.hour])
    cumulative: list[float] = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    times = []
    for _ in range(count):
        slot = bisect.bisect_left(cumulative, rng.random() * total)
        times.append(slots[min(slot, len(slots) - 1)] + timedelta(seconds=rng.random() * 3600))
    times.sort()
    return [moment.astimezone(UTC) for moment in times]


def generate(count: int, *, days: int = 730, seed: int = 8) -> dict[str, int]:  # noqa: C901, PLR0915
    """Write ``count`` tickets over ``days`` days before now with everything around them;
    return the rows written per table."""
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from closeloop.core import clock
    from closeloop.core.models import Organization
    from closeloop.customers.models import Customer
    from closeloop.feedback.models import Invitation, Response, Survey
    from closeloop.knowledge.models import Article, ArticleUse, BotConversation, SelfServiceSuccess
    from closeloop.people.models import Agent, Team, TeamMembership
    from closeloop.quality.models import Review, Scorecard
    from closeloop.sla.models import SlaPolicy, TicketClock
    from closeloop.tickets.models import Ticket
    from closeloop.triage.models import Category, TicketTriage, TriageCorrection

    rng = random.Random(seed)
    now = clock.now()
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    sink = Sink(connection)
    with transaction.atomic():
        teams = [
            Team.objects.create(name=f"Service team {n + 1}", code=f"service-{n + 1}")
            for n in range(6)
        ]
        members: dict[int, list[int]] = {team.pk: [] for team in teams}
        leads: list[int] = []
        for n in range(24):
            user = User.objects.create(username=f"gen-agent-{n + 1}")
            agent = Agent.objects.create(user=user, display_name=f"Agent {n + 1:02d}")
            team = teams[n % 6]
            role = "lead" if n < 6 else "member"
            TeamMembership.objects.create(team=team, agent=agent, role=role)
            members[team.pk].append(agent.pk)
            if role == "lead":
                leads.append(agent.pk)
        team_ids = [team.pk for team in teams]
        leaves = list(
            Category.objects.filter(children__isnull=True, is_active=True)
            .order_by("order", "pk")
            .values_list("pk", "team_id")
        )
        # A long tail: the k-th category weighs 1 / k (shuffled so it is not the tree order).
        rng.shuffle(leaves)
        leaf_weights = [1 / (rank + 1) for rank in range(len(leaves))]
        policies = {p.name: p.pk for p in SlaPolicy.objects.all()}
        by_priority = {
            "high": policies.get("High priority"),
            "medium": policies.get("Medium priority"),
            "low": policies.get("Low priority"),
        }
        fallback_policy = next(iter(policies.values()))
        policy_minutes = {
            p.pk: (p.first_response_minutes or 120, getattr(p, "resolution_minutes", None) or 2880)
            for p in SlaPolicy.objects.all()
        }
        policy_names = {pk: name for name, pk in policies.items()}
        surveys = {}
        for survey_type in ("csat", "nps", "ces"):
            surveys[survey_type] = Survey.objects.create(
                name=f"Generated {survey_type}",
                survey_type=survey_type,
                question_en="How did we do?",
                question_zh="您对我们的服务满意吗？",
                follow_up_question_en="",
                follow_up_question_zh="",
                created_at=now,
                updated_at=now,
            ).pk
        scorecard = Scorecard.objects.filter(is_current=True).values_list("pk", "pass_mark").first()
        articles = [
            Article.objects.create(
                slug=f"generated-{n + 1}",
                title=f"How to fix problem {n + 1}",
                summary="",
                body="Steps.",
                body_html="<p>Steps.</p>",
                questions=[],
                created_at=now,
                updated_at=now,
            ).pk
            for n in range(30)
        ]

        # Customers.
        customer_count = max(1, count // 5)
        first_customer = sink.next_id(Customer)
        segments = [_pick(rng, SEGMENTS) for _ in range(customer_count)]
        sink.write(
            Customer,
            ["id", "name", "segment", "created_at", "updated_at"],
            (
                (first_customer + n, f"Customer {n + 1}", segments[n], now, now)
                for n in range(customer_count)
            ),
        )

        times = opening_times(rng, count, now, days, tz)
        span = (times[-1] - times[0]).total_seconds() or 1.0
        first_ticket = sink.next_id(Ticket)
        first_invitation = sink.next_id(Invitation)
        number = Organization.current().next_ticket_number
        invitation_id = first_invitation
        for begin in range(0, count, CHUNK):
            tickets, triages, clocks, corrections = [], [], [], []
            invitations, responses, reviews, bots, served, uses = [], [], [], [], [], []
            for index in range(begin, min(count, begin + CHUNK)):
                created = times[index]
                age = (now - created).total_seconds()
                progress = (created - times[0]).total_seconds() / span  # 0 → 1 over time
                speed = 1.5 - 0.75 * progress  # times halve over the span
                ticket_id = first_ticket + index
                channel = _pick(rng, CHANNELS)
                touchpoint = _pick(rng, TOUCHPOINTS)
                kind = _pick(rng, KINDS)
                if touchpoint == "after_sale" and kind == "inquiry" and rng.random() < 0.1:
                    kind = "complaint"
                priority = "high" if kind == "complaint" and rng.random() < 0.5 else None
                priority = priority or _pick(rng, PRIORITIES)
                category_id, category_team = rng.choices(leaves, leaf_weights)[0]
                team_id = category_team if category_team in members else rng.choice(team_ids)
                if rng.random() < 0.04:
                    team_id = None
                assignee = rng.choice(members[team_id]) if team_id else None
                customer_id = first_customer + int(rng.paretovariate(1.2) * 97 + index) % (
                    customer_count
                )
                if channel == "chat":
                    policy = policies.get("Chat reception", fallback_policy)
                elif channel == "phone":
                    policy = policies.get("Phone call-back", fallback_policy)
                else:
                    policy = by_priority.get(priority) or fallback_policy
                response_due_min, resolution_due_min = policy_minutes[policy]
                first_minutes = FIRST_RESPONSE[channel] * speed * rng.lognormvariate(0, 0.9)
                answered = rng.random() < 0.97 and first_minutes * 60 < age
                first_at = created + timedelta(minutes=first_minutes) if answered else None
                resolve_minutes = (
                    RESOLUTION_HOURS[priority] * 60 * speed * rng.lognormvariate(0, 0.8)
                    + first_minutes
                )
                resolved = answered and resolve_minutes * 60 < age and rng.random() < 0.985
                resolved_at = created + timedelta(minutes=resolve_minutes) if resolved else None
                closed_at = None
                status = "in_progress" if answered else ("assigned" if assignee else "new")
                if resolved_at is not None:
                    status = "resolved"
                    if (now - resolved_at).days >= 3:
                        status, closed_at = "closed", resolved_at + timedelta(days=3)
                reopened = resolved and rng.random() < 0.04
                escalated_at = (
                    created + timedelta(hours=2) if rng.random() < 0.03 and age > 7200 else None
                )
                replies = 1 if rng.random() < 0.62 else rng.randint(2, 5)
                if not answered:
                    replies = 0
                response_due = created + timedelta(minutes=response_due_min)
                resolution_due = created + timedelta(minutes=resolution_due_min)
                breached_at = None
                if (first_at or now) > response_due and response_due < now:
                    breached_at = response_due
                elif (resolved_at or now) > resolution_due and resolution_due < now:
                    breached_at = resolution_due
                updated = closed_at or resolved_at or first_at or created
                tickets.append(
                    (
                        ticket_id, number + index, rng.choice(SUBJECTS[kind]), kind, priority,
                        status, channel, touchpoint, customer_id, team_id, assignee,
                        1 if escalated_at else 0, created, updated,
                        created if assignee else None, first_at, resolved_at, closed_at,
                        escalated_at, resolved_at - timedelta(hours=1) if reopened else None,
                        1 if reopened else 0, replies, policy_names.get(policy, ""), "",
                        resolution_due, breached_at,
                    )
                )  # fmt: skip
                triages.append((ticket_id, category_id, 0.6 + 0.4 * rng.random(), created, {}))
                clocks.append(
                    (ticket_id, "first_response", policy, created, response_due,
                     response_due - timedelta(minutes=response_due_min * 0.2), first_at)
                )  # fmt: skip
                clocks.append(
                    (ticket_id, "resolution", policy, created, resolution_due,
                     resolution_due - timedelta(minutes=resolution_due_min * 0.2), resolved_at)
                )  # fmt: skip
                if answered and rng.random() < 0.12:
                    kept = rng.random() < 0.75 + 0.2 * progress
                    to_category = category_id if kept else rng.choice(leaves)[0]
                    corrections.append((ticket_id, category_id, to_category, assignee, first_at))
                if answered and rng.random() < 0.6 + 0.3 * progress:
                    uses.append(
                        (rng.choice(articles), rng.choice(("linked", "inserted")), ticket_id,
                         assignee, channel, "", first_at)
                    )  # fmt: skip
                if channel in ("chat", "wechat", "app", "portal") and rng.random() < 0.9:
                    started = created - timedelta(minutes=3)
                    for _ in range(1 + (rng.random() < 0.4)):
                        roll = rng.random()
                        share = 0.4 + 0.2 * progress
                        outcome = (
                            "resolved"
                            if roll < share
                            else ("handed_off" if roll < share + 0.3 else "abandoned")
                        )
                        bots.append((channel, outcome, started, started + timedelta(minutes=4)))
                if rng.random() < 0.3:
                    served.append(
                        (rng.choice(("order_lookup", "article_helpful")),
                         rng.choice(("portal", "app", "wechat")), "", created)
                    )  # fmt: skip
                if resolved_at is not None:
                    for survey_type, share in (("csat", 0.25), ("nps", 0.06), ("ces", 0.06)):
                        if rng.random() >= share:
                            continue
                        answered_at = resolved_at + timedelta(hours=rng.random() * 20)
                        if answered_at >= now:
                            continue
                        mood = rng.random() + 0.1 * progress
                        if survey_type == "csat":
                            score = 5 if mood > 0.4 else 4 if mood > 0.12 else rng.randint(1, 3)
                        elif survey_type == "nps":
                            score = 10 if mood > 0.5 else 9 if mood > 0.3 else rng.randint(3, 8)
                        else:
                            score = 1 + int((1 - min(mood, 1)) * 5)
                        invitations.append(
                            (invitation_id, surveys[survey_type], ticket_id, customer_id,
                             channel, "answered", resolved_at, answered_at, "", resolved_at)
                        )  # fmt: skip
                        responses.append(
                            (invitation_id, surveys[survey_type], survey_type, score,
                             rng.choice(COMMENTS) if rng.random() < 0.2 else "", "", ticket_id,
                             customer_id, assignee, team_id, channel, answered_at, answered_at,
                             "", "")
                        )  # fmt: skip
                        invitation_id += 1
                    if assignee and scorecard and rng.random() < 0.015:
                        score = min(100, int(rng.gauss(84, 9)))
                        reviewed = resolved_at + timedelta(days=1)
                        if reviewed < now:
                            reviews.append(
                                (ticket_id, assignee, rng.choice(leads), scorecard[0],
                                 "submitted", score, score >= scorecard[1], "", reviewed,
                                 reviewed)
                            )  # fmt: skip
            sink.write(
                Ticket,
                ["id", "number", "subject", "kind", "priority", "status", "channel",
                 "touchpoint", "customer_id", "team_id", "assignee_id", "escalation_level",
                 "created_at", "updated_at", "assigned_at", "first_responded_at", "resolved_at",
                 "closed_at", "escalated_at", "reopened_at", "reopen_count",
                 "public_agent_reply_count", "sla_policy_name", "sla_policy_pin", "sla_due_at",
                 "sla_breached_at"],
                tickets,
            )  # fmt: skip
            sink.write(
                TicketTriage,
                ["ticket_id", "category_id", "confidence", "decided_at", "reason"],
                triages,
            )
            sink.write(
                TicketClock,
                ["ticket_id", "metric", "policy_id", "started_at", "due_at", "warn_at",
                 "stopped_at"],
                clocks,
            )  # fmt: skip
            sink.write(
                TriageCorrection,
                ["ticket_id", "from_category_id", "to_category_id", "agent_id", "created_at"],
                corrections,
            )
            sink.write(
                ArticleUse,
                ["article_id", "kind", "ticket_id", "agent_id", "channel", "session_key",
                 "created_at"],
                uses,
            )  # fmt: skip
            sink.write(
                BotConversation, ["channel", "outcome", "started_at", "last_activity_at"], bots
            )
            sink.write(SelfServiceSuccess, ["kind", "channel", "reference", "created_at"], served)
            sink.write(
                Invitation,
                ["id", "survey_id", "ticket_id", "customer_id", "channel", "status",
                 "scheduled_at", "answered_at", "round", "created_at"],
                invitations,
            )  # fmt: skip
            sink.write(
                Response,
                ["invitation_id", "survey_id", "survey_type", "score", "comment",
                 "follow_up_answer", "ticket_id", "customer_id", "agent_id", "team_id",
                 "channel", "answered_at", "updated_at", "follow_up_outcome",
                 "follow_up_note"],
                responses,
            )  # fmt: skip
            sink.write(
                Review,
                ["ticket_id", "agent_id", "reviewer_id", "scorecard_id", "status", "score",
                 "passed", "notes", "assigned_at", "submitted_at"],
                reviews,
            )  # fmt: skip
        sink.reset_sequences([Customer, Ticket, Invitation])
        Organization.current()
        Organization.objects.update(next_ticket_number=number + count)
    with connection.cursor() as cursor:
        # As autovacuum does after a bulk load on a live server: statistics, and on
        # PostgreSQL the visibility map that index-only scans need.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return sink.written


def generate_and_roll_up(count: int) -> dict[str, Any]:
    """Generate ``count`` tickets (``generate``) and roll up every past day of the two years,
    as the analytics benchmarks start; the figures of both steps."""
    import time

    from closeloop.analytics.engine import org_date
    from closeloop.analytics.rollups import rollups_compute
    from closeloop.core import clock

    began = time.perf_counter()
    written = generate(count)
    generate_seconds = time.perf_counter() - began
    today = org_date(clock.now())
    began = time.perf_counter()
    rolled = rollups_compute(today - timedelta(days=731), today - timedelta(days=1))
    return {
        "tickets": count,
        "rows_written": written,
        "generate_seconds": round(generate_seconds, 1),
        "rollup_seconds": round(time.perf_counter() - began, 1),
        "rollup_rows": rolled["rows"],
    }
