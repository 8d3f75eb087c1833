"""A brute-force oracle for business time: step minute by minute through the calendar.

It shares nothing with :mod:`incidentflow.calendars.calendar` but the parsed hours: each
UTC minute is converted to the calendar's wall clock with zoneinfo and counted when its
weekday's ranges hold that wall-clock minute and its date is no holiday. Every boundary in
the tests falls on a whole minute (zone offsets, including Lord Howe's 30-minute shift,
are whole minutes), so counting minutes is exact.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from incidentflow.calendars import WeekHours

MINUTE = timedelta(minutes=1)


def is_working_minute(
    instant: datetime, zone: ZoneInfo, hours: WeekHours, holidays: frozenset[date]
) -> bool:
    """True when the minute starting at ``instant`` is working time."""
    wall = instant.astimezone(zone)
    if wall.date() in holidays:
        return False
    minute = wall.hour * 60 + wall.minute
    return any(start <= minute < end for start, end in hours[wall.weekday()])


def oracle_add(
    start: datetime,
    working: timedelta,
    zone: ZoneInfo,
    hours: WeekHours,
    holidays: frozenset[date],
    *,
    limit: timedelta = timedelta(days=60),
) -> datetime | None:
    """The end of the minute in which ``working`` minutes of working time are complete."""
    remaining = working // MINUTE
    if remaining == 0:
        return start
    instant, end = start, start + limit
    while instant < end:
        if is_working_minute(instant, zone, hours, holidays):
            remaining -= 1
            if remaining == 0:
                return instant + MINUTE
        instant += MINUTE
    return None


def oracle_working_time(
    start: datetime, end: datetime, zone: ZoneInfo, hours: WeekHours, holidays: frozenset[date]
) -> timedelta:
    """Working minutes in ``[start, end)``."""
    total, instant = 0, start
    while instant < end:
        total += is_working_minute(instant, zone, hours, holidays)
        instant += MINUTE
    return total * MINUTE
