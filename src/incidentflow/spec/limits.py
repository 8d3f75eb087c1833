"""Bounds that keep hostile or accidental input from costing unbounded time or memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from incidentflow.diagnostics import Diagnostic, Severity


@dataclass(frozen=True, slots=True)
class Limits:
    """What the loader accepts. The defaults are far above any real process spec.

    ``max_bytes`` bounds the file size, ``max_depth`` the nesting of mappings and
    sequences, and ``max_nodes`` the number of values after aliases are expanded
    (so an alias bomb fails at once instead of exhausting memory). The defaults are
    tuned so that the largest spec of any shape they accept validates in about a
    second (``python -m benchmarks hostile`` measures it): checking costs time in
    proportion to the number of values, far more than to the bytes.
    """

    max_bytes: int = 8 * 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 40_000  # about 1,100 states, 40 times the largest example


DEFAULT_LIMITS = Limits()

MAX_DIAGNOSTICS = 1000
"""The most diagnostics reported for one file. Checks stop early beyond it (IF115 says
so), which bounds the time a spec with thousands of problems can take to check."""


class TooManyDiagnostics(Exception):
    """Raised by a stage that has collected more than :data:`MAX_DIAGNOSTICS`: stop checking."""


def capped(diagnostics: Sequence[Diagnostic], filename: str) -> tuple[Diagnostic, ...]:
    """``diagnostics``, cut to :data:`MAX_DIAGNOSTICS` plus an IF115 error saying so when longer."""
    if len(diagnostics) <= MAX_DIAGNOSTICS:
        return tuple(diagnostics)
    shown = tuple(diagnostics[:MAX_DIAGNOSTICS])
    return (
        *shown,
        Diagnostic(  # an error even after warnings only: the checks did not all run
            filename,
            0,
            0,
            "IF115",
            Severity.ERROR,
            f"more than {MAX_DIAGNOSTICS:,} problems; only the first {MAX_DIAGNOSTICS:,} "
            "are shown and checking stopped there",
            hint="fix these and validate again",
        ),
    )
