"""What entering a state or firing a transition sets in motion: timers and actions.

The results are recorded in the event that causes them (as ISO times and plain
dicts), so that replaying the log reproduces them without the spec or a clock.
The facts they come from (a timer's delay at a level, a level's SLAs) are the
compiled :class:`~incidentflow.compiler.process.Process`'s own tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from incidentflow.compiler.process import Process, due_after
from incidentflow.spec.models import SLA_FIELDS, ActionCall


def sla_seconds(process: Process, level_id: str) -> dict[str, float]:
    """The SLA durations of a level, in seconds (recorded with the severity)."""
    level = process.level(level_id)
    return {name: level.sla(name).total_seconds() for name in SLA_FIELDS if level.sla(name)}


def plan_timers(
    process: Process, state: str, level_id: str, entered_at: datetime, skip: Iterable[str] = ()
) -> dict[str, str]:
    """Due times (ISO) of the timers of ``state`` entered at ``entered_at``, minus ``skip``;
    each delay counts in the timer's calendar (business time, see docs/time.md)."""
    skipped = frozenset(skip)
    return {
        timer.id: due_after(
            process.timer_calendar(state, timer.id, level_id), entered_at, delay
        ).isoformat()
        for timer, delay in process.timers_at(state, level_id)
        if timer.id not in skipped
    }


def plan_actions(calls: Iterable[ActionCall], origin: str) -> list[dict[str, Any]]:
    """Action invocations as plain data, in order."""
    return [{"action": c.action, "params": dict(c.params), "origin": origin} for c in calls]
