"""An Engine on a simulated clock with an in-memory store, and a factory of them for tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Protocol

import incidentflow
from incidentflow.audit.store import Store
from incidentflow.compiler.process import Process
from incidentflow.engine.engine import ActionHandler, ActionRequest, Engine
from incidentflow.engine.simclock import START, SimulatedClock

ProcessSource = Process | str | os.PathLike[str]
"""A compiled process, or the path of a spec to load."""


class SimulatedEngine(Engine):
    """An :class:`~incidentflow.Engine` on a :class:`SimulatedClock`, reachable as ``engine.clock``.

    Unless ``record_actions`` is False, every declared action without a handler of
    ``handlers`` gets one that succeeds and appends its request to ``engine.requests``,
    so a rehearsal can assert on what the process asked for (``page`` of whom, when).
    """

    def __init__(
        self,
        processes: Process | Iterable[Process],
        store: Store | None = None,
        clock: SimulatedClock | None = None,
        *,
        handlers: Mapping[str, ActionHandler] | None = None,
        record_actions: bool = True,
        require_handlers: bool = False,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self.clock = clock if clock is not None else SimulatedClock()
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
    """A fresh engine on a new :class:`SimulatedClock` at ``start``, in memory unless ``store`` is given.

    ``processes``: a Process, a spec path, or a list of them. ``engine_class`` lets a
    test substitute a subclass (to inject a fault, say).
    """
    return engine_class(
        load_processes(processes),
        store,
        SimulatedClock(start),
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
