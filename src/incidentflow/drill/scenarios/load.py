"""Read and check scenario files like specs: a typed Scenario, or every problem at once.

A scenario is a YAML file (see ``docs/scenarios.md``) read with the same safe
reader as specs, so every value keeps its 1-based position. This module turns
that plain data into a :class:`~incidentflow.drill.scenarios.model.Scenario` of
typed steps, or reports every problem at once as
:class:`~incidentflow.diagnostics.Diagnostic` s. Given a :class:`Process`, every
name a scenario uses (states, transitions, roles, checklist items, levels,
actions, timers) is checked against it, with a did-you-mean hint.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from incidentflow.diagnostics import Diagnostic, Note, Position
from incidentflow.drill.scenarios.model import (
    BAD_VALUE,
    BREACHABLE,
    DEFAULT_ACTOR,
    MISSING_KEY,
    NOT_A_SCENARIO,
    STEP_SHAPE,
    UNKNOWN_KEY,
    UNKNOWN_NAME,
    Expect,
    Scenario,
    ScenarioOperation,
    ScenarioStep,
    problem,
    show_value,
)
from incidentflow.engine.operations import (
    REFUSAL_REASONS,
    AddNote,
    Advance,
    Assign,
    CheckItem,
    Fire,
    Open,
    SetSeverity,
    Signal,
    Unassign,
)
from incidentflow.engine.simclock import START
from incidentflow.spec.durations import parse_duration
from incidentflow.spec.limits import DEFAULT_LIMITS, Limits
from incidentflow.spec.source import decode_source, too_large
from incidentflow.spec.yamlread import Path as YamlPath
from incidentflow.spec.yamlread import SourceMap, read_yaml
from incidentflow.suggest import did_you_mean

if TYPE_CHECKING:
    from incidentflow.compiler.process import Process


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
            problem(
                self.filename, at.line, at.column, code, message, hint, notes=notes, length=length
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
                f"'start' must be an ISO 8601 time, not {_kind(value)}",
                hint="for example: start: 2026-01-12T09:00:00Z",
            )
            return None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def steps(self, value: Any) -> list[ScenarioStep] | None:
        if not isinstance(value, list) or not value:
            self.at_value(
                ("steps",),
                BAD_VALUE,
                f"'steps' must be a non-empty list of steps, not {_kind(value)}",
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

    def step(self, index: int, raw: Any, opener: str) -> ScenarioStep | None:
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
        acting = None if kind in _NO_ACTOR else actor or opener
        action = self.action(kind, raw, (*path, kind), acting or "")
        if action is None or len(self.diagnostics) > errors:
            return None
        operations, expect = ((), action) if isinstance(action, Expect) else (action, None)
        text = _describe(kind, operations, expect, actor, raw[kind], refusal)
        return ScenarioStep(
            index, at.line, at.column, kind, operations, expect, acting, refusal, text
        )

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

    def action(
        self, kind: str, step: Mapping[str, Any], path: YamlPath, actor: str
    ) -> tuple[ScenarioOperation, ...] | Expect | None:
        """The step's operations (by ``actor``), or its expectations; None if it has problems."""
        raw = step[kind]
        if kind == "signal":
            signal = self.signal(raw, path, actor)
            return (signal,) if signal is not None else None
        if kind == "open":
            opening = self.open(raw, path, actor)
            return (opening,) if opening is not None else None
        if kind in ("assign", "unassign"):
            change = self.assign(raw, path, kind, actor)
            return (change,) if change is not None else None
        if kind == "check":
            items = self.names(raw, path, "'check'")
            if items is None or not self.all_known(
                items, path, self.pool("item"), "checklist item", "Checklist items"
            ):
                return None
            return tuple(CheckItem(item, actor) for item in items)
        if kind == "fire":
            if not isinstance(raw, str) or not raw:
                self.at_value(path, BAD_VALUE, f"'fire' names a transition, not {_kind(raw)}")
                return None
            if not self.known(raw, path, self.pool("transition"), "transition", "Transitions"):
                return None
            return (Fire(raw, actor),)
        if kind == "severity":
            level = self.severity(raw, step, path, actor)
            return (level,) if level is not None else None
        if kind == "note":
            text = self.text(step, "note", path[:-1], empty=False)
            return (AddNote(text, actor),) if text is not None else None
        if kind == "advance":
            advance = self.advance(raw, path)
            return (advance,) if advance is not None else None
        return self.expect(raw, path)

    def mapping(self, raw: Any, path: YamlPath, kind: str, example: str) -> dict[str, Any] | None:
        if isinstance(raw, dict):
            return raw
        self.at_value(
            path, BAD_VALUE, f"'{kind}' takes a mapping, not {_kind(raw)}", f"for example {example}"
        )
        return None

    def signal(self, raw: Any, path: YamlPath, actor: str) -> Signal | None:
        fields = self.mapping(raw, path, "signal", "signal: {service: api, availability: 0.4}")
        return Signal(fields, actor) if fields is not None else None

    def open(self, raw: Any, path: YamlPath, actor: str) -> Open | None:
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
            self.process.name if self.process is not None else "",  # the run fills it in
            values.get("severity"),
            actor,
            values.get("impact"),
            values.get("urgency"),
            title or "",
            fields,
        )

    def assign(self, raw: Any, path: YamlPath, kind: str, actor: str) -> Assign | Unassign | None:
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
        return Unassign(role, person, actor) if kind == "unassign" else Assign(role, person, actor)

    def severity(
        self, raw: Any, step: Mapping[str, Any], path: YamlPath, actor: str
    ) -> SetSeverity | None:
        if not isinstance(raw, str) or not raw:
            self.at_value(path, BAD_VALUE, f"'severity' names a level, not {_kind(raw)}")
            return None
        reason = self.text(step, "reason", path[:-1], empty=True) if "reason" in step else ""
        if reason is None or not self.known(raw, path, self.pool("level"), "level", "Levels"):
            return None
        return SetSeverity(raw, actor, reason)

    def advance(self, raw: Any, path: YamlPath) -> Advance | None:
        try:
            if not isinstance(raw, str):
                raise ValueError(f"{_kind(raw)} is not a duration")
            return Advance(parse_duration(raw))
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


def _describe(
    kind: str,
    operations: tuple[ScenarioOperation, ...],
    expect: Expect | None,
    actor: str | None,
    written: Any,
    refusal: str | None,
) -> str:
    """A step in words, as reports show it (its actor only when the step names one)."""
    who = f" as {actor}" if actor else ""
    match operations[0] if operations else expect:
        case Signal() as signal:
            fields = ", ".join(f"{k}={_scalar(v)}" for k, v in signal.fields.items())
            text = f"signal {fields}{who}"
        case Open() as opening:
            level = opening.severity or f"{opening.impact} x {opening.urgency}"
            text = f"open at {level}{who}"
        case Unassign() as change:
            text = f"unassign {change.role} from {change.person}{who}"
        case Assign() as change:
            text = f"assign {change.role} to {change.person}{who}"
        case CheckItem():
            items = [op.item for op in operations if isinstance(op, CheckItem)]
            text = f"check {', '.join(items)}{who}"
        case Fire() as fire:
            text = f"fire {fire.transition}{who}"
        case SetSeverity() as change:
            text = f"severity {change.level}{who}"
        case AddNote() as note:
            short = note.text if len(note.text) <= 60 else note.text[:57] + "..."
            text = f"note '{short}'{who}"
        case Advance():
            text = f"advance {str(written).strip()}"
        case _:
            assert expect is not None, kind
            text = "expect " + ", ".join(_expectations(expect))
    if refusal:
        text += f" (expect refusal: {refusal})"
    return text


def _expectations(expect: Expect) -> list[str]:
    out = []
    for key in ("state", "phase", "severity", "closed"):
        value = getattr(expect, key)
        if value is not None:
            out.append(f"{key}={show_value(value).strip(chr(39))}")
    for key in ("actions", "breached", "timers", "checklist"):
        value = getattr(expect, key)
        if value is not None:
            out.append(f"{key}=[{', '.join(value)}]")
    return out


def _scalar(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


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
    if len(text) * 4 > limits.max_bytes:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > limits.max_bytes:
            return [too_large(size, filename, limits)]
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
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = "it is a directory" if Path(path).is_dir() else (exc.strerror or str(exc)).lower()
        unreadable = problem(
            name, 0, 0, NOT_A_SCENARIO, f"cannot read the scenario: {reason}", "check the path"
        )
        return [unreadable], None
    text, decode_problem = decode_source(data, name, limits)
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
