"""What every check needs: the spec, positions, and a place to put diagnostics."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from incidentflow.diagnostics import Diagnostic, Note, Severity
from incidentflow.rules import rule
from incidentflow.spec.limits import MAX_DIAGNOSTICS, TooManyDiagnostics
from incidentflow.spec.loader import LoadedSpec
from incidentflow.spec.models import Spec
from incidentflow.spec.yamlread import Path


@dataclass(slots=True)
class CheckContext:
    """Collects diagnostics for one spec, placing each at the position of a data path."""

    loaded: LoadedSpec
    diagnostics: list[Diagnostic] = field(default_factory=list)
    memo: dict[str, Any] = field(default_factory=dict)  # facts several checks share

    @property
    def spec(self) -> Spec:
        return self.loaded.spec

    def report(
        self,
        code: str,
        path: Path,
        message: str,
        hint: str = "",
        *,
        at: Literal["value", "key"] = "value",
        notes: Iterable[Note] = (),
        severity: Severity | None = None,
    ) -> None:
        """Record a diagnostic at the value (or the key) found at ``path``.

        When the spec is the rest of one with broken values (``loaded.pruned``), only
        errors that are not consequences of what was left out are recorded.
        """
        severity = severity or rule(code).severity
        if self.loaded.pruned is not None and self._may_follow_from_pruning(path, at, severity):
            return
        smap = self.loaded.source_map
        pos = smap.key(path) if at == "key" else smap.value(path)
        length = len(str(path[-1])) if at == "key" and path else smap.length(path)
        self.diagnostics.append(
            Diagnostic(
                self.loaded.filename,
                pos.line,
                pos.column,
                code,
                severity,
                message,
                hint,
                tuple(notes),
                length,
            )
        )
        if len(self.diagnostics) > MAX_DIAGNOSTICS:
            raise TooManyDiagnostics

    def _may_follow_from_pruning(
        self, path: Path, at: Literal["value", "key"], severity: Severity
    ) -> bool:
        """True for what may be a consequence of the broken values left out of the spec:
        a warning, anything inside them, a reference to the name of a dropped entry."""
        pruned = self.loaded.pruned
        assert pruned is not None
        if severity is Severity.WARNING or pruned.hides(self.loaded.source_map.as_written(path)):
            return True
        return pruned.names_dropped(str(path[-1]) if at == "key" and path else pruned.subject(path))

    def note_at(self, path: Path, message: str, *, at: Literal["value", "key"] = "value") -> Note:
        """A note pointing at ``path``."""
        smap = self.loaded.source_map
        pos = smap.key(path) if at == "key" else smap.value(path)
        return Note(message, pos.line, pos.column)

    def line_of(self, path: Path, *, at: Literal["value", "key"] = "value") -> int:
        """The line where ``path`` was written."""
        smap = self.loaded.source_map
        return (smap.key(path) if at == "key" else smap.value(path)).line
