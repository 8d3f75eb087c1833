"""Calendar checks (IF140-IF148, IF320): working-time calendars and what counts in them.

A calendar's time zone must exist, its hours must read and hold some working time, and a
range the clocks jump over or go through twice is pointed out with its date. Levels and
timers must name calendars that exist, their durations must fit in the calendar, and a
timer in business time that nobody can pre-empt is pointed out with an example wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise

from incidentflow.calendars import (
    ALWAYS_NAME,
    DAY_NAMES,
    HORIZON,
    Calendar,
    offset_changes,
    parse_days,
    parse_range,
    time_zone,
)
from incidentflow.calendars.hours import EmptyRange, Range, merge
from incidentflow.compiler.context import CheckContext
from incidentflow.compiler.process import due_after, first_delay_at, timer_calendar_name
from incidentflow.spec.durations import format_duration
from incidentflow.spec.models import SLA_FIELDS, CalendarDef, Level, Timer
from incidentflow.spec.yamlread import Path
from incidentflow.suggest import did_you_mean

DST_YEARS = 3
"""Daylight-saving changes are looked for in this many years from the current one."""

EXAMPLE_WEEK = datetime(2026, 1, 12)
"""The Monday of the ordinary week (wall clock) in which IF320 finds its example."""


@dataclass(frozen=True, slots=True)
class _Hour:
    """One hour range as written: where, its weekdays and minutes."""

    path: Path
    text: str
    days: tuple[int, ...]
    minutes: Range


def check_calendars(ctx: CheckContext) -> None:
    """Run every calendar check (the later ones on the calendars that are sound)."""
    built: dict[str, Calendar] = {}
    for name, definition in ctx.spec.calendars.items():
        calendar = _check_definition(ctx, name, definition)
        if calendar is not None:
            built[name] = calendar
    calendar_references(ctx)
    durations_fit_calendars(ctx, built)
    business_time_waits(ctx, built)


def _check_definition(ctx: CheckContext, name: str, definition: CalendarDef) -> Calendar | None:
    sound = builtin_calendar_redefined(ctx, name)
    zone = unknown_time_zone(ctx, name, definition)
    hours = list(_hours(ctx, name, definition))
    sound = sound and zone is not None and len(hours) == _written_ranges(definition)
    by_day: list[list[_Hour]] = [[] for _ in DAY_NAMES]
    for hour in hours:
        for day in hour.days:
            by_day[day].append(hour)
    overlapping_hours(ctx, by_day)
    if sound and not any(by_day):
        no_working_time(ctx, name)
        return None
    if zone is None or not sound:
        return None
    week = tuple(merge(h.minutes for h in day) for day in by_day)
    calendar = Calendar(name, zone, week, definition.holidays)
    daylight_saving_hours(ctx, calendar, hours)
    return calendar


def builtin_calendar_redefined(ctx: CheckContext, name: str) -> bool:
    """IF147: a calendar may not be called ``always``: that one is built in."""
    if name != ALWAYS_NAME:
        return True
    ctx.report(
        "IF147",
        ("calendars", name),
        f"'{ALWAYS_NAME}' is the built-in calendar in which every minute counts",
        hint="give this calendar another name (office_hours, uk_office, ...)",
        at="key",
    )
    return False


def unknown_time_zone(ctx: CheckContext, name: str, definition: CalendarDef) -> tzinfo | None:
    """IF140: a calendar's ``timezone`` is an IANA time zone name."""
    try:
        return time_zone(definition.timezone)
    except ValueError as exc:
        message, _, hint = str(exc).partition("; ")
        ctx.report("IF140", ("calendars", name, "timezone"), message, hint=hint)
        return None


def _written_ranges(definition: CalendarDef) -> int:
    return sum(1 if isinstance(v, str) else len(v) for v in definition.hours.values())


def _hours(ctx: CheckContext, name: str, definition: CalendarDef) -> Iterator[_Hour]:
    """IF141 (a weekday key or hour range that does not read) and IF142 (an empty range):
    the ranges that read, each with its days."""
    for key, value in definition.hours.items():
        key_path: Path = ("calendars", name, "hours", key)
        try:
            days = parse_days(key)
        except ValueError as exc:
            ctx.report("IF141", key_path, str(exc), hint=_DAYS_HINT, at="key")
            continue
        written = (
            [(key_path, value)]
            if isinstance(value, str)
            else [((*key_path, i), text) for i, text in enumerate(value)]
        )
        for path, text in written:
            try:
                minutes = parse_range(text)
            except EmptyRange as exc:
                ctx.report("IF142", path, str(exc), hint="write the end after the start")
                continue
            except ValueError as exc:
                ctx.report("IF141", path, str(exc), hint="write HH:MM-HH:MM, such as 09:00-17:30")
                continue
            yield _Hour(path, text, days, minutes)


_DAYS_HINT = "weekdays are mon, tue, wed, thu, fri, sat, sun; a range is written mon-fri"


def overlapping_hours(ctx: CheckContext, by_day: list[list[_Hour]]) -> None:
    """IF143: two hour ranges of one weekday overlap (warning: the time counts once)."""
    reported: set[Path] = set()
    for day, hours in enumerate(by_day):
        # one sweep in order of start: each range is compared with the one reaching
        # furthest before it, so thousands of ranges cost n log n, one report each
        reach: _Hour | None = None
        for hour in sorted(hours, key=lambda h: h.minutes):
            overlapping = reach is not None and hour.minutes[0] < reach.minutes[1]
            if reach is not None and overlapping and hour.path not in reported:
                reported.add(hour.path)
                ctx.report(
                    "IF143",
                    hour.path,
                    f"hour range '{hour.text}' overlaps '{reach.text}' on {DAY_NAMES[day]}: "
                    "the time they share counts once",
                    hint="merge them into one range, or fix the one that is wrong",
                    notes=[ctx.note_at(reach.path, f"'{reach.text}' is here")],
                )
            if reach is None or hour.minutes[1] > reach.minutes[1]:
                reach = hour


def no_working_time(ctx: CheckContext, name: str) -> None:
    """IF144: a calendar with no working time at all (nothing would ever be due)."""
    ctx.report(
        "IF144",
        ("calendars", name, "hours"),
        f"calendar '{name}' has no working time: a deadline counted in it would never fall due",
        hint='give at least one weekday some hours, such as mon-fri: ["09:00-17:30"]',
    )


def daylight_saving_hours(ctx: CheckContext, calendar: Calendar, hours: list[_Hour]) -> None:
    """IF145: an hour range the clocks jump over or go through twice on some date (warning,
    naming the first such date from this year on)."""
    first_year = date.today().year
    changes = [
        c
        for y in range(first_year, first_year + DST_YEARS)
        for c in offset_changes(calendar.zone, y)
    ]
    for hour in hours:
        found = [
            hit for change in changes if (hit := _dst_hit(calendar, hour, *change)) is not None
        ]
        if not found:
            continue
        day, how, part, counts = found[0]
        more = (
            f" (and on {len(found) - 1} more dates by {first_year + DST_YEARS - 1})"
            if len(found) > 1
            else ""
        )
        ctx.report(
            "IF145",
            hour.path,
            f"hour range '{hour.text}' {how} of {calendar.zone_name} on {day.isoformat()} "
            f"({DAY_NAMES[day.weekday()]}): {part}, so that day it counts {counts}{more}",
            hint="move the range clear of the change, or accept the shorter or longer day",
        )


def _dst_hit(
    calendar: Calendar, hour: _Hour, at: datetime, before: timedelta, after: timedelta
) -> tuple[date, str, str, str] | None:
    """Whether the offset change at ``at`` (UTC) cuts ``hour``: the date, what happens."""
    wall_at = at.replace(tzinfo=None)
    low, high = sorted((wall_at + before, wall_at + after))
    day = low.date()
    if day.weekday() not in hour.days or day in calendar.holidays:
        return None
    midnight = datetime.combine(day, time())
    start = midnight + timedelta(minutes=hour.minutes[0])
    end = midnight + timedelta(minutes=hour.minutes[1])
    shared = min(end, high) - max(start, low)
    if shared <= timedelta(0):
        return None
    span = f"{low:%H:%M}-{high:%H:%M}"
    length = end - start
    if after > before:
        return (
            day,
            "falls in the daylight-saving gap",
            f"{span} does not exist",
            _short(length - shared),
        )
    return (
        day,
        "falls in the daylight-saving overlap",
        f"{span} happens twice",
        _short(length + shared),
    )


def _short(value: timedelta) -> str:
    return format_duration(value) if value > timedelta(0) else "nothing"


def calendar_references(ctx: CheckContext) -> None:
    """IF146: a level or a timer names a calendar that is not defined."""
    defined = [ALWAYS_NAME, *ctx.spec.calendars]
    places: list[tuple[Path, str | None]] = [
        (("severity", "levels", i, "calendar"), lv.calendar)
        for i, lv in enumerate(ctx.spec.severity.levels)
    ]
    for sid, state in ctx.spec.process.states.items():
        places += [
            (("process", "states", sid, "timers", ti, "calendar"), t.calendar)
            for ti, t in enumerate(state.timers)
        ]
    for path, name in places:
        if name is not None and name not in defined:
            ctx.report(
                "IF146",
                path,
                f"unknown calendar '{name}'",
                hint=did_you_mean(name, defined, "Calendars"),
            )


def durations_fit_calendars(ctx: CheckContext, built: dict[str, Calendar]) -> None:
    """IF148: a duration counted in a calendar must fall due within the arithmetic's horizon
    (20 years): 365 days of working time in a calendar open one hour a week would not."""
    for i, level in enumerate(ctx.spec.severity.levels):
        calendar = built.get(level.calendar or "")
        for field in SLA_FIELDS:
            value = level.sla(field)
            if calendar is not None and value is not None:
                _fits(ctx, ("severity", "levels", i, field), calendar, value)
    for sid, state in ctx.spec.process.states.items():
        for ti, timer in enumerate(state.timers):
            if timer.calendar is None or timer.calendar not in built:
                continue
            delays = {d for lv in ctx.spec.severity.levels if (d := first_delay_at(timer, lv))}
            if delays:
                path: Path = ("process", "states", sid, "timers", ti, "after")
                _fits(ctx, path, built[timer.calendar], max(delays))


def _fits(ctx: CheckContext, path: Path, calendar: Calendar, value: timedelta) -> None:
    weeks = value / calendar.weekly
    span = timedelta(weeks=weeks + 1, days=len(calendar.holidays))
    if span > HORIZON:
        ctx.report(
            "IF148",
            path,
            f"{format_duration(value)} of working time in calendar '{calendar.name}' "
            f"({format_duration(calendar.weekly)} a week) takes about {weeks / 52:.0f} years",
            hint=f"shorten it, or count it in a calendar with more hours (at most "
            f"{HORIZON.days // 365} years ahead are searched)",
        )


def business_time_waits(ctx: CheckContext, built: dict[str, Calendar]) -> None:
    """IF320: a timer counting business time in a state nobody can leave but the timers
    (warning: an incident entering it after hours waits for the next working day)."""
    spec = ctx.spec
    people_exit = {s for t in spec.process.transitions if t.by for s in t.sources}
    for sid, state in spec.process.states.items():
        if state.terminal or sid in people_exit:
            continue
        for ti, timer in enumerate(state.timers):
            example = _first_business_wait(timer, spec.severity.levels, built)
            if example is None:
                continue
            level, calendar, delay = example
            entry, due = _example_wait(calendar, delay)
            ctx.report(
                "IF320",
                ("process", "states", sid, "timers", ti),
                f"timer '{timer.id}' counts {format_duration(delay)} of working time in "
                f"calendar '{calendar.name}' and nobody can move an incident out of '{sid}': "
                f"a {level} that enters it on {entry:%A %H:%M} waits until {due:%A %H:%M} "
                f"({format_duration(due - entry)} later)",
                hint=f"count it in '{ALWAYS_NAME}', or add a transition people may fire from '{sid}'",
            )


def _first_business_wait(
    timer: Timer, levels: tuple[Level, ...], built: dict[str, Calendar]
) -> tuple[str, Calendar, timedelta] | None:
    for level in levels:
        calendar = built.get(timer_calendar_name(timer, level))
        delay = first_delay_at(timer, level)
        if calendar is not None and delay is not None and not calendar.counts_every_minute:
            return level.id, calendar, delay
    return None


def _example_wait(calendar: Calendar, delay: timedelta) -> tuple[datetime, datetime]:
    """An entry after hours in an ordinary week (half an hour into the longest break, or
    its middle if shorter) and when the timer fires, both on the calendar's wall clock."""
    plain = calendar.without_holidays()
    start = EXAMPLE_WEEK.replace(tzinfo=calendar.zone).astimezone(UTC)
    periods = list(plain.working_periods(start, start + timedelta(weeks=2)))
    breaks = [(b[0] - a[1], a[1]) for a, b in pairwise(periods)]
    length, gap_start = max(breaks, default=(timedelta(hours=1), start))
    entry = gap_start + min(timedelta(minutes=30), length / 2)
    return entry.astimezone(calendar.zone), due_after(plain, entry, delay).astimezone(calendar.zone)
