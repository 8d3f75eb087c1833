"""Subprocess entry point for tests/audit/test_postgres_store.py: one OS process writing to
PostgreSQL. Run as ``python -m tests.helpers.pg_worker COMMAND URL SCHEMA ...``.

``batches URL SCHEMA SIZE``
    Forever: open a new incident with one append of SIZE pre-sealed events, then print
    ``<incident id> <SIZE>`` (flushed) once the append has returned (committed).
``notes URL SCHEMA INCIDENT N``
    Add notes ``note-0`` .. ``note-{N-1}`` to INCIDENT, each with ``expected_version``;
    on StoreError (the server went away) retry the same note after a pause; on
    ConcurrencyError check the note landed (an append whose commit outcome was unknown)
    and go on. Prints ``committed <i>`` after each, then ``done <retries>``.
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

from incidentflow import ConcurrencyError, Engine, PostgresStore, StoreError, load
from incidentflow.audit.events import GENESIS, seal

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "process_specs" / "major-incident.yaml"


def batches(url: str, schema: str, size: str) -> None:
    store = PostgresStore(url, schema=schema, max_connections=1)
    n = int(size)
    spec = ("major-incident", "1", "0" * 64)
    while True:
        iid = f"INC-{uuid.uuid4().hex[:12]}"
        events, prev = [], GENESIS
        for seq in range(1, n + 1):
            kind = "opened" if seq == 1 else "noted"
            data = {"process": "major-incident"} if seq == 1 else {"text": f"line {seq}"}
            event = seal(iid, seq, "2024-05-01T12:00:00+00:00", "svc", kind, data, spec, prev)
            events.append(event)
            prev = event.hash
        store.append(iid, 0, events)
        print(iid, n, flush=True)


def notes(url: str, schema: str, incident: str, count: str) -> None:
    store = PostgresStore(url, schema=schema, max_connections=1, timeout=5.0)
    engine = Engine(load(SPEC), store)
    version = engine.get(incident).version
    retries = 0
    for i in range(int(count)):
        while True:
            try:
                version = engine.note(
                    incident, f"note-{i}", actor="svc", expected_version=version
                ).version
                break
            except StoreError:
                retries += 1
                time.sleep(0.1)
            except ConcurrencyError:
                # Only this process writes: the note's commit landed though its reply was lost.
                last = engine.history(incident)[-1]
                if last.data.get("text") != f"note-{i}":
                    raise
                version = last.seq
                break
        print("committed", i, flush=True)
    print("done", retries, flush=True)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"batches": batches, "notes": notes}[command](*args)
