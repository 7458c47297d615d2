"""The demo's quality data (closeloop.console.demo_quality)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from closeloop.console.demo_data import load_demo
from closeloop.quality.models import (
    CalibrationSession,
    CheckResult,
    Criterion,
    Dispute,
    Review,
)
from closeloop.tickets.models import Ticket

NOW = datetime(2025, 3, 14, 10, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_demo_quality_adds_checks_reviews_a_calibration_and_disputes():
    # load_demo installs the quality data at the history's end (install_demo_quality).
    load_demo(days=21, tickets_per_day=12, now=NOW)

    # Every resolved ticket of the history is checked (the survey follow-ups are still open).
    done = Ticket.objects.filter(status__in=["resolved", "closed"]).count()
    assert done > 50
    assert CheckResult.objects.values("ticket").distinct().count() == done
    assert CheckResult.objects.count() == 8 * done
    assert Review.objects.filter(plan__isnull=False).count() > 5
    assert Review.objects.filter(plan__isnull=False, status="submitted").count() > 0
    submitted = Review.objects.filter(status="submitted", calibration__isnull=True)
    assert all(review.submitted_at <= NOW for review in submitted)
    assert all(review.reviewer_id != review.agent_id for review in Review.objects.all())
    assert CalibrationSession.objects.count() == 1
    assert Review.objects.filter(calibration__isnull=False, status="submitted").count() == 2
    assert sorted(Dispute.objects.values_list("status", flat=True)) == ["open", "rejected"]
    empathy = Criterion.objects.get(
        scorecard__code="default", scorecard__is_current=True, key="empathy"
    )
    assert empathy.standard_article.slug == "complaint-handling-script"
