"""Tags on tickets: adding and removing them, suggesting them from a text, and counting them.

Suggestions are deliberately simple and fast, and work the same for Chinese and English: the
text is split into words (Latin scripts) and character bigrams (Chinese), then matched against
tag names and against the words of tickets that already carry each tag.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.customers.identities import refuse_control_characters
from closeloop.tickets.models import AuthorKind, Message, Ticket
from closeloop.tickets.services import Actor, ticket_record_field_change
from closeloop.triage.models import Category, Tag, TagSource, TicketTag

MAX_TAG_LENGTH = 60
MAX_TAGS_PER_CALL = 20
MAX_SUGGESTIONS = 50
# Suggestions learn from the tags on this many recent ticket-tag links (and the first
# this-many characters of each ticket's first message).
SUGGESTION_INDEX_LINKS = 5000
SUGGESTION_BODY_CHARS = 500

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
_STOPWORDS = frozenset(
    {
        *("a", "an", "and", "are", "at", "be", "but", "by", "can", "do", "for", "from"),
        *("has", "have", "i", "in", "is", "it", "its", "me", "my", "no", "not", "of", "on"),
        *("or", "our", "so", "that", "the", "this", "to", "was", "we", "with", "you", "your"),
        *("please", "hi", "hello", "thanks", "thank"),
    }
)


def text_tokens(text: str) -> set[str]:
    """Words of a text, lower-cased, without stop words; Chinese as overlapping bigrams."""
    tokens: set[str] = set()
    for run in _TOKEN.findall(text.lower()):
        if _CJK_RUN.fullmatch(run):
            if len(run) == 1:
                tokens.add(run)
            else:
                tokens.update(run[i : i + 2] for i in range(len(run) - 1))
        elif (len(run) > 1 or run.isdigit()) and run not in _STOPWORDS:
            tokens.add(run)
    return tokens


def clean_tag_name(name: str) -> str:
    """The tag name as stored: single spaces, no control characters, 1–60 characters."""
    cleaned = " ".join((name or "").split())
    refuse_control_characters(cleaned, field="tags")
    if not cleaned:
        raise InvalidInput(_("A tag name must not be empty."), details={"field": "tags"})
    if len(cleaned) > MAX_TAG_LENGTH:
        raise InvalidInput(
            _("A tag name is at most %(limit)d characters.") % {"limit": MAX_TAG_LENGTH},
            details={"field": "tags", "limit": MAX_TAG_LENGTH},
        )
    return cleaned


def _clean_names(names: Iterable[str]) -> list[str]:
    cleaned: dict[str, str] = {}
    for name in names:
        tag_name = clean_tag_name(name)
        cleaned.setdefault(tag_name.lower(), tag_name)
    if len(cleaned) > MAX_TAGS_PER_CALL:
        raise InvalidInput(
            _("At most %(limit)d tags at once.") % {"limit": MAX_TAGS_PER_CALL},
            details={"field": "tags", "limit": MAX_TAGS_PER_CALL},
        )
    return list(cleaned.values())


def tag_find(name: str) -> Tag | None:
    """The tag with this name, whatever its case."""
    return Tag.objects.filter(name__iexact=clean_tag_name(name)).first()


def tag_get_or_create(*, name: str, category: Category | None = None) -> Tag:
    """The tag with this name (any case), created when the library lacks it."""
    name = clean_tag_name(name)
    existing = Tag.objects.filter(name__iexact=name).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Tag.objects.create(name=name, category=category, created_at=clock.now())
    except IntegrityError:
        # Someone created it (in another case) between our read and our write.
        return Tag.objects.get(name__iexact=name)


def ticket_tag_names(ticket: Ticket) -> list[str]:
    """The names of the ticket's tags, alphabetically."""
    return sorted(
        TicketTag.objects.filter(ticket=ticket).values_list("tag__name", flat=True),
        key=str.lower,
    )


def _source_of(actor: Actor) -> TagSource:
    return TagSource.AGENT if actor.kind == AuthorKind.AGENT else TagSource.SYSTEM


@dataclass(frozen=True)
class TagChange:
    """The ticket's tag names before and after one add or remove."""

    before: list[str]
    after: list[str]

    @property
    def is_changed(self) -> bool:
        """Whether anything was added or removed."""
        return self.before != self.after


@transaction.atomic
def ticket_tags_add(
    *,
    ticket: Ticket,
    names: Sequence[str],
    actor: Actor,
    source: TagSource | None = None,
) -> TagChange:
    """Put tags on a ticket, creating missing tags in the library; tags already there stay
    as they are (adding twice changes nothing)."""
    cleaned = _clean_names(names)
    before = ticket_tag_names(ticket)
    now = clock.now()
    links = [
        TicketTag(
            ticket=ticket,
            tag=tag_get_or_create(name=name),
            added_by=source or _source_of(actor),
            added_by_agent=actor.agent,
            added_at=now,
        )
        for name in cleaned
    ]
    # The unique (ticket, tag) key keeps a tag once, also against a concurrent add.
    TicketTag.objects.bulk_create(links, ignore_conflicts=True)
    return _recorded(ticket, actor, TagChange(before=before, after=ticket_tag_names(ticket)))


@transaction.atomic
def ticket_tags_remove(*, ticket: Ticket, names: Sequence[str], actor: Actor) -> TagChange:
    """Take tags off a ticket; a tag it does not carry is ignored. The library keeps the tag."""
    cleaned = _clean_names(names)
    before = ticket_tag_names(ticket)
    lowered = [name.lower() for name in cleaned]
    doomed = [
        link.pk
        for link in TicketTag.objects.filter(ticket=ticket).select_related("tag")
        if link.tag.name.lower() in lowered
    ]
    if doomed:
        TicketTag.objects.filter(pk__in=doomed).delete()
    return _recorded(ticket, actor, TagChange(before=before, after=ticket_tag_names(ticket)))


def _recorded(ticket: Ticket, actor: Actor, change: TagChange) -> TagChange:
    """Show a change of tags in the ticket's history (nothing when nothing changed)."""
    if change.before != change.after:
        ticket_record_field_change(
            ticket=ticket, actor=actor, field="tags", before=change.before, after=change.after
        )
    return change


# -- suggestions -------------------------------------------------------------------------


@dataclass
class _UsageIndex:
    signature: tuple[int, int | None, int, int | None]
    tags: dict[int, Tag]
    tag_tokens: dict[int, set[str]]
    tagged_tickets: Counter[int] = field(default_factory=Counter)
    token_tags: dict[str, Counter[int]] = field(default_factory=dict)
    token_tickets: Counter[str] = field(default_factory=Counter)
    ticket_count: int = 0


_index_lock = threading.Lock()
_index: dict[str, _UsageIndex] = {}


def _signature() -> tuple[int, int | None, int, int | None]:
    links = TicketTag.objects.aggregate(count=Count("id"), last=Max("id"))
    tags = Tag.objects.aggregate(count=Count("id"), last=Max("id"))
    return links["count"], links["last"], tags["count"], tags["last"]


def _build_index(signature: tuple[int, int | None, int, int | None]) -> _UsageIndex:
    tags = {tag.pk: tag for tag in Tag.objects.select_related("category")}
    index = _UsageIndex(
        signature=signature,
        tags=tags,
        tag_tokens={tag_id: text_tokens(tag.name) for tag_id, tag in tags.items()},
    )
    first_body = (
        Message.objects.filter(ticket=OuterRef("ticket_id"), author_kind=AuthorKind.CUSTOMER)
        .order_by("created_at", "id")
        .annotate(start=Substr("body", 1, SUGGESTION_BODY_CHARS))
        .values("start")[:1]
    )
    links = (
        TicketTag.objects.order_by("-id")
        .annotate(body=Subquery(first_body))
        .values_list("ticket_id", "tag_id", "ticket__subject", "body")[:SUGGESTION_INDEX_LINKS]
    )
    ticket_tokens: dict[int, set[str]] = {}
    ticket_tags: dict[int, set[int]] = {}
    for ticket_id, tag_id, subject, body in links:
        if ticket_id not in ticket_tokens:
            ticket_tokens[ticket_id] = text_tokens(f"{subject} {body or ''}")
        ticket_tags.setdefault(ticket_id, set()).add(tag_id)
    for ticket_id, tokens in ticket_tokens.items():
        for tag_id in ticket_tags[ticket_id]:
            index.tagged_tickets[tag_id] += 1
        for token in tokens:
            index.token_tickets[token] += 1
            counter = index.token_tags.setdefault(token, Counter())
            for tag_id in ticket_tags[ticket_id]:
                counter[tag_id] += 1
    index.ticket_count = len(ticket_tokens)
    return index


def _usage_index() -> _UsageIndex:
    """This process's index, rebuilt when a tag or ticket-tag link was added or removed."""
    signature = _signature()
    with _index_lock:
        index = _index.get("current")
        if index is None or index.signature != signature:
            index = _index["current"] = _build_index(signature)
        return index


def clear_suggestion_cache() -> None:
    """Forget the suggestion index (tests)."""
    with _index_lock:
        _index.clear()


@dataclass(frozen=True)
class TagSuggestion:
    """A tag that fits a text, with how well (higher is better; only the order means much)."""

    tag: Tag
    score: float


NAME_MATCH_WEIGHT = 2.0
WHOLE_NAME_BONUS = 1.0


def tag_suggestions(text: str, *, limit: int = 5) -> list[TagSuggestion]:
    """Tags for a text: by their names, and by the words of tickets that carry them."""
    limit = max(1, min(limit, MAX_SUGGESTIONS))
    tokens = text_tokens(text)
    if not tokens:
        return []
    index = _usage_index()
    lowered = " ".join(text.lower().split())
    scores: dict[int, float] = defaultdict(float)
    for tag_id, tag in index.tags.items():
        name_tokens = index.tag_tokens[tag_id]
        if name_tokens:
            overlap = len(name_tokens & tokens) / len(name_tokens)
            if overlap:
                scores[tag_id] += NAME_MATCH_WEIGHT * overlap
        if tag.name.lower() in lowered:
            scores[tag_id] += WHOLE_NAME_BONUS
    for token in tokens:
        tagged = index.token_tags.get(token)
        if not tagged:
            continue
        rarity = math.log(1 + index.ticket_count / index.token_tickets[token])
        for tag_id, count in tagged.items():
            scores[tag_id] += rarity * count / index.tagged_tickets[tag_id]
    ranked = sorted(
        (tag_id for tag_id, score in scores.items() if score > 0),
        key=lambda tag_id: (
            -scores[tag_id],
            -index.tagged_tickets[tag_id],
            index.tags[tag_id].name,
        ),
    )
    return [
        TagSuggestion(tag=index.tags[tag_id], score=round(scores[tag_id], 4))
        for tag_id in ranked[:limit]
    ]


# -- statistics --------------------------------------------------------------------------


@dataclass(frozen=True)
class TagCount:
    """How often a tag (or a category's tags) was used in a period and the one before."""

    key: str
    count: int
    previous_count: int

    @property
    def change(self) -> int:
        """Uses this period minus uses the period before."""
        return self.count - self.previous_count

    @property
    def change_percent(self) -> float | None:
        """The change as a percentage of the period before (None when it had none)."""
        if not self.previous_count:
            return None
        return round(100.0 * self.change / self.previous_count, 1)


@dataclass(frozen=True)
class TagStatistics:
    """Tag use between ``since`` and ``until`` against the same length of time before."""

    since: datetime
    until: datetime
    previous_since: datetime
    tags: list[TagCount]
    categories: list[TagCount]  # key: category code, "" for tags without a category
    total: int
    previous_total: int


def tag_statistics(*, since: datetime, until: datetime) -> TagStatistics:
    """Count tags put on tickets in [since, until) per tag and per category, with the trend
    against the previous period of the same length."""
    if since >= until:
        raise InvalidInput(_("since must be before until."), details={"field": "since"})
    previous_since = since - (until - since)
    rows = (
        TicketTag.objects.filter(added_at__gte=previous_since, added_at__lt=until)
        .values("tag__name", "tag__category__code")
        .annotate(
            current=Count("id", filter=Q(added_at__gte=since)),
            previous=Count("id", filter=Q(added_at__lt=since)),
        )
    )
    tags: list[TagCount] = []
    per_category: dict[str, list[int]] = {}
    for row in rows:
        tags.append(TagCount(row["tag__name"], row["current"], row["previous"]))
        totals = per_category.setdefault(row["tag__category__code"] or "", [0, 0])
        totals[0] += row["current"]
        totals[1] += row["previous"]
    tags.sort(key=lambda entry: (-entry.count, -entry.previous_count, entry.key.lower()))
    categories = sorted(
        (TagCount(code, current, previous) for code, (current, previous) in per_category.items()),
        key=lambda entry: (-entry.count, -entry.previous_count, entry.key),
    )
    return TagStatistics(
        since=since,
        until=until,
        previous_since=previous_since,
        tags=tags,
        categories=categories,
        total=sum(entry.count for entry in tags),
        previous_total=sum(entry.previous_count for entry in tags),
    )
