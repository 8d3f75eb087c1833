"""Walks: scripted sequences of operations on one incident, and what became of each.

A :class:`Walk` is plain data (the process, the level it opens at, and its
operations, from :mod:`incidentflow.engine.operations`), so a failing walk prints as
a script you can read and replay. Running
it on an engine opens the incident and performs each operation in turn, recording
an :class:`Outcome` for each: allowed, or refused with the engine's reason. A
refusal is an expected answer, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from incidentflow.engine.engine import Engine
from incidentflow.engine.operations import Open, Operation, perform, refusal
from incidentflow.engine.simclock import SimulatedClock
from incidentflow.errors import EngineError


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
        incident = Open(self.process, self.level, self.opener, title=self.title).apply(engine)
        iid = incident.id
        outcomes = []
        for op in self.ops:
            before = engine.get(iid).version
            length = len(engine.store.events(iid))
            reason: str | None = None
            detail = ""
            try:
                perform(engine, iid, op, clock)
            except EngineError as error:
                refused = refusal(error)
                reason, detail = refused.reason, refused.detail
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
