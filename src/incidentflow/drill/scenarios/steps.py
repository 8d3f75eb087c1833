"""Read one step of a scenario file: its action, as the engine's operations, or its expectations.

A step is a mapping with exactly one action key (:data:`ACTIONS`) and some options
(:data:`OPTIONS`). Its operations are those of :mod:`incidentflow.engine.operations`,
taken by the step's ``as`` or else by whoever opened the incident; a ``check`` of
two items is two operations. Every name is checked against the process, when given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from incidentflow.drill.scenarios.check import Checker, kind_of
from incidentflow.drill.scenarios.model import (
    BAD_VALUE,
    BREACHABLE,
    MISSING_KEY,
    STEP_SHAPE,
    Expect,
    ScenarioOperation,
    ScenarioStep,
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
from incidentflow.spec.durations import parse_duration
from incidentflow.spec.yamlread import Path as YamlPath
from incidentflow.suggest import did_you_mean

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

_REFUSABLE = frozenset({"assign", "unassign", "check", "fire", "severity", "note"})
_NO_ACTOR = frozenset({"advance", "expect"})


class StepChecker(Checker):
    """Reads steps into :class:`~.model.ScenarioStep` s, collecting a diagnostic per problem."""

    def step(self, index: int, raw: Any, opener: str) -> ScenarioStep | None:
        path: YamlPath = ("steps", index)
        at = self.map.value(path)
        if not isinstance(raw, dict):
            self.error(
                at,
                STEP_SHAPE,
                f"step {index + 1} must be a mapping with one action key, not {kind_of(raw)}",
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
                f"{kind_of(value)} is not a refusal reason",
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
                self.at_value(path, BAD_VALUE, f"'fire' names a transition, not {kind_of(raw)}")
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
            path,
            BAD_VALUE,
            f"'{kind}' takes a mapping, not {kind_of(raw)}",
            f"for example {example}",
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
            self.at_value(path, BAD_VALUE, f"'severity' names a level, not {kind_of(raw)}")
            return None
        reason = self.text(step, "reason", path[:-1], empty=True) if "reason" in step else ""
        if reason is None or not self.known(raw, path, self.pool("level"), "level", "Levels"):
            return None
        return SetSeverity(raw, actor, reason)

    def advance(self, raw: Any, path: YamlPath) -> Advance | None:
        try:
            if not isinstance(raw, str):
                raise ValueError(f"{kind_of(raw)} is not a duration")
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
