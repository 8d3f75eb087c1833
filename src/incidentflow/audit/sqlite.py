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

import itertools
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from incidentflow.audit.change_log import ChangeLog
from incidentflow.audit.events import Event, StoredRow, encode_data
from incidentflow.audit.rows import decode_data, stored_rows
from incidentflow.audit.specs import StoredSpec
from incidentflow.audit.sqlite_known import DueRow, KnownRows
from incidentflow.audit.store import Append, checked_batch, listed, named_once
from incidentflow.errors import ConcurrencyError, StoreClosed

if TYPE_CHECKING:
    from incidentflow.audit.store import (
        BatchStore,
        ChangeFeed,
        ChangeMark,
        DueClaim,
        DueIndexStore,
        IncidentIndex,
        IndexedStore,
    )

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
CREATE TABLE IF NOT EXISTS due (
    incident_id  TEXT PRIMARY KEY,
    process      TEXT NOT NULL,
    due_at       REAL NOT NULL  -- Unix seconds, or LOOK_AT (look at it now)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS due_by_time ON due (process, due_at);
"""
LOOK_AT = -1.0
"""``due.due_at`` of an incident a worker should look at now (its next due time unknown)."""
BACKFILL_DUE = (
    "INSERT OR IGNORE INTO due (incident_id, process, due_at) "
    f"SELECT incident_id, spec_name, {LOOK_AT} FROM events WHERE seq = 1"
)
"""Up to version 3: every incident is looked at once, and leaves the index if nothing is due."""
DUE_INDEX_SINCE = 3
"""The schema version that added the due-work index."""

APPLICATION_ID = 0x49464C57
"""``PRAGMA application_id`` of an incidentflow event store ("IFLW")."""
SCHEMA_VERSION = 3
"""``PRAGMA user_version`` of the schema above (2 added the ``specs`` table: the source of
every process version seen, see :mod:`incidentflow.audit.specs`; 3 the due-work index,
table ``due``)."""

COLUMNS = "incident_id, seq, time, actor, kind, data, spec_name, spec_version, spec_digest, prev_hash, hash"
"""The columns of the events table, in the order rows are written and read (every store's)."""
TABLE_COLUMNS = {
    "events": frozenset(c.strip() for c in COLUMNS.split(",")),
    "incidents": frozenset({"position", "incident_id"}),
}
# (the due table is left out: a file of version 1 lacks it, and it holds no evidence)
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
    # An auditor's read (lenient): the stored text is what the hash check uses, so an edit
    # that broke the JSON is reported as a modified event rather than ending the read.
    decoded = decode_data(data, lenient=lenient)
    return Event(
        incident_id,
        seq if type(seq) is int else int(seq),
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
        self._changes = ChangeLog()  # the incidents this object appended to: changes_since()
        self._connections = itertools.count(1)  # tells one thread's connection from another's
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")  # two processes opening an old file take turns
        try:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            if conn.execute("PRAGMA application_id").fetchone()[0] == 0:
                # Files of earlier releases get their identity the first time a store opens them.
                conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            if found < SCHEMA_VERSION:
                if found < DUE_INDEX_SINCE:
                    conn.execute(BACKFILL_DUE)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

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
            self._local.serial = next(self._connections)
            self._local.known = KnownRows()
        return conn

    def append(self, incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        refused = self._write([Append(incident_id, expected_version, events)])
        if refused:
            raise refused[0]
        self._changes.note((incident_id,))

    def append_many(self, appends: Sequence[Append]) -> list[ConcurrencyError]:
        """One ``BEGIN IMMEDIATE`` transaction (one fsync) for every append at its version;
        the stale ones are returned, unwritten (see :class:`~incidentflow.BatchStore`)."""
        appends = listed(appends)
        refused = self._write(appends)
        self._changes.note([a[0] for a in appends])
        return refused

    def _write(self, appends: Sequence[Append]) -> list[ConcurrencyError]:
        """:func:`write_appends` in a write transaction of its own, committed; the refusals.
        (Not :meth:`_transaction`: a generator's ``with`` costs more than the rest of the
        Python of a one-event append.)"""
        conn, known = self._begin()
        try:
            refused = write_appends(conn, appends, known)
        except BaseException:
            _roll_back(conn, known)
            raise
        _commit(conn, known)
        return refused

    def _begin(self) -> tuple[sqlite3.Connection, KnownRows]:
        """Begin a write transaction (BEGIN IMMEDIATE: this writer alone until COMMIT), with
        what the connection knows of its rows (see :mod:`incidentflow.audit.sqlite_known`)."""
        conn = self._connect()
        known: KnownRows = self._local.known
        conn.execute("BEGIN IMMEDIATE")
        try:
            known.begin(conn)
        except BaseException:
            _roll_back(conn, known)
            raise
        return conn, known

    @contextmanager
    def _transaction(self) -> Iterator[tuple[sqlite3.Connection, KnownRows]]:
        """A write transaction (see :meth:`_begin`), committed if the block ends normally."""
        conn, known = self._begin()
        try:
            yield conn, known
        except BaseException:
            _roll_back(conn, known)
            raise
        _commit(conn, known)

    @contextmanager
    def claim_due(
        self, processes: Sequence[str], limit: int, now: datetime | None = None
    ) -> Iterator[DueClaim]:
        """Claim the incidents due at ``now`` (default: this host's clock: one machine, one
        clock). SQLite has one writer at a time: the claim holds the write lock until the
        block ends, so other workers wait their turn rather than skip."""
        at = now if now is not None else datetime.now(UTC)
        with self._transaction() as (conn, known):
            marks = ", ".join("?" * len(processes))
            rows = conn.execute(
                f"SELECT incident_id FROM due WHERE process IN ({marks}) AND due_at <= ? "
                "ORDER BY due_at LIMIT ?",
                (*processes, at.timestamp(), limit),
            ).fetchall()
            yield _SQLiteClaim(conn, known, at, [str(r[0]) for r in rows], self._changes)

    def next_due(self, processes: Sequence[str]) -> datetime | None:
        marks = ", ".join("?" * len(processes))
        (found,) = (
            self._connect()
            .execute(f"SELECT min(due_at) FROM due WHERE process IN ({marks})", tuple(processes))
            .fetchone()
        )
        return None if found is None else datetime.fromtimestamp(max(found, 0.0), UTC)

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        conn = self._connect()
        known: KnownRows = self._local.known
        if known.versions.get(incident_id) == after and known.unchanged(conn):
            # This connection wrote (or read, writing) the incident last, at version
            # ``after``, and no one has committed since: nothing follows. (The engine
            # asks this before every call: a cheaper statement than the query.)
            return []
        return select_events(conn, incident_id, after)

    def changes_since(self, mark: ChangeMark | None) -> tuple[frozenset[str] | None, ChangeMark]:
        """See :class:`~incidentflow.ChangeFeed`. What this object appended, it noted;
        a commit by any other connection (another process, or this store's connection in
        another thread) changes ``PRAGMA data_version``, and then it cannot tell."""
        conn = self._connect()
        # data_version first: a commit by another connection after this read is seen
        # next time; one before it was committed before the caller's reads that follow
        (version,) = conn.execute("PRAGMA data_version").fetchone()
        now = (self._local.serial, int(version), self._changes.position)
        if not (isinstance(mark, tuple) and len(mark) == 3 and mark[:2] == now[:2]):
            return None, now
        return self._changes.since(int(mark[2])), now

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

    def all_rows(self) -> Iterator[StoredRow]:
        """Every event as a row, data undecoded (see :mod:`incidentflow.audit.rows`)."""
        return select_all_rows(self._connect())

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
            self._local.known = None


if TYPE_CHECKING:  # mypy holds SQLiteStore to the protocols it is used through

    def _conforms(
        store: SQLiteStore,
    ) -> tuple[IndexedStore, IncidentIndex, BatchStore, DueIndexStore, ChangeFeed]:
        return store, store, store, store, store


def _roll_back(conn: sqlite3.Connection, known: KnownRows) -> None:
    known.forget()
    conn.execute("ROLLBACK")


def _commit(conn: sqlite3.Connection, known: KnownRows) -> None:
    try:
        conn.execute("COMMIT")
    except BaseException:
        known.forget()  # committed or not: the file will tell
        raise


class _SQLiteClaim:
    """A claim of :meth:`SQLiteStore.claim_due`: writes go into its open transaction."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        known: KnownRows,
        now: datetime,
        incident_ids: list[str],
        changes: ChangeLog,
    ) -> None:
        self._conn = conn
        self._known = known
        self.now = now
        self.incident_ids = incident_ids
        self._changes = changes

    def events(self, after: Mapping[str, int]) -> dict[str, list[Event]]:
        return {iid: select_events(self._conn, iid, seq) for iid, seq in after.items()}

    def append_many(self, appends: Sequence[Append]) -> list[ConcurrencyError]:
        appends = listed(appends)
        refused = write_appends(self._conn, appends, self._known)
        self._changes.note([a[0] for a in appends])  # (the claim's thread reads next)
        return refused

    def set_due(self, incident_id: str, due: datetime | None) -> None:
        _set_due(self._conn, incident_id, due, self._known)


UPSERT_DUE = (
    "INSERT INTO due (incident_id, process, due_at) VALUES (?, ?, ?) "
    "ON CONFLICT (incident_id) DO UPDATE SET process = excluded.process, due_at = excluded.due_at "
    "WHERE process IS NOT excluded.process OR due_at IS NOT excluded.due_at"
)
"""Set an incident's due-index row, leaving it untouched when it already says the same.

Most appends do not move an incident's next due time (a note, an assignment, a plain
append's "look now" on an incident already marked so): a row rewritten with the same
values would still dirty its table and index pages, each one more page for the commit's
fsync. The comparison runs in the write transaction, so it is right whoever wrote the row
last (another process, a worker's claim)."""


def _set_due(
    conn: sqlite3.Connection, incident_id: str, due: datetime | None, known: KnownRows
) -> None:
    try:
        if due is None:
            conn.execute("DELETE FROM due WHERE incident_id = ?", (incident_id,))
            known.due[incident_id] = None
        else:
            at = due.timestamp()
            conn.execute("UPDATE due SET due_at = ? WHERE incident_id = ?", (at, incident_id))
            row = known.due.get(incident_id)
            if row is not None:  # (no row, or not known: the UPDATE changed nothing known)
                known.due[incident_id] = (row[0], at)
    except BaseException:
        known.forget()
        raise


_UNKNOWN = object()


def write_appends(
    conn: sqlite3.Connection, appends: Sequence[Append], known: KnownRows
) -> list[ConcurrencyError]:
    """Write the ``appends`` whose incident is at its expected version, and their due-index
    rows, in ``conn``'s open write transaction; return the refusals. Arguments are checked
    as by :func:`~incidentflow.audit.store.checked_appends` (ValueError), before anything
    is written.

    ``known``: the versions and due rows this connection knows (checked against the file
    at the transaction's start): an incident known is not queried, a due row that would
    not change is not written. A few statements for the whole batch: per-statement
    overhead, not the rows, is what a batch of small appends would otherwise pay.
    """
    versions = known.versions
    due_rows = known.due
    refused: list[ConcurrencyError] = []
    opened: list[tuple[str]] = []
    kept: list[tuple[str, str, float]] = []
    dropped: list[tuple[str]] = []
    rows: list[tuple[object, ...]] = []
    try:
        unknown = [i for i in named_once(appends) if i not in versions]
        if unknown:
            _read_versions(conn, unknown, versions)
        # One pass over the batch: it runs for every event a host writes, so the common
        # case (one event, "look now", a due row already saying so) costs few operations.
        for incident_id, expected_version, events, due in appends:
            events = checked_batch(incident_id, expected_version, events)
            version = versions[incident_id]
            if version != expected_version:
                refused.append(ConcurrencyError(incident_id, expected_version, version))
                continue
            first = events[0]
            if due is None:
                row: DueRow = None
            else:  # (a str is LOOK: "look at it now")
                row = (first.spec_name, LOOK_AT if isinstance(due, str) else due.timestamp())
            if due_rows.get(incident_id, _UNKNOWN) != row:
                due_rows[incident_id] = row
                if row is None:
                    dropped.append((incident_id,))
                else:
                    kept.append((incident_id, row[0], row[1]))
            if len(events) == 1:
                rows.append(event_row(first))
            else:
                rows += map(event_row, events)
            # (known before the statements run: if one fails, everything is forgotten)
            versions[incident_id] = expected_version + len(events)
            if not expected_version:
                opened.append((incident_id,))
        if opened:
            conn.executemany("INSERT INTO incidents (incident_id) VALUES (?)", opened)
        if kept:
            conn.executemany(UPSERT_DUE, kept)
        if dropped:
            conn.executemany("DELETE FROM due WHERE incident_id = ?", dropped)
        if rows:
            conn.executemany(INSERT_EVENTS, rows)
    except BaseException:
        known.forget()  # a statement may have failed half-way: ask the file next time
        raise
    return refused


INSERT_EVENTS = f"INSERT INTO events ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_CHUNK = 500  # ids per query: well under SQLite's limit on parameters


def _read_versions(
    conn: sqlite3.Connection, incident_ids: Sequence[str], versions: dict[str, int]
) -> None:
    """Set ``versions[id]`` to the current version (last seq; 0: no events) of each of
    ``incident_ids``, read from the file."""
    for start in range(0, len(incident_ids), _CHUNK):
        chunk = incident_ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        for incident_id, seq in conn.execute(
            f"SELECT incident_id, MAX(seq) FROM events WHERE incident_id IN ({marks}) "
            "GROUP BY incident_id",
            chunk,
        ):
            versions[str(incident_id)] = int(seq)
    for incident_id in incident_ids:
        versions.setdefault(incident_id, 0)


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
    for row in conn.execute(ALL_EVENTS):
        yield row_event(row, lenient=lenient)


def select_all_rows(conn: sqlite3.Connection, *, lenient: bool = False) -> Iterator[StoredRow]:
    """Every event as a :class:`StoredRow`, in the order of :func:`select_all_events`."""
    return stored_rows(conn.execute(ALL_EVENTS), lenient=lenient)


ALL_EVENTS = f"SELECT {COLUMNS} FROM events ORDER BY incident_id, seq"  # the primary key's order
