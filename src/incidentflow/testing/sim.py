"""A simulated clock, and an Engine that runs on it with an in-memory store."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

import incidentflow
from incidentflow.audit.store import Store
from incidentflow.compiler.process import Process
from incidentflow.engine.engine import ActionHandler, ActionRequest, Engine

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
"""Where simulated clocks start unless told otherwise (an arbitrary, fixed instant)."""

ProcessSource = Process | str | os.PathLike[str]
"""A compiled process, or the path of a spec to load."""


class SimClock:
    """A clock that moves only when told to: pass it as an Engine's ``clock``.

    ``clock.now`` is the current simulated time; ``clock.advance(timedelta(minutes=5))``
    moves it forward; calling the clock (as the engine does) returns ``now``.
    """

    def __init__(self, start: datetime = START) -> None:
        if start.tzinfo is None:
            raise ValueError("a SimClock needs an aware start time (for example with tzinfo=UTC)")
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` (never backwards) and return the new time."""
        if delta < timedelta(0):
            raise ValueError(f"a simulated clock never goes back (asked to advance by {delta})")
        self.now += delta
        return self.now

    def set(self, when: datetime) -> datetime:
        """Move the clock forward to ``when`` (never backwards) and return it."""
        return self.advance(when - self.now)

    def __repr__(self) -> str:
        return f"SimClock({self.now.isoformat()})"


class SimulatedEngine(Engine):
    """An :class:`~incidentflow.Engine` on a :class:`SimClock`, reachable as ``engine.clock``.

    Unless ``record_actions`` is False, every declared action without a handler of
    ``handlers`` gets one that succeeds and appends its request to ``engine.requests``,
    so a rehearsal can assert on what the process asked for (``page`` of whom, when).
    """

    def __init__(
        self,
        processes: Process | Iterable[Process],
        store: Store | None = None,
        clock: SimClock | None = None,
        *,
        handlers: Mapping[str, ActionHandler] | None = None,
        record_actions: bool = True,
        require_handlers: bool = False,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self.clock = clock if clock is not None else SimClock()
        self.requests: list[ActionRequest] = []
        listed = [processes] if isinstance(processes, Process) else list(processes)
        chosen = dict(handlers or {})
        if record_actions:
            for name in sorted({a for p in listed for a in p.spec.actions} - set(chosen)):
                chosen[name] = self.requests.append
        super().__init__(
            listed,
            store,
            self.clock,
            handlers=chosen,
            require_handlers=require_handlers,
            new_id=new_id,
        )


def load_processes(processes: ProcessSource | Iterable[ProcessSource]) -> list[Process]:
    """Compiled processes from processes, spec paths, or a list mixing both."""
    if isinstance(processes, Process | str | os.PathLike):
        processes = [processes]
    return [p if isinstance(p, Process) else incidentflow.load(p) for p in processes]


def make_engine(
    processes: ProcessSource | Iterable[ProcessSource],
    *,
    start: datetime = START,
    store: Store | None = None,
    handlers: Mapping[str, ActionHandler] | None = None,
    record_actions: bool = True,
    engine_class: type[SimulatedEngine] = SimulatedEngine,
) -> SimulatedEngine:
    """A fresh engine on a new :class:`SimClock` at ``start``, in memory unless ``store`` is given.

    ``processes``: a Process, a spec path, or a list of them. ``engine_class`` lets a
    test substitute a subclass (to inject a fault, say).
    """
    return engine_class(
        load_processes(processes),
        store,
        SimClock(start),
        handlers=handlers,
        record_actions=record_actions,
    )


class EngineFactory(Protocol):
    """What the ``incidentflow_engine`` fixture gives: :func:`~incidentflow.testing.make_engine`."""

    def __call__(
        self,
        processes: ProcessSource | Iterable[ProcessSource],
        *,
        start: datetime = START,
        store: Store | None = None,
        handlers: Mapping[str, ActionHandler] | None = None,
        record_actions: bool = True,
        engine_class: type[SimulatedEngine] = SimulatedEngine,
    ) -> SimulatedEngine: ...
