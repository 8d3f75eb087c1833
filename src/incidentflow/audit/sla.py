"""SLA clocks: how much of a span counts against an SLA, given the pauses and a clock.

An SLA clock (time to acknowledge, time to resolve) runs from the opening of an
incident. It stops while the incident is in a state with ``sla: paused`` and counts
only the time its :class:`WorkingTime` counts: by default every second
(:data:`WALL_CLOCK`); a business-hours calendar (any object with ``working_time``
and ``add``, such as the spec's calendars) counts working time only.

:func:`sla_elapsed` is the one computation of SLA time: the metrics' breaches go
through it, and :func:`sla_due` is its inverse (the instant an SLA falls due).
:func:`sla_pauses` reads the pauses from an incident's events, so that a deadline
(``sla_due(opened_at, limit, sla_pauses(history), calendar)``) needs only the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from incidentflow.audit.events import Event

Pause = tuple[datetime, datetime | None]
"""A span during which the SLA clocks stood still: (start, end), end None while it lasts."""


class WorkingTime(Protocol):
    """What counts as time on an SLA clock (a calendar's working time, or every second)."""

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """The time that counts between ``start`` and ``end`` (zero if end <= start)."""
        ...

    def add(self, start: datetime, working: timedelta) -> datetime:
        """The instant at which ``working`` counted time has passed since ``start``."""
        ...


@dataclass(frozen=True, slots=True)
class WallClock:
    """Every second counts."""

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """``end - start`` (zero if end <= start)."""
        return max(end - start, timedelta(0))

    def add(self, start: datetime, working: timedelta) -> datetime:
        """``start + working``."""
        return start + working


WALL_CLOCK: WorkingTime = WallClock()
"""The default clock: every second counts (what ``calendar: always`` means)."""


def sla_pauses(events: Iterable[Event]) -> list[Pause]:
    """The spans an incident's SLA clocks stood still, read from its events (in seq
    order): from the event entering a state with ``sla: paused`` (``sla_paused`` in its
    data) to the next move into a state without it; the last is open (end None) while
    the incident is still there. Times never run backwards (an event is read as no
    earlier than the one before it, as the engine writes them)."""
    pauses: list[Pause] = []
    since: datetime | None = None
    at: datetime | None = None
    for event in events:
        if event.kind not in ("opened", "transitioned"):
            continue
        at = event.at if at is None else max(at, event.at)
        paused = bool(event.data.get("sla_paused"))
        if since is not None and not paused:
            pauses.append((since, at))
            since = None
        elif since is None and paused:
            since = at
    if since is not None:
        pauses.append((since, None))
    return pauses


def merged(pauses: Iterable[Pause], now: datetime) -> list[tuple[datetime, datetime]]:
    """The pauses in order, overlapping ones joined, an open one ending at ``now``."""
    spans = sorted((start, now if end is None else end) for start, end in pauses)
    out: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def sla_elapsed(
    start: datetime,
    end: datetime,
    pauses: Iterable[Pause] = (),
    clock: WorkingTime = WALL_CLOCK,
) -> timedelta:
    """The SLA time between ``start`` and ``end``: the time ``clock`` counts, minus the
    part of it that falls in ``pauses`` (an open pause lasts until ``end``)."""
    if end <= start:
        return timedelta(0)
    total = clock.working_time(start, end)
    for p_start, p_end in merged(pauses, end):
        lo, hi = max(p_start, start), min(p_end, end)
        if lo < hi:
            total -= clock.working_time(lo, hi)
    return max(total, timedelta(0))


def sla_due(
    start: datetime,
    limit: timedelta,
    pauses: Sequence[Pause] = (),
    clock: WorkingTime = WALL_CLOCK,
) -> datetime | None:
    """The instant at which ``limit`` of SLA time has passed since ``start``, given the
    pauses known so far (None while the clock stands still in an open pause that starts
    before that instant): the inverse of :func:`sla_elapsed`."""
    ended = [(p_start, p_end) for p_start, p_end in pauses if p_end is not None]
    cursor, remaining = start, limit
    for p_start, p_end in merged(ended, start):
        if p_end <= cursor:
            continue
        if p_start > cursor:
            due = clock.add(cursor, remaining)
            if due <= p_start:
                return due
            remaining -= clock.working_time(cursor, p_start)
        cursor = p_end
    due = clock.add(cursor, remaining)
    still_open = [p_start for p_start, p_end in pauses if p_end is None]
    if still_open and min(still_open) < due:
        return None  # paused now: the deadline moves on for as long as the pause lasts
    return due
