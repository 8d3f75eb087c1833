"""Incident metrics computed from the audit events alone.

What counts as acknowledged, mitigated and resolved is the process's ``metrics``
section, recorded in each incident's ``opened`` event (first entry into one of the
states it lists, or first firing of one of its transitions). A milestone it leaves out
(and every milestone of a process without one) follows the default rule:

- acknowledged: the first transition a person makes (a timer's escalation is not an
  acknowledgement);
- mitigated: the first entry into a state of phase ``resolution``;
- resolved: the first entry into a terminal state or a state of phase ``postmortem``
  or ``closed`` (time spent in a postmortem review after the fix does not count).

Times to acknowledge, mitigate and resolve are wall-clock times from opening. SLA
breaches count SLA time (:func:`~incidentflow.audit.sla.sla_elapsed`): the time spent
in states with ``sla: paused`` (recorded as ``sla_paused`` on the event entering them)
does not count, and a :class:`~incidentflow.audit.sla.WorkingTime` clock may count
working hours only. An acknowledgement or resolution later than the level's
``acknowledge_within`` / ``resolve_within`` (the level in force when the incident was
opened, or as last changed before the milestone) is a breach; so is an incident past
its deadline that has not reached the milestone, up to ``now`` or until it closed
(the clocks stop for good then).

An incident is measured under the version of its process it opened on (``version``,
``digest``); :func:`summarise` with ``by_version`` compares versions (did a change of the
process help?). A migration (``migrated`` event) is a change of state and level, and
brings the new version's SLAs, like a severity change.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from incidentflow.audit.events import Event
from incidentflow.audit.sla import WALL_CLOCK, WorkingTime, sla_elapsed, sla_pauses

if TYPE_CHECKING:  # the audit layer reads events; the compiler is only a type here
    from incidentflow.compiler.process import Process

MILESTONES: tuple[str, ...] = ("acknowledged", "mitigated", "resolved")
"""The milestones an incident's metrics measure, in the order it usually reaches them."""

RESOLVED_PHASES = frozenset({"postmortem", "closed"})
"""Phases whose states count as resolved by default (as terminal states do)."""

_SLA_OF = {"acknowledge_within": "acknowledged", "resolve_within": "resolved"}
_TIMER = "timer"  # the actor of what timers do (engine.inputs.TIMER; the audit layer is below it)


@dataclass(frozen=True, slots=True)
class IncidentMetrics:
    """The timeline of one incident, measured."""

    incident_id: str
    process: str
    severity: str
    state: str
    opened_at: datetime
    time_to_acknowledge: timedelta | None
    time_to_mitigate: timedelta | None
    time_to_resolve: timedelta | None
    time_in_state: dict[str, timedelta]
    breached: tuple[str, ...]  # SLA fields breached: acknowledge_within, resolve_within
    time_paused: timedelta = timedelta(0)  # in states with sla: paused (until closed or now)
    version: str = ""  # the version of the process it opened on (metadata.version)
    digest: str = ""  # ... and that version's digest

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (durations in seconds)."""
        return {
            "incident_id": self.incident_id,
            "process": self.process,
            "version": self.version,
            "severity": self.severity,
            "state": self.state,
            "opened_at": self.opened_at.isoformat(),
            "time_to_acknowledge": _seconds(self.time_to_acknowledge),
            "time_to_mitigate": _seconds(self.time_to_mitigate),
            "time_to_resolve": _seconds(self.time_to_resolve),
            "time_paused": self.time_paused.total_seconds(),
            "time_in_state": {k: v.total_seconds() for k, v in self.time_in_state.items()},
            "breached": list(self.breached),
        }


def reaches(milestone: str, definition: Mapping[str, Any] | None, event: Event) -> bool:
    """Whether ``event`` (``opened`` or ``transitioned``) reaches ``milestone``, by its
    ``metrics`` ``definition`` (``{"enter": [...], "transitions": [...]}``) or, with
    None, by the default rule."""
    data = event.data
    moved = event.kind == "transitioned"
    if definition is not None:
        entered = data["to"] if moved else data["state"]
        return entered in definition.get("enter", ()) or (
            moved and data["transition"] in definition.get("transitions", ())
        )
    if milestone == "acknowledged":
        return moved and event.actor != _TIMER
    if milestone == "mitigated":
        return data.get("phase") == "resolution"
    return bool(data.get("terminal")) or data.get("phase") in RESOLVED_PHASES


def incident_metrics(
    events: list[Event], now: datetime, clock: WorkingTime = WALL_CLOCK
) -> IncidentMetrics:
    """Measure one incident from its events (in seq order); ``now`` ends open intervals.
    ``clock`` says what counts as SLA time (default: every second)."""
    opened = events[0]
    defined: Mapping[str, Any] = opened.data.get("metrics", {})
    severity = opened.data["severity"]
    sla: dict[str, float] = dict(opened.data.get("sla", {}))
    reached: dict[str, datetime] = {}
    sla_at: dict[str, dict[str, float]] = {}
    closed_at = opened.at if opened.data.get("terminal") else None
    in_state: dict[str, timedelta] = defaultdict(timedelta)
    state, entered = opened.data["state"], opened.at

    def mark(event: Event, at: datetime) -> None:
        for name in MILESTONES:
            if name not in reached and reaches(name, defined.get(name), event):
                reached[name], sla_at[name] = at, dict(sla)

    mark(opened, opened.at)
    at = opened.at
    for event in events[1:]:
        # Logs from before the engine kept times in order may run backwards: read them by
        # its rule (an event is never earlier than the one before it), so no duration is < 0.
        at = max(at, event.at)
        if event.kind == "severity_changed":
            severity = event.data["new"]
            sla = dict(event.data.get("sla", {}))
        elif event.kind == "migrated":  # another version: its state's name, level and SLAs
            in_state[state] += at - entered
            state, entered = event.data["to"], at
            severity = event.data["severity"]
            sla = dict(event.data.get("sla", {}))
        elif event.kind == "transitioned":
            in_state[state] += at - entered
            state, entered = event.data["to"], at
            mark(event, at)
            if closed_at is None and event.data.get("terminal"):
                closed_at = at
    pauses = sla_pauses(events)
    stop = closed_at if closed_at is not None else now  # the clocks stop for good at close
    in_state[state] += max((at if closed_at is not None else now) - entered, timedelta(0))
    breached = []
    for name, milestone in _SLA_OF.items():
        limit = sla_at.get(milestone, sla).get(name)
        until = reached.get(milestone, stop)
        if limit is not None and sla_elapsed(opened.at, until, pauses, clock) > timedelta(
            seconds=limit
        ):
            breached.append(name)
    since = {name: reached[name] - opened.at for name in reached}
    return IncidentMetrics(
        opened.incident_id,
        opened.data["process"],
        severity,
        state,
        opened.at,
        since.get("acknowledged"),
        since.get("mitigated"),
        since.get("resolved"),
        dict(in_state),
        tuple(breached),
        max(stop - opened.at, timedelta(0)) - sla_elapsed(opened.at, stop, pauses),
        opened.spec_version,
        opened.spec_digest,
    )


def metrics_by_incident(
    events: Iterable[Event],
    now: datetime,
    *,
    since: datetime | None = None,
    clock_for: Callable[[Event], WorkingTime] | None = None,
) -> list[IncidentMetrics]:
    """Metrics of every incident in ``events`` (grouped by incident, each in seq order),
    in the order they were opened; with ``since``, of those opened at or after it.
    ``clock_for(opened)``: the clock the SLAs of the incident opened by the event
    ``opened`` count in (default: every second counts; see :func:`sla_clocks_from`)."""
    grouped: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        grouped[event.incident_id].append(event)
    out = []
    for evs in grouped.values():
        if not evs or evs[0].kind != "opened" or (since is not None and evs[0].at < since):
            continue
        clock = WALL_CLOCK if clock_for is None else clock_for(evs[0])
        out.append(incident_metrics(evs, now, clock))
    return sorted(out, key=lambda m: (m.opened_at, m.incident_id))


@dataclass(frozen=True, slots=True)
class LevelSummary:
    """Metrics of all incidents at one (process, level)."""

    process: str
    severity: str
    incidents: int
    median_time_to_acknowledge: timedelta | None
    median_time_to_mitigate: timedelta | None
    median_time_to_resolve: timedelta | None
    breaches: dict[str, int] = field(default_factory=dict)
    paused: int = 0  # incidents whose SLA clocks were paused at some time
    median_time_paused: timedelta | None = None  # among those
    version: str = ""  # set when summarised by version

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (durations in seconds; ``version`` when summarised by version)."""
        return {
            "process": self.process,
            **({"version": self.version} if self.version else {}),
            "severity": self.severity,
            "incidents": self.incidents,
            "median_time_to_acknowledge": _seconds(self.median_time_to_acknowledge),
            "median_time_to_mitigate": _seconds(self.median_time_to_mitigate),
            "median_time_to_resolve": _seconds(self.median_time_to_resolve),
            "breaches": self.breaches,
            "paused": self.paused,
            "median_time_paused": _seconds(self.median_time_paused),
        }


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _median(values: list[timedelta | None]) -> timedelta | None:
    known = [v.total_seconds() for v in values if v is not None]
    return timedelta(seconds=statistics.median(known)) if known else None


def version_order(version: str) -> tuple[int, object]:
    """Sorts versions of a process as version numbers (PEP 440); others after, as text."""
    from packaging.version import InvalidVersion, Version

    try:
        return (0, Version(version))
    except InvalidVersion:
        return (1, version)


def summarise(
    metrics: Iterable[IncidentMetrics], *, by_version: bool = False
) -> list[LevelSummary]:
    """Per process and level (and, ``by_version``, per version of the process, oldest
    first): counts, median times and SLA breaches."""
    groups: dict[tuple[str, str, str], list[IncidentMetrics]] = defaultdict(list)
    for m in metrics:
        groups[(m.process, m.version if by_version else "", m.severity)].append(m)

    def order(key: tuple[str, str, str]) -> tuple[str, tuple[int, object], str]:
        return key[0], version_order(key[1]), key[2]

    out = []
    for process, version, severity in sorted(groups, key=order):
        items = groups[(process, version, severity)]
        breaches: dict[str, int] = defaultdict(int)
        for m in items:
            for name in m.breached:
                breaches[name] += 1
        paused: list[timedelta | None] = [m.time_paused for m in items if m.time_paused]
        out.append(
            LevelSummary(
                process,
                severity,
                len(items),
                _median([m.time_to_acknowledge for m in items]),
                _median([m.time_to_mitigate for m in items]),
                _median([m.time_to_resolve for m in items]),
                dict(breaches),
                len(paused),
                _median(paused),
                version,
            )
        )
    return out


def sla_clocks_from(processes: Iterable[Process]) -> Callable[[Event], WorkingTime]:
    """``clock_for`` for :func:`metrics_by_incident`: an incident's SLAs count in the
    calendar of the level it opened at, in the version of its process it opened on (found
    by the digest its events carry); every second counts for a version not among
    ``processes`` (a store that keeps no sources)."""
    by_digest = {process.digest: process for process in processes}

    def clock_for(opened: Event) -> WorkingTime:
        process = by_digest.get(opened.spec_digest)
        level = opened.data.get("severity")
        if process is None or level not in process.level_ids:
            return WALL_CLOCK
        return process.sla_calendar(level)

    return clock_for
