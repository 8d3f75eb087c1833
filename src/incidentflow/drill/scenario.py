"""Run scripted tabletop scenarios through the real Engine, and report what happened.

Each scenario (format: ``docs/scenarios.md``, checking: :mod:`.scenario_model`)
drives one incident through a fresh :class:`~incidentflow.engine.engine.Engine`
with an in-memory store, a simulated clock that only ``advance`` steps move, and
action handlers that record each invocation by name. A failed expectation, a
step refused unexpectedly, or an expected refusal that did not happen becomes a
diagnostic at the step's file, line and column, saying what actually happened.
The same scenario always produces the same report.

Entry point: :func:`run_scenarios`, whose :class:`ScenarioReport` formats as
text, JSON or Markdown.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from incidentflow.api import SPEC_SUFFIXES
from incidentflow.audit.events import Event
from incidentflow.audit.metrics import incident_metrics
from incidentflow.audit.store import MemoryStore
from incidentflow.audit.timeline import offset
from incidentflow.compiler.process import Process
from incidentflow.diagnostics import Diagnostic, Note, Severity
from incidentflow.drill.scenario_model import (
    DEFAULT_ACTOR,
    EXPECTATION_FAILED,
    NOT_A_SCENARIO,
    REFUSAL_MISSING,
    SCENARIO_CODES,
    STEP_INVALID,
    STEP_REFUSED,
    AddNote,
    Advance,
    Assign,
    Check,
    Expect,
    Fire,
    Open,
    Scenario,
    SetSeverity,
    Signal,
    Step,
    load_scenario,
    read_scenario,
    scenario_from_text,
)
from incidentflow.engine.engine import TIMER, ActionRequest, Engine
from incidentflow.errors import InvalidOperation, OperationRefused
from incidentflow.reporting import format_text

__all__ = [
    "SCENARIO_CODES",
    "Scenario",
    "ScenarioReport",
    "ScenarioResult",
    "StepResult",
    "load_scenario",
    "run_scenario",
    "run_scenarios",
    "scenario_from_text",
]

FORMATS = ("text", "json", "markdown")

_MAX_TIMER_ROUNDS = 10_000  # bound on tick rounds within one advance (zero-delay timer loops)


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one step did.

    ``status``: ``ok``; ``refused`` (refused, as the step expected); ``failed``;
    ``skipped`` (not run, because an earlier step failed in a way that stops the run).
    ``at`` is the simulated time since the scenario's start when the step ran.
    """

    index: int
    line: int
    column: int
    kind: str
    text: str
    status: str
    outcome: str
    at: timedelta

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "index": self.index,
            "line": self.line,
            "column": self.column,
            "action": self.kind,
            "step": self.text,
            "status": self.status,
            "outcome": self.outcome,
            "at_seconds": self.at.total_seconds(),
        }


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """One scenario file, run (or found invalid).

    ``status``: ``passed``, ``failed`` (it ran and something did not hold) or
    ``invalid`` (the file has problems, so it did not run).
    """

    file: str
    name: str
    description: str
    status: str
    steps: tuple[StepResult, ...]
    diagnostics: tuple[Diagnostic, ...]
    incident: str | None = None
    state: str | None = None
    severity: str | None = None
    closed: bool = False
    elapsed: timedelta = timedelta(0)
    events: int = 0
    audit_verified: bool | None = None
    actions: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when the scenario ran and every step and expectation held."""
        return self.status == "passed"

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "file": self.file,
            "name": self.name,
            "description": self.description,
            "status": self.status,
            "incident": self.incident,
            "final": {"state": self.state, "severity": self.severity, "closed": self.closed},
            "simulated_seconds": self.elapsed.total_seconds(),
            "events": self.events,
            "audit_verified": self.audit_verified,
            "actions": dict(sorted(Counter(self.actions).items())),
            "steps": [s.as_dict() for s in self.steps],
            "diagnostics": [d.as_dict() for d in self.diagnostics],
        }


@dataclass(frozen=True, slots=True)
class ScenarioReport:
    """The outcome of running scenario files against one process."""

    process: str
    results: tuple[ScenarioResult, ...]
    sources: Mapping[str, str | None]
    skipped: tuple[tuple[str, str], ...] = ()  # (file, why): directory entries left out
    problems: tuple[Diagnostic, ...] = ()  # about the paths themselves (an empty directory)

    @property
    def ok(self) -> bool:
        """True when every scenario passed (and every path named held scenarios)."""
        return not self.problems and all(r.passed for r in self.results)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every problem: invalid files, failed expectations, refused steps, in file order."""
        return [*self.problems, *(d for r in self.results for d in r.diagnostics)]

    def counts(self) -> dict[str, int]:
        """How many scenarios passed, failed and were invalid."""
        tally = Counter(r.status for r in self.results)
        return {
            "scenarios": len(self.results),
            "passed": tally["passed"],
            "failed": tally["failed"],
            "invalid": tally["invalid"],
        }

    def format(self, fmt: str) -> str:
        """The report as ``text``, ``json`` or ``markdown``."""
        if fmt == "text":
            return _format_text(self)
        if fmt == "json":
            return _format_json(self)
        if fmt == "markdown":
            return _format_markdown(self)
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


# --- running ----------------------------------------------------------------------------


class _Rejected(Exception):
    """A step the engine did not carry out, for a reason that is not a refusal."""


class _Runner:
    """Runs one scenario on a fresh engine with a simulated clock."""

    def __init__(self, process: Process, scenario: Scenario) -> None:
        self.process = process
        self.scenario = scenario
        self.now = scenario.start
        ids = itertools.count(1)
        self.engine = Engine(
            process,
            store=MemoryStore(),
            clock=lambda: self.now,
            handlers=dict.fromkeys(process.spec.actions, self._record),
            new_id=lambda: f"tabletop-{next(ids)}",
        )
        self.incident: str | None = None
        self.opener = DEFAULT_ACTOR
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
            at = self.now - self.scenario.start
            text = _describe(step)
            if stopped:
                results.append(StepResult(*_where(step), text, "skipped", "not run", at))
                continue
            status, outcome, stopped = self.step(step)
            results.append(StepResult(*_where(step), text, status, outcome, at))
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
            elapsed=self.now - scenario.start,
            events=len(self.engine.history(incident.id)) if incident else 0,
            audit_verified=self.engine.verify(incident.id).ok if incident else None,
            actions=tuple(self.invoked),
        )

    def step(self, step: Step) -> tuple[str, str, bool]:
        """Run a step: (status, outcome, stop the run)."""
        action = step.action
        if isinstance(action, Advance):
            return "ok", self.advance(action.duration), False
        if isinstance(action, Expect):
            return self.expect(step, action)
        actor = step.actor or self.opener
        before = len(self.invoked)
        try:
            outcome = self.perform(action, actor)
        except OperationRefused as exc:
            return self.refused(step, actor, exc.reason, exc.detail)
        except InvalidOperation as exc:
            return self.refused(step, actor, "invalid", exc.reason)
        except _Rejected as exc:
            return self.refused(step, actor, "invalid", str(exc), refusable=False)
        outcome += self.actions_since(before)
        overdue = self.fire_due(self.now)
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
        self, step: Step, actor: str, reason: str, detail: str, *, refusable: bool = True
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
        self, step: Step, code: str, message: str, hint: str, notes: Iterable[Note] = ()
    ) -> None:
        self.diagnostics.append(
            Diagnostic(
                self.scenario.file,
                step.line,
                step.column,
                code,
                Severity.ERROR,
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

    def perform(self, action: Any, actor: str) -> str:
        engine = self.engine
        if isinstance(action, Signal):
            return self.signal(action, actor)
        if isinstance(action, Open):
            opened = engine.open(
                self.process.name,
                severity=action.severity,
                impact=action.impact,
                urgency=action.urgency,
                title=action.title,
                fields=action.fields,
                actor=actor,
            )
            self.incident, self.opener = opened.id, actor
            return f"opened {opened.id} at {opened.severity} in {opened.state}"
        iid = self.require_incident()
        if isinstance(action, Assign):
            if action.remove:
                engine.unassign(iid, action.role, action.person, actor=actor)
                return f"{action.person} no longer holds {action.role}"
            engine.assign(iid, action.role, action.person, actor=actor)
            return f"{action.person} holds {action.role}"
        if isinstance(action, Check):
            for item in action.items:
                engine.check(iid, item, actor=actor)
            return "done"
        if isinstance(action, Fire):
            before = engine.get(iid).state
            after = engine.fire(iid, action.transition, actor=actor)
            return f"{before} -> {after.state}"
        if isinstance(action, SetSeverity):
            old = engine.get(iid).severity
            new = engine.set_severity(iid, action.level, actor=actor, reason=action.reason)
            return f"{old} -> {new.severity}" if old != new.severity else f"already {old}"
        assert isinstance(action, AddNote)
        engine.note(iid, action.text, actor=actor)
        return "noted"

    def signal(self, action: Signal, actor: str) -> str:
        trigger = self.process.match(action.fields)
        opened = self.engine.signal(action.fields, actor=actor)
        if opened is None or trigger is None:
            raise _Rejected("no trigger of the process matches this signal")
        if self.incident is None:
            self.incident, self.opener = opened.id, actor
            return (
                f"opened {opened.id} at {opened.severity} in {opened.state} by trigger {trigger.id}"
            )
        if opened.id == self.incident:
            return f"deduplicated into {opened.id} by trigger {trigger.id}"
        raise _Rejected(
            f"the signal opened a second incident ({opened.id}, trigger {trigger.id}) "
            "instead of joining the first; a scenario drives one incident"
        )

    def advance(self, duration: timedelta) -> str:
        """Move the clock on, firing each timer at its due instant on the way."""
        target = self.now + duration
        written: list[Event] = []
        for _ in range(_MAX_TIMER_ROUNDS):
            due = self.engine.next_deadline()
            if due is None or due > target:
                break
            self.now = max(self.now, due)
            events = self.engine.tick(self.now)
            if not events:
                break  # pragma: no cover - a due timer always writes; never spin
            written += events
        self.now = target
        written += self.engine.tick(self.now)
        at = offset(self.now - self.scenario.start)
        fired = self.describe_timers(written)
        return f"now {at}; {fired}" if fired else f"now {at}; no timer fell due"

    def fire_due(self, now: datetime) -> str:
        """Fire timers already due (a severity change can make one overdue)."""
        return self.describe_timers(self.engine.tick(now))

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

    def expect(self, step: Step, expect: Expect) -> tuple[str, str, bool]:
        iid = self.require_incident()
        incident = self.engine.get(iid)
        window = self.invoked[self.window_start :]
        problems: list[tuple[str, str]] = []

        def same(key: str, actual: object, wanted: object) -> None:
            if wanted is not None and actual != wanted:
                problems.append((key, f"{key} is {_show(actual)}, expected {_show(wanted)}"))

        same("state", incident.state, expect.state)
        same("phase", incident.phase, expect.phase)
        same("severity", incident.severity, expect.severity)
        same("closed", incident.closed, expect.closed)
        if expect.actions is not None:
            self.compare_sets(
                problems, "actions", window, expect.actions, f"invoked since {self.since}"
            )
        if expect.breached is not None:
            breached = incident_metrics(self.engine.history(iid), self.now).breached
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
        at = offset(self.now - self.scenario.start)
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


def _where(step: Step) -> tuple[int, int, int, str]:
    return step.index, step.line, step.column, step.kind


def _show(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f"'{value}'" if value is not None else "none"


def _listing(names: Sequence[str]) -> str:
    """``page x2, open_channel`` (first-seen order, repeats counted) or ``none``."""
    if not names:
        return "none"
    counts = Counter(names)
    return ", ".join(f"{n} x{counts[n]}" if counts[n] > 1 else n for n in dict.fromkeys(names))


def _scalar(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _describe(step: Step) -> str:
    """A step in words (without its actor for steps that default it)."""
    action = step.action
    who = f" as {step.actor}" if step.actor else ""
    if isinstance(action, Signal):
        fields = ", ".join(f"{k}={_scalar(v)}" for k, v in action.fields.items())
        text = f"signal {fields}{who}"
    elif isinstance(action, Open):
        level = action.severity or f"{action.impact} x {action.urgency}"
        text = f"open at {level}{who}"
    elif isinstance(action, Assign):
        text = (
            f"unassign {action.role} from {action.person}{who}"
            if action.remove
            else f"assign {action.role} to {action.person}{who}"
        )
    elif isinstance(action, Check):
        text = f"check {', '.join(action.items)}{who}"
    elif isinstance(action, Fire):
        text = f"fire {action.transition}{who}"
    elif isinstance(action, SetSeverity):
        text = f"severity {action.level}{who}"
    elif isinstance(action, AddNote):
        short = action.text if len(action.text) <= 60 else action.text[:57] + "..."
        text = f"note '{short}'{who}"
    elif isinstance(action, Advance):
        text = f"advance {action.text}"
    else:
        text = "expect " + ", ".join(_expectations(action))
    if step.expect_refusal:
        text += f" (expect refusal: {step.expect_refusal})"
    return text


def _expectations(expect: Expect) -> list[str]:
    out = []
    for key in ("state", "phase", "severity", "closed"):
        value = getattr(expect, key)
        if value is not None:
            out.append(f"{key}={_show(value).strip(chr(39))}")
    for key in ("actions", "breached", "timers", "checklist"):
        value = getattr(expect, key)
        if value is not None:
            out.append(f"{key}=[{', '.join(value)}]")
    return out


def _doing(step: Step, actor: str) -> str:
    """``fire 'start_mitigation' as carol``: the step and its actor, for messages."""
    action = step.action
    subject = {
        "signal": "the signal",
        "open": "opening the incident",
        "severity": "the severity change",
        "note": "the note",
    }.get(step.kind, step.kind)
    name = ""
    if isinstance(action, Fire):
        name = f" '{action.transition}'"
    elif isinstance(action, Check):
        name = " " + ", ".join(f"'{i}'" for i in action.items)
    elif isinstance(action, Assign):
        name = f" {action.role} {'from' if action.remove else 'to'} {action.person}"
    elif isinstance(action, SetSeverity):
        name = f" to {action.level}"
    return f"{subject}{name} as {actor}"


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
                    Diagnostic(
                        str(path),
                        0,
                        0,
                        NOT_A_SCENARIO,
                        Severity.ERROR,
                        "the directory holds no scenario files (*.yaml, *.yml)",
                        hint="name scenario files, or a directory that holds some",
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


# --- formats ----------------------------------------------------------------------------


def _headline(report: ScenarioReport) -> str:
    c = report.counts()
    noun = "scenario" if c["scenarios"] == 1 else "scenarios"
    parts = [f"{c['passed']} passed", f"{c['failed']} failed"]
    if c["invalid"]:
        parts.append(f"{c['invalid']} invalid")
    if report.skipped:
        parts.append(f"{len(report.skipped)} skipped")
    return f"{c['scenarios']} {noun} on {report.process}: {', '.join(parts)}"


def _facts(result: ScenarioResult) -> str:
    if result.status == "invalid":
        n = len(result.diagnostics)
        return f"{n} problem{'s' * (n != 1)} in the file; not run"
    final = (
        f"ended {'closed' if result.closed else 'open'} in '{result.state}' at {result.severity}"
        if result.incident
        else "no incident opened"
    )
    audit = {True: "audit verified", False: "AUDIT BROKEN", None: "no audit"}[result.audit_verified]
    return (
        f"{len(result.steps)} steps, {offset(result.elapsed)} simulated, {final}, "
        f"{result.events} events, {audit}"
    )


def _format_text(report: ScenarioReport) -> str:
    blocks = []
    for result in report.results:
        title = f' "{result.name}"' if result.name else ""
        lines = [f"{result.status.upper()} {result.file}{title}", f"  {_facts(result)}"]
        width = max((len(str(s.line)) for s in result.steps), default=1)
        for s in result.steps:
            lines.append(
                f"  {s.status:<8}{offset(s.at):>9}  line {s.line:<{width}}  {s.text}: {s.outcome}"
            )
        if result.diagnostics:
            lines.append("")
            lines.append(format_text(result.diagnostics, report.sources).rstrip("\n"))
        blocks.append("\n".join(lines))
    if report.problems:
        blocks.append(format_text(report.problems, {}).rstrip("\n"))
    if report.skipped:
        blocks.append("\n".join(f"SKIPPED {file}: {why}" for file, why in report.skipped))
    blocks.append(_headline(report))
    return "\n\n".join(blocks) + "\n"


def _format_json(report: ScenarioReport) -> str:
    data = {
        "process": report.process,
        "ok": report.ok,
        "summary": report.counts(),
        "scenarios": [r.as_dict() for r in report.results],
        "skipped": [{"file": f, "reason": why} for f, why in report.skipped],
        "diagnostics": [d.as_dict() for d in report.diagnostics],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _format_markdown(report: ScenarioReport) -> str:
    out = [f"# Tabletop scenarios: {report.process}", "", f"**{_headline(report)}**", ""]
    out += ["| Scenario | File | Result | Summary |", "|---|---|---|---|"]
    for r in report.results:
        out.append(
            f"| {_cell(r.name or '-')} | `{_cell(r.file)}` | {r.status} | {_cell(_facts(r))} |"
        )
    for r in report.results:
        out += ["", f"## {_cell(r.name or r.file)} ({r.status})", ""]
        if r.description:
            out += [r.description.strip(), ""]
        if r.steps:
            out += ["| Line | Time | Step | Result | Outcome |", "|---:|---|---|---|---|"]
            for s in r.steps:
                out.append(
                    f"| {s.line} | {offset(s.at)} | {_cell(s.text)} | {s.status} | "
                    f"{_cell(s.outcome)} |"
                )
        if r.diagnostics:
            out += ["", "Problems:", ""]
            for d in r.diagnostics:
                hint = f" ({_cell(d.hint)})" if d.hint else ""
                out.append(f"- `{d.file}:{d.line}:{d.column}` {d.code} {_cell(d.message)}{hint}")
    if report.problems or report.skipped:
        out += ["", "## Not run", ""]
        for d in report.problems:
            out.append(f"- `{d.file}` {d.code} {_cell(d.message)}")
        for file, why in report.skipped:
            out.append(f"- `{file}` skipped: {why}")
    return "\n".join(out) + "\n"
