"""What every check of a scenario file needs: positions, shapes, and the names of the process.

:class:`Checker` collects one diagnostic per problem (codes of the 8xx family of
:mod:`incidentflow.rules`), each placed at the key or value the YAML reader found
it at; :mod:`.steps` and :mod:`.load` build on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from incidentflow.diagnostics import Diagnostic, Note, Position
from incidentflow.drill.scenarios.model import BAD_VALUE, UNKNOWN_KEY, UNKNOWN_NAME, problem
from incidentflow.spec.yamlread import Path as YamlPath
from incidentflow.spec.yamlread import SourceMap
from incidentflow.suggest import did_you_mean

if TYPE_CHECKING:
    from incidentflow.compiler.process import Process


class Checker:
    """Collects a diagnostic per problem found in one scenario file."""

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
        self.at_value((*path, key), BAD_VALUE, f"'{key}' must be {what}, not {kind_of(value)}")
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


def kind_of(value: Any) -> str:
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
