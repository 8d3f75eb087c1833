"""The exceptions incidentflow raises. All derive from :class:`IncidentflowError`.

::

    IncidentflowError
    ├── SpecError        a spec (or a set of specs) has errors; carries the Diagnostics
    └── SpecFileError    a spec path cannot be read (missing, a directory, permissions)

Exceptions carry data, not only text: ``SpecError.diagnostics`` is the full list
(errors and warnings) so a caller can show or serialise every problem at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from incidentflow.diagnostics import Diagnostic


class IncidentflowError(Exception):
    """Base class of every exception raised by incidentflow."""


class SpecError(IncidentflowError):
    """A spec has errors. ``diagnostics`` holds all of them, with any warnings."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        errors = [d for d in self.diagnostics if d.is_error]
        first = errors[0] if errors else (self.diagnostics[0] if self.diagnostics else None)
        if first is None:
            text = "spec has errors"
        else:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            text = f"{first.file}:{first.line}:{first.column}: {first.code} {first.message}{more}"
        super().__init__(text)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the diagnostics of severity error."""
        return tuple(d for d in self.diagnostics if d.is_error)


class SpecFileError(IncidentflowError):
    """A spec path cannot be read. ``path`` is the path, ``reason`` says why."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")
