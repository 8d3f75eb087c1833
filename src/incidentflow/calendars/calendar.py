"""Business-time arithmetic: which instants count as working time, and how to add it up.

A :class:`Calendar` has a time zone, working hours per weekday and holidays. An instant
is *working time* when, on the wall clock of the calendar's zone, it falls in one of the
hour ranges of its weekday and its date is not a holiday. Hours are wall-clock times, so
``09:00-17:30`` stays ``09:00-17:30`` local time across a daylight-saving change; what
counts is the real time that passes inside them. A range the clocks jump over (a gap)
counts only the time that exists; a range the clocks go through twice (an overlap)
counts both passes. This is what a person at a desk in that zone experiences, and what
the brute-force oracle in the tests measures minute by minute.

Every search is bounded by :data:`HORIZON`: nothing here loops for ever, whatever the
calendar (one with no working time at all is refused by the compiler, IF144, and raises
:class:`BeyondHorizon` here).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import MAXYEAR, UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from incidentflow.calendars.hours import (
    DAY_NAMES,
    MINUTES_A_DAY,
    WeekHours,
    format_range,
    week_hours,
)
from incidentflow.suggest import closest

HORIZON = timedelta(days=7305)
"""How far (20 years of calendar time) the arithmetic looks for working time. The longest
duration a spec may give is 365 days; the compiler refuses a calendar in which one of the
spec's business-time durations could not fit within the horizon (IF148)."""

ALWAYS_NAME = "always"
"""The built-in calendar in which every minute counts (the default)."""

# No time zone changes its offset twice within this long, so probing at this step finds
# every change (then bisection finds its instant to the microsecond).
_PROBE = timedelta(hours=6)
_FULL_DAY = ((0, MINUTES_A_DAY),)
_WEEK = timedelta(days=7)
_MICRO = timedelta(microseconds=1)
_MINUTE = 60_000_000  # microseconds
_DAY = 24 * 60 * _MINUTE
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_EPOCH_WEEKDAY = _EPOCH.weekday()  # a Thursday: day 0 of the epoch is weekday 3


def _micros(instant: datetime) -> int:
    """Microseconds since the epoch (exact: no floating point)."""
    return (instant - _EPOCH) // _MICRO


def _instant(micros: int) -> datetime:
    """The UTC instant ``micros`` microseconds after the epoch."""
    return _EPOCH + timedelta(microseconds=micros)


class BeyondHorizon(ValueError):
    """The answer lies further than :data:`HORIZON` from the start."""


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone called ``name``; ValueError naming the nearest known zone if none.

    Zones come from the system database, or the ``tzdata`` package where there is none.
    """
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    best = closest(name, sorted(available_timezones()))
    hint = f"did you mean '{best}'?" if best else "write an IANA name such as Europe/London"
    raise ValueError(f"'{name}' is not a known IANA time zone; {hint}")


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    if not name or name.startswith(("/", ".")) or ".." in name:
        raise ValueError(name)  # keys are names, never paths
    return ZoneInfo(name)


class Calendar:
    """Working time in one time zone: hours per weekday, minus holidays.

    ``add(start, working)`` is the instant when ``working`` of working time has passed
    since ``start``; ``working_time(start, end)`` is the working time between two
    instants. Both take aware datetimes and count the time that really passes (never
    Python's wall-clock arithmetic between two datetimes of one zone); :data:`ALWAYS`
    (every minute counts) answers in the start's zone, the others in UTC. Comparable and
    hashable by value.
    """

    __slots__ = (
        "_every_minute",
        "_holiday_list",
        "_holiday_ordinals",
        "_hours_micros",
        "holidays",
        "hours",
        "name",
        "weekly",
        "zone",
    )

    def __init__(
        self,
        name: str,
        zone: str | tzinfo,
        hours: WeekHours,
        holidays: Iterable[date] = (),
    ) -> None:
        if len(hours) != len(DAY_NAMES):
            raise ValueError("hours need one tuple of ranges per weekday, Monday first")
        self.name = name
        self.zone: tzinfo = time_zone(zone) if isinstance(zone, str) else zone
        self.hours: WeekHours = hours
        self.holidays: frozenset[date] = frozenset(holidays)
        self._holiday_list = tuple(sorted(self.holidays))
        self._holiday_ordinals = frozenset(d.toordinal() for d in self.holidays)
        self._hours_micros = tuple(
            tuple((first * _MINUTE, last * _MINUTE) for first, last in day) for day in hours
        )
        self._every_minute = all(day == _FULL_DAY for day in hours) and not self.holidays
        self.weekly = timedelta(minutes=sum(e - s for day in hours for s, e in day))
        """Working time in a week without holidays or daylight-saving changes."""

    @classmethod
    def parse(
        cls,
        name: str,
        timezone: str,
        hours: Mapping[str, str | Sequence[str]],
        holidays: Iterable[date] = (),
    ) -> Calendar:
        """A calendar from spec-like values: ``hours`` maps weekday keys (``mon-fri``) to
        hour ranges (``["09:00-12:00", "13:00-17:30"]``). ValueError saying what is wrong."""
        return cls(name, time_zone(timezone), week_hours(hours), holidays)

    # --- what it is ----------------------------------------------------------------------

    @property
    def zone_name(self) -> str:
        """The zone's IANA name (``str()`` of a zone that is not a ZoneInfo)."""
        return getattr(self.zone, "key", str(self.zone))

    @property
    def counts_every_minute(self) -> bool:
        """True when every instant is working time (business time is wall-clock time)."""
        return self._every_minute

    def describe_hours(self) -> list[str]:
        """The hours as a reader wants them: ``["mon-fri 09:00-17:30", "sat 10:00-14:00"]``
        (runs of weekdays with the same hours joined; days without hours left out)."""
        lines = []
        day = 0
        while day < len(DAY_NAMES):
            last = day
            while last + 1 < len(DAY_NAMES) and self.hours[last + 1] == self.hours[day]:
                last += 1
            if self.hours[day]:
                days = DAY_NAMES[day] if last == day else f"{DAY_NAMES[day]}-{DAY_NAMES[last]}"
                lines.append(f"{days} {', '.join(format_range(r) for r in self.hours[day])}")
            day = last + 1
        return lines

    def without_holidays(self) -> Calendar:
        """The same calendar with no holidays (for reasoning about an ordinary week)."""
        return Calendar(self.name, self.zone, self.hours)

    # --- arithmetic ----------------------------------------------------------------------

    def add(self, start: datetime, working: timedelta) -> datetime:
        """The instant at which ``working`` of working time has passed since ``start``.

        A ``start`` outside working hours waits for the next working instant (unless
        ``working`` is zero: then the answer is ``start``); a result at
        the very end of a working range is that end (a deadline of 17:30 is due at 17:30,
        not at the next morning's opening). BeyondHorizon when the answer lies further
        than :data:`HORIZON` away; ValueError for a naive ``start`` or negative ``working``.
        """
        _require_aware(start, "start")
        if working < timedelta(0):
            raise ValueError(f"working time cannot be negative (got {working})")
        if self._every_minute or not working:
            # Elapsed time, kept in start's zone (aware datetimes sharing a zone add and
            # subtract on the wall clock in Python, which a daylight-saving change breaks).
            return (start.astimezone(UTC) + working).astimezone(start.tzinfo)
        remaining = working // _MICRO
        weekly = self.weekly // _MICRO
        for begin, end, offset in _segments(self.zone, start.astimezone(UTC), _later(start)):
            if remaining > weekly and self._plain_week(begin, end, offset):
                remaining -= weekly  # a long duration skips whole weeks in one step
                continue
            for low, high in self._segment_pieces(begin, end, offset):
                length = high - low
                if remaining <= length:
                    return _instant(low + remaining)
                remaining -= length
        raise BeyondHorizon(
            f"{working} of working time in calendar '{self.name}' does not fit in the "
            f"{HORIZON.days} days after {start.isoformat()}"
        )

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """The working time between ``start`` and ``end`` (zero when ``end`` is not after
        ``start``). BeyondHorizon for a span longer than :data:`HORIZON`."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return timedelta(0)
        if self._every_minute:
            return end - start
        if end - start > HORIZON:
            raise BeyondHorizon(f"a span longer than {HORIZON.days} days: {start} to {end}")
        total = 0
        for begin, finish, offset in _segments(self.zone, start, end):
            if self._plain_week(begin, finish, offset):
                total += self.weekly // _MICRO
                continue
            for low, high in self._segment_pieces(begin, finish, offset):
                total += high - low
        return timedelta(microseconds=total)

    def is_working(self, instant: datetime) -> bool:
        """True when ``instant`` is working time."""
        _require_aware(instant, "instant")
        wall = instant.astimezone(self.zone)
        if wall.date() in self.holidays:
            return False
        minute = wall.hour * 60 + wall.minute + (wall.second * 1_000_000 + wall.microsecond) / 6e7
        return any(s <= minute < e for s, e in self.hours[wall.weekday()])

    def working_periods(
        self, start: datetime, end: datetime
    ) -> Iterator[tuple[datetime, datetime]]:
        """The stretches of working time between ``start`` and ``end``, in order, in UTC
        (a stretch may end where the next begins, at a daylight-saving change)."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        until = min(end, _later(start))
        if self._every_minute:
            if start < until:
                yield start.astimezone(UTC), until.astimezone(UTC)
            return
        yield from self._pieces(start.astimezone(UTC), until.astimezone(UTC))

    # --- the one walk behind the arithmetic ----------------------------------------------

    def _pieces(self, start: datetime, until: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working stretches in ``[start, until)`` (UTC), in order."""
        for begin, end, offset in _segments(self.zone, start, until):
            for low, high in self._segment_pieces(begin, end, offset):
                yield _instant(low), _instant(high)

    def _segment_pieces(
        self, begin: datetime, end: datetime, offset: timedelta
    ) -> Iterator[tuple[int, int]]:
        """Working stretches of a stretch of constant UTC offset, as microseconds since the
        epoch: its wall-clock window, walked day by day. Integers rather than datetimes,
        because this loop runs on every deadline the engine plans."""
        shift = offset // _MICRO
        wall_begin = _micros(begin) + shift
        wall_end = _micros(end) + shift
        day = wall_begin // _DAY
        while True:
            midnight = day * _DAY
            if midnight >= wall_end:
                return
            if day + _EPOCH_ORDINAL not in self._holiday_ordinals:
                for first, last in self._hours_micros[(day + _EPOCH_WEEKDAY) % 7]:
                    low = max(midnight + first, wall_begin)
                    high = min(midnight + last, wall_end)
                    if low < high:
                        yield low - shift, high - shift
            day += 1

    def _plain_week(self, begin: datetime, end: datetime, offset: timedelta) -> bool:
        """True when ``[begin, end)`` is a whole week of one offset touching no holiday:
        then it holds exactly :attr:`weekly` of working time, wherever it starts."""
        if end - begin != _WEEK:
            return False
        first = (begin.replace(tzinfo=None) + offset).date()
        last = (end.replace(tzinfo=None) + offset).date()
        at = bisect_left(self._holiday_list, first)  # a long holiday list costs log(n)
        return at == len(self._holiday_list) or self._holiday_list[at] > last

    # --- identity ------------------------------------------------------------------------

    def _key(self) -> tuple[object, ...]:
        return (self.name, self.zone_name, self.hours, self.holidays)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Calendar) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        hours = "; ".join(self.describe_hours()) or "no hours"
        return f"Calendar({self.name!r}, {self.zone_name}, {hours}, {len(self.holidays)} holidays)"


def _later(start: datetime) -> datetime:
    """``start + HORIZON``, or the last representable instant if that is further."""
    try:
        return start + HORIZON
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def _segments(
    zone: tzinfo, start: datetime, until: datetime
) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """``[start, until)`` (UTC) cut where ``zone``'s UTC offset changes, and at least every
    week: (begin, end, offset) with a constant offset in each."""
    begin = start
    while begin < until:
        offset = _offset(zone, begin)
        end = min(until, _next_change(zone, begin), _add_week(begin))
        yield begin, end, offset
        begin = end


def _add_week(instant: datetime) -> datetime:
    try:
        return instant + _WEEK
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def _offset(zone: tzinfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None  # a zone always gives an offset for an aware time
    return offset


def _next_change(zone: tzinfo, after: datetime) -> datetime:
    """The first instant after ``after`` at which ``zone`` changes its UTC offset (the
    last representable instant when it never does within this year and the next)."""
    for year in (after.year, after.year + 1):
        for change in _changes(zone, year):
            if change > after:
                return change
    return _add_week(after)


@lru_cache(maxsize=1024)
def _changes(zone: tzinfo, year: int) -> tuple[datetime, ...]:
    """The instants (UTC) in ``year`` at which ``zone`` changes its UTC offset, found once
    per zone and year: probed every few hours, then bisected to the microsecond."""
    if year >= MAXYEAR:
        return ()  # the last representable year: offsets are taken as they stand
    low = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    found = []
    offset = _offset(zone, low)
    while low < end:
        high = min(low + _PROBE, end)
        high_offset = _offset(zone, high)
        if high_offset != offset:
            change = _bisect(zone, low, high, offset)
            found.append(change)
            low, offset = change, _offset(zone, change)
            continue
        low = high
    return tuple(c for c in found if c < end)


def _bisect(zone: tzinfo, low: datetime, high: datetime, offset: timedelta) -> datetime:
    # Invariant: the offset at low is ``offset``, at high it is not.
    while high - low > timedelta(microseconds=1):
        middle = low + (high - low) // 2
        if _offset(zone, middle) == offset:
            low = middle
        else:
            high = middle
    return high


def offset_changes(zone: tzinfo, year: int) -> tuple[tuple[datetime, timedelta, timedelta], ...]:
    """The daylight-saving (and other) changes of ``zone`` in ``year``: (instant in UTC,
    offset before, offset after) for each."""
    return tuple(
        (change, _offset(zone, change - timedelta(microseconds=1)), _offset(zone, change))
        for change in _changes(zone, year)
    )


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a time zone), got {value!r}")


ALWAYS = Calendar(ALWAYS_NAME, UTC, (_FULL_DAY,) * len(DAY_NAMES))
"""The built-in calendar: every minute counts, business time is elapsed time."""
