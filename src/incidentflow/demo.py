"""``incidentflow demo``: one incident of any valid process, end to end, on an SQLite store.

The incident opens from a signal built from the spec's own triggers (the most severe
trigger for which :meth:`~incidentflow.compiler.process.Process.example_signal` finds one),
or, when the spec has no trigger or none yields a signal, directly at the most severe
level, saying why. Every role gets a person of its own (so ``distinct_holders``
policies hold). The walk is a path the drill planner (:mod:`incidentflow.drill.generated.plan`)
plans at the incident's level, to a terminal state: on the way a stranger and a hurried
holder are refused (a role, a missing checklist item); each holder ticks the state's
checklist and fires; wait steps let the timers that move the incident fire. Between
steps a simulated clock moves on (never past a timer that would move the incident),
so timers that only act fire too. The demo ends with the timeline, the actions the
host performed, the metrics and the audit verification. The output is the same on
every run but for the temporary path.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from incidentflow.audit.events import Event
from incidentflow.audit.metrics import incident_metrics
from incidentflow.audit.report import incident_metrics_lines
from incidentflow.audit.sqlite import SQLiteStore
from incidentflow.audit.timeline import timeline
from incidentflow.compiler.process import Process
from incidentflow.drill.generated.plan import DrillPath, LevelModel, PathStep
from incidentflow.engine.engine import SYSTEM, ActionRequest, Engine
from incidentflow.engine.simclock import SimulatedClock, advance_and_tick
from incidentflow.errors import EngineError, IncidentflowError, OperationRefused

PACE = timedelta(minutes=4)
"""How long people take between two steps: longer to let a timer that only acts fire within
LINGER, never up to a timer that would move the incident."""
LINGER = timedelta(hours=1)
STRANGER = "mallory"
"""Someone who holds no role: the first refusal."""
_NAMES = ("rita", "carol", "sam", "cora", "dave", "erin", "finn", "gwen", "hugo", "iris")


class CannotDemo(IncidentflowError):
    """The spec is valid, but the demo cannot walk it to a terminal state; says why."""


@dataclass(frozen=True, slots=True)
class Opening:
    """How the demo opens its incident: from ``signal`` (matching ``trigger``), or at
    ``level`` directly when ``signal`` is None (``why`` says why)."""

    level: str
    signal: dict[str, Any] | None = None
    trigger: str | None = None
    why: str = ""


def opening(process: Process) -> Opening:
    """A signal for the most severe trigger that yields one (ties: the earlier in the file)."""
    for trig in sorted(process.triggers, key=lambda t: t.rank):
        signal = process.example_signal(trig.id)
        won = process.match(signal) if signal is not None else None
        if signal is not None and won is not None:
            return Opening(won.level, signal, won.id)
    if not process.triggers:
        why = "the spec has no triggers"
    else:
        ids = ", ".join(t.id for t in process.triggers)
        why = f"no signal could be built that its triggers accept ({ids})"
    return Opening(process.level_ids[0], why=why)


def _end(process: Process, path: DrillPath) -> str:
    state = process.initial
    for step in path.steps:
        state = step.edge.target if step.edge is not None else step.state
    return state


def walk(process: Process, level: str) -> DrillPath:
    """The path the demo takes at ``level``: of the drill planner's paths that reach a
    terminal state, one that visits no state twice and waits least, the longest of those
    (it shows the most of the process); raises CannotDemo when no path gets there."""
    if process.is_terminal(process.initial):
        return DrillPath(level, "the initial state is terminal", ())
    plan = LevelModel(process, level).plan((), (), (), ())
    # a fire step with no roles is the planner's way of reaching an edge nobody can take
    stuck = [s for p in plan.paths for s in p.steps if s.kind == "fire" and not s.roles]
    finishing = [
        p
        for p in plan.paths
        if process.is_terminal(_end(process, p)) and not any(s in stuck for s in p.steps)
    ]
    if not finishing:
        why = [f"{s.edge.label()}: {s.note}" for s in stuck if s.edge is not None]
        why += [f"{f.item}: {f.detail}" for f in plan.findings if f.blocking]
        raise CannotDemo(
            f"at {level}, no path that people or timers can take reaches a terminal state"
            + (f" ({'; '.join(dict.fromkeys(why))})" if why else "")
        )

    def preference(path: DrillPath) -> tuple[int, int, int]:
        visited = [process.initial, *(s.edge.target for s in path.steps if s.edge is not None)]
        waits = sum(s.kind == "wait" for s in path.steps)
        return len(visited) - len(set(visited)), waits, -len(path.steps)

    return min(finishing, key=preference)  # the first of equals: the planner's order


def people(process: Process) -> dict[str, str]:
    """A person of their own for every role, in the spec's order."""
    out = {}
    for i, role in enumerate(process.spec.roles):
        name = _NAMES[i % len(_NAMES)]
        out[role] = name if i < len(_NAMES) else f"{name}{i // len(_NAMES) + 1}"
    return out


class _Run:
    """One demo incident: the engine, its clock, and what the host was asked to do."""

    def __init__(self, process: Process, store: SQLiteStore, out: TextIO) -> None:
        self.process = process
        self.out = out
        self.clock = SimulatedClock()
        self.said: list[str] = []
        self.engine = Engine(
            process,
            store=store,
            clock=self.clock,
            handlers=dict.fromkeys(process.spec.actions, self._perform),
        )
        self.people = people(process)
        self.iid = ""

    def _perform(self, request: ActionRequest) -> None:
        holders = {r: sorted(p) or ["nobody yet"] for r, p in request.holders.items()}
        params = ", ".join(f"{k}={v}" for k, v in request.params.items())
        extra = "; ".join(f"{r} held by {', '.join(p)}" for r, p in holders.items())
        self.said.append(f"{request.action}({params}){' - ' + extra if extra else ''}")

    def open(self, how: Opening) -> None:
        if how.signal is not None:
            self.out.write(f"signal {json.dumps(how.signal)} -> trigger {how.trigger}\n")
            incident = self.engine.signal(how.signal)
            assert incident is not None, "opening() checked that a trigger accepts the signal"
        else:
            self.out.write(f"opened by hand at {how.level}: {how.why}\n")
            incident = self.engine.open(self.process.name, severity=how.level, actor=SYSTEM)
        self.iid = incident.id
        for role, person in self.people.items():
            self.engine.assign(self.iid, role, person, actor=SYSTEM)
        self.out.write("people: " + ", ".join(f"{r} {p}" for r, p in self.people.items()) + "\n")

    def _refused(self, what: str, attempt: Callable[[], object]) -> None:
        try:
            attempt()
        except OperationRefused as exc:
            self.out.write(f"  refused as expected: {what}: {exc.reason}: {exc.detail}\n")

    def _pass_time(self) -> None:
        """Let PACE go by, or until the next timer that only acts (within LINGER), but stop a
        minute before a timer that would move the incident: the walk decides where it goes."""
        incident = self.engine.get(self.iid)
        now = self.clock.now
        moving = [
            due
            for timer_id, due in incident.timers.items()
            if self.process.timer(incident.state, timer_id).transition is not None
        ]
        acting = [d for d in incident.timers.values() if d not in moving and d <= now + LINGER]
        target = max(now + PACE, min(acting, default=now))
        target = min([target, *(due - timedelta(minutes=1) for due in moving)])
        if target > self.clock.now:
            advance_and_tick(self.engine, self.clock, until=target)

    def fire(self, step: PathStep, *, first: bool, hurried: bool) -> None:
        assert step.edge is not None
        name = step.edge.name
        person = self.people[step.roles[0]] if step.roles else SYSTEM
        self._pass_time()
        if first:
            self._refused(
                f"{STRANGER} fires {name}",
                lambda: self.engine.fire(self.iid, name, actor=STRANGER),
            )
        if hurried:
            self._refused(
                f"{person} fires {name} before its checklist",
                lambda: self.engine.fire(self.iid, name, actor=person),
            )
        done = self.engine.get(self.iid).checklist
        for item in self.process.states[step.state].checklist:
            if item.id not in done:
                self.engine.check(self.iid, item.id, actor=person)
        self.engine.fire(self.iid, name, actor=person)

    def wait(self, step: PathStep) -> None:
        """Advance to each deadline and tick, until the step's timers have fired (and the
        last one moved the incident, when it does)."""

        def waited(written: Sequence[Event]) -> bool:
            if step.edge is not None:
                return any(e.kind == "transitioned" for e in written)
            return set(step.timers) <= {e.data["timer"] for e in written if e.kind == "timer_fired"}

        advance_and_tick(self.engine, self.clock, done=waited)

    def play(self, path: DrillPath) -> None:
        fires = [s for s in path.steps if s.kind == "fire"]
        transitions = self.process.spec.process.transitions
        hurried = next(
            (s for s in fires if s.edge is not None and transitions[s.edge.index].requires), None
        )
        for step in path.steps:
            if step.kind == "fire":
                self.fire(step, first=step is fires[0], hurried=step is hurried)
            else:
                self.wait(step)


def run_demo(process: Process, out: TextIO, directory: Path, source: str = "") -> int:
    """Run the demo incident of ``process`` with its store in ``directory``; write to ``out``.

    Returns 0 when the incident closed and its audit trail verifies, else 1. Raises
    :class:`CannotDemo` (before writing anything) when no path reaches a terminal state.
    """
    how = opening(process)
    path = walk(process, how.level)
    store = SQLiteStore(directory / "incidents.db")
    try:
        return _report(process, store, out, how, path, source)
    finally:
        store.close()


def _report(
    process: Process, store: SQLiteStore, out: TextIO, how: Opening, path: DrillPath, source: str
) -> int:
    where = f" ({source})" if source else ""
    out.write(f"incidentflow demo: a {how.level} incident of {process.name!r}{where}\n")
    out.write(f"store: {store.path}\n\n")
    run = _Run(process, store, out)
    run.open(how)
    steps = ", ".join(s.label() for s in path.steps) or "none: the incident opened closed"
    out.write(f"walk: {steps}\n")
    try:
        run.play(path)
    except EngineError as exc:
        out.write(f"  the demo stopped: {exc}\n")
    events = run.engine.history(run.iid)
    out.write("\nTimeline\n")
    decisions = [e for e in events if not e.kind.startswith("action_")]
    out.write("\n".join(timeline(decisions)) + "\n")
    out.write("\nActions the host performed\n")
    out.write("".join(f"  {line}\n" for line in run.said) or "  none\n")
    m = incident_metrics(events, run.clock.now)
    out.write("\nMetrics\n")
    out.write("".join(f"  {line}\n" for line in incident_metrics_lines(m)))
    report = run.engine.verify(run.iid)
    incident = run.engine.get(run.iid)
    out.write("\nAudit\n")
    state = "verified" if report.ok else f"BROKEN: {report.problems}"
    out.write(f"  {len(events)} events, SHA-256 hash chain {state}\n")
    out.write(f"\nresult: the incident is {'closed' if incident.closed else 'still open'}")
    out.write(f" in {incident.state!r}\n")
    return 0 if report.ok and incident.closed else 1


def demo_command(spec: str | None, keep: str | None, stdout: TextIO, stderr: TextIO) -> int:
    """``incidentflow demo [--spec FILE] [--keep DIR]``: 0 closed and verified; 1 the spec
    has errors, or the incident did not close or verify; 2 the demo cannot run the spec,
    or a file cannot be read or written."""
    from incidentflow.api import check_file
    from incidentflow.errors import SpecFileError
    from incidentflow.examples import example_spec
    from incidentflow.reporting import format_text

    try:
        path = Path(spec) if spec else example_spec("major-incident.yaml")
        result = check_file(path)
    except (SpecFileError, OSError) as exc:
        stderr.write(f"incidentflow: {exc}\n")
        return 2
    if result.process is None:  # spec problems: shown as validate shows them
        stderr.write(format_text(result.diagnostics, {result.file: result.text}))
        return 1
    try:
        if keep is not None:
            directory = Path(keep)
            directory.mkdir(parents=True, exist_ok=True)
            return run_demo(result.process, stdout, directory, path.name)
        with tempfile.TemporaryDirectory(prefix="incidentflow-demo-") as tmp:
            return run_demo(result.process, stdout, Path(tmp), path.name)
    except CannotDemo as exc:
        stderr.write(f"incidentflow demo: {path}: cannot be demoed: {exc}\n")
        return 2
    except BrokenPipeError:
        raise  # the reader of our output left: main() ends quietly
    except OSError as exc:
        stderr.write(f"incidentflow: {exc}\n")
        return 2
