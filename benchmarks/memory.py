"""(e) Memory per live incident (its events excluded), and the cost of opening as incidents grow.

Memory (tracemalloc, after a full collection at each point): an Engine on a MemoryStore
that the benchmark also holds opens N incidents. Deleting the Engine then frees its
cache of IncidentState objects (and the empty Engine, measured separately and
subtracted) while the store keeps every event, so

- per incident, cached state = (after opening - after deleting the Engine - empty Engine) / N
- per incident, events       = (after deleting the Engine - before) / N

Objects the state shares with its events or the spec (state ids, the process name)
are charged to the events, as they stay when the state goes. The baseline is a host
model (id, severity, audit list) per incident on one ``transitions.Machine``:
``add_model`` alone, and model plus ``add_model``. Both run on the chain spec of
benchmark (d) and on process_specs/major-incident.yaml (no-op action handlers),
opened only and opened with two roles assigned. A deep-size walk of one replayed
IncidentState shows which fields the bytes go to.

Opening (no tracemalloc): fresh Engines open 10k, 40k and 100k incidents on the chain
spec, three times each (after a 2,000-incident warm-up); constant time per incident means linear.
"""

from __future__ import annotations

import gc
import statistics
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from transitions import Machine

import incidentflow
from benchmarks.common import Outcome, ms, table, time_once
from benchmarks.engine import (
    HOLDERS,
    HandIncident,
    chain_process,
    counter_ids,
    fixed_clock,
    new_engine,
    open_incidents,
)
from incidentflow.audit.events import Event
from incidentflow.audit.store import MemoryStore
from incidentflow.compiler.process import Process
from incidentflow.engine.engine import ActionRequest, Engine
from incidentflow.engine.state import IncidentState, replay

MEMORY_INCIDENTS = 10_000
SIZES = (10_000, 40_000, 100_000)
WARMUP = 2_000
REPEAT = 3
TARGET_BYTES = 1024
TARGET_LINEARITY = 1.5  # our choice, as in (c): per-incident time may grow by half
TIME_BUDGET = 60.0  # seconds for the largest size; larger sizes are skipped past it
MAJOR = Path(__file__).resolve().parent.parent / "process_specs" / "major-incident.yaml"


def _traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def _noop(request: ActionRequest) -> None:
    return None


def _engine(process: Process, store: MemoryStore) -> Engine:
    return Engine(
        process,
        store,
        clock=fixed_clock,
        new_id=counter_ids(),
        handlers=dict.fromkeys(process.spec.actions, _noop),
    )


def _roles(process: Process) -> dict[str, str]:
    """Two roles and their holders: the chain's, or the first two roles of another spec."""
    if set(HOLDERS) <= set(process.spec.roles):
        return HOLDERS
    first, second = list(process.spec.roles)[:2]
    return {first: "alice", second: "bob"}


def engine_bytes(
    process: Process, n: int, assign: bool
) -> tuple[float, float, IncidentState, list[Event]]:
    """(state bytes per incident, event bytes per incident, one replayed state, its events)."""
    store = MemoryStore()
    before = _traced()
    engine = _engine(process, store)
    empty = _traced() - before
    level = process.level_ids[0]
    holders = _roles(process)
    ids = []
    for _ in range(n):
        incident = engine.open(process.name, severity=level)
        if assign:
            for role, person in holders.items():
                engine.assign(incident.id, role, person, actor="system")
        ids.append(incident.id)
    full = _traced()
    del engine
    events_only = _traced()
    events = store.events(ids[-1])
    return (
        (full - events_only - empty) / n,
        (events_only - before) / n,
        replay(ids[-1], events),
        events,
    )


def machine_bytes(process: Process, n: int) -> tuple[float, float]:
    """(add_model bytes per model, host model bytes per model) on one Machine."""
    machine = Machine(
        model=None,
        states=list(process.states),
        transitions=[
            {"trigger": tr.name, "source": list(tr.sources), "dest": tr.to}
            for tr in process.spec.process.transitions
        ],
        initial=process.initial,
        auto_transitions=False,
    )
    before = _traced()
    models = [HandIncident(f"inc-{i:07d}", process.level_ids[0]) for i in range(n)]
    built = _traced()
    for model in models:
        machine.add_model(model)
    added = _traced()
    return (added - built) / n, (built - before) / n


def _reachable(root: object) -> Iterator[object]:
    """Every object reachable from ``root`` through containers and slots (each once)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        stack.extend(_children(obj))


def _children(obj: object) -> list[object]:
    if isinstance(obj, dict):
        return [*obj.keys(), *obj.values()]
    if isinstance(obj, list | tuple | set | frozenset):
        return list(obj)
    slots = [s for cls in type(obj).__mro__ for s in getattr(cls, "__slots__", ())]
    return [getattr(obj, s) for s in slots if hasattr(obj, s)]


def field_sizes(state: IncidentState, events: list[Event]) -> list[tuple[str, int]]:
    """sys.getsizeof bytes each slot of ``state`` holds, except objects its events also hold.

    Singletons (None, booleans, the empty string) count as shared too.
    """
    shared = {id(o) for o in _reachable([events, None, True, False, "", 0])}
    sizes = [("IncidentState object", sys.getsizeof(state))]
    for slot in IncidentState.__slots__:
        value = getattr(state, slot)
        own = sum(sys.getsizeof(o) for o in _reachable(value) if id(o) not in shared)
        sizes.append((slot, own))
    return sorted(sizes, key=lambda kv: kv[1], reverse=True)


def _open_once(process: Process, n: int) -> float:
    engine = new_engine(process)
    gc.collect()
    return time_once(lambda: open_incidents(engine, process, n, assign=False))


def opening_times(process: Process) -> dict[int, float]:
    """Median seconds to open each size of SIZES on a fresh Engine (stops past TIME_BUDGET)."""
    _open_once(process, WARMUP)
    seconds: dict[int, float] = {}
    for n in SIZES:
        seconds[n] = statistics.median(_open_once(process, n) for _ in range(REPEAT))
        if seconds[n] > TIME_BUDGET:
            break
    return seconds


def _memory(processes: dict[str, Process]) -> tuple[list[tuple[Any, ...]], dict[str, float], str]:
    rows: list[tuple[Any, ...]] = []
    chain: dict[str, float] = {}
    fields = ""
    tracemalloc.start()
    try:
        for label, process in processes.items():
            added, model = machine_bytes(process, MEMORY_INCIDENTS)
            for assign in (False, True):
                state, per_events, sample, events = engine_bytes(process, MEMORY_INCIDENTS, assign)
                what = "opened + 2 roles" if assign else "opened"
                sizes = (state, per_events, added, model + added)
                rows.append((label, what, *(f"{b:,.0f}" for b in sizes)))
                if label == "chain":
                    chain[what] = state
                if label == "chain" and assign:
                    top = field_sizes(sample, events)
                    fields = ", ".join(f"{name} {size}" for name, size in top[:6])
    finally:
        tracemalloc.stop()
    return rows, chain, fields


def run() -> list[Outcome]:
    """Run benchmark (e); print its tables; return its summary rows."""
    processes = {"chain": chain_process(), "major-incident": incidentflow.load(MAJOR)}
    rows, chain, fields = _memory(processes)
    print(
        table(
            f"(e) bytes per incident, {MEMORY_INCIDENTS:,} incidents (tracemalloc)",
            (
                "spec",
                "incidents",
                "cached state",
                "its events",
                "add_model",
                "host model+add_model",
            ),
            rows,
        )
    )
    print(f"    deep size of one chain IncidentState by field (bytes, sys.getsizeof): {fields}\n")
    seconds = opening_times(processes["chain"])
    print(
        table(
            f"    Engine.open on the chain spec (median of {REPEAT} fresh Engines per size)",
            ("incidents", "time", "per incident"),
            [(f"{n:,}", ms(s), f"{s / n * 1e6:.1f} us") for n, s in seconds.items()],
        )
    )
    outcomes = [
        Outcome("memory", f"cached state per incident, {what} (bytes)", value, TARGET_BYTES, " B")
        for what, value in chain.items()
    ]
    first, last = SIZES[0], max(seconds)
    if last != SIZES[-1]:
        print(f"opening {last:,} took over {TIME_BUDGET:.0f} s; larger sizes skipped")
    growth = (seconds[last] / last) / (seconds[first] / first)
    print(f"per-incident open time at {last:,} / at {first:,} = {growth:.2f} (1.0 = linear)\n")
    outcomes.append(
        Outcome("memory", f"open per-incident time {last:,} / {first:,}", growth, TARGET_LINEARITY)
    )
    return outcomes
