"""Read a migration mapping file: plain data with positions, or diagnostics at file:line:col.

The format (``docs/changing-a-process.md``)::

    process: major-incident      # optional: checked against both versions
    from: "1.0.0"                # optional: the version it moves incidents from
    to: "2.0.0"                  # optional: the version it moves them to
    checklist: keep              # keep | drop: ticks of items the new state also has
    timers: restart              # keep | restart | cancel: the state's running timers
    states:                      # old state -> new state
      triage: assessment
      monitoring: {to: watching, timers: keep, checklist: drop}
    levels:                      # old level -> new level (for levels the new version lacks)
      SEV5: SEV4

A state the new version has under the same name maps to itself unless the file says
otherwise; so does a level. The file is read with the specs' own safe reader
(:mod:`incidentflow.spec.yamlread`): no tags, bounded size and depth, duplicate keys
reported, every value at its line and column. Reading checks the shape only; what the
names mean is checked against both versions by :mod:`incidentflow.migration.check`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from incidentflow.diagnostics import Diagnostic, Position
from incidentflow.rules import rule
from incidentflow.spec.limits import DEFAULT_LIMITS, Limits
from incidentflow.spec.source import text_too_large
from incidentflow.spec.yamlread import Path, SourceMap, read_yaml
from incidentflow.suggest import did_you_mean

__all__ = [
    "CHECKLIST_POLICIES",
    "TIMER_POLICIES",
    "RawMapping",
    "StateEntry",
    "read_mapping",
    "read_mapping_data",
]

NOT_A_MAPPING = "IF901"
UNKNOWN_KEY = "IF902"
BAD_VALUE = "IF903"

TOP_KEYS = ("process", "from", "to", "checklist", "timers", "states", "levels")
STATE_KEYS = ("to", "checklist", "timers")
CHECKLIST_POLICIES = ("keep", "drop")
"""What happens to the ticks of the state's checklist: ``keep`` the ticks of items the new
state also has (the default), ``drop`` them all."""
TIMER_POLICIES = ("keep", "restart", "cancel")
"""What happens to the state's running timers: ``keep`` their due times (timers the new
state adds are planned from when the incident entered its state), ``restart`` the new
state's timers from the migration (the default), ``cancel`` them until the incident
leaves the state."""


def problem(file: str, at: Position, code: str, message: str, hint: str = "") -> Diagnostic:
    """A diagnostic about a mapping file, with the severity the rules catalogue gives."""
    return Diagnostic(file, at.line, at.column, code, rule(code).severity, message, hint)


@dataclass(frozen=True, slots=True)
class StateEntry:
    """One line of ``states:``: where an old state goes, and any policy of its own."""

    source: str
    target: str
    checklist: str | None
    timers: str | None
    at: Position  # the old state's key
    target_at: Position  # the target's value


@dataclass(frozen=True, slots=True)
class RawMapping:
    """A mapping file's content, its shape checked; names not yet checked."""

    file: str
    text: str
    process: str | None = None
    from_version: str | None = None
    to_version: str | None = None
    checklist: str = "keep"
    timers: str = "restart"
    states: tuple[StateEntry, ...] = ()
    levels: Mapping[str, tuple[str, Position, Position]] = field(default_factory=dict)
    source_map: SourceMap = field(default_factory=SourceMap)
    damaged: frozenset[str] = frozenset()
    """Old states and levels whose entry was malformed (already reported): the checks
    leave them alone rather than report them again as unmapped."""

    def at_key(self, *path: str | int) -> Position:
        """Where the key at ``path`` was written (the file's start if it was not)."""
        return self.source_map.key(path)

    def at_value(self, *path: str | int) -> Position:
        """Where the value at ``path`` was written."""
        return self.source_map.value(path)


def read_mapping(
    text: str, file: str, limits: Limits = DEFAULT_LIMITS
) -> tuple[RawMapping | None, list[Diagnostic]]:
    """The mapping written in ``text`` (None when it is not a mapping at all), and every
    problem of form found; malformed entries are left out (and listed in ``damaged``), so
    that the rest can still be checked against the versions."""
    too_large = text_too_large(text, file, limits)
    if too_large is not None:
        return None, [too_large]
    document, diagnostics = read_yaml(text, file, limits)
    if document is None:
        # the reader's "holds no spec" (IF103) is said here in a mapping's words
        return None, [_empty(d) if d.code == "IF103" else d for d in diagnostics]
    reader = _MappingReader(file, document.source_map)
    raw = reader.mapping(document.data, text)
    diagnostics += reader.diagnostics
    return raw, diagnostics


def read_mapping_data(
    data: Mapping[str, Any], file: str = "<mapping>"
) -> tuple[RawMapping | None, list[Diagnostic]]:
    """The mapping given as plain data (as a host writes it in code), as
    :func:`read_mapping` reads a file (problems at 1:1 of ``file``: plain data has no
    positions). Its ``text`` is the data's canonical JSON, which the plan's digest is
    taken of."""
    from incidentflow.audit.events import canonical_json

    reader = _MappingReader(file, SourceMap())
    try:
        text = canonical_json(data)
    except (TypeError, ValueError) as exc:
        reader.error(Position(1, 1), NOT_A_MAPPING, f"the mapping is not plain data: {exc}")
        return None, reader.diagnostics
    raw = reader.mapping(dict(data), text)
    return raw, reader.diagnostics


def _empty(nothing: Diagnostic) -> Diagnostic:
    return problem(
        nothing.file,
        Position(nothing.line, nothing.column),
        NOT_A_MAPPING,
        "the mapping file is empty (or only comments)",
        hint="start with 'states:' and map each old state to a new one "
        "(see docs/changing-a-process.md)",
    )


class _MappingReader:
    def __init__(self, file: str, source_map: SourceMap) -> None:
        self.file = file
        self.map = source_map
        self.diagnostics: list[Diagnostic] = []
        self.damaged: set[str] = set()

    def error(self, at: Position, code: str, message: str, hint: str = "") -> None:
        self.diagnostics.append(problem(self.file, at, code, message, hint))

    def mapping(self, data: Any, text: str) -> RawMapping | None:
        if not isinstance(data, dict) or not data:
            what = "nothing" if data is None or data == {} else f"a {_kind(data)}"
            self.error(
                self.map.value(()),
                NOT_A_MAPPING,
                f"a migration mapping is a mapping of keys to values, but this file holds {what}",
                hint="start with 'states:' and map each old state to a new one "
                "(see docs/changing-a-process.md)",
            )
            return None
        self.unknown_keys(data, (), TOP_KEYS, "the mapping's keys")
        process = self.name(data, "process", ())
        from_version = self.name(data, "from", ())
        to_version = self.name(data, "to", ())
        checklist = self.policy(data, "checklist", (), CHECKLIST_POLICIES) or "keep"
        timers = self.policy(data, "timers", (), TIMER_POLICIES) or "restart"
        states = self.states(data.get("states"))
        levels = self.levels(data.get("levels"))
        return RawMapping(
            self.file,
            text,
            process,
            from_version,
            to_version,
            checklist,
            timers,
            tuple(states),
            levels,
            self.map,
            frozenset(self.damaged),
        )

    def states(self, value: Any) -> list[StateEntry]:
        if value is None:
            return []
        if not isinstance(value, dict):
            self.error(
                self.map.value(("states",)),
                BAD_VALUE,
                f"'states' maps old states to new ones, but holds a {_kind(value)}",
                hint="write one 'old_state: new_state' per line under 'states:'",
            )
            return []
        entries = []
        for source, target in value.items():
            path: Path = ("states", source)
            at = self.map.key(path)
            if isinstance(target, str) and target:
                entries.append(StateEntry(source, target, None, None, at, self.map.value(path)))
                continue
            self.damaged.add(str(source))
            if not isinstance(target, dict):
                self.error(
                    self.map.value(path),
                    BAD_VALUE,
                    f"state '{source}' maps to a {_kind(target)}: give the new state's name, "
                    "or {to: NEW, checklist: ..., timers: ...}",
                    hint=f"for example '{source}: {source}'",
                )
                continue
            self.unknown_keys(target, path, STATE_KEYS, "a state's keys")
            name = self.name(target, "to", path)
            if name is None:
                if "to" not in target:
                    self.error(
                        self.map.value(path),
                        BAD_VALUE,
                        f"state '{source}' has no 'to': the new state it moves to",
                        hint=f"add 'to: {source}' (or the new state's name)",
                    )
                continue
            self.damaged.discard(str(source))
            entries.append(
                StateEntry(
                    source,
                    name,
                    self.policy(target, "checklist", path, CHECKLIST_POLICIES),
                    self.policy(target, "timers", path, TIMER_POLICIES),
                    at,
                    self.map.value((*path, "to")),
                )
            )
        return entries

    def levels(self, value: Any) -> dict[str, tuple[str, Position, Position]]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(
                self.map.value(("levels",)),
                BAD_VALUE,
                f"'levels' maps old levels to new ones, but holds a {_kind(value)}",
                hint="write one 'OLD: NEW' per line under 'levels:'",
            )
            return {}
        out = {}
        for source, target in value.items():
            path: Path = ("levels", source)
            if not isinstance(target, str) or not target:
                self.error(
                    self.map.value(path),
                    BAD_VALUE,
                    f"level '{source}' maps to a {_kind(target)}: give the new level's id",
                )
                self.damaged.add(str(source))
                continue
            out[source] = (target, self.map.key(path), self.map.value(path))
        return out

    def name(self, data: Mapping[str, Any], key: str, path: Path) -> str | None:
        if key not in data:
            return None
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float) or value == "":
            self.error(
                self.map.value((*path, key)),
                BAD_VALUE,
                f"'{key}' must be a name or version, not a {_kind(value)}",
            )
            return None
        return str(value)

    def policy(
        self, data: Mapping[str, Any], key: str, path: Path, allowed: tuple[str, ...]
    ) -> str | None:
        if key not in data:
            return None
        value = data[key]
        if value not in allowed:
            self.error(
                self.map.value((*path, key)),
                BAD_VALUE,
                f"'{key}' must be one of {', '.join(allowed)}, not {value!r}",
                hint=f"'{key}: {allowed[0]}' is the default"
                if key == "checklist"
                else "'timers: restart' is the default",
            )
            return None
        return str(value)

    def unknown_keys(
        self, data: Mapping[str, Any], path: Path, known: tuple[str, ...], noun: str
    ) -> None:
        for key in data:
            if key not in known:
                self.error(
                    self.map.key((*path, key)),
                    UNKNOWN_KEY,
                    f"a migration mapping has no key '{key}'"
                    + (f" under '{path[-1]}'" if path else ""),
                    hint=did_you_mean(str(key), known, noun.capitalize()),
                )


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if value is None:
        return "null"
    return type(value).__name__
