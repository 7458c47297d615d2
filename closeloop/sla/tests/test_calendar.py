"""Business-calendar maths: opening hours, holidays, make-up days, DST and the 24x7 fast path."""
# ruff: noqa: S101 - pytest asserts are the point of a test module

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closeloop.sla.calendar import (
    BusinessCalendar,
    CalendarSpec,
    calendar_24x7,
    calendar_cn_workdays,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
ALL_DAY = ((time(0), None),)
OFFICE_HOURS = ((time(9), time(18)),)
# Few examples keep the whole file well under five seconds; no database so runs stay repeatable.
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, database=None)


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Return an aware Asia/Shanghai datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def new_york(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Return an aware America/New_York datetime (fold=0 when ambiguous)."""
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Return an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def make_calendar(**overrides: object) -> BusinessCalendar:
    """Return a UTC Mon-Fri 09:00-18:00 calendar with the given spec fields replaced."""
    fields: dict[str, object] = {
        "name": "test",
        "time_zone": "UTC",
        "weekly_hours": dict.fromkeys(range(5), OFFICE_HOURS),
    }
    fields.update(overrides)
    return BusinessCalendar(CalendarSpec(**fields))  # type: ignore[arg-type]


def new_york_24x7_split() -> BusinessCalendar:
    """Return New York around the clock, spelled so the fast path does not recognise it."""
    halves = ((time(0), time(12)), (time(12), None))
    return make_calendar(time_zone="America/New_York", weekly_hours=dict.fromkeys(range(7), halves))


# --- hours across nights, weekends and within a day (cn-workdays) ---


def test_add_minutes_within_one_day() -> None:
    # Given an open Monday morning
    calendar = calendar_cn_workdays()
    # When adding an hour
    due = calendar.add_minutes(shanghai(2025, 9, 15, 10), 60)
    # Then the clock simply moves on, in the calendar's zone
    assert due == shanghai(2025, 9, 15, 11)
    assert due.tzinfo is SHANGHAI


def test_add_minutes_across_a_night() -> None:
    calendar = calendar_cn_workdays()
    due = calendar.add_minutes(shanghai(2025, 9, 16, 17), 120)
    assert due == shanghai(2025, 9, 17, 10)


def test_add_minutes_across_a_weekend() -> None:
    calendar = calendar_cn_workdays()
    due = calendar.add_minutes(shanghai(2025, 9, 19, 17, 30), 60)
    assert due == shanghai(2025, 9, 22, 9, 30)


def test_add_minutes_from_before_opening_starts_at_opening() -> None:
    calendar = calendar_cn_workdays()
    due = calendar.add_minutes(shanghai(2025, 9, 15, 7), 30)
    assert due == shanghai(2025, 9, 15, 9, 30)


def test_add_minutes_from_a_weekend_starts_on_monday() -> None:
    calendar = calendar_cn_workdays()
    due = calendar.add_minutes(shanghai(2025, 9, 20, 12), 30)
    assert due == shanghai(2025, 9, 22, 9, 30)


def test_add_minutes_accepts_another_zone_and_answers_in_the_calendar_zone() -> None:
    # Given 02:00 UTC, which is 10:00 in Shanghai on a Monday
    calendar = calendar_cn_workdays()
    due = calendar.add_minutes(utc(2025, 9, 15, 2), 15)
    assert due == shanghai(2025, 9, 15, 10, 15)
    assert due.tzinfo is SHANGHAI


def test_add_zero_minutes_when_open_returns_start() -> None:
    calendar = calendar_cn_workdays()
    assert calendar.add_minutes(shanghai(2025, 9, 15, 10, 7), 0) == shanghai(2025, 9, 15, 10, 7)


def test_add_zero_minutes_when_closed_returns_next_opening() -> None:
    calendar = calendar_cn_workdays()
    assert calendar.add_minutes(shanghai(2025, 9, 15, 18), 0) == shanghai(2025, 9, 16, 9)


def test_sum_landing_on_closing_time_returns_that_close() -> None:
    # Given a full working day of minutes from opening
    calendar = calendar_cn_workdays()
    due = calendar.add_minutes(shanghai(2025, 9, 15, 9), 9 * 60)
    # Then the deadline is that evening's close, not the next morning's opening
    assert due == shanghai(2025, 9, 15, 18)


def test_fractional_minutes_are_kept_to_the_microsecond() -> None:
    calendar = calendar_cn_workdays()
    due = calendar.add_minutes(shanghai(2025, 9, 15, 17, 59), 1.5)
    assert due == shanghai(2025, 9, 16, 9) + timedelta(seconds=30)


def test_negative_minutes_count_backwards_over_closed_time() -> None:
    calendar = calendar_cn_workdays()
    assert calendar.add_minutes(shanghai(2025, 9, 22, 9, 30), -60) == shanghai(2025, 9, 19, 17, 30)


def test_non_finite_minutes_are_refused() -> None:
    calendar = calendar_cn_workdays()
    with pytest.raises(ValueError, match="finite"):
        calendar.add_minutes(shanghai(2025, 9, 15, 10), float("nan"))


# --- public holidays and make-up days (China 2025) ---


def test_national_day_week_is_skipped() -> None:
    # Given the last working hour before National Day week (2025-10-01..08 closed)
    calendar = calendar_cn_workdays()
    due = calendar.add_minutes(shanghai(2025, 9, 30, 17), 120)
    # Then the second hour falls on Thursday 9 October
    assert due == shanghai(2025, 10, 9, 10)


def test_make_up_sunday_is_a_working_day_with_monday_hours() -> None:
    # Given Saturday 2025-09-27, the day before the make-up Sunday
    calendar = calendar_cn_workdays()
    due = calendar.add_minutes(shanghai(2025, 9, 27, 12), 60)
    assert due == shanghai(2025, 9, 28, 10)


def test_make_up_saturday_is_counted() -> None:
    # Friday 10 October 17:00 + 2 h: Saturday 11 October is a make-up working day
    calendar = calendar_cn_workdays()
    assert calendar.add_minutes(shanghai(2025, 10, 10, 17), 120) == shanghai(2025, 10, 11, 10)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 9, 26), True),  # Friday
        (date(2025, 9, 27), False),  # Saturday
        (date(2025, 9, 28), True),  # make-up Sunday
        (date(2025, 10, 1), False),  # National Day
        (date(2025, 10, 4), False),  # Saturday inside the holiday week
        (date(2025, 10, 8), False),  # substituted day off (a Wednesday)
        (date(2025, 10, 9), True),  # back to work
        (date(2025, 10, 11), True),  # make-up Saturday
        (date(2025, 10, 12), False),  # ordinary Sunday
    ],
)
def test_is_working_day_in_china(day: date, expected: bool) -> None:
    assert calendar_cn_workdays().is_working_day(day) is expected


def test_is_open_on_hours_edges() -> None:
    calendar = calendar_cn_workdays()
    assert calendar.is_open(shanghai(2025, 9, 15, 9)) is True
    assert calendar.is_open(shanghai(2025, 9, 15, 17, 59)) is True
    assert calendar.is_open(shanghai(2025, 9, 15, 18)) is False
    assert calendar.is_open(shanghai(2025, 10, 1, 10)) is False
    assert calendar.is_open(shanghai(2025, 9, 28, 10)) is True


def test_minutes_between_across_weekend_with_make_up_sunday() -> None:
    # Friday 17:00 -> Monday 10:00 spans 1 h Friday, the 9 h make-up Sunday and 1 h Monday
    calendar = calendar_cn_workdays()
    assert calendar.minutes_between(shanghai(2025, 9, 26, 17), shanghai(2025, 9, 29, 10)) == 660.0


def test_minutes_between_across_national_day_week() -> None:
    calendar = calendar_cn_workdays()
    assert calendar.minutes_between(shanghai(2025, 9, 30, 17), shanghai(2025, 10, 9, 10)) == 120.0


def test_minutes_between_reversed_is_negative() -> None:
    calendar = calendar_cn_workdays()
    assert calendar.minutes_between(shanghai(2025, 9, 22, 10), shanghai(2025, 9, 19, 17)) == -120.0


def test_minutes_between_same_instant_is_zero() -> None:
    calendar = calendar_cn_workdays()
    instant = shanghai(2025, 9, 15, 10)
    assert calendar.minutes_between(instant, instant) == 0.0


def test_minutes_between_inside_closed_time_is_zero() -> None:
    calendar = calendar_cn_workdays()
    assert calendar.minutes_between(shanghai(2025, 9, 20, 10), shanghai(2025, 9, 21, 10)) == 0.0


def test_tables_widen_to_other_years() -> None:
    # Given instants years apart, both directions of the lazily built range are exercised
    calendar = calendar_cn_workdays()
    assert calendar.add_minutes(shanghai(2020, 1, 3, 17), 120) == shanghai(2020, 1, 6, 10)
    assert calendar.add_minutes(shanghai(2031, 1, 3, 17), 90) == shanghai(2031, 1, 6, 9, 30)
    assert calendar.minutes_between(shanghai(2031, 1, 3, 17), shanghai(2020, 1, 6, 10)) < 0


# --- add_working_days ---


def test_seven_working_days_over_national_day() -> None:
    # Working days after Tue 30 Sep: 9, 10, 11 (make-up Sat), 13, 14, 15, 16 October
    calendar = calendar_cn_workdays()
    due = calendar.add_working_days(shanghai(2025, 9, 30, 15), 7)
    assert due == shanghai(2025, 10, 16, 18)


def test_one_working_day_from_friday_is_the_make_up_sunday() -> None:
    calendar = calendar_cn_workdays()
    assert calendar.add_working_days(shanghai(2025, 9, 26, 10), 1) == shanghai(2025, 9, 28, 18)


def test_add_working_days_uses_the_local_day_of_start() -> None:
    # Given 20:00 UTC on Mon 29 Sep, already Tue 30 Sep 04:00 in Shanghai
    calendar = calendar_cn_workdays()
    due = calendar.add_working_days(utc(2025, 9, 29, 20), 1)
    assert due == shanghai(2025, 10, 9, 18)


def test_add_working_days_from_a_holiday_counts_the_next_working_day_as_one() -> None:
    calendar = calendar_cn_workdays()
    assert calendar.add_working_days(shanghai(2025, 10, 3, 12), 1) == shanghai(2025, 10, 9, 18)


@pytest.mark.parametrize("days", [0, -1])
def test_add_working_days_refuses_less_than_one(days: int) -> None:
    with pytest.raises(ValueError, match="days"):
        calendar_cn_workdays().add_working_days(shanghai(2025, 9, 30, 15), days)


def test_add_working_days_on_24x7_ends_at_midnight_after_the_nth_day() -> None:
    calendar = calendar_24x7()
    assert calendar.add_working_days(utc(2025, 9, 30, 15), 2) == utc(2025, 10, 3)


# --- several intervals a day, custom closed and extra working days ---


def test_lunch_break_is_skipped() -> None:
    calendar = make_calendar(
        weekly_hours=dict.fromkeys(range(5), ((time(9), time(12)), (time(13), time(18))))
    )
    assert calendar.add_minutes(utc(2025, 9, 15, 11, 30), 60) == utc(2025, 9, 15, 13, 30)
    assert calendar.add_minutes(utc(2025, 9, 15, 9), 180) == utc(2025, 9, 15, 12)
    assert calendar.is_open(utc(2025, 9, 15, 12, 30)) is False
    assert calendar.minutes_between(utc(2025, 9, 15, 9), utc(2025, 9, 15, 18)) == 480.0


def test_custom_closed_date_is_skipped() -> None:
    # Given Wednesday 24 December closed
    calendar = make_calendar(closed_dates=frozenset({date(2025, 12, 24)}))
    due = calendar.add_minutes(utc(2025, 12, 23, 17), 120)
    assert due == utc(2025, 12, 25, 10)
    assert calendar.is_working_day(date(2025, 12, 24)) is False


def test_extra_working_day_uses_make_up_hours() -> None:
    # Given Saturday 27 December opened 10:00-14:00
    calendar = make_calendar(
        extra_working_days=frozenset({date(2025, 12, 27)}),
        make_up_day_hours=((time(10), time(14)),),
    )
    assert calendar.add_minutes(utc(2025, 12, 26, 17, 30), 60) == utc(2025, 12, 27, 10, 30)
    assert calendar.minutes_between(utc(2025, 12, 27), utc(2025, 12, 28)) == 240.0
    assert calendar.add_working_days(utc(2025, 12, 26, 12), 1) == utc(2025, 12, 27, 14)


def test_extra_working_day_defaults_to_monday_hours() -> None:
    calendar = make_calendar(extra_working_days=frozenset({date(2025, 12, 27)}))
    assert calendar.minutes_between(utc(2025, 12, 27), utc(2025, 12, 28)) == 540.0


def test_date_both_closed_and_extra_is_refused() -> None:
    with pytest.raises(ValueError, match="both closed and extra"):
        make_calendar(
            closed_dates=frozenset({date(2025, 12, 27)}),
            extra_working_days=frozenset({date(2025, 12, 27)}),
        )


@pytest.mark.parametrize(
    "day_hours",
    [
        ((time(18), time(9)),),
        ((time(13), time(18)), (time(9), time(14))),
        ((time(9), None), (time(10), time(11))),
    ],
)
def test_malformed_hours_are_refused(day_hours: tuple[tuple[time, time | None], ...]) -> None:
    with pytest.raises(ValueError, match="weekday 0"):
        make_calendar(weekly_hours={0: day_hours})


def test_hours_given_as_lists_are_accepted() -> None:
    # Given hours shaped like decoded JSON (lists, not tuples)
    calendar = make_calendar(weekly_hours={0: [[time(9), time(10)]]})
    assert calendar.minutes_between(utc(2025, 9, 15), utc(2025, 9, 16)) == 60.0


def test_instant_outside_supported_years_is_refused() -> None:
    with pytest.raises(ValueError, match="outside the supported range"):
        calendar_cn_workdays().add_minutes(shanghai(2300, 1, 1), 10)


def test_calendar_that_never_opens_is_refused() -> None:
    with pytest.raises(ValueError, match="never open"):
        make_calendar(weekly_hours={})


# --- naive datetimes ---


@pytest.mark.parametrize(
    "call",
    [
        lambda calendar, naive: calendar.add_minutes(naive, 10),
        lambda calendar, naive: calendar.minutes_between(naive, utc(2025, 9, 15)),
        lambda calendar, naive: calendar.minutes_between(utc(2025, 9, 15), naive),
        lambda calendar, naive: calendar.is_open(naive),
        lambda calendar, naive: calendar.add_working_days(naive, 1),
    ],
    ids=["add_minutes", "between_start", "between_end", "is_open", "add_working_days"],
)
@pytest.mark.parametrize("calendar", [calendar_cn_workdays(), calendar_24x7()], ids=["cn", "24x7"])
def test_naive_datetimes_are_refused(call: object, calendar: BusinessCalendar) -> None:
    naive = datetime(2025, 9, 15, 10)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        call(calendar, naive)  # type: ignore[operator]


# --- daylight-saving time (America/New_York: 2025-03-09 skips 02:00, 2025-11-02 repeats 01:00) ---


def test_24x7_local_zone_is_the_fast_path() -> None:
    calendar = make_calendar(
        time_zone="America/New_York", weekly_hours=dict.fromkeys(range(7), ALL_DAY)
    )
    assert calendar.is_always_open is True
    assert new_york_24x7_split().is_always_open is False
    assert calendar_cn_workdays().is_always_open is False


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "general-path"])
def test_24x7_local_day_lasts_23_and_25_hours(fast: bool) -> None:
    calendar = (
        make_calendar(time_zone="America/New_York", weekly_hours=dict.fromkeys(range(7), ALL_DAY))
        if fast
        else new_york_24x7_split()
    )
    assert calendar.minutes_between(new_york(2025, 3, 9), new_york(2025, 3, 10)) == 23 * 60
    assert calendar.minutes_between(new_york(2025, 11, 2), new_york(2025, 11, 3)) == 25 * 60
    # One real hour after 01:30 EST is 03:30 EDT
    spring = calendar.add_minutes(new_york(2025, 3, 9, 1, 30), 60)
    assert (spring.hour, spring.minute, spring.utcoffset()) == (3, 30, timedelta(hours=-4))
    # One real hour after 00:30 EDT is the first 01:30 (EDT); two hours is the second (EST)
    autumn = calendar.add_minutes(new_york(2025, 11, 2, 0, 30), 120)
    assert (autumn.hour, autumn.minute, autumn.utcoffset()) == (1, 30, timedelta(hours=-5))
    assert calendar.add_working_days(new_york(2025, 3, 8, 12), 1) == new_york(2025, 3, 10)


def test_office_hours_across_spring_forward_weekend() -> None:
    calendar = make_calendar(time_zone="America/New_York")
    due = calendar.add_minutes(new_york(2025, 3, 7, 17), 120)
    assert due == new_york(2025, 3, 10, 10)
    assert due.utcoffset() == timedelta(hours=-4)
    assert calendar.minutes_between(new_york(2025, 3, 7, 17), due) == 120.0


def test_office_hours_across_fall_back_weekend() -> None:
    calendar = make_calendar(time_zone="America/New_York")
    due = calendar.add_minutes(new_york(2025, 10, 31, 17), 120)
    assert due == new_york(2025, 11, 3, 10)
    assert due.utcoffset() == timedelta(hours=-5)


def test_office_hours_every_day_on_the_change_sundays_last_nine_real_hours() -> None:
    calendar = make_calendar(time_zone="America/New_York", weekly_hours={6: OFFICE_HOURS})
    assert calendar.minutes_between(new_york(2025, 3, 9), new_york(2025, 3, 10)) == 540.0
    assert calendar.minutes_between(new_york(2025, 11, 2), new_york(2025, 11, 3)) == 540.0


def test_night_shift_over_a_dst_change_counts_real_minutes() -> None:
    # Given Sunday 00:00-04:00: 3 real hours on spring-forward day, 5 on fall-back day
    calendar = make_calendar(time_zone="America/New_York", weekly_hours={6: ((time(0), time(4)),)})
    assert calendar.minutes_between(new_york(2025, 3, 9), new_york(2025, 3, 10)) == 180.0
    assert calendar.minutes_between(new_york(2025, 11, 2), new_york(2025, 11, 3)) == 300.0


def test_opening_inside_the_skipped_hour_opens_when_clocks_jump() -> None:
    # Given Sunday 02:30-05:00; on 2025-03-09 02:30 does not exist
    calendar = make_calendar(
        time_zone="America/New_York", weekly_hours={6: ((time(2, 30), time(5)),)}
    )
    assert calendar.add_minutes(new_york(2025, 3, 9), 0) == new_york(2025, 3, 9, 3)
    assert calendar.minutes_between(new_york(2025, 3, 9), new_york(2025, 3, 10)) == 120.0


def test_interval_inside_the_skipped_hour_vanishes() -> None:
    calendar = make_calendar(
        time_zone="America/New_York", weekly_hours={6: ((time(2), time(3)), (time(9), time(10)))}
    )
    assert calendar.add_minutes(new_york(2025, 3, 9), 0) == new_york(2025, 3, 9, 9)
    assert calendar.minutes_between(new_york(2025, 3, 9), new_york(2025, 3, 10)) == 60.0


def test_ambiguous_opening_means_the_first_occurrence() -> None:
    # Given Sunday 01:30-03:00; on 2025-11-02 01:30 happens twice, the first at 05:30 UTC
    calendar = make_calendar(
        time_zone="America/New_York", weekly_hours={6: ((time(1, 30), time(3)),)}
    )
    # (compared in UTC: Python never calls an ambiguous time equal to another zone's time)
    opening = calendar.add_minutes(new_york(2025, 11, 2), 0)
    assert opening.astimezone(UTC) == utc(2025, 11, 2, 5, 30)
    assert calendar.minutes_between(new_york(2025, 11, 2), new_york(2025, 11, 3)) == 150.0


def test_zone_with_dst_at_midnight_keeps_days_contiguous() -> None:
    # Given Santiago, where clocks jump at midnight, open around the clock via the general path
    halves = ((time(0), time(12)), (time(12), None))
    calendar = make_calendar(
        time_zone="America/Santiago", weekly_hours=dict.fromkeys(range(7), halves)
    )
    start = datetime(2025, 9, 1, tzinfo=UTC)
    end = datetime(2025, 9, 15, tzinfo=UTC)
    assert calendar.minutes_between(start, end) == 14 * 24 * 60


# --- properties ---

_instants = st.integers(
    min_value=int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()),
    max_value=int(datetime(2026, 12, 31, tzinfo=UTC).timestamp()),
).map(lambda seconds: datetime.fromtimestamp(seconds, UTC))
# Whole seconds expressed in minutes, so sums of them stay exact to the microsecond.
_positive_minutes = st.integers(min_value=1, max_value=5 * 24 * 3600).map(lambda s: s / 60)


@PROPERTY_SETTINGS
@given(start=_instants, minutes=st.floats(min_value=0, max_value=10_000))
def test_round_trip(start: datetime, minutes: float) -> None:
    calendar = calendar_cn_workdays()
    due = calendar.add_minutes(start, minutes)
    assert calendar.minutes_between(start, due) == pytest.approx(minutes, abs=1e-6)


@PROPERTY_SETTINGS
@given(start=_instants, minutes=st.floats(min_value=0, max_value=10_000))
def test_round_trip_backwards(start: datetime, minutes: float) -> None:
    calendar = calendar_cn_workdays()
    earlier = calendar.add_minutes(start, -minutes)
    assert calendar.minutes_between(earlier, start) == pytest.approx(minutes, abs=1e-6)


@PROPERTY_SETTINGS
@given(start=_instants, first=_positive_minutes, second=_positive_minutes)
def test_add_minutes_is_monotonic(start: datetime, first: float, second: float) -> None:
    calendar = calendar_cn_workdays()
    smaller, larger = sorted((first, second))
    assert calendar.add_minutes(start, smaller) <= calendar.add_minutes(start, larger)
    if smaller < larger:
        assert calendar.add_minutes(start, smaller) < calendar.add_minutes(start, larger)


@PROPERTY_SETTINGS
@given(start=_instants, first=_positive_minutes, second=_positive_minutes)
def test_add_minutes_is_additive(start: datetime, first: float, second: float) -> None:
    # Given an open start (a closed one is moved to its next opening first). The parts are
    # positive: adding 0 to a sum that landed on a close would move it to the next opening.
    calendar = calendar_cn_workdays()
    open_start = calendar.add_minutes(start, 0)
    in_two_steps = calendar.add_minutes(calendar.add_minutes(open_start, first), second)
    assert in_two_steps == calendar.add_minutes(open_start, first + second)


@PROPERTY_SETTINGS
@given(
    start=st.integers(min_value=0, max_value=400 * 24 * 3600).map(
        lambda seconds: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    ),
    minutes=st.floats(min_value=-10_000, max_value=10_000),
)
def test_24x7_fast_path_agrees_with_general_path(start: datetime, minutes: float) -> None:
    fast = make_calendar(
        time_zone="America/New_York", weekly_hours=dict.fromkeys(range(7), ALL_DAY)
    )
    general = new_york_24x7_split()
    # Compared in UTC: same-zone comparison ignores fold, so it cannot tell 01:30 EDT from EST.
    due = fast.add_minutes(start, minutes)
    assert due.astimezone(UTC) == general.add_minutes(start, minutes).astimezone(UTC)
    assert fast.minutes_between(start, due) == general.minutes_between(start, due)
    close = fast.add_working_days(start, 3)
    assert close.astimezone(UTC) == general.add_working_days(start, 3).astimezone(UTC)
