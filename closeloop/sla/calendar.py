"""Business-calendar maths for SLA deadlines: opening hours, holidays and business-time sums.

Pure Python over ``zoneinfo``, ``datetime``, ``bisect`` and ``holidays`` (no Django), so the
deadline arithmetic is unit-tested without a database and can run in any worker.

How it is fast: a calendar never walks day by day when asked a question. For each spec it builds,
lazily and once per year range, the sorted list of its open intervals as UTC epoch microseconds
plus a prefix list of cumulative business microseconds, and answers every question with two
``bisect`` look-ups. When an instant falls outside the built years the range is widened (and the
per-year tables are kept, so widening only concatenates). Instants are integer microseconds so
sums are exact and "lands exactly on closing time" is a plain comparison, not a float accident.

Daylight-saving time: business minutes are real elapsed minutes inside opening intervals, so a
09:00-18:00 day lasts nine real hours and a local 00:00-24:00 day lasts 23 or 25 hours on a
change day. Each wall-clock boundary (a day's opening or closing time) becomes an instant by
one deterministic rule:

* an ambiguous wall time (the repeated hour when clocks go back) means its *first* occurrence,
  i.e. ``fold=0`` in PEP 495 terms;
* a wall time that does not exist (skipped when clocks go forward) means the instant the clocks
  jump, i.e. the first real instant after the gap: an interval opening at 02:30 on a day that
  skips 02:00-03:00 opens at 03:00.

Both choices keep the mapping from wall time to instant monotonic, so intervals never overlap or
run backwards. Instants passed *in* by callers are taken as they are (an aware datetime already
names one instant).

Range: calendars with opening hours answer for instants in 1970-2200 (ValueError outside);
always-open calendars are plain timedelta sums and have no such limit.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import holidays

DayHours = Sequence[tuple[time, time | None]]
# A day's hours normalised to a hashable tuple; used in the per-spec cache key.
_HoursKey = tuple[tuple[time, time | None], ...]
# Everything in a spec that changes the maths: zone, 7 days of hours, country, subdivision,
# extra working days, closed dates, make-up hours.
_SpecKey = tuple[
    str,
    tuple[_HoursKey, ...],
    str | None,
    str | None,
    frozenset[date],
    frozenset[date],
    _HoursKey | None,
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)
_MICROSECONDS_PER_MINUTE = 60_000_000
_MIDNIGHT = time(0)
_ONE_DAY = timedelta(days=1)
# Years the tables may cover. Tables are contiguous, so one stray instant far away would make
# every year in between get built; the bounds cap that at about a second, once per calendar.
_FIRST_YEAR = 1970
_LAST_YEAR = 2200
# Below 2**32 seconds (year 2106) a float of epoch seconds is finer than half a microsecond, so
# datetime.fromtimestamp(microseconds / 1e6) rounds back to the exact microsecond.
_FLOAT_EXACT_LIMIT = 2**32 * 1_000_000


@dataclass(frozen=True)
class CalendarSpec:
    """What a business calendar is: zone, weekly hours, holidays and exceptions."""

    name: str
    # IANA name, e.g. "Asia/Shanghai", "UTC".
    time_zone: str
    # Weekday 0=Mon..6=Sun -> [(start, end)]; end None means midnight (24:00). Several intervals
    # a day are allowed; they must be sorted and must not overlap.
    weekly_hours: Mapping[int, Sequence[tuple[time, time | None]]]
    # ISO code for the holidays package, e.g. "CN".
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    # Open although weekend or public holiday (custom).
    extra_working_days: frozenset[date] = frozenset()
    # Custom closed dates; they win over everything else.
    closed_dates: frozenset[date] = frozenset()
    # Hours on a make-up or extra working day that has no regular hours; None = Monday's hours.
    make_up_day_hours: Sequence[tuple[time, time | None]] | None = None

    def __post_init__(self) -> None:
        for weekday, day_hours in self.weekly_hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
            _validate_hours(day_hours, what=f"weekday {weekday}")
        if self.make_up_day_hours is not None:
            _validate_hours(self.make_up_day_hours, what="make-up day hours")
        both = set(self.extra_working_days) & set(self.closed_dates)
        if both:
            raise ValueError(f"dates both closed and extra working days: {sorted(both)}")


def _validate_hours(day_hours: DayHours, *, what: str) -> None:
    """Refuse intervals that are empty, reversed, unsorted, overlapping or zone-aware."""
    previous_end = _MIDNIGHT
    for index, (start, end) in enumerate(day_hours):
        if start.tzinfo is not None or (end is not None and end.tzinfo is not None):
            raise ValueError(f"{what}: times are wall-clock times and must be naive")
        if end is not None and end <= start:
            raise ValueError(
                f"{what}: interval {start}-{end} must end after it starts (None means 24:00)"
            )
        if index and start < previous_end:
            raise ValueError(f"{what}: intervals must be sorted and must not overlap")
        if end is None and index != len(day_hours) - 1:
            raise ValueError(f"{what}: only the last interval may run to midnight")
        previous_end = end if end is not None else previous_end


@dataclass(frozen=True, slots=True)
class _Tables:
    """Immutable lookup tables for a contiguous range of local years; swapped, never mutated."""

    first_year: int
    last_year: int
    range_start: int  # epoch microseconds of first_year-01-01 00:00 local
    range_end: int  # epoch microseconds of (last_year + 1)-01-01 00:00 local
    starts: list[int]  # open interval starts, sorted, epoch microseconds
    ends: list[int]
    # cumulative[i] = business microseconds before interval i; one longer than starts.
    cumulative: list[int]
    working_days: list[int]  # date ordinals, sorted
    closes: list[int]  # close of business of each working day, epoch microseconds


class _Timeline:
    """The lazily built, shared tables of one calendar spec (one instance per distinct spec)."""

    def __init__(self, key: _SpecKey) -> None:
        (
            time_zone,
            self._weekly,
            country,
            subdivision,
            self._extra,
            self._closed,
            make_up,
        ) = key
        self.zone = ZoneInfo(time_zone)
        self._make_up: _HoursKey = make_up if make_up is not None else self._weekly[0]
        # Built without years so an unknown country or subdivision fails now, not mid-request.
        if country:
            holidays.country_holidays(country, subdiv=subdivision)
        self._country: str | None = country
        self._subdivision: str | None = subdivision
        self._years: dict[int, tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
        self._tables: _Tables | None = None
        self._lock = threading.Lock()

    def tables_for(self, instant: int, other_instant: int | None = None) -> _Tables:
        """Return tables whose range covers the given instant(s), widening it when needed."""
        tables = self._tables
        if other_instant is None:
            other_instant = instant
        if (
            tables is not None
            and tables.range_start <= instant < tables.range_end
            and tables.range_start <= other_instant < tables.range_end
        ):
            return tables
        years = (_local(instant, self.zone).year, _local(other_instant, self.zone).year)
        return self._widen(min(years), max(years))

    def tables_for_year(self, year: int) -> _Tables:
        """Return tables whose range covers the given local year."""
        tables = self._tables
        if tables is not None and tables.first_year <= year <= tables.last_year:
            return tables
        return self._widen(year, year)

    def extend(self, tables: _Tables, *, forward: bool) -> _Tables:
        """Return tables reaching further forward (or backward) than `tables`."""
        # Doubling the span keeps a search through a sparse calendar to a few rebuilds.
        span = tables.last_year - tables.first_year + 1
        if forward:
            if tables.last_year >= _LAST_YEAR:
                raise ValueError("no business time before the end of the supported years")
            return self._widen(tables.first_year, min(_LAST_YEAR, tables.last_year + span))
        if tables.first_year <= _FIRST_YEAR:
            raise ValueError("no business time after the start of the supported years")
        return self._widen(max(_FIRST_YEAR, tables.first_year - span), tables.last_year)

    def _widen(self, first_year: int, last_year: int) -> _Tables:
        """Publish tables covering the current range plus the given years; return them."""
        with self._lock:
            current = self._tables
            if current is not None:
                first_year = min(first_year, current.first_year)
                last_year = max(last_year, current.last_year)
                if current.first_year == first_year and current.last_year == last_year:
                    return current
            elif first_year == last_year:
                # Deadlines straddle New Year often enough to build the neighbours up front.
                first_year = max(_FIRST_YEAR, first_year - 1)
                last_year = min(_LAST_YEAR, last_year + 1)
            if not _FIRST_YEAR <= first_year <= last_year <= _LAST_YEAR:
                raise ValueError(f"years {first_year}-{last_year} are outside the supported range")
            tables = self._assemble(first_year, last_year)
            self._tables = tables
            return tables

    def _assemble(self, first_year: int, last_year: int) -> _Tables:
        """Concatenate the per-year intervals (built on first use) into one set of tables."""
        starts: list[int] = []
        ends: list[int] = []
        working_days: list[int] = []
        closes: list[int] = []
        for year in range(first_year, last_year + 1):
            if year not in self._years:
                self._years[year] = self._build_year(year)
            intervals, days = self._years[year]
            for start, end in intervals:
                # Adjacent intervals (12:00-13:00 + 13:00-14:00, or midnight to midnight) merge,
                # so "is open" and "lands on the end of an interval" see one stretch.
                if ends and ends[-1] == start:
                    ends[-1] = end
                else:
                    starts.append(start)
                    ends.append(end)
            for ordinal, close in days:
                working_days.append(ordinal)
                closes.append(close)
        cumulative = [0]
        total = 0
        for start, end in zip(starts, ends, strict=True):
            total += end - start
            cumulative.append(total)
        return _Tables(
            first_year=first_year,
            last_year=last_year,
            range_start=_wall_to_instant(date(first_year, 1, 1), _MIDNIGHT, self.zone),
            range_end=_wall_to_instant(date(last_year + 1, 1, 1), _MIDNIGHT, self.zone),
            starts=starts,
            ends=ends,
            cumulative=cumulative,
            working_days=working_days,
            closes=closes,
        )

    def _build_year(self, year: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Return one local year's open intervals and (working-day ordinal, close) pairs."""
        public_holidays: set[date] = set()
        make_up_days: set[date] = set()
        if self._country:
            calendar = holidays.country_holidays(
                self._country, subdiv=self._subdivision, years=year
            )
            public_holidays = {day for day in calendar if day.year == year}
            # Only some countries (China) publish weekend make-up working days; the set can hold
            # other years' dates too, hence the filter.
            make_up_days = {
                day for day in getattr(calendar, "weekend_workdays", ()) if day.year == year
            }
        intervals: list[tuple[int, int]] = []
        days: list[tuple[int, int]] = []
        day = date(year, 1, 1)
        while day.year == year:
            day_intervals = []
            for opening, closing in self._hours_on(day, public_holidays, make_up_days):
                start = _wall_to_instant(day, opening, self.zone)
                if closing is None:
                    end = _wall_to_instant(day + _ONE_DAY, _MIDNIGHT, self.zone)
                else:
                    end = _wall_to_instant(day, closing, self.zone)
                # A DST gap can swallow a short interval whole (02:00-03:00 on spring-forward day).
                if end > start:
                    day_intervals.append((start, end))
            if day_intervals:
                intervals.extend(day_intervals)
                days.append((day.toordinal(), day_intervals[-1][1]))
            day += _ONE_DAY
        return intervals, days

    def _hours_on(
        self, day: date, public_holidays: set[date], make_up_days: set[date]
    ) -> _HoursKey:
        """Return the opening hours of one local date."""
        if day in self._closed:
            return ()
        regular = self._weekly[day.weekday()]
        if regular and day not in public_holidays:
            return regular
        if day in self._extra or day in make_up_days:
            return self._make_up
        return ()


@lru_cache(maxsize=64)
def _timeline_for(key: _SpecKey) -> _Timeline:
    """Return the one shared timeline of a spec, so its tables are built once per process."""
    return _Timeline(key)


def _spec_key(spec: CalendarSpec) -> _SpecKey:
    """Return a hashable key holding everything that changes the maths (not the name)."""
    weekly = tuple(_hours_key(spec.weekly_hours.get(weekday, ())) for weekday in range(7))
    make_up = None if spec.make_up_day_hours is None else _hours_key(spec.make_up_day_hours)
    return (
        spec.time_zone,
        weekly,
        spec.holiday_country,
        spec.holiday_subdivision,
        frozenset(spec.extra_working_days),
        frozenset(spec.closed_dates),
        make_up,
    )


def _hours_key(day_hours: DayHours) -> _HoursKey:
    """Return a day's hours as a hashable tuple (they may arrive as lists, e.g. from JSON)."""
    return tuple((start, end) for start, end in day_hours)


def _to_instant(moment: datetime) -> int:
    """Return an aware datetime as epoch microseconds; refuse a naive one."""
    try:
        # Subtracting from an aware epoch is both the conversion and the naive check (TypeError).
        return (moment - _EPOCH) // _ONE_MICROSECOND
    except TypeError:
        raise ValueError(f"timezone-aware datetime required, got {moment!r}") from None


def _local(instant: int, zone: ZoneInfo) -> datetime:
    """Return epoch microseconds as an aware datetime in `zone`."""
    if -_FLOAT_EXACT_LIMIT < instant < _FLOAT_EXACT_LIMIT:
        # About twice as fast as the timedelta sum below, and exact in this range.
        return datetime.fromtimestamp(instant / 1_000_000, zone)
    return (_EPOCH + timedelta(microseconds=instant)).astimezone(zone)


def _minutes_to_microseconds(minutes: float) -> int:
    if not math.isfinite(minutes):
        raise ValueError(f"minutes must be finite, got {minutes!r}")
    return round(minutes * _MICROSECONDS_PER_MINUTE)


def _wall_to_instant(day: date, wall: time, zone: ZoneInfo) -> int:
    """Return the instant a local wall-clock time names, by the module's DST rule."""
    naive = datetime.combine(day, wall)
    first_reading = naive.replace(tzinfo=zone)  # fold=0: the first of two ambiguous readings
    instant = _to_instant(first_reading)
    if _local(instant, zone).replace(tzinfo=None) == naive:
        return instant
    # The wall time falls in a gap. fold=1 reads it with the offset after the jump, which lands
    # before the jump; fold=0 (above) lands after it. Search between them for the jump itself.
    offset_before = first_reading.utcoffset()
    low = _to_instant(first_reading.replace(fold=1))
    high = instant
    while high - low > 1:
        middle = (low + high) // 2
        if _local(middle, zone).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    return high


def _is_always_open(spec: CalendarSpec) -> bool:
    all_day = ((_MIDNIGHT, None),)
    return (
        all(tuple(spec.weekly_hours.get(weekday, ())) == all_day for weekday in range(7))
        and spec.holiday_country is None
        and not spec.closed_dates
    )


class BusinessCalendar:
    """Business-time arithmetic over one CalendarSpec, answered from cached interval tables."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.zone = ZoneInfo(spec.time_zone)
        # Open around the clock needs no tables: business time is elapsed time.
        self.is_always_open = _is_always_open(spec)
        if not self.is_always_open and not (
            any(spec.weekly_hours.values()) or (spec.extra_working_days and spec.make_up_day_hours)
        ):
            raise ValueError(f"calendar {spec.name!r} is never open")
        self._timeline = _timeline_for(_spec_key(spec))

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self.spec.name!r} {self.spec.time_zone}>"

    def is_working_day(self, day: date) -> bool:
        """Return whether the calendar opens at all on this local date."""
        if self.is_always_open:
            return True
        working_days = self._timeline.tables_for_year(day.year).working_days
        ordinal = day.toordinal()
        index = bisect_left(working_days, ordinal)
        return index < len(working_days) and working_days[index] == ordinal

    def is_open(self, instant: datetime) -> bool:
        """Return whether the instant lies inside an opening interval (start in, end out)."""
        moment = _to_instant(instant)
        if self.is_always_open:
            return True
        tables = self._timeline.tables_for(moment)
        index = bisect_right(tables.starts, moment) - 1
        return index >= 0 and moment < tables.ends[index]

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        """Return start + N business minutes (counting from the next opening if closed)."""
        moment = _to_instant(start)
        delta = _minutes_to_microseconds(minutes)
        if self.is_always_open:
            return _local(moment + delta, self.zone)
        timeline = self._timeline
        tables = timeline.tables_for(moment)
        while True:
            starts = tables.starts
            cumulative = tables.cumulative
            index = bisect_right(starts, moment) - 1
            if index >= 0 and moment < tables.ends[index]:
                if delta == 0:
                    return _local(moment, self.zone)
                position = cumulative[index] + moment - starts[index]
            else:
                following = index + 1
                if following == len(starts) and delta >= 0:
                    tables = timeline.extend(tables, forward=True)
                    continue
                if delta == 0:
                    return _local(starts[following], self.zone)
                # Closed: forward counting starts at the next opening, backward at the last close.
                position = cumulative[following]
            target = position + delta
            if delta > 0:
                if target > cumulative[-1]:
                    tables = timeline.extend(tables, forward=True)
                    continue
                # Leftmost match: a sum landing exactly on a closing time returns that close.
                found = bisect_left(cumulative, target, 1) - 1
            else:
                if target < 0:
                    tables = timeline.extend(tables, forward=False)
                    continue
                # Rightmost match: landing exactly on an opening time returns that opening.
                found = bisect_right(cumulative, target) - 1
            return _local(starts[found] + target - cumulative[found], self.zone)

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Return the business minutes in [start, end); negative when end is before start."""
        start_instant = _to_instant(start)
        end_instant = _to_instant(end)
        if self.is_always_open:
            return (end_instant - start_instant) / _MICROSECONDS_PER_MINUTE
        tables = self._timeline.tables_for(start_instant, end_instant)
        business = _position(tables, end_instant) - _position(tables, start_instant)
        return business / _MICROSECONDS_PER_MINUTE

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Return close of business on the Nth working day after the local day of start."""
        moment = _to_instant(start)
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ValueError(f"days must be a whole number >= 1, got {days!r}")
        local_day = _local(moment, self.zone).date()
        if self.is_always_open:
            return _local(
                _wall_to_instant(local_day + timedelta(days=days + 1), _MIDNIGHT, self.zone),
                self.zone,
            )
        ordinal = local_day.toordinal()
        timeline = self._timeline
        tables = timeline.tables_for(moment)
        while True:
            index = bisect_right(tables.working_days, ordinal) + days - 1
            if index < len(tables.closes):
                return _local(tables.closes[index], self.zone)
            tables = timeline.extend(tables, forward=True)


def _position(tables: _Tables, instant: int) -> int:
    """Return business microseconds from the start of the tables' range up to the instant."""
    index = bisect_right(tables.starts, instant) - 1
    if index >= 0 and instant < tables.ends[index]:
        return tables.cumulative[index] + instant - tables.starts[index]
    return tables.cumulative[index + 1]


@cache
def calendar_24x7() -> BusinessCalendar:
    """Return the shared always-open UTC calendar."""
    every_day = dict.fromkeys(range(7), ((_MIDNIGHT, None),))
    return BusinessCalendar(CalendarSpec(name="24x7", time_zone="UTC", weekly_hours=every_day))


@cache
def calendar_cn_workdays() -> BusinessCalendar:
    """Return the shared mainland-China office calendar: Mon-Fri 09:00-18:00 with CN holidays."""
    office_hours = ((time(9), time(18)),)
    return BusinessCalendar(
        CalendarSpec(
            name="cn-workdays",
            time_zone="Asia/Shanghai",
            weekly_hours=dict.fromkeys(range(5), office_hours),
            holiday_country="CN",
        )
    )
