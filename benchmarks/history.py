"""(g) Periodic calls over a long history: ``tick()`` with many closed incidents.

A host calls ``tick()`` (and ``queue()``, ``next_deadline()``) every few seconds
for as long as it runs, while closed incidents pile up in its store. The engine
reads only open incidents after its first look, so a steady tick should cost the
same over 10,000 closed incidents as over none. Measured on an SQLiteStore (WAL,
``synchronous=FULL``): 10 open SEV1 incidents plus 0, 1,000 or 10,000 closed
ones (opened at SEV4, a responder assigned, cancelled), written by one engine; a
second engine (a restarted host) then ticks 30 times at a time when no timer is
due. Reported: its median steady tick, and the ratio 10,000 closed / none
(target <= 2.0).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import Outcome, median_time, ms, table, time_once
from incidentflow import Engine, SQLiteStore, load

SPEC = Path(__file__).resolve().parents[1] / "process_specs" / "major-incident.yaml"
HISTORIES = (0, 1_000, 10_000)
OPEN = 10
TICKS = 30
TARGET = 2.0
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _measure(closed: int, directory: Path) -> tuple[float, float]:
    """(first tick, median steady tick) in seconds, over ``closed`` closed incidents."""
    process = load(SPEC)
    path = directory / f"history-{closed}.db"
    writer = Engine(process, store=SQLiteStore(path, durable=False), clock=lambda: T0)
    for _ in range(closed):
        iid = writer.open("major-incident", severity="SEV4", actor="alice").id
        writer.assign(iid, "responder", "alice", actor="alice")
        writer.fire(iid, "cancel", actor="alice")
    for _ in range(OPEN):
        writer.open("major-incident", severity="SEV1", actor="alice")
    writer.store.close()
    host = Engine(process, store=SQLiteStore(path), clock=lambda: T0)
    first = time_once(host.tick)
    steady = median_time(lambda: host.tick(T0 + timedelta(seconds=1)), TICKS)
    host.store.close()
    return first, steady


def run() -> list[Outcome]:
    """Run the benchmark, print its table, return its summary line."""
    with tempfile.TemporaryDirectory(prefix="incidentflow-history-") as tmp:
        results = {closed: _measure(closed, Path(tmp)) for closed in HISTORIES}
    rows = [(f"{closed:,}", ms(first), ms(steady)) for closed, (first, steady) in results.items()]
    print(table(f"tick() with {OPEN} open incidents", ["closed", "first", "steady"], rows))
    ratio = results[HISTORIES[-1]][1] / results[0][1]
    print(f"steady tick, {HISTORIES[-1]:,} closed / none = {ratio:.2f} (target <= {TARGET})\n")
    return [Outcome("history", f"steady tick, {HISTORIES[-1]:,} closed / none", ratio, TARGET)]
