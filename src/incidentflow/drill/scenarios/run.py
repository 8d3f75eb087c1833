"""Run scripted tabletop scenarios through the real Engine, and record what happened.

Each scenario (format: ``docs/scenarios.md``, checking: :mod:`.load`)
drives one incident through a fresh :class:`~incidentflow.engine.engine.Engine`
with an in-memory store, a simulated clock that only ``advance`` steps move, and
action handlers that record each invocation by name. A failed expectation, a
step refused unexpectedly, or an expected refusal that did not happen becomes a
diagnostic at the step's file, line and column, saying what actually happened.
The same scenario always produces the same report.

Entry point: :func:`run_scenarios`, whose :class:`~.report.ScenarioReport` formats
as text, JSON or Markdown.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from incidentflow.api import SPEC_SUFFIXES
from incidentflow.audit.events import Event
from incidentflow.audit.metrics import incident_metrics
from incidentflow.audit.store import MemoryStore
from incidentflow.audit.timeline import offset
from incidentflow.compiler.process import Process
from incidentflow.diagnostics import Diagnostic, Note
from incidentflow.drill.scenarios.load import load_scenario, read_scenario
from incidentflow.drill.scenarios.model import (
    DEFAULT_ACTOR,
    EXPECTATION_FAILED,
    NOT_A_SCENARIO,
    REFUSAL_MISSING,
    STEP_INVALID,
    STEP_REFUSED,
    Expect,
    Scenario,
    ScenarioOperation,
    ScenarioStep,
    problem,
    show_value,
)
from incidentflow.drill.scenarios.report import ScenarioReport, ScenarioResult, StepResult
from incidentflow.engine.engine import TIMER, ActionRequest, Engine
from incidentflow.engine.operations import (
    Advance,
    Assign,
    CheckItem,
    Fire,
    Open,
    SetSeverity,
    Signal,
    Unassign,
    refusal,
)
from incidentflow.engine.simclock import SimulatedClock
from incidentflow.engine.state import Incident
from incidentflow.errors import InvalidOperation, OperationRefused

# --- running ----------------------------------------------------------------------------


class _Rejected(Exception):
    """A step the engine did not carry out, for a reason that is not a refusal."""


class _Runner:
    """Runs one scenario on a fresh engine with a simulated clock."""

    def __init__(self, process: Process, scenario: Scenario) -> None:
        self.process = process
        self.scenario = scenario
        self.clock = SimulatedClock(scenario.start)
        ids = itertools.count(1)
        self.engine = Engine(
            process,
            store=MemoryStore(),
            clock=self.clock,
            handlers=dict.fromkeys(process.spec.actions, self._record),
            new_id=lambda: f"tabletop-{next(ids)}",
        )
        self.incident: str | None = None
        self.invoked: list[str] = []  # every action invoked, in order
        self.window_start = 0  # index into ``invoked`` where the current expect window begins
        self.since = "the start"
        self.diagnostics: list[Diagnostic] = []

    def _record(self, request: ActionRequest) -> None:
        self.invoked.append(request.action)

    # the run

    def run(self) -> ScenarioResult:
        results: list[StepResult] = []
        stopped = False
        for step in self.scenario.steps:
            at = self.clock.now - self.scenario.start
            if stopped:
                results.append(StepResult(*_where(step), step.text, "skipped", "not run", at))
                continue
            status, outcome, stopped = self.step(step)
            results.append(StepResult(*_where(step), step.text, status, outcome, at))
        return self.result(tuple(results))

    def result(self, steps: tuple[StepResult, ...]) -> ScenarioResult:
        scenario = self.scenario
        incident = self.engine.get(self.incident) if self.incident is not None else None
        return ScenarioResult(
            scenario.file,
            scenario.name,
            scenario.description,
            "failed" if self.diagnostics else "passed",
            steps,
            tuple(self.diagnostics),
            incident=incident.id if incident else None,
            state=incident.state if incident else None,
            severity=incident.severity if incident else None,
            closed=incident.closed if incident else False,
            elapsed=self.clock.now - scenario.start,
            events=len(self.engine.history(incident.id)) if incident else 0,
            audit_verified=self.engine.verify(incident.id).ok if incident else None,
            actions=tuple(self.invoked),
        )

    def step(self, step: ScenarioStep) -> tuple[str, str, bool]:
        """Run a step: (status, outcome, stop the run)."""
        if step.expect is not None:
            return self.expect(step, step.expect)
        first = step.operations[0]
        if isinstance(first, Advance):
            return "ok", self.advance(first), False
        actor = step.actor or DEFAULT_ACTOR  # the checker gives every other step its actor
        before = len(self.invoked)
        try:
            outcome = self.perform(step)
        except (OperationRefused, InvalidOperation) as exc:
            refused = refusal(exc)
            return self.refused(step, actor, refused.reason, refused.detail)
        except _Rejected as exc:
            return self.refused(step, actor, "invalid", str(exc), refusable=False)
        outcome += self.actions_since(before)
        overdue = self.fire_due()
        if overdue:
            outcome += f"; then {overdue}"
        if step.expect_refusal is not None:
            self.fail(
                step,
                REFUSAL_MISSING,
                f"expected this step to be refused ({step.expect_refusal}), but it succeeded: "
                f"{outcome}",
                hint=f"{self.situation()}; remove 'expect_refusal' if the step should succeed",
            )
            return "failed", outcome, True
        return "ok", outcome, False

    def refused(
        self, step: ScenarioStep, actor: str, reason: str, detail: str, *, refusable: bool = True
    ) -> tuple[str, str, bool]:
        outcome = f"refused ({reason}): {detail}" if refusable else f"rejected: {detail}"
        expected = step.expect_refusal
        if refusable and expected == reason:
            return "refused", outcome, False
        if expected is not None:
            self.fail(
                step,
                REFUSAL_MISSING,
                f"expected a refusal for '{expected}', but {_doing(step, actor)} was {outcome}",
                hint=self.situation(),
            )
            return "failed", outcome, False  # nothing was written: the script still holds
        code = STEP_REFUSED if refusable and reason != "invalid" else STEP_INVALID
        hint = self.situation()
        if code == STEP_REFUSED:
            hint += f"; if this refusal is the point of the step, add 'expect_refusal: {reason}'"
        self.fail(step, code, f"{_doing(step, actor)} was {outcome}", hint=hint)
        return "failed", outcome, True

    def fail(
        self, step: ScenarioStep, code: str, message: str, hint: str, notes: Iterable[Note] = ()
    ) -> None:
        self.diagnostics.append(
            problem(
                self.scenario.file,
                step.line,
                step.column,
                code,
                message,
                hint,
                notes=tuple(notes),
                length=len(step.kind),
            )
        )

    # the actions

    def require_incident(self) -> str:
        assert self.incident is not None, "the checker makes opening the first engine step"
        return self.incident

    def perform(self, step: ScenarioStep) -> str:
        """Perform the step's operations in order; what they did, in words."""
        first = step.operations[0]
        if isinstance(first, Signal):
            return self.signal(first)
        if isinstance(first, Open):
            opened = replace(first, process=self.process.name).apply(self.engine)
            self.incident = opened.id
            return f"opened {opened.id} at {opened.severity} in {opened.state}"
        iid = self.require_incident()
        before = after = self.engine.get(iid)
        for op in step.operations:
            assert not isinstance(op, Advance | Open | Signal), "one opening or advance per step"
            after = op.apply(self.engine, iid)
        return _outcome(first, before, after)

    def signal(self, signal: Signal) -> str:
        trigger = self.process.match(signal.fields)
        opened = signal.apply(self.engine)
        if opened is None or trigger is None:
            raise _Rejected("no trigger of the process matches this signal")
        if self.incident is None:
            self.incident = opened.id
            return (
                f"opened {opened.id} at {opened.severity} in {opened.state} by trigger {trigger.id}"
            )
        if opened.id == self.incident:
            return f"deduplicated into {opened.id} by trigger {trigger.id}"
        raise _Rejected(
            f"the signal opened a second incident ({opened.id}, trigger {trigger.id}) "
            "instead of joining the first; a scenario drives one incident"
        )

    def advance(self, advance: Advance) -> str:
        """Move the clock on, firing each timer at its due instant on the way."""
        written = advance.apply(self.engine, self.clock)
        at = offset(self.clock.now - self.scenario.start)
        fired = self.describe_timers(written)
        return f"now {at}; {fired}" if fired else f"now {at}; no timer fell due"

    def fire_due(self) -> str:
        """Fire timers already due (a severity change can make one overdue)."""
        return self.describe_timers(self.engine.tick())

    def describe_timers(self, events: Sequence[Event]) -> str:
        parts = []
        start = self.scenario.start
        for event in events:
            when = offset(event.at - start)
            if event.kind == "timer_fired":
                skipped = event.data.get("transition_skipped")
                parts.append(f"timer {event.data['timer']} fired at {when}")
                if skipped:
                    parts.append(f"its transition was skipped: {skipped}")
            elif event.kind == "transitioned" and event.actor == TIMER:
                d = event.data
                parts.append(f"{d['transition']}: {d['from']} -> {d['to']}")
        actions = [e.data["action"] for e in events if e.kind == "action_started"]
        if actions:
            parts.append(f"actions: {', '.join(actions)}")
        return "; ".join(parts)

    def actions_since(self, before: int) -> str:
        names = self.invoked[before:]
        return f"; actions: {', '.join(names)}" if names else ""

    # expectations

    def expect(self, step: ScenarioStep, expect: Expect) -> tuple[str, str, bool]:
        iid = self.require_incident()
        incident = self.engine.get(iid)
        window = self.invoked[self.window_start :]
        problems: list[tuple[str, str]] = []

        def same(key: str, actual: object, wanted: object) -> None:
            if wanted is not None and actual != wanted:
                problems.append(
                    (key, f"{key} is {show_value(actual)}, expected {show_value(wanted)}")
                )

        same("state", incident.state, expect.state)
        same("phase", incident.phase, expect.phase)
        same("severity", incident.severity, expect.severity)
        same("closed", incident.closed, expect.closed)
        if expect.actions is not None:
            self.compare_sets(
                problems, "actions", window, expect.actions, f"invoked since {self.since}"
            )
        if expect.breached is not None:
            breached = incident_metrics(self.engine.history(iid), self.clock.now).breached
            self.compare_sets(problems, "breached", breached, expect.breached, "breached")
        if expect.timers is not None:
            self.compare_sets(problems, "timers", sorted(incident.timers), expect.timers, "running")
        if expect.checklist is not None:
            done = sorted(incident.checklist)
            self.compare_sets(problems, "checklist", done, expect.checklist, "done")
        self.window_start = len(self.invoked)
        self.since = f"the expect at line {step.line}"
        checked = ", ".join(k for k in expect.lines)
        if not problems:
            return "ok", f"holds ({checked})", False
        message = "expectation failed: " + "; ".join(p for _, p in problems)
        notes = [Note(p, expect.lines.get(k)) for k, p in problems if len(problems) > 1]
        self.fail(step, EXPECTATION_FAILED, message, hint=self.situation(), notes=notes)
        return "failed", message.removeprefix("expectation failed: "), False

    @staticmethod
    def compare_sets(
        problems: list[tuple[str, str]],
        key: str,
        actual: Sequence[str],
        wanted: Sequence[str],
        what: str,
    ) -> None:
        if set(actual) == set(wanted):
            return
        missing = sorted(set(wanted) - set(actual))
        extra = sorted(set(actual) - set(wanted))
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"not expected {', '.join(extra)}")
        listed = _listing(actual)
        problems.append((key, f"{key} {what}: {listed} ({'; '.join(parts)})"))

    def situation(self) -> str:
        """What actually holds now, in one line (the hint of every runtime diagnostic)."""
        at = offset(self.clock.now - self.scenario.start)
        if self.incident is None:
            return f"at {at}: no incident is open"
        incident = self.engine.get(self.incident)
        phase = f" ({incident.phase})" if incident.phase else ""
        status = "closed" if incident.closed else "open"
        holders = (
            ", ".join(
                f"{role}: {', '.join(sorted(people))}"
                for role, people in sorted(incident.assignments.items())
            )
            or "nobody"
        )
        return (
            f"at {at} the incident is {status} in '{incident.state}'{phase} at "
            f"{incident.severity}; roles held: {holders}; checklist done: "
            f"{_listing(sorted(incident.checklist))}; timers running: "
            f"{_listing(sorted(incident.timers))}"
        )


def _where(step: ScenarioStep) -> tuple[int, int, int, str]:
    return step.index, step.line, step.column, step.kind


def _listing(names: Sequence[str]) -> str:
    """``page x2, open_channel`` (first-seen order, repeats counted) or ``none``."""
    if not names:
        return "none"
    counts = Counter(names)
    return ", ".join(f"{n} x{counts[n]}" if counts[n] > 1 else n for n in dict.fromkeys(names))


def _outcome(op: ScenarioOperation, before: Incident, after: Incident) -> str:
    """What a step on the open incident did, in words (``op`` is its first operation)."""
    match op:
        case Assign():
            return f"{op.person} holds {op.role}"
        case Unassign():
            return f"{op.person} no longer holds {op.role}"
        case CheckItem():
            return "done"
        case Fire():
            return f"{before.state} -> {after.state}"
        case SetSeverity():
            changed = before.severity != after.severity
            return (
                f"{before.severity} -> {after.severity}"
                if changed
                else f"already {before.severity}"
            )
        case _:
            return "noted"


def _doing(step: ScenarioStep, actor: str) -> str:
    """``fire 'start_mitigation' as carol``: the step and its actor, for messages."""
    subject = {
        "signal": "the signal",
        "open": "opening the incident",
        "severity": "the severity change",
        "note": "the note",
    }.get(step.kind, step.kind)
    match step.operations[0]:
        case Fire() as fire:
            name = f" '{fire.transition}'"
        case CheckItem():
            name = " " + ", ".join(
                f"'{op.item}'" for op in step.operations if isinstance(op, CheckItem)
            )
        case Assign() as change:
            name = f" {change.role} to {change.person}"
        case Unassign() as change:
            name = f" {change.role} from {change.person}"
        case SetSeverity() as change:
            name = f" to {change.level}"
        case _:
            name = ""
    return f"{subject}{name} as {actor}"


def play_scenario(
    process: Process, scenario: Scenario
) -> tuple[ScenarioResult, Engine, SimulatedClock, str | None]:
    """Run ``scenario`` and keep what it ran on: its result, the engine, the simulated clock
    (at the end of the last step) and the id of the incident it drove (None if it opened
    none). ``incidentflow simulate --scenario`` goes on from there."""
    runner = _Runner(process, scenario)
    return runner.run(), runner.engine, runner.clock, runner.incident


def run_scenario(process: Process, scenario: Scenario) -> ScenarioResult:
    """Run one checked scenario on a fresh engine and return what happened."""
    return _Runner(process, scenario).run()


def _expand(paths: Iterable[str | Path]) -> tuple[list[tuple[Path, bool]], list[Diagnostic]]:
    """Files to run: (path, found in a directory); a directory with none is a problem."""
    files: list[tuple[Path, bool]] = []
    problems = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())
            if not found:
                problems.append(
                    problem(
                        str(path),
                        0,
                        0,
                        NOT_A_SCENARIO,
                        "the directory holds no scenario files (*.yaml, *.yml)",
                        "name scenario files, or a directory that holds some",
                    )
                )
            files.extend((p, True) for p in found)
        else:
            files.append((path, False))
    return files, problems


def run_scenarios(process: Process, paths: Sequence[str | Path]) -> ScenarioReport:
    """Check and run scenario files (or directories of them) against ``process``.

    A directory stands for its ``*.yaml`` / ``*.yml`` files, recursively, except
    those whose ``process:`` names another process (listed in ``skipped``). Files
    with problems are reported and not run; the others run in the order given.
    """
    files, problems = _expand(paths)
    results: list[ScenarioResult] = []
    sources: dict[str, str | None] = {}
    skipped: list[tuple[str, str]] = []
    for path, from_directory in files:
        if from_directory:
            plain = load_scenario(path)
            if isinstance(plain, Scenario) and plain.process not in (None, process.name):
                skipped.append((str(path), f"written for process '{plain.process}'"))
                continue
        loaded, text = read_scenario(path, process)
        sources[str(path)] = text
        if isinstance(loaded, Scenario):
            results.append(run_scenario(process, loaded))
        else:
            results.append(_invalid(str(path), loaded))
    return ScenarioReport(process.name, tuple(results), sources, tuple(skipped), tuple(problems))


def _invalid(file: str, diagnostics: list[Diagnostic]) -> ScenarioResult:
    return ScenarioResult(file, "", "", "invalid", (), tuple(diagnostics))
