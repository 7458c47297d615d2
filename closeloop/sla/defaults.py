"""The calendars and policies every new installation starts with (DESIGN.md's numbers).

Used by a data migration, so it takes the model classes as arguments (historical models).
"""

from __future__ import annotations

from typing import Any

WEEKDAYS_9_TO_6 = {str(day): [["09:00", "18:00"]] for day in range(5)}
ALWAYS = {str(day): [["00:00", "24:00"]] for day in range(7)}

CALENDARS: list[dict[str, Any]] = [
    {
        "name": "24x7",
        "description": "Always open (UTC): plain-hour targets.",
        "time_zone": "UTC",
        "weekly_hours": ALWAYS,
        "holiday_country": "",
    },
    {
        "name": "cn-workdays",
        "description": "China working days: Mon-Fri 09:00-18:00 Asia/Shanghai, public holidays "
        "off, weekend make-up days on.",
        "time_zone": "Asia/Shanghai",
        "weekly_hours": WEEKDAYS_9_TO_6,
        "holiday_country": "CN",
    },
]

HOUR = 60
# (name, order, matches, calendar, working-day calendar, targets)
POLICIES: list[dict[str, Any]] = [
    {
        "name": "Chat reception",
        "order": 10,
        "match_channels": ["chat"],
        "calendar": "24x7",
        "first_response_minutes": 10,
        "next_response_minutes": 10,
        "resolution_minutes": 24 * HOUR,
    },
    {
        # A missed inbound call becomes a call-back request (channels.phone): someone calls
        # the customer back within an hour of opening time.
        "name": "Phone call-back",
        "order": 15,
        "match_channels": ["phone"],
        "match_kinds": ["request"],
        "calendar": "cn-workdays",
        "first_response_minutes": 1 * HOUR,
        "resolution_minutes": 8 * HOUR,
    },
    {
        "name": "Customer feedback",
        "order": 20,
        "match_kinds": ["feedback"],
        "calendar": "24x7",
        "working_day_calendar": "cn-workdays",
        "first_response_minutes": 24 * HOUR,
        "resolution_working_days": 7,
    },
    {
        "name": "High priority",
        "order": 30,
        "match_priorities": ["high"],
        "calendar": "24x7",
        "first_response_minutes": 1 * HOUR,
        "resolution_minutes": 24 * HOUR,
    },
    {
        "name": "Medium priority",
        "order": 40,
        "match_priorities": ["medium"],
        "calendar": "24x7",
        "first_response_minutes": 2 * HOUR,
        "resolution_minutes": 48 * HOUR,
    },
    {
        "name": "Low priority",
        "order": 50,
        "match_priorities": ["low"],
        "calendar": "24x7",
        "first_response_minutes": 4 * HOUR,
        "resolution_minutes": 72 * HOUR,
    },
]


def install_defaults(calendar_model: Any, policy_model: Any) -> None:
    """Create the default calendars and policies that are missing (by name)."""
    calendars = {}
    for spec in CALENDARS:
        calendars[spec["name"]], _created = calendar_model.objects.get_or_create(
            name=spec["name"], defaults={k: v for k, v in spec.items() if k != "name"}
        )
    for spec in POLICIES:
        values = dict(spec)
        values["calendar"] = calendars[values["calendar"]]
        if "working_day_calendar" in values:
            values["working_day_calendar"] = calendars[values["working_day_calendar"]]
        name = values.pop("name")
        policy_model.objects.get_or_create(name=name, defaults=values)
