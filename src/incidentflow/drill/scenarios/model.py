"""Scripted tabletop scenarios: the typed scenario, ready to run.

A scenario file (see ``docs/scenarios.md``) is read and checked by
:mod:`incidentflow.drill.scenarios.load` into a :class:`Scenario` of typed steps;
:mod:`incidentflow.drill.scenarios.run` plays it through the engine. Problems are
:class:`~incidentflow.diagnostics.Diagnostic` s with codes from :data:`SCENARIO_CODES`
(the 8xx family of :mod:`incidentflow.rules`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

from incidentflow.diagnostics import Diagnostic, Note
from incidentflow.engine.operations import Advance, IncidentOperation, Open, Signal
from incidentflow.rules import RULES, rule

# The codes of the scenario checker and runner: the 8xx family of the rules catalogue.
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
    code: RULES[code].summary
    for code in (
        UNKNOWN_KEY,
        STEP_SHAPE,
        UNKNOWN_NAME,
        BAD_VALUE,
        MISSING_KEY,
        NOT_A_SCENARIO,
        EXPECTATION_FAILED,
        STEP_REFUSED,
        REFUSAL_MISSING,
        STEP_INVALID,
    )
}
"""Every scenario diagnostic code with its summary, from :data:`incidentflow.rules.RULES`
(documented in ``docs/rules.md``)."""


def problem(
    file: str,
    line: int,
    column: int,
    code: str,
    message: str,
    hint: str = "",
    *,
    notes: tuple[Note, ...] = (),
    length: int = 1,
) -> Diagnostic:
    """A diagnostic about a scenario file, with the severity the rules catalogue gives ``code``."""
    return Diagnostic(
        file, line, column, code, rule(code).severity, message, hint, notes=notes, length=length
    )


DEFAULT_ACTOR = "scenario"
"""Who opens the incident when the opening step gives no ``as``."""

BREACHABLE: tuple[str, ...] = ("acknowledge_within", "resolve_within")
"""The SLA fields that incident metrics report as breached."""

# --- the typed scenario -----------------------------------------------------------------


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


ScenarioOperation: TypeAlias = Open | Signal | IncidentOperation | Advance
"""What a step asks of the engine (or of the clock): the engine's own operations."""


@dataclass(frozen=True, slots=True)
class ScenarioStep:
    """One step of a scenario: where it was written, what it asks, and what it expects.

    ``operations`` are performed in order (a ``check`` of two items is two); an
    ``open`` step's process is the one the scenario runs against. ``actor`` is who
    takes the step (its ``as``, or else whoever opened the incident); None for
    ``advance`` and ``expect``. ``text`` is the step in words, as reports show it.
    """

    index: int  # 0-based position in ``steps``
    line: int
    column: int
    kind: str  # the action key as written: signal, open, assign, ..., advance, expect
    operations: tuple[ScenarioOperation, ...]  # none for an expect step
    expect: Expect | None  # what an expect step checks
    actor: str | None
    expect_refusal: str | None
    text: str


def show_value(value: object) -> str:
    """How a value an expectation names reads in a message: ``'triage'``, ``true``, ``none``."""
    if isinstance(value, bool):
        return str(value).lower()
    return f"'{value}'" if value is not None else "none"


@dataclass(frozen=True, slots=True)
class Scenario:
    """A checked scenario, ready to run."""

    file: str
    name: str
    description: str
    process: str | None
    start: datetime
    steps: tuple[ScenarioStep, ...]
    text: str
