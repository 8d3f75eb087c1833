"""Subprocess entry point for tests/audit/test_durability.py: one OS process driving an Engine.

Run as ``python -m tests.helpers.durability_worker COMMAND DB ...`` from the repository
root. Commands:

``notes DB INCIDENT N TAG JITTER READY GO``
    Add N notes ``TAG-i`` to INCIDENT (as the opener ``svc``), retrying each on
    ConcurrencyError, pausing up to JITTER seconds between notes (so that SQLite's
    lock, which favours the last holder, lets the other process in). Touches READY
    once loaded, starts when GO exists; prints ``{"retries": ..., "versions": [...]}``.
``tick DB NOW READY GO``
    Call ``engine.tick(NOW)`` once (NOW: ISO 8601); prints JSON ``{"written":
    [[incident_id, seq, kind], ...], "conflicts": n}`` where ``conflicts`` counts the
    appends the store refused with ConcurrencyError (another process was first), single
    or in a batch.
``ticks DB START STEP COUNT ME READY GO``
    The same race, repeated: tick at START + k x STEP minutes for k = 1..COUNT, in step
    with one other process (ME: 0 or 1; after each tick, touch ``GO.k.ME`` and wait for
    the other's); prints the same JSON for all the ticks together.
``writeloop DB [INCIDENT]``
    Open an incident (unless given), print ``ID <id>``, then add notes forever,
    printing the version after each committed note (flushed), until killed.
``note DB INCIDENT TEXT``
    Add one note; print the new version.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from incidentflow import ConcurrencyError, Engine, SQLiteStore, load

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "process_specs" / "major-incident.yaml"
OPENER = "svc"
BARRIER_TIMEOUT = 20.0


def _engine(db: str, clock: datetime | None = None) -> Engine:
    store = SQLiteStore(db)
    return Engine(load(SPEC), store, clock=(lambda: clock) if clock is not None else None)


def _barrier(ready: str, go: str) -> None:
    Path(ready).touch()
    _barrier_on(Path(go))


def _barrier_on(go: Path) -> None:
    deadline = time.monotonic() + BARRIER_TIMEOUT
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("barrier timed out")
        time.sleep(0.0005)


def notes(db: str, incident: str, n: str, tag: str, jitter: str, ready: str, go: str) -> None:
    engine = _engine(db)
    engine.get(incident)  # load the spec and the incident before the race starts
    _barrier(ready, go)
    retries = 0
    versions = []
    for i in range(int(n)):
        while True:
            try:
                inc = engine.note(incident, f"{tag}-{i}", actor=OPENER)
                break
            except ConcurrencyError:
                retries += 1
        versions.append(inc.version)
        time.sleep(random.uniform(0, float(jitter)))
    engine.store.close()
    print(json.dumps({"retries": retries, "versions": versions}))


def tick(db: str, now: str, ready: str, go: str) -> None:
    _race_ticks(db, [datetime.fromisoformat(now)], ready, go)


def ticks(db: str, start: str, step: str, count: str, me: str, ready: str, go: str) -> None:
    """Tick at START + k x STEP minutes for k = 1..COUNT, in step with the other process:
    after each tick, touch GO.k.ME and wait for GO.k.<other> (ME is 0 or 1)."""
    at = datetime.fromisoformat(start)
    times = [at + timedelta(minutes=int(step) * k) for k in range(1, int(count) + 1)]
    other = 1 - int(me)

    def in_step(k: int) -> None:
        Path(f"{go}.{k}.{me}").touch()
        _barrier_on(Path(f"{go}.{k}.{other}"))

    _race_ticks(db, times, ready, go, after_each=in_step)


def _race_ticks(
    db: str,
    times: list[datetime],
    ready: str,
    go: str,
    after_each: Callable[[int], None] = lambda k: None,
) -> None:
    """Call ``engine.tick(t)`` for each of ``times`` once the race starts, and print what
    was written and how many appends another process won."""
    engine = _engine(db, clock=times[0])
    engine.queue()  # warm up: read every incident before the race starts
    store = engine.store
    append = store.append
    conflicts = 0

    def counting_append(incident_id: str, expected_version: int, events: Any) -> None:
        nonlocal conflicts
        try:
            append(incident_id, expected_version, events)
        except ConcurrencyError:
            conflicts += 1
            raise

    append_many = store.append_many

    def counting_append_many(appends: Any) -> list[ConcurrencyError]:
        nonlocal conflicts
        refused: list[ConcurrencyError] = append_many(appends)  # tick() writes its timers so
        conflicts += len(refused)
        return refused

    store.append = counting_append  # type: ignore[method-assign]
    store.append_many = counting_append_many  # type: ignore[method-assign]
    _barrier(ready, go)
    written = []
    for k, at in enumerate(times):
        written += engine.tick(at)
        after_each(k)
    store.close()
    print(
        json.dumps(
            {
                "written": [[e.incident_id, e.seq, e.kind] for e in written],
                "conflicts": conflicts,
            }
        )
    )


def writeloop(db: str, incident: str | None = None) -> None:
    engine = _engine(db)
    if incident is None:
        incident = engine.open("major-incident", severity="SEV1", actor=OPENER).id
    print(f"ID {incident}", flush=True)
    i = 0
    while True:
        inc = engine.note(incident, f"loop-{i}", actor=OPENER)
        print(inc.version, flush=True)
        i += 1


def note(db: str, incident: str, text: str) -> None:
    engine = _engine(db)
    inc = engine.note(incident, text, actor=OPENER)
    engine.store.close()
    print(inc.version)


COMMANDS = {"notes": notes, "tick": tick, "ticks": ticks, "writeloop": writeloop, "note": note}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
