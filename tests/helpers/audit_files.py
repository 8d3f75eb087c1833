"""Store files for the audit tests: build one, change it the way an attacker would, and
take a snapshot of everything on disk that verification must leave as it was."""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from incidentflow import Engine, SQLiteStore, load
from incidentflow.audit.events import canonical
from tests.conftest import MINIMAL

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ACTOR = "svc"


def build_store(path: Path, incidents: int = 3, notes: int = 4) -> list[str]:
    """A closed SQLite store holding ``incidents`` incidents (ids inc-1, inc-2, ...), each
    opened and then noted ``notes`` times (so each log has ``notes + 1`` events)."""
    ids = (f"inc-{n}" for n in itertools.count(1))
    store = SQLiteStore(path)
    try:
        engine = Engine(load(MINIMAL), store, clock=lambda: T0, new_id=lambda: next(ids))
        opened = [engine.open("minimal", severity="SEV1", actor=ACTOR).id for _ in range(incidents)]
        for n in range(notes):
            for iid in opened:
                engine.note(iid, f"note {n}", actor=ACTOR)
        assert engine.verify().ok
    finally:
        store.close()
    return opened


def engine_on(path: Path) -> tuple[Engine, SQLiteStore]:
    """An engine writing to the store file at ``path`` (close the store when done)."""
    store = SQLiteStore(path)
    return Engine(load(MINIMAL), store, clock=lambda: T0), store


def execute(path: Path, *statements: str) -> None:
    """Run SQL on the file as anyone with write access could."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def rewrite_and_rehash(path: Path, incident: str, seq: int, actor: str) -> None:
    """Change event ``seq``'s actor and recompute every hash from there on, as a careful
    attacker would: the incident's chain still verifies on its own."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        rows = [
            dict(r)
            for r in conn.execute(
                "SELECT * FROM events WHERE incident_id = ? ORDER BY seq", (incident,)
            )
        ]
        prev = rows[seq - 2]["hash"] if seq > 1 else "0" * 64
        for row in rows[seq - 1 :]:
            if row["seq"] == seq:
                row["actor"] = actor
            row["prev_hash"] = prev
            row["hash"] = prev = rehash(row)
            conn.execute(
                "UPDATE events SET actor = ?, prev_hash = ?, hash = ? "
                "WHERE incident_id = ? AND seq = ?",
                (row["actor"], row["prev_hash"], row["hash"], incident, row["seq"]),
            )
    finally:
        conn.close()


def rehash(row: dict[str, Any]) -> str:
    """The hash an attacker computes for a row, the way incidentflow does."""
    payload = canonical(
        row["incident_id"],
        row["seq"],
        row["time"],
        row["actor"],
        row["kind"],
        json.loads(row["data"]),
        row["spec_name"],
        row["spec_version"],
        row["spec_digest"],
        row["prev_hash"],
    )
    return hashlib.sha256(payload).hexdigest()


def on_disk(path: Path) -> dict[str, str]:
    """The SHA-256 of the file and of its -wal and -journal files, for each one present,
    and whether a -shm file is present. (-shm is SQLite's shared memory, where every
    reader, read-only ones included, records what it reads: its bytes are not the store.)"""
    found = {}
    for suffix in ("", "-wal", "-shm", "-journal"):
        sibling = path.with_name(path.name + suffix)
        if sibling.exists():
            found[sibling.name] = (
                "present" if suffix == "-shm" else hashlib.sha256(sibling.read_bytes()).hexdigest()
            )
    return found


def journal_mode(path: Path) -> str:
    """The journal mode the file's header records (without opening it for writing)."""
    version = path.read_bytes()[18]
    return {1: "rollback", 2: "wal"}[version]
