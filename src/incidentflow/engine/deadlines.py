"""The clocks running on an incident: its SLA deadlines and its timers, with due times.

What :meth:`Engine.deadlines <incidentflow.engine.engine.Engine.deadlines>` answers, and
``incidentflow simulate`` prints. An SLA clock (``acknowledge_within``,
``resolve_within``) starts when the incident opens and runs until the milestone it
measures is reached, as :mod:`incidentflow.audit.metrics` defines it (the one
definition of "acknowledged" and "resolved"); it counts in the calendar of the
incident's current level. A timer runs from the entry into its state until it fires
or the incident leaves the state, with the due time planned when it started.
``update_every`` is a period, not a clock that runs out: timers name it
(``after: update_every``) and show up as timers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from incidentflow.audit.events import Event
from incidentflow.audit.metrics import incident_metrics
from incidentflow.audit.sla import sla_due, sla_pauses
from incidentflow.compiler.process import Process
from incidentflow.engine.state import IncidentState

SLA_CLOCKS: tuple[str, ...] = ("acknowledge_within", "resolve_within")
"""The SLAs that run as clocks from the opening until their milestone."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """One running clock of an incident and when it falls due.

    ``kind`` is ``"sla"`` (``name`` is the SLA field) or ``"timer"`` (``name`` is the
    timer id, ``state`` its state). ``due`` is an aware datetime in UTC; ``calendar`` is
    the calendar the clock counts in (``always``: every minute); ``paused`` is True while
    the incident is in a state where SLA clocks stop (``sla: paused``).
    """

    kind: Literal["sla", "timer"]
    name: str
    due: datetime
    calendar: str
    paused: bool = False
    state: str | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (``due`` as ISO 8601)."""
        return {
            "kind": self.kind,
            "name": self.name,
            "due": self.due.isoformat(),
            "calendar": self.calendar,
            "paused": self.paused,
            "state": self.state,
        }


def running_deadlines(
    process: Process, state: IncidentState, events: Sequence[Event], now: datetime
) -> tuple[Deadline, ...]:
    """The clocks running on the incident whose fold is ``state`` (``events`` are its log)
    at ``now``, soonest first. A closed incident has none.

    An SLA clock counts in its level's calendar and stands still while the incident is
    in a state with ``sla: paused`` (:func:`incidentflow.audit.sla.sla_due`, the one
    SLA arithmetic). While it is paused, its ``due`` is when it would fall due were the
    pause to end at ``now``: the soonest it can."""
    if state.closed:
        return ()
    found: list[Deadline] = []
    if state.severity in process.level_ids and events:
        reached = _milestones(events, state)
        calendar = process.sla_calendar(state.severity)
        pauses = sla_pauses(events)
        paused = any(end is None for _, end in pauses)
        if paused:
            pauses = [(start, now if end is None else end) for start, end in pauses]
        for field in SLA_CLOCKS:
            limit = process.level(state.severity).sla(field)
            if limit is None or reached[field]:
                continue
            due = sla_due(state.opened_at, limit, pauses, calendar)
            if due is not None:
                found.append(Deadline("sla", field, due.astimezone(UTC), calendar.name, paused))
    for timer_id, due in state.timers.items():
        found.append(
            Deadline(
                "timer",
                timer_id,
                due.astimezone(UTC),
                _timer_calendar(process, state, timer_id),
                state=state.state,
            )
        )
    return tuple(sorted(found, key=lambda d: (d.due, d.kind, d.name)))


def _milestones(events: Sequence[Event], state: IncidentState) -> dict[str, bool]:
    """Which SLA milestones the incident has reached, by the metrics' definition."""
    measured = incident_metrics(list(events), state.last_at or state.opened_at)
    return {
        "acknowledge_within": measured.time_to_acknowledge is not None,
        "resolve_within": measured.time_to_resolve is not None,
    }


def _timer_calendar(process: Process, state: IncidentState, timer_id: str) -> str:
    try:
        return process.timer_calendar(state.state, timer_id, state.severity).name
    except KeyError:  # a version of the process without this state, timer or level
        return "unknown"
