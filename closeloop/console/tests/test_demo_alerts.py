"""The demo's alerts (closeloop.console.demo_alerts)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from closeloop.analytics.models import Alert, AlertRule, CorrectiveAction
from closeloop.console.demo_alerts import CLEARED_NAME, FIRING_NAME
from closeloop.console.demo_data import load_demo

NOW = datetime(2025, 3, 14, 10, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_demo_alerts_add_a_firing_alert_with_its_action_and_a_cleared_one() -> None:
    # load_demo installs the alerts at the history's end (install_demo_alerts).
    load_demo(days=21, tickets_per_day=12, now=NOW)

    firing = Alert.objects.get(rule__name=FIRING_NAME)
    assert firing.status == "firing"
    action = CorrectiveAction.objects.get(alert=firing)
    assert action.status == "measures_set"
    assert action.root_cause == "process_gap"
    assert "退款" in action.measures
    cleared = Alert.objects.get(rule__name=CLEARED_NAME)
    assert cleared.status == "cleared"
    assert cleared.cleared_at > cleared.fired_at
    assert CorrectiveAction.objects.get(alert=cleared).status == "closed"
    assert AlertRule.objects.count() == 5
