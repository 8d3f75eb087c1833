"""Markdown handbooks generated from a :class:`~incidentflow.compiler.process.Process`.

A handbook is what responders read: overview, roles, a RACI matrix, severity
levels and SLAs (with the calendars they count in), triggers in plain words, the flowchart (Mermaid), one section
per state and the shortest path to a terminal state at each level. Everything
comes from the spec that runs, in spec order, so the output is deterministic.
This module only returns text; :mod:`incidentflow.publish` writes handbooks to files.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

import networkx as nx

from incidentflow._deprecated import forward, moved
from incidentflow.calendars import ALWAYS_NAME
from incidentflow.engine.authz import fire_roles
from incidentflow.render.handbook_text import condition_english, table, value_text, words
from incidentflow.render.mermaid import to_mermaid
from incidentflow.render.model import Diagram, diagram
from incidentflow.spec.durations import format_duration
from incidentflow.spec.models import SLA_FIELDS, ActionCall, State, Timer, Transition

if TYPE_CHECKING:
    from incidentflow.compiler.process import Process

__all__ = ["condition_english", "handbook", "who_may_fire"]

_NONE = "—"


def _duration(value: timedelta | None) -> str:
    return format_duration(value) if value is not None else _NONE


def _in_spec_order(process: Process, roles: Iterable[str]) -> list[str]:
    wanted = set(roles)
    return [r for r in process.spec.roles if r in wanted]


def _codes(items: Iterable[str]) -> str:
    return ", ".join(f"`{i}`" for i in items)


def who_may_fire(process: Process, tr: Transition) -> str:
    """``by: ...`` for ``tr``: its roles, then the backups that may stand in, level by level
    where policies make them differ. Exactly :func:`~incidentflow.engine.authz.fire_roles`
    at each level the transition's guard admits (the engine enforces that function)."""
    if not tr.by:
        return "by: timers only"
    levels = [lv for lv in process.level_ids if tr.when is None or lv in tr.when.severity]
    stand_ins: dict[tuple[str, ...], list[str]] = {}
    for level in levels:
        extra = fire_roles(process, tr, level) - set(tr.by)
        stand_ins.setdefault(tuple(_in_spec_order(process, extra)), []).append(level)
    text = f"by: {_codes(tr.by)}"
    if list(stand_ins) in ([], [()]):
        return text
    if len(stand_ins) == 1:
        return f"{text}; backups: {_codes(next(iter(stand_ins)))}"
    parts = [f"{_codes(b) or 'none'} (at {', '.join(lvs)})" for b, lvs in stand_ins.items()]
    return f"{text}; backups: {', '.join(parts)}"


def paged_roles(process: Process, calls: Iterable[ActionCall]) -> list[str]:
    """Roles named by role-valued parameters of ``calls``."""
    out: list[str] = []
    for call in calls:
        action = process.spec.actions.get(call.action)
        if action is None:
            continue
        for name, kind in action.params.items():
            value = call.params.get(name)
            if kind == "role" and isinstance(value, str) and value not in out:
                out.append(value)
    return out


def _state_calls(process: Process, sid: str, state: State) -> list[ActionCall]:
    calls = list(state.on_enter)
    for timer in state.timers:
        calls.extend(timer.actions)
    for tr in process.transitions_from.get(sid, ()):
        calls.extend(tr.actions)
    return calls


def _call_text(call: ActionCall) -> str:
    params = ", ".join(f"{k}: {value_text(v)}" for k, v in call.params.items())
    return f"`{call.action}`" + (f" ({params})" if params else "")


def _state_name(process: Process, sid: str) -> str:
    title = process.states[sid].title
    return f"{title} (`{sid}`)" if title else f"`{sid}`"


def _overview(process: Process) -> list[str]:
    meta = process.spec.metadata
    out = [f"# {meta.title or meta.name}", "", "## Overview", ""]
    if meta.description:
        out += [meta.description, ""]
    digest = process.digest.split(":", 1)[-1][:12]
    out += [
        f"- Process: `{meta.name}`",
        f"- Owner: {meta.owner or _NONE}",
        f"- Version: {meta.version}",
        f"- Spec digest: `{digest}`",
        f"- Initial state: {_state_name(process, process.initial)}",
        "",
    ]
    return out


def _roles(process: Process) -> list[str]:
    rows = [
        [
            f"`{rid}`",
            role.title,
            "; ".join(role.responsibilities) or _NONE,
            ", ".join(f"`{b}`" for b in role.backups) or _NONE,
        ]
        for rid, role in process.spec.roles.items()
    ]
    out = ["## Roles", "", *table(["Role", "Title", "Responsibilities", "Backups"], rows), ""]
    separated = [p for p in process.spec.policies if p.distinct_holders]
    if separated:
        out += [
            "Separation of duties: on one incident, nobody acts in two roles of one of these "
            "lists, whether holding them or standing in as a backup "
            "(a backup on the same list never stands in):",
            "",
        ]
        for policy in separated:
            levels = f" at {words(list(policy.for_severity))}" if policy.for_severity else ""
            out.append(f"- {_codes(policy.distinct_holders or ())} (`{policy.id}`{levels})")
        out.append("")
    return out


def _raci(process: Process) -> list[str]:
    states = process.spec.process.states
    letters: dict[tuple[str, str], str] = {}
    for sid, state in states.items():
        firing = {r for t in process.transitions_from.get(sid, ()) for r in fire_roles(process, t)}
        informed = paged_roles(process, _state_calls(process, sid, state))
        for rid in process.spec.roles:
            cell = ("R" if rid in firing else "") + ("A" if rid == state.owner else "")
            cell += "I" if rid in informed else ""
            letters[(rid, sid)] = cell
    # States are rows and roles columns, as in a RACI chart's activities x people: a
    # process has a handful of roles but may have dozens of states, and a table with
    # a column per state would be too wide to read.
    roles = process.spec.roles
    rows = [[_state_name(process, sid), *(letters[(rid, sid)] for rid in roles)] for sid in states]
    return [
        "## RACI matrix",
        "",
        "R: may fire an exit of the state (directly or as a backup, at some level); "
        "A: owns the state; I: paged by an action of the state (on entry, timers or exits).",
        "",
        *table(["State", *(f"`{rid}`" for rid in roles)], rows),
        "",
    ]


def _in_calendar(value: timedelta | None, calendar: str | None) -> str:
    """A duration as it counts: ``4h`` of elapsed time, ``25h30m working`` in a calendar
    (in hours, since a business day is not 24 hours)."""
    if value is None or calendar in (None, ALWAYS_NAME):
        return _duration(value)
    return f"{format_duration(value, days=False)} working"


def _severity(process: Process) -> list[str]:
    scheme = process.spec.severity
    rows = [
        [
            f"`{lv.id}`",
            lv.title or _NONE,
            lv.description or _NONE,
            *(_in_calendar(lv.sla(f), lv.calendar) for f in SLA_FIELDS),
        ]
        for lv in scheme.levels
    ]
    header = ["Level", "Title", "Description", "Acknowledge within", "Update every"]
    header.append("Resolve within")
    if any(lv.calendar not in (None, ALWAYS_NAME) for lv in scheme.levels):
        header.append("SLAs count in")
        for row, lv in zip(rows, scheme.levels, strict=True):
            row.append(f"`{lv.calendar}`" if lv.calendar else f"`{ALWAYS_NAME}`")
    out = ["## Severity levels", "", *table(header, rows), ""]
    if scheme.matrix is not None and scheme.impact and scheme.urgency:
        matrix = scheme.matrix
        grid = [
            [impact, *(matrix.get(impact, {}).get(u, _NONE) for u in scheme.urgency)]
            for impact in scheme.impact
        ]
        out += [
            "### Impact x urgency",
            "",
            *table(["Impact \\ urgency", *scheme.urgency], grid),
            "",
        ]
    return out


def _calendars(process: Process) -> list[str]:
    """Working hours, for a process whose SLAs or timers count business time."""
    if not process.calendars:
        return []
    rows = [
        [
            f"`{name}`",
            calendar.zone_name,
            "; ".join(calendar.describe_hours()),
            ", ".join(d.isoformat() for d in sorted(calendar.holidays)) or _NONE,
        ]
        for name, calendar in process.calendars.items()
    ]
    return [
        "## Calendars",
        "",
        "Durations marked *working* count only working time: the hours below, on the wall "
        "clock of the calendar's time zone, minus holidays. Anything else counts every minute "
        f"(`{ALWAYS_NAME}`).",
        "",
        *table(["Calendar", "Time zone", "Hours", "Holidays"], rows),
        "",
    ]


def _triggers(process: Process) -> list[str]:
    out = ["## Triggers", ""]
    compiled = {t.id: t for t in process.triggers}
    if not process.spec.triggers:
        return [*out, "No triggers: incidents are opened by hand.", ""]
    for trig in process.spec.triggers:
        level = compiled[trig.id].level if trig.id in compiled else trig.severity or _NONE
        via = (
            f" (impact {trig.impact} x urgency {trig.urgency})"
            if trig.impact is not None and trig.urgency is not None
            else ""
        )
        title = f"**{trig.title}** (`{trig.id}`)" if trig.title else f"`{trig.id}`"
        line = f"- {title}: {condition_english(trig.when)} -> {level}{via}"
        if trig.dedupe_by:
            line += f"; one incident per {', '.join(trig.dedupe_by)}"
        out.append(line)
    return [*out, ""]


LARGE_PROCESS = 15
"""Above this many states (and with two phases or more), the handbook's flowchart is the
whole process in outline plus one full diagram per phase: one diagram of every label
would be too large to read."""


def _mermaid_block(drawn: Diagram) -> list[str]:
    return ["```mermaid", to_mermaid(drawn).rstrip("\n"), "```", ""]


def _flowchart(process: Process) -> list[str]:
    states = process.spec.process.states
    phases = list(dict.fromkeys(st.phase for st in states.values() if st.phase is not None))
    if len(states) <= LARGE_PROCESS or len(phases) < 2:
        return ["## Flowchart", "", *_mermaid_block(diagram(process))]
    out = [
        "## Flowchart",
        "",
        f"The whole process in outline ({len(states)} states), then each phase in full; "
        "the states a phase's transitions come from or lead to are drawn dotted.",
        "",
        *_mermaid_block(diagram(process, detail="outline")),
    ]
    for phase in phases:
        out += [f"### Phase {phase}", "", *_mermaid_block(diagram(process, phase=phase))]
    return out


def _timer_delay(process: Process, sid: str, timer: Timer, level: str) -> str:
    delay = process.timer_delay(sid, timer.id, level)
    calendar = process.timer_calendar(sid, timer.id, level).name
    text = _in_calendar(delay, calendar)
    return f"{text} (`{calendar}`)" if text.endswith("working") else text


def _timer_text(process: Process, sid: str, timer: Timer) -> str:
    """``- `id` (field): after SEV1 5m, ...``; a recurring timer ``every SEV1 30m, ...
    (at most N)``, after its first delay if it has ``after``."""

    def at_each_level(delay: Callable[[str, str, str], timedelta | None]) -> str:
        return ", ".join(
            f"{level} {_duration(delay(sid, timer.id, level))}" for level in process.level_ids
        )

    fields = [value for _, value in timer.delays if isinstance(value, str)]
    source = f" ({', '.join(fields)})" if fields else ""
    schedule = []
    if timer.after is not None:
        when = ", ".join(
            f"{level} {_timer_delay(process, sid, timer, level)}" for level in process.level_ids
        )
        schedule.append(f"after {when}")
    if timer.every is not None:
        bound = f" (at most {timer.max})" if timer.max is not None else ""
        schedule.append(f"every {at_each_level(process.timer_period)}{bound}")
    line = f"- `{timer.id}`{source}: {', then '.join(schedule)}"
    if timer.actions:
        line += "; runs " + ", ".join(_call_text(c) for c in timer.actions)
    if timer.transition is not None:
        line += f"; fires `{timer.transition}`"
    return line


def _state_section(process: Process, sid: str, state: State) -> list[str]:
    out = [f"### {_state_name(process, sid)}", ""]
    kind = "initial" if sid == process.initial else "terminal" if state.terminal else "intermediate"
    owner = process.spec.roles.get(state.owner) if state.owner else None
    out += [
        f"- Kind: {kind}",
        f"- Phase: {state.phase or _NONE}",
        f"- Owner: `{state.owner}` ({owner.title})" if state.owner and owner else "- Owner: —",
    ]
    if state.runbook:
        out.append(f"- Runbook: [{state.runbook}]({state.runbook})")
    out.append("")
    if state.description:
        out += [state.description, ""]
    if state.checklist:
        out += ["Checklist:", ""]
        out += [
            f"- [ ] {item.text} (`{item.id}`, {'required' if item.required else 'optional'})"
            for item in state.checklist
        ]
        out.append("")
    if state.on_enter:
        out += ["On enter:", "", *(f"- {_call_text(c)}" for c in state.on_enter), ""]
    if state.timers:
        out += ["Timers:", "", *(_timer_text(process, sid, t) for t in state.timers), ""]
    exits = process.transitions_from.get(sid, ())
    if exits:
        out += ["Exits:", ""]
        for tr in exits:
            line = f"- `{tr.name}` -> {_state_name(process, tr.to)}; {who_may_fire(process, tr)}"
            if tr.requires:
                line += f"; requires: {', '.join(f'`{r}`' for r in tr.requires)}"
            if tr.when is not None:
                line += f"; only at {words(list(tr.when.severity), 'or')}"
            if tr.actions:
                line += "; runs " + ", ".join(_call_text(c) for c in tr.actions)
            out.append(line)
        out.append("")
    return out


def _states(process: Process) -> list[str]:
    out = ["## States", ""]
    for sid, state in process.spec.process.states.items():
        out += _state_section(process, sid, state)
    return out


def shortest_path(process: Process, level: str) -> list[tuple[str, str]] | None:
    """The shortest route from the initial state to a terminal at ``level``.

    Returns ``(transition, target)`` steps (empty when the initial state is
    terminal), or None when no terminal state can be reached. Ties go to the
    terminal state declared first.
    """
    states = process.spec.process.states
    graph = nx.DiGraph()
    graph.add_node(process.initial)
    names: dict[tuple[str, str], str] = {}
    for edge in process.view_at(level).edges:
        if (edge.source, edge.target) not in names:
            names[(edge.source, edge.target)] = edge.name
            graph.add_edge(edge.source, edge.target)
    lengths = nx.single_source_shortest_path_length(graph, process.initial)
    terminals = [s for s, st in states.items() if st.terminal and s in lengths]
    if not terminals:
        return None
    target = min(terminals, key=lambda s: (lengths[s], terminals.index(s)))
    route = nx.shortest_path(graph, process.initial, target)
    return [(names[(a, b)], b) for a, b in itertools.pairwise(route)]


def _paths(process: Process) -> list[str]:
    out = ["## Path at each severity", ""]
    for level in process.level_ids:
        steps = shortest_path(process, level)
        if steps is None:
            out.append(f"- **{level}**: no terminal state can be reached")
            continue
        route = _state_name(process, process.initial)
        for name, target in steps:
            route += f" -> `{name}` -> {_state_name(process, target)}"
        count = f"{len(steps)} transition{'s' if len(steps) != 1 else ''}"
        out.append(f"- **{level}** ({count}): {route}")
    return [*out, ""]


def handbook(process: Process) -> str:
    """The Markdown handbook of ``process``, ending with a single newline."""
    parts: list[str] = [
        *_overview(process),
        *_roles(process),
        *_raci(process),
        *_severity(process),
        *_calendars(process),
        *_triggers(process),
        *_flowchart(process),
        *_states(process),
        *_paths(process),
    ]
    return "\n".join(parts).rstrip("\n") + "\n"


__getattr__ = forward(
    __name__,
    moved("incidentflow.publish", ("handbook_results", "write_results", "write_handbooks")),
)
