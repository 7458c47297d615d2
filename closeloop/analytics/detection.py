"""Detection of emerging problems, proposed to the lead as *proposed* problems.

Spikes: a category's tickets opened in the last day (and the last week) against its own
history, the same window 1…8 weeks earlier (same weekdays, so a Monday is compared with
Mondays). With λ the mean of those eight counts (at least ``MIN_RATE`` so an empty history is
not infinitely surprising), the window is a spike when its count is at least ``SPIKE_MIN_COUNT``
and the Poisson probability of seeing that many or more is below ``SPIKE_P`` (0.1 %).
The evidence (count, history, λ, p) is kept on the proposal.

Clusters: the tickets opened in the last ``CLUSTER_WINDOW_HOURS`` that are not yet linked to an
active (or rejected) problem; text = subject + first customer message, tokenised with the
knowledge search tokeniser (jieba for Chinese); TF-IDF, cosine similarity, an edge where the
similarity is at least ``CLUSTER_SIMILARITY``, connected components. A component of at least
``CLUSTER_MIN_SIZE`` tickets becomes a proposed problem with those tickets linked.

Dedupe: a spike's fingerprint is its window, category and day; a cluster's tickets are linked
to the proposal, so they are not clustered again while it is active, nor after the lead
rejected it; the fingerprint (hash of the ticket ids) makes a concurrent second run a no-op.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.analytics.models_problems import DetectionSource, Problem, ProblemTicket
from closeloop.analytics.problems import ACTIVE, problem_create
from closeloop.core import clock
from closeloop.tickets.models import AuthorKind, Message, Ticket
from closeloop.triage.models import Category

SPIKE_WEEKS = 8
SPIKE_MIN_COUNT = 5
SPIKE_P = 0.001
MIN_RATE = 0.5
SPIKE_WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7)}
SPIKE_LINKS = 500

CLUSTER_WINDOW_HOURS = 48
CLUSTER_SIMILARITY = 0.35
CLUSTER_MIN_SIZE = 5
CLUSTER_MAX_TICKETS = 3000
CLUSTER_TERMS = 4


@dataclass
class DetectionResult:
    """What one detection run proposed."""

    spikes: list[Problem] = field(default_factory=list)
    clusters: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        """Counts for the worker's log."""
        return {"spikes": len(self.spikes), "clusters": len(self.clusters)}


def poisson_tail(count: int, rate: float) -> float:
    """P(X ≥ count) for X ~ Poisson(rate)."""
    if count <= 0:
        return 1.0
    term = math.exp(-rate)
    below = term
    for k in range(1, count):
        term *= rate / k
        below += term
    return max(0.0, 1.0 - below)


def _counts_by_category(start: datetime, end: datetime) -> dict[int, int]:
    rows = (
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(triage__category__isnull=True)
        .values("triage__category")
        .annotate(n=Count("pk"))
    )
    return {row["triage__category"]: row["n"] for row in rows}


def spikes_find(now: datetime) -> list[dict[str, Any]]:
    """Every category whose last day or week is a spike against its own history."""
    found: list[dict[str, Any]] = []
    for window_name, length in SPIKE_WINDOWS.items():
        current = _counts_by_category(now - length, now)
        history = [
            _counts_by_category(now - timedelta(weeks=w) - length, now - timedelta(weeks=w))
            for w in range(1, SPIKE_WEEKS + 1)
        ]
        for category_id, count in current.items():
            if count < SPIKE_MIN_COUNT:
                continue
            past = [h.get(category_id, 0) for h in history]
            mean = sum(past) / len(past)
            rate = max(MIN_RATE, mean)
            p = poisson_tail(count, rate)
            if p < SPIKE_P:
                found.append(
                    {
                        "window": window_name,
                        "category_id": category_id,
                        "count": count,
                        "history": past,
                        "expected": round(mean, 2),
                        "rate": round(rate, 2),
                        "p": p,
                        "start": (now - length).isoformat(),
                    }
                )
    return found


def _propose(**kwargs: Any) -> Problem | None:
    try:
        with transaction.atomic():
            return problem_create(actor=None, status="proposed", **kwargs)
    except IntegrityError:
        return None  # the same fingerprint was proposed by a concurrent run


def spikes_propose(now: datetime) -> list[Problem]:
    """Propose a problem for each spike not already proposed (nor under an active problem of
    the same category from a spike)."""
    proposals: list[Problem] = []
    spikes = spikes_find(now)
    names = Category.objects.in_bulk([s["category_id"] for s in spikes])
    day = timezone.localdate(now)
    for spike in spikes:
        category = names.get(spike["category_id"])
        fingerprint = f"spike:{spike['window']}:{spike['category_id']}:{day.isoformat()}"
        if Problem.objects.filter(fingerprint=fingerprint).exists():
            continue
        if Problem.objects.filter(
            category_id=spike["category_id"], source=DetectionSource.SPIKE, status__in=ACTIVE
        ).exists():
            continue
        template = (
            _("Spike in %(category)s: %(count)d tickets in a day (usually about %(expected)s)")
            if spike["window"] == "day"
            else _(
                "Spike in %(category)s: %(count)d tickets in a week (usually about %(expected)s)"
            )
        )
        title = template % {
            "category": category.name_en if category else spike["category_id"],
            "count": spike["count"],
            "expected": spike["expected"],
        }
        # The spike's tickets, so the lead sees what is behind it (at most SPIKE_LINKS).
        tickets = list(
            Ticket.objects.filter(
                triage__category_id=spike["category_id"],
                created_at__gte=now - SPIKE_WINDOWS[spike["window"]],
                created_at__lt=now,
            ).order_by("-created_at")[:SPIKE_LINKS]
        )
        problem = _propose(
            title=title[:200],
            category=category,
            source=DetectionSource.SPIKE,
            evidence={**spike, "at": now.isoformat()},
            fingerprint=fingerprint,
            tickets=tickets,
        )
        if problem is not None:
            proposals.append(problem)
    return proposals


def _first_messages(ticket_ids: list[int]) -> dict[int, str]:
    bodies: dict[int, str] = {}
    rows = (
        Message.objects.filter(ticket_id__in=ticket_ids, author_kind=AuthorKind.CUSTOMER)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "body")
    )
    for ticket_id, body in rows:
        bodies.setdefault(ticket_id, body[:2000])
    return bodies


def clusters_find(
    now: datetime,
    *,
    window_hours: int = CLUSTER_WINDOW_HOURS,
    similarity: float = CLUSTER_SIMILARITY,
    min_size: int = CLUSTER_MIN_SIZE,
) -> list[dict[str, Any]]:
    """Groups of similar new tickets not yet under an active or rejected problem."""
    import numpy as np
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer

    from closeloop.knowledge.text import tokenize

    taken = ProblemTicket.objects.filter(problem__status__in=[*ACTIVE, "rejected"]).values(
        "ticket_id"
    )
    tickets = list(
        Ticket.objects.filter(
            created_at__gte=now - timedelta(hours=window_hours), created_at__lt=now
        )
        .exclude(pk__in=taken)
        .order_by("-created_at")
        .values_list("pk", "number", "subject")[:CLUSTER_MAX_TICKETS]
    )
    if len(tickets) < min_size:
        return []
    bodies = _first_messages([t[0] for t in tickets])
    texts = [f"{subject}\n{bodies.get(pk, '')}" for pk, _number, subject in tickets]
    vectorizer = TfidfVectorizer(
        analyzer=lambda text: [t for t in tokenize(text) if len(t) > 1 or not t.isascii()],
        sublinear_tf=True,
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:
        return []  # no tokens at all
    similar = (matrix @ matrix.T).tocsr()
    similar.data[similar.data < similarity] = 0
    similar.eliminate_zeros()
    n_components, labels = connected_components(similar, directed=False)
    terms = vectorizer.get_feature_names_out()
    found: list[dict[str, Any]] = []
    for component in range(n_components):
        members = np.flatnonzero(labels == component)
        if len(members) < min_size:
            continue
        centroid = np.asarray(matrix[members].mean(axis=0)).ravel()
        top = [str(terms[i]) for i in centroid.argsort()[::-1][:CLUSTER_TERMS] if centroid[i] > 0]
        block = similar[members][:, members]
        pairs = max(1, len(members) * (len(members) - 1))
        mean_similarity = float((block.sum() - block.diagonal().sum()) / pairs)
        found.append(
            {
                "ticket_ids": sorted(int(tickets[i][0]) for i in members),
                "numbers": sorted(int(tickets[i][1]) for i in members),
                "terms": top,
                "mean_similarity": round(mean_similarity, 3),
                "window_hours": window_hours,
            }
        )
    found.sort(key=lambda c: -len(c["ticket_ids"]))
    return found


def clusters_propose(now: datetime, **options: Any) -> list[Problem]:
    """Propose a problem for each new cluster, its tickets linked."""
    proposals: list[Problem] = []
    for cluster in clusters_find(now, **options):
        ids = cluster["ticket_ids"]
        fingerprint = "cluster:" + hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:48]
        tickets = list(Ticket.objects.filter(pk__in=ids))
        category_counts = Count("pk")
        top_category = (
            Ticket.objects.filter(pk__in=ids)
            .exclude(triage__category__isnull=True)
            .values("triage__category")
            .annotate(n=category_counts)
            .order_by("-n")
            .first()
        )
        category = (
            Category.objects.filter(pk=top_category["triage__category"]).first()
            if top_category
            else None
        )
        title = _("%(count)d similar tickets: %(terms)s") % {
            "count": len(ids),
            "terms": ", ".join(cluster["terms"]),
        }
        problem = _propose(
            title=title[:200],
            category=category,
            source=DetectionSource.CLUSTER,
            evidence={k: v for k, v in cluster.items() if k != "ticket_ids"}
            | {"at": now.isoformat()},
            fingerprint=fingerprint,
            tickets=tickets,
        )
        if problem is not None:
            proposals.append(problem)
    return proposals


def problems_detect(*, now: datetime | None = None) -> DetectionResult:
    """Run both detections once (the sweep and the lead's button)."""
    now = now or clock.now()
    # Clusters first: a spike links its tickets, which would keep them out of clustering.
    clusters = clusters_propose(now)
    return DetectionResult(spikes=spikes_propose(now), clusters=clusters)
