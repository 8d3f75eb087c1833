"""SQLiteStore: the embedded, durable store (WAL mode, fsync on every commit).

Several processes may share one database file: each append is a ``BEGIN
IMMEDIATE`` transaction that checks the incident's current version before
inserting, and (incident_id, seq) is the primary key, so a stale writer gets
:class:`ConcurrencyError` and nothing is written. With ``synchronous=FULL`` a
committed event survives the process being killed at any point.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from incidentflow.audit.events import Event, encode_data
from incidentflow.errors import ConcurrencyError

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    incident_id  TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    time         TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    data         TEXT    NOT NULL,
    spec_name    TEXT    NOT NULL,
    spec_version TEXT    NOT NULL,
    spec_digest  TEXT    NOT NULL,
    prev_hash    TEXT    NOT NULL,
    hash         TEXT    NOT NULL,
    PRIMARY KEY (incident_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS incidents (
    position     INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id  TEXT NOT NULL UNIQUE
);
"""

_COLUMNS = "incident_id, seq, time, actor, kind, data, spec_name, spec_version, spec_digest, prev_hash, hash"


def _row(event: Event) -> tuple[object, ...]:
    data = event.data_json if event.data_json is not None else encode_data(event.data)
    return (
        event.incident_id,
        event.seq,
        event.time,
        event.actor,
        event.kind,
        data,
        event.spec_name,
        event.spec_version,
        event.spec_digest,
        event.prev_hash,
        event.hash,
    )


def _event(row: sqlite3.Row | tuple[Any, ...]) -> Event:
    (incident_id, seq, time, actor, kind, data, name, version, digest, prev_hash, hash_) = row
    return Event(
        incident_id,
        int(seq),
        time,
        actor,
        kind,
        json.loads(data),
        name,
        version,
        digest,
        prev_hash,
        hash_,
        data,
    )


class SQLiteStore:
    """Events in an SQLite file, durable by default (``synchronous=FULL``)."""

    def __init__(self, path: str | Path, *, durable: bool = True, timeout: float = 30.0) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._durable = durable
        self._timeout = timeout
        with self._connect() as conn:
            conn.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=True
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={'FULL' if self._durable else 'NORMAL'}")
            conn.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
            self._local.conn = conn
        return conn

    def append(self, incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            (current,) = conn.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM events WHERE incident_id = ?", (incident_id,)
            ).fetchone()
            if current != expected_version:
                raise ConcurrencyError(incident_id, expected_version, int(current))
            if expected_version == 0:
                conn.execute("INSERT INTO incidents (incident_id) VALUES (?)", (incident_id,))
            conn.executemany(
                f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_row(e) for e in events],
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        rows = (
            self._connect()
            .execute(
                f"SELECT {_COLUMNS} FROM events WHERE incident_id = ? AND seq > ? ORDER BY seq",
                (incident_id, after),
            )
            .fetchall()
        )
        return [_event(r) for r in rows]

    def incident_ids(self) -> list[str]:
        # The incidents table only orders; ids come from the events too, so deleting an
        # index row cannot hide an incident's events from verification.
        conn = self._connect()
        listed = [
            str(r[0]) for r in conn.execute("SELECT incident_id FROM incidents ORDER BY position")
        ]
        known = set(listed)
        unlisted = [
            str(r[0])
            for r in conn.execute("SELECT DISTINCT incident_id FROM events")
            if str(r[0]) not in known
        ]
        return listed + sorted(unlisted)

    def opened_since(self, position: int) -> tuple[list[str], int]:
        rows = (
            self._connect()
            .execute(
                "SELECT position, incident_id FROM incidents WHERE position > ? ORDER BY position",
                (position,),
            )
            .fetchall()
        )
        return [str(r[1]) for r in rows], (int(rows[-1][0]) if rows else position)

    def all_events(self) -> Iterator[Event]:
        # Primary-key order: grouped by incident (by id), each in seq order, in one scan.
        cursor = self._connect().execute(f"SELECT {_COLUMNS} FROM events ORDER BY incident_id, seq")
        for row in cursor:
            yield _event(row)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
