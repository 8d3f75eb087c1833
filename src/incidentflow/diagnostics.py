"""Diagnostics: what went wrong in a spec, where, and how to fix it.

A :class:`Diagnostic` is plain, immutable data (file, 1-based line and column,
a stable code such as ``IF203``, a severity, a message and a hint), so editors,
CI and tests can use it without parsing text. Formatting lives in
:mod:`incidentflow.reporting`.
"""

from __future__ import annotations

import enum
import reprlib
from dataclasses import dataclass, field


class Severity(enum.StrEnum):
    """How bad a diagnostic is: errors make a spec unusable, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Position:
    """A 1-based line and column in a source file."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Note:
    """A related location or an explanation attached to a diagnostic."""

    message: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One defect in one spec, at one place.

    ``line`` and ``column`` are 1-based; 0 means "the whole file" (for example
    when the file cannot be decoded at all). ``notes`` carry related locations
    and explanations (a counterexample path, the conflicting conditions); they
    are shown by the text format and are not part of the JSON contract.
    """

    file: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str
    hint: str = ""
    notes: tuple[Note, ...] = field(default=(), compare=False)
    length: int = field(default=1, compare=False)

    @property
    def is_error(self) -> bool:
        """True for errors (which make the spec unusable)."""
        return self.severity is Severity.ERROR

    def as_dict(self) -> dict[str, object]:
        """The JSON form: exactly file, line, column, code, severity, message, hint."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
        }

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order diagnostics by place, then code (stable output for diffs)."""
        return (self.file, self.line, self.column, self.code)


class SuppressedBy(enum.StrEnum):
    """What turned a warning off."""

    COMMENT = "comment"  # `# incidentflow: disable=CODE` on its line, or alone on the line above
    FILE_COMMENT = "file-comment"  # `# incidentflow: disable-file=CODE` anywhere in the file
    OPTION = "option"  # `validate --disable CODE`, or `check(..., disable=[CODE])`


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A warning that was found and turned off, with what turned it off.

    ``line`` and ``column`` are where the suppressing comment is (0 for the option);
    ``justification`` is the text written after the codes in that comment, if any.
    """

    diagnostic: Diagnostic
    by: SuppressedBy
    line: int = 0
    column: int = 0
    justification: str = ""

    def as_dict(self) -> dict[str, object]:
        """The diagnostic's JSON form plus ``suppressed``: by, line, column, justification."""
        return {
            **self.diagnostic.as_dict(),
            "suppressed": {
                "by": self.by.value,
                "line": self.line,
                "column": self.column,
                "justification": self.justification,
            },
        }


_BRIEF = reprlib.Repr()
_BRIEF.maxstring = _BRIEF.maxother = 60
_BRIEF.maxlong = 40
_BRIEF.maxlist = _BRIEF.maxtuple = _BRIEF.maxdict = 6


def brief(value: object) -> str:
    """``repr(value)`` for a message, shortened in the middle when it is long.

    A hostile spec can hold a value of megabytes where a short one belongs; the
    message names it without copying it (nor building its whole repr).
    """
    return _BRIEF.repr(value)
