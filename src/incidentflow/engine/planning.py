"""What entering a state or firing a transition sets in motion: timers and actions.

The results are recorded in the event that causes them (as ISO times and plain
dicts), so that replaying the log reproduces them without the spec or a clock.
The facts they come from (a timer's delay at a level, a level's SLAs) are the
compiled :class:`~incidentflow.compiler.process.Process`'s own tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from incidentflow.compiler.process import Process, due_after
from incidentflow.engine.state import IncidentState
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
    timers = process.timers_at(state, level_id)
    if not timers:
        return {}  # most states run no timer: no set, no loop
    skipped = frozenset(skip)
    return {
        timer.id: due_after(
            process.timer_calendar(state, timer.id, level_id), entered_at, delay
        ).isoformat()
        for timer, delay in timers
        if timer.id not in skipped
    }


def replan_timers(process: Process, incident: IncidentState, level_id: str) -> dict[str, str]:
    """Due times (ISO) of the running timers of ``incident`` once its level becomes
    ``level_id``: timers that have not fired are planned afresh from the state's entry;
    a recurring timer that has fired is next due one new period after the instant it
    last fired for (never, at a level where it does not repeat), its ``max`` counting
    the firings made so far; timers that are done stay done."""
    planned = plan_timers(
        process, incident.state, level_id, incident.state_entered_at, skip=incident.fired_timers
    )
    for timer_id, count in incident.timer_counts.items():
        planned.pop(timer_id, None)
        due = incident.timers.get(timer_id)
        old = process.timer_period(incident.state, timer_id, incident.severity)
        new = process.timer_period(incident.state, timer_id, level_id)
        limit = process.timer(incident.state, timer_id).max
        if due is None or old is None or new is None or (limit is not None and count >= limit):
            continue
        planned[timer_id] = (due - old + new).isoformat()
    return planned


def plan_recurrence(
    process: Process, incident: IncidentState, timer_id: str, now: datetime
) -> dict[str, Any]:
    """What the firing at ``now`` of the due timer ``timer_id`` of ``incident`` records so
    that it recurs: ``{}`` for a timer that fires once, else ``count`` (the instants of
    its schedule used up in this visit, this one included), ``skipped`` (instants that
    had passed too, fired as this one firing rather than in a burst) and ``next`` (ISO;
    absent once ``max`` is reached).

    The work is a division however late the tick is: the next instant is the first of
    the schedule after ``now``.
    """
    period = process.timer_period(incident.state, timer_id, incident.severity)
    if period is None:
        return {}
    due = incident.timers[timer_id]
    done = incident.timer_counts.get(timer_id, 0)
    passed = max(now - due, timedelta(0)) // period + 1
    limit = process.timer(incident.state, timer_id).max
    if limit is not None:
        passed = max(1, min(passed, limit - done))
    count = done + passed
    recorded: dict[str, Any] = {"count": count, "skipped": passed - 1}
    if limit is None or count < limit:
        recorded["next"] = (due + passed * period).isoformat()
    return recorded


def plan_actions(calls: Iterable[ActionCall], origin: str) -> list[dict[str, Any]]:
    """Action invocations as plain data, in order."""
    return [{"action": c.action, "params": dict(c.params), "origin": origin} for c in calls]


def sla_marks(process: Process, entered: str, left: str | None = None) -> dict[str, bool]:
    """What entering ``entered`` (from ``left``) does to the SLA clocks, for its event:
    ``{"sla_paused": True}`` into a state with ``sla: paused``, ``{"sla_resumed": True}``
    out of one into a state without it, else ``{}`` (the audit metrics read the pauses
    from these marks; see :mod:`incidentflow.audit.sla`)."""
    if process.pauses_sla(entered):
        return {"sla_paused": True}
    if left is not None and process.pauses_sla(left):
        return {"sla_resumed": True}
    return {}


def metric_definitions(process: Process) -> dict[str, Any]:
    """The process's ``metrics`` section as recorded in an incident's ``opened`` event
    (``{}`` without one): the audit metrics read what counts as acknowledged, mitigated
    and resolved from the log, under the version the incident was opened with."""
    metrics = process.spec.metrics
    if metrics is None:
        return {}
    defined = metrics.model_dump(exclude_none=True)
    return {"metrics": {name: {k: list(v) for k, v in m.items()} for name, m in defined.items()}}
