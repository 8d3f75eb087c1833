"""SQLiteStore: the embedded, durable store (WAL mode, fsync on every commit).

Several processes may share one database file: each append is a ``BEGIN
IMMEDIATE`` transaction that checks the incident's current version before
inserting, and (incident_id, seq) is the primary key, so a stale writer gets
:class:`ConcurrencyError` and nothing is written. With ``synchronous=FULL`` a
committed event survives the process being killed at any point.

The file identifies itself: ``PRAGMA application_id`` is :data:`APPLICATION_ID` and
``PRAGMA user_version`` the schema version (stamped when a store opens the file; files
of earlier releases, which lack them, are recognised by their tables). Verification
reads the file through :mod:`incidentflow.audit.sqlite_readonly`, which changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from incidentflow.audit.events import Event, encode_data
from incidentflow.audit.specs import StoredSpec
from incidentflow.audit.store import checked_batch
from incidentflow.errors import ConcurrencyError, StoreClosed

if TYPE_CHECKING:
    from incidentflow.audit.store import IncidentIndex, IndexedStore

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
CREATE TABLE IF NOT EXISTS specs (
    position     INTEGER PRIMARY KEY AUTOINCREMENT,
    digest       TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    version      TEXT NOT NULL,
    text         TEXT NOT NULL
);
"""

APPLICATION_ID = 0x49464C57
"""``PRAGMA application_id`` of an incidentflow event store ("IFLW")."""
SCHEMA_VERSION = 2
"""``PRAGMA user_version`` of the schema above (2 added the ``specs`` table: the source of
every process version seen, see :mod:`incidentflow.audit.specs`)."""

COLUMNS = "incident_id, seq, time, actor, kind, data, spec_name, spec_version, spec_digest, prev_hash, hash"
"""The columns of the events table, in the order rows are written and read (every store's)."""
TABLE_COLUMNS = {
    "events": frozenset(c.strip() for c in COLUMNS.split(",")),
    "incidents": frozenset({"position", "incident_id"}),
}
"""The columns each table of the schema has (what identifies a store of earlier releases)."""


def event_row(event: Event) -> tuple[object, ...]:
    """The row a store writes for ``event``: the columns of :data:`COLUMNS`, ``data`` as
    its canonical JSON text (the stored text, when the event was read from a store)."""
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


def row_event(row: sqlite3.Row | tuple[Any, ...], *, lenient: bool = False) -> Event:
    """The event a row of :data:`COLUMNS` holds, keeping its ``data`` text (``lenient``:
    text that is not JSON reads as ``{}``)."""
    (incident_id, seq, time, actor, kind, data, name, version, digest, prev_hash, hash_) = row
    try:
        decoded = json.loads(data)
    except (TypeError, ValueError):
        if not lenient:
            raise
        # An auditor's read: the stored text is what the hash check uses, so an edit
        # that broke the JSON is reported as a modified event rather than ending the read.
        decoded = {}
    return Event(
        incident_id,
        int(seq),
        time,
        actor,
        kind,
        decoded,
        name,
        version,
        digest,
        prev_hash,
        hash_,
        data if isinstance(data, str) else None,
    )


class SQLiteStore:
    """Events in an SQLite file, durable by default (``synchronous=FULL``).

    Each thread has its own connection. :meth:`close` closes the calling thread's; any
    other thread's closes when that thread next uses the store (which raises
    :class:`~incidentflow.StoreClosed`, like every call after ``close()``) or ends.
    """

    def __init__(self, path: str | Path, *, durable: bool = True, timeout: float = 30.0) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._durable = durable
        self._timeout = timeout
        self._closed = False
        with self._connect() as conn:
            conn.executescript(SCHEMA)  # the schema step: creates what a file lacks
            if conn.execute("PRAGMA application_id").fetchone()[0] == 0:
                # Files of earlier releases get their identity the first time a store opens them.
                conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if self._closed:
            self.close()  # this thread's connection, if it still has one
            raise StoreClosed(f"SQLiteStore({self.path!r})")
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
        rows = [event_row(e) for e in checked_batch(incident_id, expected_version, events)]
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
                f"INSERT INTO events ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        return select_events(self._connect(), incident_id, after)

    def incident_ids(self) -> list[str]:
        return select_incident_ids(self._connect())

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

    def incident_index(self) -> tuple[list[tuple[int, str]], int]:
        """Every ``(position, incident_id)`` of the incidents index in order, and the highest
        position ever handed out. Positions are dense: a gap means rows were deleted."""
        return select_index(self._connect())

    def all_events(self) -> Iterator[Event]:
        return select_all_events(self._connect())

    def keep_spec(self, spec: StoredSpec) -> None:
        """Keep the source of a process version (see :class:`~incidentflow.SpecArchive`)."""
        spec.check()
        self._connect().execute(
            "INSERT INTO specs (digest, name, version, text) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (digest) DO NOTHING",
            (spec.digest, spec.name, spec.version, spec.text),
        )

    def stored_specs(self) -> list[StoredSpec]:
        """Every process version kept, in the order first kept."""
        return select_specs(self._connect())

    def close(self) -> None:
        """Close this thread's connection and refuse every later call (again: nothing)."""
        self._closed = True
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


if TYPE_CHECKING:  # mypy holds SQLiteStore to the protocols it is used through

    def _conforms(store: SQLiteStore) -> tuple[IndexedStore, IncidentIndex]:
        return store, store


# The queries, shared with the read-only reader (sqlite_readonly.py).


def select_events(
    conn: sqlite3.Connection, incident_id: str, after: int = 0, *, lenient: bool = False
) -> list[Event]:
    """The incident's events with ``seq > after``, in seq order (``lenient``: data that is
    not JSON reads as ``{}``, and verification reports the event as modified)."""
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM events WHERE incident_id = ? AND seq > ? ORDER BY seq",
        (incident_id, after),
    ).fetchall()
    return [row_event(r, lenient=lenient) for r in rows]


def select_incident_ids(conn: sqlite3.Connection) -> list[str]:
    """Indexed ids in opening order, then ids that only the events name (sorted)."""
    # The incidents table only orders; ids come from the events too, so deleting an
    # index row cannot hide an incident's events from verification.
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


def select_index(conn: sqlite3.Connection) -> tuple[list[tuple[int, str]], int]:
    """The incidents index and its high-water mark (see :meth:`SQLiteStore.incident_index`)."""
    rows = [
        (int(r[0]), str(r[1]))
        for r in conn.execute("SELECT position, incident_id FROM incidents ORDER BY position")
    ]
    # AUTOINCREMENT keeps the highest position ever used in sqlite_sequence, so rows
    # deleted from the end of the index leave a trace too.
    try:
        found = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'incidents'").fetchone()
    except sqlite3.OperationalError:  # no sqlite_sequence: a hand-made incidents table
        found = None
    high = int(found[0]) if found is not None and isinstance(found[0], int) else 0
    return rows, max(high, rows[-1][0] if rows else 0)


def select_specs(conn: sqlite3.Connection) -> list[StoredSpec]:
    """Every process version the file keeps, in the order first kept (none in a file of a
    release before versions were kept)."""
    try:
        rows = conn.execute(
            "SELECT name, version, digest, text FROM specs ORDER BY position"
        ).fetchall()
    except sqlite3.OperationalError:  # no specs table: a file of an earlier release
        return []
    return [StoredSpec(str(n), str(v), str(d), str(t)) for n, v, d, t in rows]


def select_all_events(conn: sqlite3.Connection, *, lenient: bool = False) -> Iterator[Event]:
    """Every event, grouped by incident (by id), each in seq order (``lenient``: as for
    :func:`select_events`)."""
    # Primary-key order: one scan.
    for row in conn.execute(f"SELECT {COLUMNS} FROM events ORDER BY incident_id, seq"):
        yield row_event(row, lenient=lenient)
