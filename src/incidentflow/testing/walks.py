"""Walks: scripted sequences of operations on one incident, and what became of each.

A :class:`Walk` is plain data (the process, the level it opens at, and its
operations), so a failing walk prints as a script you can read and replay. Running
it on an engine opens the incident and performs each operation in turn, recording
an :class:`Outcome` for each: allowed, or refused with the engine's reason. A
refusal is an expected answer, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar

from incidentflow.engine.engine import Engine
from incidentflow.engine.simclock import SimulatedClock, advance_and_tick
from incidentflow.errors import EngineError, InvalidOperation, OperationRefused

# --- operations ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assign:
    """``actor`` gives ``person`` the ``role``."""

    role: str
    person: str
    actor: str
    kind: ClassVar[str] = "assign"

    def apply(self, engine: Engine, incident_id: str, clock: SimulatedClock | None) -> None:
        engine.assign(incident_id, self.role, self.person, actor=self.actor)

    def __str__(self) -> str:
        return f"{self.actor}: assign {self.role} to {self.person}"


@dataclass(frozen=True, slots=True)
class Unassign:
    """``actor`` takes the ``role`` away from ``person``."""

    role: str
    person: str
    actor: str
    kind: ClassVar[str] = "unassign"

    def apply(self, engine: Engine, incident_id: str, clock: SimulatedClock | None) -> None:
        engine.unassign(incident_id, self.role, self.person, actor=self.actor)

    def __str__(self) -> str:
        return f"{self.actor}: unassign {self.role} from {self.person}"


@dataclass(frozen=True, slots=True)
class Check:
    """``actor`` ticks a checklist item of the current state."""

    item: str
    actor: str
    kind: ClassVar[str] = "check"

    def apply(self, engine: Engine, incident_id: str, clock: SimulatedClock | None) -> None:
        engine.check(incident_id, self.item, actor=self.actor)

    def __str__(self) -> str:
        return f"{self.actor}: check {self.item}"


@dataclass(frozen=True, slots=True)
class Fire:
    """``actor`` fires a transition by name."""

    transition: str
    actor: str
    kind: ClassVar[str] = "fire"

    def apply(self, engine: Engine, incident_id: str, clock: SimulatedClock | None) -> None:
        engine.fire(incident_id, self.transition, actor=self.actor)

    def __str__(self) -> str:
        return f"{self.actor}: fire {self.transition}"


@dataclass(frozen=True, slots=True)
class SetSeverity:
    """``actor`` changes the severity to ``level``."""

    level: str
    actor: str
    kind: ClassVar[str] = "set_severity"

    def apply(self, engine: Engine, incident_id: str, clock: SimulatedClock | None) -> None:
        engine.set_severity(incident_id, self.level, actor=self.actor, reason="rehearsal")

    def __str__(self) -> str:
        return f"{self.actor}: set severity {self.level}"


@dataclass(frozen=True, slots=True)
class Note:
    """``actor`` adds a note."""

    text: str
    actor: str
    kind: ClassVar[str] = "note"

    def apply(self, engine: Engine, incident_id: str, clock: SimulatedClock | None) -> None:
        engine.note(incident_id, self.text, actor=self.actor)

    def __str__(self) -> str:
        return f"{self.actor}: note {self.text!r}"


@dataclass(frozen=True, slots=True)
class Advance:
    """Time passes by ``delta`` on the simulated clock; each timer fires at its due instant."""

    delta: timedelta
    kind: ClassVar[str] = "advance"

    def apply(self, engine: Engine, incident_id: str, clock: SimulatedClock | None) -> None:
        if clock is None:
            raise TypeError(
                "an Advance step needs a SimulatedClock: run the walk on an engine from "
                "incidentflow.testing.make_engine, or pass run(engine, clock=...)"
            )
        advance_and_tick(engine, clock, until=clock.now + self.delta)

    def __str__(self) -> str:
        return f"advance {self.delta} and tick"


Operation = Assign | Unassign | Check | Fire | SetSeverity | Note | Advance
"""One step of a walk."""

OPERATION_KINDS = ("assign", "unassign", "check", "fire", "set_severity", "note", "advance")


# --- outcomes -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one operation did.

    ``reason`` is None when the engine allowed the operation; otherwise the stable
    word of :class:`~incidentflow.OperationRefused` (``role``, ``state``, ``checklist``,
    ``guard``, ``terminal``, ``policy``), ``invalid`` for
    :class:`~incidentflow.InvalidOperation`, or the exception's class name.
    ``before``/``after`` are the incident's version, ``written`` the number of events
    its log grew by: a refused operation must leave both unchanged.
    """

    op: Operation
    allowed: bool
    reason: str | None
    detail: str
    before: int
    after: int
    written: int
    state: str  # after the operation
    severity: str  # after the operation

    def __str__(self) -> str:
        verdict = "ok" if self.allowed else f"refused ({self.reason}): {self.detail}"
        return f"{self.op} -> {verdict} [v{self.before}->v{self.after}, now {self.state}]"


def _refusal(error: EngineError) -> tuple[str, str]:
    if isinstance(error, OperationRefused):
        return error.reason, error.detail
    if isinstance(error, InvalidOperation):
        return "invalid", error.reason
    return type(error).__name__, str(error)


@dataclass(frozen=True, slots=True)
class WalkRun:
    """A walk performed on an engine: the incident it opened and every outcome, in order."""

    walk: Walk
    incident_id: str
    outcomes: tuple[Outcome, ...]

    @property
    def refused(self) -> tuple[Outcome, ...]:
        """The outcomes of the operations the engine refused."""
        return tuple(o for o in self.outcomes if not o.allowed)

    @property
    def allowed(self) -> tuple[Outcome, ...]:
        """The outcomes of the operations the engine performed."""
        return tuple(o for o in self.outcomes if o.allowed)

    def __str__(self) -> str:
        lines = [f"walk on {self.walk.process} at {self.walk.level}, incident {self.incident_id}:"]
        lines += [f"  {i}. {o}" for i, o in enumerate(self.outcomes, 1)]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Walk:
    """Open one incident of ``process`` at ``level`` (as ``opener``), then perform ``ops``."""

    process: str
    level: str
    ops: tuple[Operation, ...] = field(default=())
    opener: str = "system"
    title: str = "rehearsal"

    def __str__(self) -> str:
        lines = [f"open {self.process} at {self.level} as {self.opener}"]
        lines += [f"  {i}. {op}" for i, op in enumerate(self.ops, 1)]
        return "\n".join(lines)

    def run(self, engine: Engine, clock: SimulatedClock | None = None) -> WalkRun:
        """Perform the walk on ``engine``; refusals are recorded, never raised.

        ``clock`` moves time for :class:`Advance` steps; by default the engine's own
        ``clock`` attribute (what :func:`~incidentflow.testing.make_engine` gives).
        """
        if clock is None:
            found = getattr(engine, "clock", None)
            clock = found if isinstance(found, SimulatedClock) else None
        incident = engine.open(
            self.process, severity=self.level, title=self.title, actor=self.opener
        )
        iid = incident.id
        outcomes = []
        for op in self.ops:
            before = engine.get(iid).version
            length = len(engine.store.events(iid))
            reason: str | None = None
            detail = ""
            try:
                op.apply(engine, iid, clock)
            except EngineError as error:
                reason, detail = _refusal(error)
            now = engine.get(iid)
            written = len(engine.store.events(iid)) - length
            outcomes.append(
                Outcome(
                    op,
                    reason is None,
                    reason,
                    detail,
                    before,
                    now.version,
                    written,
                    now.state,
                    now.severity,
                )
            )
        return WalkRun(self, iid, tuple(outcomes))
