"""Scripted tabletop scenarios: the file format, read and checked like a spec.

A scenario is a YAML file (see ``docs/scenarios.md``) read with the same safe
reader as specs, so every value keeps its 1-based position. This module turns
that plain data into a :class:`Scenario` of typed steps, or reports every
problem at once as :class:`~incidentflow.diagnostics.Diagnostic` s with codes
from :data:`SCENARIO_CODES`. Given a :class:`Process`, every name a scenario
uses (states, transitions, roles, checklist items, levels, actions, timers) is
checked against it, with a did-you-mean hint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from incidentflow.diagnostics import Diagnostic, Note, Position, Severity
from incidentflow.spec.durations import MAX_DURATION, parse_duration
from incidentflow.spec.limits import DEFAULT_LIMITS, Limits
from incidentflow.spec.source import NotRegularFile, read_spec_text, text_too_large
from incidentflow.spec.yamlread import Path as YamlPath
from incidentflow.spec.yamlread import SourceMap, read_yaml
from incidentflow.suggest import did_you_mean

if TYPE_CHECKING:
    from incidentflow.compiler.process import Process


# Scenario codes live in SCENARIO_CODES below, not in the spec rules table.
UNKNOWN_KEY = "IF801"
STEP_SHAPE = "IF802"
UNKNOWN_NAME = "IF803"
BAD_VALUE = "IF804"
MISSING_KEY = "IF805"
NOT_A_SCENARIO = "IF806"
EXPECTATION_FAILED = "IF810"
STEP_REFUSED = "IF811"
REFUSAL_MISSING = "IF812"
STEP_INVALID = "IF813"

SCENARIO_CODES: Mapping[str, str] = {
    UNKNOWN_KEY: "A key the scenario format does not have (the hint names the closest one).",
    STEP_SHAPE: "A step is not one action: no or several action keys, an option the action "
    "does not take, or a step that needs an open incident before one is opened.",
    UNKNOWN_NAME: "A name the process does not have: state, phase, transition, role, "
    "checklist item, level, action, timer, impact or urgency (or another process).",
    BAD_VALUE: "A value of the wrong type or form: a bad duration, time, refusal reason "
    "or an empty list where items are needed.",
    MISSING_KEY: "A required key is missing (`scenario`, `steps`, `role`, `person`, "
    "`as` on `fire`, ...).",
    NOT_A_SCENARIO: "The file cannot be read, is empty, or is not a mapping.",
    EXPECTATION_FAILED: "An `expect` step did not hold; the message says what actually happened.",
    STEP_REFUSED: "The engine refused a step that was expected to succeed.",
    REFUSAL_MISSING: "A step marked `expect_refusal` succeeded, or was refused for another reason.",
    STEP_INVALID: "The engine rejected a step as invalid now (an item of another state, "
    "a person who does not hold the role, a signal no trigger matches).",
}
"""Every scenario diagnostic code with its summary (documented in ``docs/scenarios.md``)."""

DEFAULT_START = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
"""The simulated time a scenario starts at when it gives no ``start``."""

DEFAULT_ACTOR = "scenario"
"""Who opens the incident when the opening step gives no ``as``."""

REFUSAL_REASONS: tuple[str, ...] = (
    "state",
    "role",
    "checklist",
    "guard",
    "terminal",
    "policy",
    "invalid",
)
"""What ``expect_refusal`` may name: the engine's refusal reasons, plus ``invalid``."""

BREACHABLE: tuple[str, ...] = ("acknowledge_within", "resolve_within")
"""The SLA fields that incident metrics report as breached."""

ACTIONS: tuple[str, ...] = (
    "signal",
    "open",
    "assign",
    "unassign",
    "check",
    "fire",
    "severity",
    "note",
    "advance",
    "expect",
)
"""The action keys of a step; a step has exactly one."""

OPTIONS: tuple[str, ...] = ("as", "expect_refusal", "reason")
"""The keys a step may have besides its action."""

TOP_KEYS: tuple[str, ...] = ("scenario", "description", "process", "start", "steps")
OPEN_KEYS: tuple[str, ...] = ("severity", "impact", "urgency", "title", "fields")
ROLE_KEYS: tuple[str, ...] = ("role", "person")
EXPECT_KEYS: tuple[str, ...] = (
    "state",
    "phase",
    "severity",
    "closed",
    "actions",
    "breached",
    "timers",
    "checklist",
)

_OPENING = frozenset({"signal", "open"})
_NEEDS_INCIDENT = frozenset(ACTIONS) - _OPENING - {"advance"}
_REFUSABLE = frozenset({"assign", "unassign", "check", "fire", "severity", "note"})
_NO_ACTOR = frozenset({"advance", "expect"})


# --- the typed scenario -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signal:
    """Send a signal: the most severe matching trigger opens (or joins) the incident."""

    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Open:
    """Open the incident at a level, or at the matrix's impact x urgency."""

    severity: str | None
    impact: str | None
    urgency: str | None
    title: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Assign:
    """Give ``person`` the ``role`` (or, with ``remove``, take it away)."""

    role: str
    person: str
    remove: bool = False


@dataclass(frozen=True, slots=True)
class Check:
    """Mark checklist items of the current state as done, in order."""

    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Fire:
    """Fire a transition."""

    transition: str


@dataclass(frozen=True, slots=True)
class SetSeverity:
    """Change the severity."""

    level: str
    reason: str


@dataclass(frozen=True, slots=True)
class AddNote:
    """Add a note to the log."""

    text: str


@dataclass(frozen=True, slots=True)
class Advance:
    """Move the simulated clock on; timers fire at their due instants on the way."""

    duration: timedelta
    text: str


@dataclass(frozen=True, slots=True)
class Expect:
    """What must hold now. ``None`` means "not checked"."""

    state: str | None = None
    phase: str | None = None
    severity: str | None = None
    closed: bool | None = None
    actions: tuple[str, ...] | None = None
    breached: tuple[str, ...] | None = None
    timers: tuple[str, ...] | None = None
    checklist: tuple[str, ...] | None = None
    lines: Mapping[str, int] = field(default_factory=dict)  # where each key was written


Action: TypeAlias = Signal | Open | Assign | Check | Fire | SetSeverity | AddNote | Advance | Expect


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a scenario, where it was written, and who takes it."""

    index: int  # 0-based position in ``steps``
    line: int
    column: int
    kind: str  # the action key: signal, open, assign, ...
    action: Action
    actor: str | None  # ``as``; None: the default (the opener)
    expect_refusal: str | None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A checked scenario, ready to run."""

    file: str
    name: str
    description: str
    process: str | None
    start: datetime
    steps: tuple[Step, ...]
    text: str


# --- reading ----------------------------------------------------------------------------


class _Checker:
    """Turns plain data into a Scenario, collecting a diagnostic per problem."""

    def __init__(self, filename: str, source_map: SourceMap, process: Process | None) -> None:
        self.filename = filename
        self.map = source_map
        self.process = process
        self.diagnostics: list[Diagnostic] = []

    # reporting

    def error(
        self,
        at: Position,
        code: str,
        message: str,
        hint: str = "",
        length: int = 1,
        notes: tuple[Note, ...] = (),
    ) -> None:
        self.diagnostics.append(
            Diagnostic(
                self.filename,
                at.line,
                at.column,
                code,
                Severity.ERROR,
                message,
                hint,
                notes=notes,
                length=length,
            )
        )

    def at_value(self, path: YamlPath, code: str, message: str, hint: str = "") -> None:
        self.error(self.map.value(path), code, message, hint, self.map.length(path))

    def at_key(self, path: YamlPath, code: str, message: str, hint: str = "") -> None:
        self.error(self.map.key(path), code, message, hint, len(str(path[-1])) if path else 1)

    # generic shapes

    def unknown_keys(
        self, data: Mapping[str, Any], path: YamlPath, allowed: Iterable[str], where: str
    ) -> None:
        pool = list(allowed)
        for key in data:
            if key not in pool:
                hint = did_you_mean(key, pool, "Keys")
                if where == "expect" and key == "refused":
                    hint = (
                        "to assert that a step is refused, give that step `expect_refusal: REASON`"
                    )
                self.at_key((*path, key), UNKNOWN_KEY, f"unknown key '{key}' in {where}", hint)

    def text(self, data: Mapping[str, Any], key: str, path: YamlPath, *, empty: bool) -> str | None:
        value = data.get(key)
        if isinstance(value, str) and (empty or value.strip()):
            return value
        what = "text" if empty else "non-empty text"
        self.at_value((*path, key), BAD_VALUE, f"'{key}' must be {what}, not {_kind(value)}")
        return None

    def names(self, value: Any, path: YamlPath, what: str) -> tuple[str, ...] | None:
        """A name or a list of names (a single name is a one-item list)."""
        if isinstance(value, str) and value:
            return (value,)
        if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
            return tuple(value)
        self.at_value(path, BAD_VALUE, f"{what} must be a name or a non-empty list of names")
        return None

    def known(
        self, name: str, path: YamlPath, pool: Iterable[str] | None, noun: str, plural: str
    ) -> bool:
        """True when ``name`` is in ``pool`` (always, when there is no process to check)."""
        if pool is None:
            return True
        candidates = list(pool)
        if name in candidates:
            return True
        where = f" '{self.process.name}'" if self.process is not None else ""
        self.at_value(
            path,
            UNKNOWN_NAME,
            f"the process{where} has no {noun} '{name}'",
            did_you_mean(name, candidates, plural),
        )
        return False

    def all_known(
        self,
        names: tuple[str, ...],
        path: YamlPath,
        pool: Iterable[str] | None,
        noun: str,
        plural: str,
    ) -> bool:
        listed = list(pool) if pool is not None else None
        ok = True
        for i, name in enumerate(names):
            sub = (*path, i) if (*path, i) in self.map.values else path
            ok = self.known(name, sub, listed, noun, plural) and ok
        return ok

    # what the process has (None: no process to check against)

    def pool(self, what: str) -> list[str] | None:
        p = self.process
        if p is None:
            return None
        spec = p.spec
        if what == "state":
            return list(p.states)
        if what == "phase":
            return list(dict.fromkeys(s.phase for s in p.states.values() if s.phase))
        if what == "transition":
            return list(dict.fromkeys(t.name for t in spec.process.transitions))
        if what == "role":
            return list(spec.roles)
        if what == "item":
            return list(dict.fromkeys(c.id for s in p.states.values() for c in s.checklist))
        if what == "level":
            return list(p.level_ids)
        if what == "action":
            return list(spec.actions)
        if what == "timer":
            return list(dict.fromkeys(t.id for s in p.states.values() for t in s.timers))
        if what == "impact":
            return list(spec.severity.impact or ())
        if what == "urgency":
            return list(spec.severity.urgency or ())
        raise AssertionError(what)

    # the file

    def scenario(self, data: Any, text: str) -> Scenario | None:
        if not isinstance(data, dict):
            self.error(
                self.map.value(()),
                NOT_A_SCENARIO,
                f"a scenario is a mapping of keys to values, but this file holds {_kind(data)}",
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

    def within_the_calendar(self, start: datetime, steps: list[Step]) -> None:
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
            if isinstance(step.action, Advance):
                if step.action.duration > room:
                    self.error(
                        Position(step.line, step.column),
                        BAD_VALUE,
                        "the clock would run past the end of the calendar (the year 9999)",
                        hint="start the scenario earlier, or advance the clock less",
                        length=len(step.kind),
                    )
                    return
                room -= step.action.duration

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
            return DEFAULT_START
        value = data["start"]
        try:
            if not isinstance(value, str):
                raise ValueError
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            self.at_value(
                ("start",),
                BAD_VALUE,
                f"'start' must be an ISO 8601 time, not {_kind(value)}",
                hint="for example: start: 2026-01-12T09:00:00Z",
            )
            return None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def steps(self, value: Any) -> list[Step] | None:
        if not isinstance(value, list) or not value:
            self.at_value(
                ("steps",),
                BAD_VALUE,
                f"'steps' must be a non-empty list of steps, not {_kind(value)}",
                hint="each step is a mapping such as '- fire: acknowledge'",
            )
            return None
        out: list[Step] = []
        opened: int | None = None  # line of the step that opens the incident
        for index, raw in enumerate(value):
            step = self.step(index, raw)
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
            out.append(step)
        return out

    def step(self, index: int, raw: Any) -> Step | None:
        path: YamlPath = ("steps", index)
        at = self.map.value(path)
        if not isinstance(raw, dict):
            self.error(
                at,
                STEP_SHAPE,
                f"step {index + 1} must be a mapping with one action key, not {_kind(raw)}",
                hint=f"for example '- fire: acknowledge'; actions are: {', '.join(ACTIONS)}",
            )
            return None
        errors = len(self.diagnostics)
        self.unknown_keys(raw, path, (*ACTIONS, *OPTIONS), "a step")
        kinds = [k for k in raw if k in ACTIONS]
        if len(kinds) != 1:
            listed = ", ".join(f"'{k}'" for k in kinds)
            message = (
                f"step {index + 1} has no action key"
                if not kinds
                else f"step {index + 1} has several action keys ({listed})"
            )
            self.error(
                at,
                STEP_SHAPE,
                message,
                hint=f"write one action per step; actions are: {', '.join(ACTIONS)}",
            )
            return None
        kind = kinds[0]
        actor = self.actor(raw, path, kind)
        refusal = self.refusal(raw, path, kind)
        if "reason" in raw and kind != "severity":
            self.at_key(
                (*path, "reason"),
                STEP_SHAPE,
                f"'reason' belongs to a 'severity' step, not to '{kind}'",
            )
        action = self.action(kind, raw, (*path, kind))
        if action is None or len(self.diagnostics) > errors:
            return None
        return Step(index, at.line, at.column, kind, action, actor, refusal)

    def actor(self, raw: Mapping[str, Any], path: YamlPath, kind: str) -> str | None:
        if "as" not in raw:
            if kind == "fire":
                self.error(
                    self.map.value(path),
                    MISSING_KEY,
                    "a 'fire' step must say who fires the transition",
                    hint="add 'as: PERSON' (someone who holds one of the transition's roles)",
                    length=4,
                )
            return None
        if kind in _NO_ACTOR:
            self.at_key((*path, "as"), STEP_SHAPE, f"'{kind}' has no actor; remove 'as'")
            return None
        return self.text(raw, "as", path, empty=False)

    def refusal(self, raw: Mapping[str, Any], path: YamlPath, kind: str) -> str | None:
        if "expect_refusal" not in raw:
            return None
        if kind not in _REFUSABLE:
            self.at_key(
                (*path, "expect_refusal"),
                STEP_SHAPE,
                f"a '{kind}' step cannot be refused",
                hint=f"only these steps can be: {', '.join(sorted(_REFUSABLE))}",
            )
            return None
        value = raw["expect_refusal"]
        if value not in REFUSAL_REASONS:
            self.at_value(
                (*path, "expect_refusal"),
                BAD_VALUE,
                f"{_kind(value)} is not a refusal reason",
                did_you_mean(str(value), REFUSAL_REASONS, "Reasons"),
            )
            return None
        return str(value)

    def action(self, kind: str, step: Mapping[str, Any], path: YamlPath) -> Action | None:
        raw = step[kind]
        if kind == "signal":
            return self.signal(raw, path)
        if kind == "open":
            return self.open(raw, path)
        if kind in ("assign", "unassign"):
            return self.assign(raw, path, kind)
        if kind == "check":
            items = self.names(raw, path, "'check'")
            if items is None or not self.all_known(
                items, path, self.pool("item"), "checklist item", "Checklist items"
            ):
                return None
            return Check(items)
        if kind == "fire":
            if not isinstance(raw, str) or not raw:
                self.at_value(path, BAD_VALUE, f"'fire' names a transition, not {_kind(raw)}")
                return None
            if not self.known(raw, path, self.pool("transition"), "transition", "Transitions"):
                return None
            return Fire(raw)
        if kind == "severity":
            return self.severity(raw, step, path)
        if kind == "note":
            text = self.text(step, "note", path[:-1], empty=False)
            return AddNote(text) if text is not None else None
        if kind == "advance":
            return self.advance(raw, path)
        return self.expect(raw, path)

    def mapping(self, raw: Any, path: YamlPath, kind: str, example: str) -> dict[str, Any] | None:
        if isinstance(raw, dict):
            return raw
        self.at_value(
            path, BAD_VALUE, f"'{kind}' takes a mapping, not {_kind(raw)}", f"for example {example}"
        )
        return None

    def signal(self, raw: Any, path: YamlPath) -> Signal | None:
        fields = self.mapping(raw, path, "signal", "signal: {service: api, availability: 0.4}")
        return Signal(fields) if fields is not None else None

    def open(self, raw: Any, path: YamlPath) -> Open | None:
        data = self.mapping(raw, path, "open", "open: {severity: SEV2}")
        if data is None:
            return None
        errors = len(self.diagnostics)
        self.unknown_keys(data, path, OPEN_KEYS, "'open'")
        has_level = "severity" in data
        has_matrix = "impact" in data or "urgency" in data
        if has_level == has_matrix or (has_matrix and not ("impact" in data and "urgency" in data)):
            self.at_value(
                path,
                BAD_VALUE if has_level and has_matrix else MISSING_KEY,
                "'open' needs a 'severity', or both 'impact' and 'urgency'",
                hint="for example open: {severity: SEV2} or open: {impact: high, urgency: low}",
            )
        values: dict[str, str | None] = {}
        for key, noun, plural in (
            ("severity", "level", "Levels"),
            ("impact", "impact", "Impacts"),
            ("urgency", "urgency", "Urgencies"),
        ):
            if key in data:
                text = self.text(data, key, path, empty=False)
                if text is not None:
                    self.known(text, (*path, key), self.pool(noun), noun, plural)
                values[key] = text
        title = self.text(data, "title", path, empty=True) if "title" in data else ""
        fields = data.get("fields", {})
        if not isinstance(fields, dict):
            self.at_value((*path, "fields"), BAD_VALUE, "'fields' must be a mapping")
        if len(self.diagnostics) > errors:
            return None
        return Open(
            values.get("severity"), values.get("impact"), values.get("urgency"), title or "", fields
        )

    def assign(self, raw: Any, path: YamlPath, kind: str) -> Assign | None:
        data = self.mapping(raw, path, kind, f"{kind}: {{role: commander, person: carol}}")
        if data is None:
            return None
        errors = len(self.diagnostics)
        self.unknown_keys(data, path, ROLE_KEYS, f"'{kind}'")
        for key in ROLE_KEYS:
            if key not in data:
                self.at_value(path, MISSING_KEY, f"'{kind}' needs a '{key}'")
        role = self.text(data, "role", path, empty=False) if "role" in data else None
        person = self.text(data, "person", path, empty=False) if "person" in data else None
        if role is not None:
            self.known(role, (*path, "role"), self.pool("role"), "role", "Roles")
        if len(self.diagnostics) > errors or role is None or person is None:
            return None
        return Assign(role, person, remove=kind == "unassign")

    def severity(self, raw: Any, step: Mapping[str, Any], path: YamlPath) -> SetSeverity | None:
        if not isinstance(raw, str) or not raw:
            self.at_value(path, BAD_VALUE, f"'severity' names a level, not {_kind(raw)}")
            return None
        reason = self.text(step, "reason", path[:-1], empty=True) if "reason" in step else ""
        if reason is None or not self.known(raw, path, self.pool("level"), "level", "Levels"):
            return None
        return SetSeverity(raw, reason)

    def advance(self, raw: Any, path: YamlPath) -> Advance | None:
        try:
            if not isinstance(raw, str):
                raise ValueError(f"{_kind(raw)} is not a duration")
            return Advance(parse_duration(raw), raw.strip())
        except ValueError as exc:
            self.at_value(
                path,
                BAD_VALUE,
                f"'advance' takes a duration: {exc}",
                hint="write 45s, 20m, 1h30m, 2d or ISO 8601 such as PT20M",
            )
            return None

    def expect(self, raw: Any, path: YamlPath) -> Expect | None:
        data = self.mapping(raw, path, "expect", "expect: {state: triage, severity: SEV1}")
        if data is None:
            return None
        errors = len(self.diagnostics)
        self.unknown_keys(data, path, EXPECT_KEYS, "expect")
        if not data:
            self.at_value(path, BAD_VALUE, "'expect' must check something", hint=_expect_hint())
            return None
        single: dict[str, str] = {}
        for key, noun, plural in (
            ("state", "state", "States"),
            ("phase", "phase", "Phases"),
            ("severity", "level", "Levels"),
        ):
            if key in data:
                text = self.text(data, key, path, empty=False)
                if text is not None and self.known(
                    text, (*path, key), self.pool(noun), noun, plural
                ):
                    single[key] = text
        closed = data.get("closed")
        if "closed" in data and not isinstance(closed, bool):
            self.at_value((*path, "closed"), BAD_VALUE, "'closed' must be true or false")
        lists: dict[str, tuple[str, ...]] = {}
        for key, pool, noun, plural in (
            ("actions", self.pool("action"), "action", "Actions"),
            ("breached", list(BREACHABLE), "breachable SLA", "Breachable SLAs"),
            ("timers", self.pool("timer"), "timer", "Timers"),
            ("checklist", self.pool("item"), "checklist item", "Checklist items"),
        ):
            if key not in data:
                continue
            value = data[key]
            names = () if value == [] else self.names(value, (*path, key), f"'{key}'")
            if names is not None and self.all_known(names, (*path, key), pool, noun, plural):
                lists[key] = names
        if len(self.diagnostics) > errors:
            return None
        lines = {key: self.map.key((*path, key)).line for key in data}
        return Expect(
            state=single.get("state"),
            phase=single.get("phase"),
            severity=single.get("severity"),
            closed=closed if isinstance(closed, bool) else None,
            actions=lists.get("actions"),
            breached=lists.get("breached"),
            timers=lists.get("timers"),
            checklist=lists.get("checklist"),
            lines=lines,
        )


def _expect_hint() -> str:
    return f"give one or more of: {', '.join(EXPECT_KEYS)}"


def _kind(value: Any) -> str:
    """How a value reads in a message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if isinstance(value, str | int | float):
        return f"'{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__  # pragma: no cover - the reader yields only the above


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
    checker = _Checker(filename, document.source_map, process)
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
        problem = Diagnostic(
            name,
            0,
            0,
            NOT_A_SCENARIO,
            Severity.ERROR,
            f"cannot read the scenario: {reason}",
            hint="check the path",
        )
        return [problem], None
    if text is None:
        assert decode_problem is not None
        return [decode_problem], None
    return scenario_from_text(text, name, process, limits=limits), text


def _scenario_wording(diagnostic: Diagnostic) -> Diagnostic:
    """The reader speaks of specs; an empty scenario file gets its own code and words."""
    if diagnostic.code != "IF103":
        return diagnostic
    return Diagnostic(
        diagnostic.file,
        diagnostic.line,
        diagnostic.column,
        NOT_A_SCENARIO,
        Severity.ERROR,
        "the file holds no scenario (it is empty or only comments)",
        hint="start from an example in scenarios/",
    )
