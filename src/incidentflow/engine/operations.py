"""The operations one asks of an engine, as plain data: one set for walks, drills and scenarios.

Each operation is a frozen dataclass that says what to do and who does it, so a
sequence of them is a script that prints, compares and replays. ``apply`` asks the
engine; a refusal raises the engine's own exception and writes nothing.
:func:`refusal` turns any :class:`~incidentflow.EngineError` into a :class:`Refused`:
the stable reason word and the detail that reports show.

- opening: :class:`Open` (at a level, or at the matrix's impact x urgency) and
  :class:`Signal` (the most severe matching trigger opens or joins an incident);
- on an open incident (:data:`IncidentOperation`): :class:`Assign`, :class:`Unassign`,
  :class:`CheckItem`, :class:`Fire`, :class:`SetSeverity`, :class:`AddNote`;
- time: :class:`Advance` lets time pass on a
  :class:`~incidentflow.engine.simclock.SimulatedClock`, each timer firing at its instant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from incidentflow.engine.engine import SYSTEM
from incidentflow.engine.simclock import SimulatedClock, advance_and_tick
from incidentflow.errors import EngineError, InvalidOperation, OperationRefused

if TYPE_CHECKING:
    from incidentflow.audit.events import Event
    from incidentflow.engine.engine import Engine
    from incidentflow.engine.state import Incident

# --- opening an incident --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Open:
    """``actor`` opens an incident of ``process`` at level ``severity``, or at the matrix's
    ``impact`` x ``urgency``."""

    process: str
    severity: str | None = None
    actor: str = SYSTEM
    impact: str | None = None
    urgency: str | None = None
    title: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    kind: ClassVar[str] = "open"

    def apply(self, engine: Engine) -> Incident:
        """The incident opened."""
        return engine.open(
            self.process,
            severity=self.severity,
            impact=self.impact,
            urgency=self.urgency,
            title=self.title,
            fields=self.fields,
            actor=self.actor,
        )

    def __str__(self) -> str:
        level = self.severity or f"{self.impact} x {self.urgency}"
        return f"{self.actor}: open {self.process} at {level}"


@dataclass(frozen=True, slots=True)
class Signal:
    """``actor`` sends a signal: the most severe matching trigger opens (or joins) an incident."""

    fields: Mapping[str, Any]
    actor: str = SYSTEM
    kind: ClassVar[str] = "signal"

    def apply(self, engine: Engine) -> Incident | None:
        """The incident opened or joined; None when no trigger matches."""
        return engine.signal(self.fields, actor=self.actor)

    def __str__(self) -> str:
        return f"{self.actor}: signal {dict(self.fields)}"


# --- on an open incident --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assign:
    """``actor`` gives ``person`` the ``role``."""

    role: str
    person: str
    actor: str
    kind: ClassVar[str] = "assign"

    def apply(self, engine: Engine, incident_id: str) -> Incident:
        """The incident after the operation."""
        return engine.assign(incident_id, self.role, self.person, actor=self.actor)

    def __str__(self) -> str:
        return f"{self.actor}: assign {self.role} to {self.person}"


@dataclass(frozen=True, slots=True)
class Unassign:
    """``actor`` takes the ``role`` away from ``person``."""

    role: str
    person: str
    actor: str
    kind: ClassVar[str] = "unassign"

    def apply(self, engine: Engine, incident_id: str) -> Incident:
        """The incident after the operation."""
        return engine.unassign(incident_id, self.role, self.person, actor=self.actor)

    def __str__(self) -> str:
        return f"{self.actor}: unassign {self.role} from {self.person}"


@dataclass(frozen=True, slots=True)
class CheckItem:
    """``actor`` ticks ``item`` of the current state's checklist."""

    item: str
    actor: str
    kind: ClassVar[str] = "check"

    def apply(self, engine: Engine, incident_id: str) -> Incident:
        """The incident after the operation."""
        return engine.check(incident_id, self.item, actor=self.actor)

    def __str__(self) -> str:
        return f"{self.actor}: check {self.item}"


@dataclass(frozen=True, slots=True)
class Fire:
    """``actor`` fires a transition by name."""

    transition: str
    actor: str
    kind: ClassVar[str] = "fire"

    def apply(self, engine: Engine, incident_id: str) -> Incident:
        """The incident after the operation."""
        return engine.fire(incident_id, self.transition, actor=self.actor)

    def __str__(self) -> str:
        return f"{self.actor}: fire {self.transition}"


@dataclass(frozen=True, slots=True)
class SetSeverity:
    """``actor`` changes the severity to ``level``, saying why in ``reason``."""

    level: str
    actor: str
    reason: str = ""
    kind: ClassVar[str] = "set_severity"

    def apply(self, engine: Engine, incident_id: str) -> Incident:
        """The incident after the operation."""
        return engine.set_severity(incident_id, self.level, actor=self.actor, reason=self.reason)

    def __str__(self) -> str:
        return f"{self.actor}: set severity {self.level}"


@dataclass(frozen=True, slots=True)
class AddNote:
    """``actor`` adds a note to the incident's log."""

    text: str
    actor: str
    kind: ClassVar[str] = "note"

    def apply(self, engine: Engine, incident_id: str) -> Incident:
        """The incident after the operation."""
        return engine.note(incident_id, self.text, actor=self.actor)

    def __str__(self) -> str:
        return f"{self.actor}: note {self.text!r}"


# --- time -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Advance:
    """``delta`` of simulated time passes; each timer fires at its due instant on the way."""

    delta: timedelta
    kind: ClassVar[str] = "advance"

    def apply(self, engine: Engine, clock: SimulatedClock) -> list[Event]:
        """The events the timers wrote (``engine`` must run on ``clock``)."""
        return advance_and_tick(engine, clock, until=clock.now + self.delta)

    def __str__(self) -> str:
        return f"advance {self.delta} and tick"


IncidentOperation = Assign | Unassign | CheckItem | Fire | SetSeverity | AddNote
"""An operation on one open incident."""

Operation = IncidentOperation | Advance
"""One step of a script on an open incident: an operation on it, or time passing."""

OPERATION_KINDS = ("assign", "unassign", "check", "fire", "set_severity", "note", "advance")
"""The ``kind`` of each :data:`Operation`."""


def perform(
    engine: Engine, incident_id: str, operation: Operation, clock: SimulatedClock | None
) -> None:
    """Perform ``operation`` on the incident; an :class:`Advance` moves ``clock`` (a TypeError
    without one). A refusal raises the engine's exception, as ``apply`` does."""
    if isinstance(operation, Advance):
        if clock is None:
            raise TypeError(
                "an Advance step needs a SimulatedClock: run it on an engine from "
                "incidentflow.testing.make_engine, or pass the engine's clock"
            )
        operation.apply(engine, clock)
    else:
        operation.apply(engine, incident_id)


# --- refusals -------------------------------------------------------------------------------

REFUSAL_REASONS: tuple[str, ...] = (
    "state",
    "role",
    "checklist",
    "guard",
    "terminal",
    "policy",
    "invalid",
)
"""The reasons :func:`refusal` gives: the stable words of
:class:`~incidentflow.OperationRefused`, and ``invalid`` for
:class:`~incidentflow.InvalidOperation`."""


@dataclass(frozen=True, slots=True)
class Refused:
    """Why the engine did not perform an operation.

    ``reason``: one of :data:`REFUSAL_REASONS`, or the exception's class name for any
    other :class:`~incidentflow.EngineError`; ``operation``: what was refused, as the
    engine names it (``assign``, ``fire 'close'``), or ``""`` when the error does not
    say; ``detail``: the engine's explanation.
    """

    reason: str
    operation: str
    detail: str

    def __str__(self) -> str:
        """``operation: detail`` (the detail alone when the operation is not known)."""
        return f"{self.operation}: {self.detail}" if self.operation else self.detail


def refusal(error: EngineError) -> Refused:
    """The :class:`Refused` an engine error stands for."""
    if isinstance(error, OperationRefused):
        return Refused(error.reason, error.operation, error.detail)
    if isinstance(error, InvalidOperation):
        return Refused("invalid", error.operation, error.reason)
    return Refused(type(error).__name__, "", str(error))
