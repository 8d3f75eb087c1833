"""Read and check scenario files like specs: a typed Scenario, or every problem at once.

A scenario is a YAML file (see ``docs/scenarios.md``) read with the same safe
reader as specs, so every value keeps its 1-based position. This module turns
that plain data into a :class:`~incidentflow.drill.scenarios.model.Scenario` of
typed steps (each read by :mod:`.steps`), or reports every problem at once as
:class:`~incidentflow.diagnostics.Diagnostic` s. Given a :class:`Process`, every
name a scenario uses (states, transitions, roles, checklist items, levels,
actions, timers) is checked against it, with a did-you-mean hint.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from incidentflow.diagnostics import Diagnostic, Position
from incidentflow.drill.scenarios.check import kind_of
from incidentflow.drill.scenarios.model import (
    BAD_VALUE,
    DEFAULT_ACTOR,
    MISSING_KEY,
    NOT_A_SCENARIO,
    STEP_SHAPE,
    UNKNOWN_NAME,
    Scenario,
    ScenarioStep,
    problem,
)
from incidentflow.drill.scenarios.steps import ACTIONS, StepChecker
from incidentflow.engine.operations import Advance
from incidentflow.engine.simclock import START
from incidentflow.spec.durations import MAX_DURATION
from incidentflow.spec.limits import DEFAULT_LIMITS, Limits
from incidentflow.spec.source import NotRegularFile, read_spec_text, text_too_large
from incidentflow.spec.yamlread import read_yaml

if TYPE_CHECKING:
    from incidentflow.compiler.process import Process

TOP_KEYS: tuple[str, ...] = ("scenario", "description", "process", "start", "steps")

_OPENING = frozenset({"signal", "open"})
_NEEDS_INCIDENT = frozenset(ACTIONS) - _OPENING - {"advance"}


class _ScenarioChecker(StepChecker):
    """Turns plain data into a Scenario, collecting a diagnostic per problem."""

    def scenario(self, data: Any, text: str) -> Scenario | None:
        if not isinstance(data, dict):
            self.error(
                self.map.value(()),
                NOT_A_SCENARIO,
                f"a scenario is a mapping of keys to values, but this file holds {kind_of(data)}",
                hint="start the file with 'scenario: NAME' and give its 'steps:'",
            )
            return None
        self.unknown_keys(data, (), TOP_KEYS, "the scenario")
        for key in ("scenario", "steps"):
            if key not in data:
                self.error(
                    self.map.value(()),
                    MISSING_KEY,
                    f"the scenario has no '{key}'",
                    hint="a scenario needs 'scenario: NAME' and a list of 'steps:'",
                )
        name = self.text(data, "scenario", (), empty=False) if "scenario" in data else None
        description = (
            self.text(data, "description", (), empty=True) if "description" in data else ""
        )
        process_name = self.process_name(data)
        start = self.start(data)
        steps = self.steps(data["steps"]) if "steps" in data else None
        if start is not None and steps is not None:
            self.within_the_calendar(start, steps)
        if self.diagnostics or name is None or steps is None or start is None:
            return None
        return Scenario(
            self.filename,
            name.strip(),
            (description or "").strip(),
            process_name,
            start,
            tuple(steps),
            text,
        )

    def within_the_calendar(self, start: datetime, steps: list[ScenarioStep]) -> None:
        """The simulated clock, and the timers it plans, stay before the year 10000."""
        latest = datetime.max.replace(tzinfo=UTC) - MAX_DURATION  # timers plan this far ahead
        if start > latest:
            self.at_value(
                ("start",),
                BAD_VALUE,
                f"'start' is too close to the end of the calendar: timers planned up to "
                f"{MAX_DURATION.days} days later would pass the year 9999",
                hint="start the scenario at least a year before the end of 9999",
            )
            return
        room = latest - start
        for step in steps:
            for operation in step.operations:
                if not isinstance(operation, Advance):
                    continue
                if operation.delta > room:
                    self.error(
                        Position(step.line, step.column),
                        BAD_VALUE,
                        "the clock would run past the end of the calendar (the year 9999)",
                        hint="start the scenario earlier, or advance the clock less",
                        length=len(step.kind),
                    )
                    return
                room -= operation.delta

    def process_name(self, data: Mapping[str, Any]) -> str | None:
        if "process" not in data:
            return None
        name = self.text(data, "process", (), empty=False)
        if name is not None and self.process is not None and name != self.process.name:
            self.at_value(
                ("process",),
                UNKNOWN_NAME,
                f"this scenario is written for process '{name}', not '{self.process.name}'",
                hint="run it against the spec of that process",
            )
        return name

    def start(self, data: Mapping[str, Any]) -> datetime | None:
        if "start" not in data:
            return START  # the simulated time every rehearsal starts at by default
        value = data["start"]
        try:
            if not isinstance(value, str):
                raise ValueError
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            self.at_value(
                ("start",),
                BAD_VALUE,
                f"'start' must be an ISO 8601 time, not {kind_of(value)}",
                hint="for example: start: 2026-01-12T09:00:00Z",
            )
            return None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def steps(self, value: Any) -> list[ScenarioStep] | None:
        if not isinstance(value, list) or not value:
            self.at_value(
                ("steps",),
                BAD_VALUE,
                f"'steps' must be a non-empty list of steps, not {kind_of(value)}",
                hint="each step is a mapping such as '- fire: acknowledge'",
            )
            return None
        out: list[ScenarioStep] = []
        opened: int | None = None  # line of the step that opens the incident
        opener = DEFAULT_ACTOR  # who acts when a step says no 'as': whoever opened it
        for index, raw in enumerate(value):
            step = self.step(index, raw, opener)
            if step is None:
                continue
            at = Position(step.line, step.column)
            if step.kind in _NEEDS_INCIDENT and opened is None:
                self.error(
                    at,
                    STEP_SHAPE,
                    f"'{step.kind}' needs an incident, and none is open yet",
                    hint="open the incident first with a 'signal' or an 'open' step",
                    length=len(step.kind),
                )
            elif step.kind == "open" and opened is not None:
                self.error(
                    at,
                    STEP_SHAPE,
                    f"the incident is already opened (line {opened})",
                    hint="a scenario drives one incident; use a 'signal' to test deduplication",
                    length=4,
                )
            if step.kind in _OPENING and opened is None:
                opened = step.line
                opener = step.actor or opener
            out.append(step)
        return out


# --- entry points -----------------------------------------------------------------------


def scenario_from_text(
    text: str,
    filename: str,
    process: Process | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> Scenario | list[Diagnostic]:
    """Check scenario text; the Scenario, or every problem found (never raises for them)."""
    oversized = text_too_large(text, filename, limits)
    if oversized is not None:
        return [oversized]
    document, diagnostics = read_yaml(text, filename, limits)
    if document is None:
        return [_scenario_wording(d) for d in diagnostics]
    checker = _ScenarioChecker(filename, document.source_map, process)
    scenario = checker.scenario(document.data, text)
    problems = sorted([*diagnostics, *checker.diagnostics], key=Diagnostic.sort_key)
    if scenario is None or problems:
        return problems
    return scenario


def load_scenario(
    path: str | Path,
    process: Process | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> Scenario | list[Diagnostic]:
    """Read and check a scenario file (against ``process`` when given).

    Returns the :class:`Scenario`, or every problem found, each with its position.
    A file that cannot be read is reported (code IF806), not raised.
    """
    return read_scenario(path, process, limits=limits)[0]


def read_scenario(
    path: str | Path,
    process: Process | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[Scenario | list[Diagnostic], str | None]:
    """Like :func:`load_scenario`, plus the file's text when it could be decoded."""
    name = str(path)
    try:
        text, decode_problem = read_spec_text(path, name, limits)
    except OSError as exc:
        if isinstance(exc, IsADirectoryError):
            reason = "it is a directory"
        elif isinstance(exc, NotRegularFile):
            reason = f"it {exc.strerror}"
        else:
            reason = (exc.strerror or str(exc)).lower()
        unreadable = problem(
            name, 0, 0, NOT_A_SCENARIO, f"cannot read the scenario: {reason}", "check the path"
        )
        return [unreadable], None
    if text is None:
        assert decode_problem is not None
        return [decode_problem], None
    return scenario_from_text(text, name, process, limits=limits), text


def _scenario_wording(diagnostic: Diagnostic) -> Diagnostic:
    """The reader speaks of specs; an empty scenario file gets its own code and words."""
    if diagnostic.code != "IF103":
        return diagnostic
    return problem(
        diagnostic.file,
        diagnostic.line,
        diagnostic.column,
        NOT_A_SCENARIO,
        "the file holds no scenario (it is empty or only comments)",
        "start from an example in scenarios/",
    )
