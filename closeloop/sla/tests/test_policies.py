"""Policy matching against the shipped defaults and custom policies."""

import pytest

from closeloop.sla.models import Calendar, SlaPolicy
from closeloop.sla.policies import policy_for

pytestmark = pytest.mark.django_db


def _name(**attributes):
    values = {"priority": "medium", "kind": "inquiry", "channel": "email", "segment": "standard"}
    values.update(attributes)
    loaded = policy_for(**values)
    return loaded.policy.name if loaded else None


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"priority": "high"}, "High priority"),
        ({"priority": "medium"}, "Medium priority"),
        ({"priority": "low"}, "Low priority"),
        ({"priority": "high", "channel": "chat"}, "Chat reception"),
        ({"priority": "low", "kind": "feedback"}, "Customer feedback"),
        ({"priority": "high", "kind": "request", "channel": "phone"}, "Phone call-back"),
        ({"priority": "high", "kind": "inquiry", "channel": "phone"}, "High priority"),
    ],
)
def test_defaults_match_in_order(attributes, expected):
    assert _name(**attributes) == expected


def test_default_targets_reproduce_the_plans_numbers():
    targets = {
        p.name: (p.first_response_minutes, p.resolution_minutes, p.resolution_working_days)
        for p in SlaPolicy.objects.all()
    }
    assert targets == {
        "Chat reception": (10, 1440, None),
        "Phone call-back": (60, 480, None),
        "Customer feedback": (1440, None, 7),
        "High priority": (60, 1440, None),
        "Medium priority": (120, 2880, None),
        "Low priority": (240, 4320, None),
    }


def test_segment_policy_placed_first_wins_and_inactive_is_ignored():
    calendar = Calendar.objects.get(name="cn-workdays")
    SlaPolicy.objects.create(
        name="VIP", order=1, match_segments=["vip"], calendar=calendar, first_response_minutes=30
    )
    SlaPolicy.objects.create(
        name="Off", order=0, is_active=False, calendar=calendar, first_response_minutes=1
    )
    assert _name(segment="vip", priority="low") == "VIP"
    assert _name(segment="standard", priority="low") == "Low priority"


def test_no_policy_matches_when_all_inactive():
    SlaPolicy.objects.update(is_active=False)
    assert _name() is None
