"""Subprocess entry point for tests/engine/test_workers_processes.py: an engine and a worker.

Run as ``python -m tests.helpers.worker_child COMMAND ...`` from the repository root.

``race STORE INDEX INCIDENTS SEED READY GO``
    One of several processes sharing STORE (an SQLite path, written without fsync for
    speed, or a ``postgresql://`` URL) on one simulated clock running at
    :data:`SPEED` times real time from the epoch written in GO. Touches READY once
    loaded, waits for GO, then: opens INCIDENTS incidents, starts a Worker thread on
    its engine, and makes random calls (notes, assignments, acknowledgements) on every
    incident in DB until :data:`CALLS_UNTIL` (and at least :data:`MIN_CALLS`); stops the worker at :data:`STOP_AT`, runs
    one last round and prints JSON: ``notes``/``assigns`` ``[[incident, text or person,
    version]]``, ``acks`` ``[incident]``, ``deliveries`` ``[[key, attempt]]``, ``final``
    (the time of the last round).
``skew DB TIMEFILE OFFSET ROUNDS``
    A worker whose own clock is the database's time plus OFFSET seconds, on a store
    whose clock reads TIMEFILE (the shared database time, ISO 8601). Runs ROUNDS rounds
    and prints JSON ``{"fired": [[incident, seq, time], ...]}``.
``skewpg URL OFFSET ROUNDS``
    The same on PostgreSQL: the worker's clock is this host's plus OFFSET seconds, the
    store's clock the server's.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from incidentflow import (
    ActionRequest,
    ConcurrencyError,
    Engine,
    OperationRefused,
    SQLiteStore,
    Worker,
    load,
)
from tests.helpers.stores import DelegatingStore

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "process_specs" / "major-incident.yaml"
OPENER = "svc"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SPEED = 300.0  # simulated seconds per real second: SEV1's 5-minute ack timer is 1 s
CALLS_UNTIL = T0 + timedelta(minutes=20)
MIN_CALLS = 100  # however long the openings took (a slow disk, a loaded machine)
STOP_AT = T0 + timedelta(minutes=25)  # every timer of the first two states is due by then
BARRIER_TIMEOUT = 30.0


def _wait_for(path: Path) -> str:
    deadline = time.monotonic() + BARRIER_TIMEOUT
    while not path.exists() or not path.read_text():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {path}")
        time.sleep(0.005)
    return path.read_text()


def open_shared(where: str) -> Any:
    """The store STORE names: a PostgreSQL URL, or an SQLite path (no fsync: speed)."""
    if "://" in where:
        from incidentflow.audit.urls import open_store

        return open_store(where)
    return SQLiteStore(where, durable=False)


def race(db: str, index: str, incidents: str, seed: str, ready: str, go: str) -> None:
    rng = random.Random(int(seed))
    deliveries: list[list[Any]] = []
    lock = threading.Lock()

    def deliver(request: ActionRequest) -> None:
        with lock:
            deliveries.append([request.idempotency_key, request.attempt])

    process = load(SPEC)
    epoch = 0.0

    def clock() -> datetime:
        return T0 + timedelta(seconds=(time.time() - epoch) * SPEED)

    store = open_shared(db)
    handlers = dict.fromkeys(process.spec.actions, deliver)
    engine = Engine(process, store, clock=clock, handlers=handlers)
    worker = Worker(engine, lease=3600, poll=0.02, worker_id=f"w{index}")
    Path(ready).touch()
    epoch = float(_wait_for(Path(go)))
    while time.time() < epoch:
        time.sleep(0.001)
    for _ in range(int(incidents)):
        engine.open("major-incident", severity="SEV1", actor=OPENER)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    notes: list[list[Any]] = []
    assigns: list[list[Any]] = []
    acks: list[str] = []
    n = 0
    while clock() < CALLS_UNTIL or n < MIN_CALLS:
        iid = rng.choice(store.incident_ids())
        choice = rng.random()
        try:
            if choice < 0.5:
                text = f"w{index}-{n}"
                notes.append([iid, text, engine.note(iid, text, actor=OPENER).version])
            elif choice < 0.8:
                person = f"rita{index}"
                if person not in engine.get(iid).assignments.get("responder", ()):
                    done = engine.assign(iid, "responder", person, actor=OPENER)
                    assigns.append([iid, person, done.version])
            else:
                engine.fire(iid, "acknowledge", actor=f"rita{index}")
                acks.append(iid)
        except (ConcurrencyError, OperationRefused):
            pass  # another process was first, or the timer escalated: part of the race
        n += 1
    while clock() < STOP_AT:
        time.sleep(0.01)
    stop.set()
    thread.join()
    final = worker.now()
    engine.tick(final)
    store.close()
    print(
        json.dumps(
            {
                "notes": notes,
                "assigns": assigns,
                "acks": acks,
                "deliveries": deliveries,
                "final": final.isoformat(),
                "calls": n,
            }
        )
    )


class FileClockStore(DelegatingStore):
    """An SQLite store whose clock, the database's time, is the ISO time in a file."""

    def __init__(self, db: str, timefile: str) -> None:
        inner = SQLiteStore(db)
        super().__init__(inner)
        self.opened_since = inner.opened_since  # type: ignore[attr-defined]
        self.timefile = Path(timefile)

    def now(self) -> datetime:
        return datetime.fromisoformat(self.timefile.read_text().strip())


def skew(db: str, timefile: str, offset: str, rounds: str) -> None:
    store = FileClockStore(db, timefile)
    skewed = timedelta(seconds=float(offset))
    _skewed_rounds(Engine(load(SPEC), store, clock=lambda: store.now() + skewed), offset, rounds)


def skewpg(url: str, offset: str, rounds: str) -> None:
    skewed = timedelta(seconds=float(offset))
    store = open_shared(url)
    _skewed_rounds(
        Engine(load(SPEC), store, clock=lambda: datetime.now(UTC) + skewed), offset, rounds
    )


def _skewed_rounds(engine: Engine, offset: str, rounds: str) -> None:
    store = engine.store
    worker = Worker(engine, worker_id=f"skewed{float(offset):+g}s")
    fired = []
    for _ in range(int(rounds)):
        fired += [
            [e.incident_id, e.seq, e.time] for e in worker.run_once() if e.kind == "timer_fired"
        ]
        time.sleep(0.005)
    store.close()
    print(json.dumps({"fired": fired}))


COMMANDS = {"race": race, "skew": skew, "skewpg": skewpg}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
