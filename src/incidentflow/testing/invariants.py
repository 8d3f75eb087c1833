"""The properties every walk must keep, as functions that return the problems found.

- the audit log verifies (hash chain intact, seqs 1..n, known event kinds);
- replaying the log gives exactly the live state;
- no refused operation wrote anything;
- no reachable non-terminal state leaves its owner with nothing to do: in every
  non-terminal state the incident visited, at the severity it had there, some
  transition out is firable by a holder of some role, once the roles are assigned and
  the checklist is done.

Each check returns a list of readable problems (empty when all is well), so a host
can assert on it, log it, or count it.
"""

from __future__ import annotations

from dataclasses import fields, replace

from incidentflow.audit.events import KINDS, Event
from incidentflow.audit.store import MemoryStore
from incidentflow.compiler.process import Process
from incidentflow.engine import authz
from incidentflow.engine.engine import Engine
from incidentflow.engine.simclock import START
from incidentflow.engine.state import IncidentState, replay
from incidentflow.errors import EngineError
from incidentflow.spec.models import Transition
from incidentflow.testing.walk import WalkRun

PROBE = "probe/"
"""Prefix of the hypothetical people the liveness check assigns (one per role)."""


# --- static: the compiled process alone -----------------------------------------------------


def exits(process: Process, state: str, level: str) -> list[Transition]:
    """Transitions out of ``state`` that someone could fire at ``level``.

    Admitted by the guard at ``level``, fired by at least one role, and requiring
    only items of the state's own checklist (the only ones that can be checked there).
    """
    items = {c.id for c in process.states[state].checklist}
    return [
        t
        for t in process.transitions_from.get(state, ())
        if (t.when is None or level in t.when.severity)
        and authz.fire_roles(process, t)
        and set(t.requires) <= items
    ]


def reachable_states(process: Process) -> list[str]:
    """States reachable from the initial state at some level (severity can change on the way)."""
    seen = {process.initial}
    todo = [process.initial]
    while todo:
        for t in process.transitions_from.get(todo.pop(), ()):
            if t.to not in seen:
                seen.add(t.to)
                todo.append(t.to)
    return [s for s in process.states if s in seen]


def idle_states(process: Process) -> list[tuple[str, str]]:
    """(state, level) pairs where an incident can sit with nothing for anyone to do.

    Every reachable non-terminal state is paired with every level (the severity can
    be changed in any state), and kept when :func:`exits` is empty. Timers do not
    count: a timer moving the incident on is not something its owner can do.
    """
    return [
        (state, level)
        for state in reachable_states(process)
        if not process.is_terminal(state)
        for level in process.level_ids
        if not exits(process, state, level)
    ]


# --- dynamic: one incident's log --------------------------------------------------------------


def visited(events: list[Event]) -> list[tuple[str, str, bool, int]]:
    """Each (state, severity, closed, seq) the log passes through, first visit only.

    ``seq`` is the event after which the incident was first in that state at that severity.
    """
    state = IncidentState(events[0].incident_id if events else "")
    seen: dict[tuple[str, str], tuple[str, str, bool, int]] = {}
    for event in events:
        state.apply(event)
        key = (state.state, state.severity)
        if key not in seen:
            seen[key] = (state.state, state.severity, state.closed, event.seq)
    return list(seen.values())


class _ExitProbe:
    """A scratch engine that answers "could anyone leave this state?" by asking ``allowed()``.

    The incident's log up to the visit is copied into a private in-memory store; the
    opener assigns a hypothetical person to every role and checks every item; then
    ``allowed()`` is asked for each of those people.
    """

    def __init__(self, process: Process) -> None:
        self.process = process
        self.store = MemoryStore()
        self.now = START
        self.engine = Engine(process, store=self.store, clock=lambda: self.now)
        self.count = 0

    def nothing_to_do(self, prefix: list[Event]) -> str | None:
        self.count += 1
        pid = f"probe-{self.count}"
        # Filed under the probe's own id (stores keep an incident's events under its id);
        # the hashes no longer match, but the probe only asks allowed(), never verify().
        self.store.append(pid, 0, [replace(e, incident_id=pid) for e in prefix])
        self.now = prefix[-1].at
        engine = self.engine
        incident = engine.get(pid)
        people = {role: f"{PROBE}{role}" for role in sorted(self.process.spec.roles)}
        try:
            for role, person in people.items():
                engine.assign(pid, role, person, actor=incident.opened_by)
            for item in self.process.states[incident.state].checklist:
                engine.check(pid, item.id, actor=incident.opened_by)
        except EngineError as error:
            return f"the opener could not prepare the incident for the owner: {error}"
        why: dict[str, set[str]] = {}
        for person in people.values():
            for entry in engine.allowed(pid, person):
                if entry.allowed:
                    return None
                why.setdefault(entry.transition, set()).add(f"{entry.reason}: {entry.detail}")
        if not why:
            return "no transition leaves it"
        reasons = []
        for name, found in sorted(why.items()):
            telling = sorted(r for r in found if not r.startswith("role:")) or sorted(found)
            reasons.append(f"{name} ({telling[0]})")
        return "nobody may fire " + ", ".join(reasons)


def check_invariants(engine: Engine, incident_id: str) -> list[str]:
    """Problems with one incident: audit, replay, and owners left with nothing to do.

    Returns an empty list when the incident's log verifies, its replay equals
    ``engine.get(incident_id)``, and every non-terminal state it visited had a way out
    that someone could take at the severity the incident had there.
    """
    events = engine.store.events(incident_id)
    if not events:
        return [f"{incident_id}: the store has no events for this incident"]
    problems = [
        f"audit: {p.problem} at event {p.seq}: {p.detail}"
        for p in engine.verify(incident_id).problems
    ]
    seqs = [e.seq for e in events]
    if seqs != list(range(1, len(events) + 1)):
        problems.append(f"audit: event seqs are not 1..{len(events)}: {seqs}")
    unknown = sorted({e.kind for e in events} - KINDS)
    if unknown:
        problems.append(f"audit: unknown event kinds {unknown}")
    live = engine.get(incident_id)
    rebuilt = replay(incident_id, events).snapshot()
    if rebuilt != live:
        for f in fields(live):
            mine, theirs = getattr(live, f.name), getattr(rebuilt, f.name)
            if mine != theirs:
                problems.append(f"replay: {f.name} is {mine!r} live but {theirs!r} replayed")
    process = engine.processes.get(live.process)
    if process is None:
        problems.append(f"the engine does not run the process {live.process!r}")
        return problems
    probe: _ExitProbe | None = None
    for state, severity, closed, seq in visited(events):
        if closed or state not in process.states:
            continue
        probe = probe or _ExitProbe(process)
        stuck = probe.nothing_to_do(events[:seq])
        if stuck is not None:
            problems.append(
                f"stuck: nothing to do in {state!r} at {severity} (from event {seq}): {stuck}"
            )
    return problems


def check_run(engine: Engine, run: WalkRun) -> list[str]:
    """:func:`check_invariants` of the walk's incident, plus: no refused operation wrote."""
    problems = []
    for step, outcome in enumerate(run.outcomes, 1):
        if not outcome.allowed and (outcome.written or outcome.after != outcome.before):
            problems.append(
                f"step {step} ({outcome.op}) was refused ({outcome.reason}) but wrote "
                f"{outcome.written} event(s) (version {outcome.before} -> {outcome.after})"
            )
    return problems + check_invariants(engine, run.incident_id)


def assert_invariants(engine: Engine, subject: WalkRun | str) -> None:
    """Raise AssertionError listing every problem of a walk run (or of an incident id)."""
    if isinstance(subject, WalkRun):
        problems = check_run(engine, subject)
        context = str(subject)
    else:
        problems = check_invariants(engine, subject)
        context = f"incident {subject}"
    if problems:
        raise AssertionError("\n".join([context, "problems:", *(f"- {p}" for p in problems)]))
