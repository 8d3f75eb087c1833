"""Working hours as spec authors write them: ``mon-fri: ["09:00-17:30"]``.

:func:`parse_days` reads a weekday key (``mon``, ``mon-fri``, ``fri-mon`` wrapping the
weekend); :func:`parse_range` reads an hour range (``09:00-17:30``, up to ``24:00``);
:func:`week_hours` merges a whole ``hours`` mapping into one tuple of ranges per weekday.
Minutes count from local midnight; a range is half-open, ``[start, end)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys, Monday first (index = ``date.weekday()``)."""

MINUTES_A_DAY = 24 * 60

_RANGE = re.compile(r"([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})")

Range = tuple[int, int]
"""Minutes after local midnight: ``(start, end)``, half-open, ``0 <= start < end <= 1440``."""

WeekHours = tuple[tuple[Range, ...], ...]
"""Seven tuples of sorted, disjoint ranges, Monday first."""


def parse_days(key: str) -> tuple[int, ...]:
    """The weekdays (0 = Monday) a key names; ValueError saying why for anything else.

    ``mon``; ``mon-fri``; ``fri-mon`` (wraps round the weekend: fri, sat, sun, mon).
    """
    first, sep, last = key.strip().lower().partition("-")
    names = (first, last) if sep else (first,)
    for name in names:
        if name not in DAY_NAMES:
            raise ValueError(
                f"'{key}' is not a weekday or a range of them: write mon, tue, wed, thu, fri, "
                "sat, sun or a range such as mon-fri"
            )
    start = DAY_NAMES.index(first)
    end = DAY_NAMES.index(last) if sep else start
    return tuple((start + i) % 7 for i in range((end - start) % 7 + 1))


def parse_range(text: str) -> Range:
    """``"09:00-17:30"`` as minutes ``(540, 1050)``; ValueError saying why otherwise.

    Times are ``HH:MM`` from ``00:00`` to ``24:00``; the end must come after the start
    (a range over midnight is two ranges, one on each day).
    """
    match = _RANGE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"'{text}' is not an hour range: write HH:MM-HH:MM, such as 09:00-17:30")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    for hours, minutes in ((h1, m1), (h2, m2)):
        if hours > 24 or minutes > 59 or (hours == 24 and minutes):
            raise ValueError(f"'{text}' has a time that does not exist: times run 00:00 to 24:00")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise EmptyRange(
            f"hour range '{text}' is empty: its end is not after its start (a range over "
            "midnight is two ranges, one ending at 24:00 and one starting at 00:00 the next day)"
        )
    return start, end


class EmptyRange(ValueError):
    """An hour range whose end is not after its start."""


def merge(ranges: Iterable[Range]) -> tuple[Range, ...]:
    """Sorted, disjoint ranges covering the same minutes (touching ranges join)."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def week_hours(hours: Mapping[str, str | Sequence[str]]) -> WeekHours:
    """A whole ``hours`` mapping as one tuple of merged ranges per weekday.

    ValueError (naming the first bad key or range) when the mapping does not parse: the
    compiler reports each defect at its own position before anything gets here.
    """
    days: list[list[Range]] = [[] for _ in DAY_NAMES]
    for key, value in hours.items():
        ranges = [parse_range(v) for v in ([value] if isinstance(value, str) else value)]
        for day in parse_days(key):
            days[day].extend(ranges)
    return tuple(merge(day) for day in days)


def format_minutes(minutes: int) -> str:
    """``540`` as ``09:00`` (``1440`` as ``24:00``)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_range(day_range: Range) -> str:
    """``(540, 1050)`` as ``09:00-17:30``."""
    return f"{format_minutes(day_range[0])}-{format_minutes(day_range[1])}"
