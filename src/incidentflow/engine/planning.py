"""What entering a state or firing a transition sets in motion: timers and actions.

The results are recorded in the event that causes them (as ISO times and plain
dicts), so that replaying the log reproduces them without the spec or a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from incidentflow.compiler.process import Process
from incidentflow.compiler.references import timer_duration_at
from incidentflow.spec.models import SLA_FIELDS, ActionCall, Level, Timer


def level_of(process: Process, level_id: str) -> Level:
    """The level called ``level_id`` (KeyError if the process has none)."""
    for level in process.levels:
        if level.id == level_id:
            return level
    raise KeyError(level_id)


def sla_seconds(process: Process, level_id: str) -> dict[str, float]:
    """The SLA durations of a level, in seconds (recorded with the severity)."""
    level = level_of(process, level_id)
    return {name: level.sla(name).total_seconds() for name in SLA_FIELDS if level.sla(name)}


def timer_delay(process: Process, timer: Timer, level_id: str) -> timedelta | None:
    """How long ``timer`` waits at ``level_id`` (None: it does not run at that level)."""
    level = level_of(process, level_id)
    return timer_duration_at(timer.after, {f: level.sla(f) for f in SLA_FIELDS}, level_id)


def plan_timers(
    process: Process, state: str, level_id: str, entered_at: datetime, skip: Iterable[str] = ()
) -> dict[str, str]:
    """Due times (ISO) of the timers of ``state`` entered at ``entered_at``, minus ``skip``."""
    skipped = set(skip)
    due: dict[str, str] = {}
    for timer in process.states[state].timers:
        if timer.id in skipped:
            continue
        delay = timer_delay(process, timer, level_id)
        if delay is not None:
            due[timer.id] = (entered_at + delay).isoformat()
    return due


def timer(process: Process, state: str, timer_id: str) -> Timer | None:
    """The timer ``timer_id`` of ``state`` (None if this version of the process has none)."""
    return next((t for t in process.states[state].timers if t.id == timer_id), None)


def plan_actions(calls: Iterable[ActionCall], origin: str) -> list[dict[str, Any]]:
    """Action invocations as plain data, in order."""
    return [{"action": c.action, "params": dict(c.params), "origin": origin} for c in calls]
