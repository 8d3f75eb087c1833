"""What happens to an incident opened at a given moment if nobody acts: its timeline.

:func:`simulate` opens one incident at a level on a simulated clock set to that moment,
lets time pass with the drills' :func:`~incidentflow.engine.simclock.advance_and_tick`
(so each timer fires at its own instant and its transitions are followed), and lists
every SLA deadline and timer firing in order, with the elapsed and the working time
since the opening. Action handlers do nothing: the timeline shows what would be asked
for. ``incidentflow simulate`` prints it (see docs/time.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from incidentflow.audit.metrics import incident_metrics
from incidentflow.calendars import Calendar
from incidentflow.compiler.process import Process
from incidentflow.drill.scenarios.model import Scenario
from incidentflow.drill.scenarios.run import play_scenario
from incidentflow.engine.deadlines import Deadline
from incidentflow.engine.engine import TIMER, Engine
from incidentflow.engine.simclock import SimulatedClock, advance_and_tick
from incidentflow.spec.durations import format_duration

DEFAULT_SPAN = timedelta(days=7)
"""How long ``simulate`` lets time pass unless told otherwise."""


@dataclass(frozen=True, slots=True)
class Moment:
    """One line of the timeline."""

    at: datetime  # UTC
    kind: str  # opened | sla | timer | transition
    name: str
    state: str
    text: str
    elapsed: timedelta
    working: timedelta  # in the level's SLA calendar


@dataclass(frozen=True, slots=True)
class Simulation:
    """The timeline of one incident left alone, from ``opened_at`` to ``until``."""

    process: str
    version: str
    severity: str
    opened_at: datetime
    until: datetime
    zone: tzinfo
    calendar: Calendar
    timeline: tuple[Moment, ...]
    pending: tuple[Deadline, ...] = field(default=())  # falling due after ``until``
    final_state: str = ""
    scenario: str = ""  # the scenario people act by; "" when nobody acts

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (times ISO 8601 in UTC and in the chosen zone; durations in
        seconds)."""
        return {
            "process": self.process,
            "version": self.version,
            "severity": self.severity,
            "opened_at": self.opened_at.isoformat(),
            "until": self.until.isoformat(),
            "time_zone": getattr(self.zone, "key", str(self.zone)),
            "calendar": {
                "name": self.calendar.name,
                "time_zone": self.calendar.zone_name,
                "hours": self.calendar.describe_hours(),
                "holidays": [d.isoformat() for d in sorted(self.calendar.holidays)],
            },
            "timeline": [
                {
                    "at": m.at.isoformat(),
                    "local": m.at.astimezone(self.zone).isoformat(),
                    "kind": m.kind,
                    "name": m.name,
                    "state": m.state,
                    "text": m.text,
                    "elapsed_seconds": m.elapsed.total_seconds(),
                    "working_seconds": m.working.total_seconds(),
                }
                for m in self.timeline
            ],
            "pending": [d.as_dict() for d in self.pending],
            "final_state": self.final_state,
            "scenario": self.scenario or None,
        }

    def text(self) -> str:
        """The timeline as a table, times on the wall clock of the chosen zone."""
        zone_name = getattr(self.zone, "key", str(self.zone))
        lines = [
            f"{self.process} {self.version}: a {self.severity} incident opened "
            f"{_when(self.opened_at, self.zone)} ({zone_name}), "
            + (
                f"people acting as scenario '{self.scenario}' says"
                if self.scenario
                else "nobody acting"
            )
            + f", until {_when(self.until, self.zone)}",
            _calendar_line(self.severity, self.calendar),
            "",
            f"{'when (' + zone_name + ')':<28} {'elapsed':>10} {'working':>10}  what",
        ]
        for m in self.timeline:
            lines.append(
                f"{_when(m.at, self.zone):<28} {format_duration(m.elapsed):>10} "
                f"{format_duration(m.working, days=False):>10}  {m.text}"
            )
        lines.append("")
        lines.append(f"at the end: in '{self.final_state}'")
        for d in self.pending:
            what = f"timer '{d.name}'" if d.kind == "timer" else f"SLA {d.name}"
            lines.append(f"  still to come: {what}, due {_when(d.due, self.zone)} ({d.calendar})")
        return "\n".join(lines) + "\n"


def _when(at: datetime, zone: tzinfo) -> str:
    return at.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")


def _calendar_line(level: str, calendar: Calendar) -> str:
    if calendar.counts_every_minute:
        return f"{level} SLAs count every minute (calendar 'always')"
    hours = "; ".join(calendar.describe_hours())
    holidays = f"; {len(calendar.holidays)} holidays" if calendar.holidays else ""
    return f"{level} SLAs count working time in '{calendar.name}' ({calendar.zone_name}: {hours}{holidays})"


def simulate(
    process: Process,
    level: str,
    opened_at: datetime,
    span: timedelta = DEFAULT_SPAN,
    zone: tzinfo = UTC,
) -> Simulation:
    """Open an incident of ``process`` at ``level`` at ``opened_at`` (aware) and let ``span``
    pass with nobody acting. KeyError for an unknown level."""
    process.level(level)  # KeyError before anything runs
    start = opened_at.astimezone(UTC)
    until = start + span
    clock = SimulatedClock(start)
    engine = Engine(process, clock=clock, handlers=dict.fromkeys(process.spec.actions, _nothing))
    incident = engine.open(process.name, severity=level, title="simulated incident")
    calendar = process.sla_calendar(level)
    slas = [d for d in engine.deadlines(incident.id) if d.kind == "sla" and d.due <= until]
    events = advance_and_tick(engine, clock, until=until)

    def moment(at: datetime, kind: str, name: str, state: str, text: str) -> Moment:
        at = at.astimezone(UTC)
        return Moment(at, kind, name, state, text, at - start, calendar.working_time(start, at))

    state = incident.state
    timeline = [
        moment(start, "opened", level, state, f"opened at {level} in '{state}'"),
        *(moment(d.due, "sla", d.name, "", _sla_text(process, level, d)) for d in slas),
    ]
    for event in events:
        if event.kind == "timer_fired":
            name = event.data["timer"]
            text = f"timer '{name}' of '{state}' fires{_actions(event.data.get('actions', ()))}"
            if "transition_skipped" in event.data:
                text += f" (its transition is skipped: {event.data['transition_skipped']})"
            timeline.append(moment(event.at, "timer", name, state, text))
        elif event.kind == "transitioned":
            state = event.data["to"]
            text = f"'{event.data['transition']}' moves it to '{state}'"
            text += _actions(event.data.get("actions", ()))
            timeline.append(moment(event.at, "transition", event.data["transition"], state, text))
    order = {"opened": 0, "transition": 2, "timer": 1, "sla": 3}
    return Simulation(
        process.name,
        process.version,
        level,
        start,
        until,
        zone,
        calendar,
        tuple(sorted(timeline, key=lambda m: (m.at, order[m.kind]))),
        tuple(d for d in engine.deadlines(incident.id) if d.due > until),
        state,
    )


def simulate_scenario(
    process: Process,
    scenario: Scenario,
    opened_at: datetime | None = None,
    span: timedelta = DEFAULT_SPAN,
    zone: tzinfo | None = None,
) -> Simulation:
    """The timeline of the incident ``scenario`` drives, with its start moved to
    ``opened_at`` (default: the scenario's own), people acting as its steps say, then
    nobody until ``span`` after the start: every move, timer and severity change, and
    each SLA met or breached, with elapsed and working time, shown in ``zone`` (default:
    the zone of the calendar its level's SLAs count in). ValueError when the scenario
    opens no incident (or is for another process)."""
    if scenario.process not in (None, process.name):
        raise ValueError(f"the scenario is for process {scenario.process!r}, not {process.name!r}")
    if opened_at is not None:
        scenario = replace(scenario, start=opened_at.astimezone(UTC))
    _, engine, clock, incident_id = play_scenario(process, scenario)
    if incident_id is None:
        raise ValueError(f"scenario '{scenario.name}' opens no incident")
    events = engine.history(incident_id)
    start = events[0].at
    until = max(start + span, clock.now)
    advance_and_tick(engine, clock, until=until)  # then nobody acts
    events = engine.history(incident_id)
    level = events[0].data["severity"]
    calendar = process.sla_calendar(level)

    def moment(at: datetime, kind: str, name: str, state: str, text: str) -> Moment:
        at = at.astimezone(UTC)
        return Moment(at, kind, name, state, text, at - start, calendar.working_time(start, at))

    state = events[0].data["state"]
    timeline = [moment(start, "opened", level, state, f"opened at {level} in '{state}'")]
    for event in events[1:]:
        data = event.data
        if event.kind == "timer_fired":
            text = f"timer '{data['timer']}' of '{state}' fires{_actions(data.get('actions', ()))}"
            timeline.append(moment(event.at, "timer", data["timer"], state, text))
        elif event.kind == "transitioned":
            state = data["to"]
            who = "" if event.actor == TIMER else f"{event.actor}: "
            text = f"{who}'{data['transition']}' moves it to '{state}'"
            text += " (SLA clocks paused)" if data.get("sla_paused") else ""
            text += " (SLA clocks run again)" if data.get("sla_resumed") else ""
            timeline.append(moment(event.at, "transition", data["transition"], state, text))
        elif event.kind == "severity_changed":
            text = f"{event.actor}: severity {data['old']} -> {data['new']}"
            timeline.append(moment(event.at, "severity", data["new"], state, text))
    timeline += _sla_outcomes(process, engine, incident_id, until, moment)
    order = {"opened": 0, "severity": 1, "timer": 1, "transition": 2, "sla": 3}
    return Simulation(
        process.name,
        process.version,
        level,
        start,
        until,
        zone if zone is not None else calendar.zone,
        calendar,
        tuple(sorted(timeline, key=lambda m: (m.at, order[m.kind]))),
        tuple(d for d in engine.deadlines(incident_id) if d.due > until),
        state,
        scenario.name,
    )


def _sla_outcomes(
    process: Process, engine: Engine, incident_id: str, until: datetime, moment: Any
) -> list[Moment]:
    """Each SLA clock's outcome: met or breached at its milestone, or run out unmet."""
    events = engine.history(incident_id)
    start, level = events[0].at, events[0].data["severity"]
    calendar = process.sla_calendar(level)
    measured = incident_metrics(list(events), until, calendar)
    reached = {
        "acknowledge_within": measured.time_to_acknowledge,
        "resolve_within": measured.time_to_resolve,
    }
    running = {d.name: d for d in engine.deadlines(incident_id) if d.kind == "sla"}
    out = []
    for name, after in reached.items():
        limit = process.level(level).sla(name)
        if limit is None:
            continue
        how = f"{format_duration(limit, days=calendar.counts_every_minute)} in '{calendar.name}'"
        verdict = "breached" if name in measured.breached else "met"
        if after is not None:
            out.append(moment(start + after, "sla", name, "", f"SLA {name} ({how}): {verdict}"))
        elif name in running and running[name].due <= until:
            text = f"SLA {name} ({how}) runs out: breached"
            out.append(moment(running[name].due, "sla", name, "", text))
    return out


def _nothing(*_: object) -> None:
    """An action handler that does nothing: the simulation shows what would be asked."""


def _sla_text(process: Process, level: str, deadline: Deadline) -> str:
    limit = process.level(level).sla(deadline.name)
    how = f"{format_duration(limit, days=deadline.calendar == 'always')} in '{deadline.calendar}'"
    return f"SLA {deadline.name} ({how}) runs out: breached if nobody has acted"


def _actions(planned: Any) -> str:
    calls = [
        p["action"] + "(" + ", ".join(f"{k}={v}" for k, v in p.get("params", {}).items()) + ")"
        for p in planned
    ]
    return f"; asks for {', '.join(calls)}" if calls else ""
