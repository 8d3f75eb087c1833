"""An SQLite event store read as evidence: identified first, opened read-only, left unchanged.

:func:`read_store` is how the command line (``audit verify``, ``audit anchor``,
``report``) reads a store file. It refuses, with :class:`AuditError`, anything that is
not an incidentflow event store: a missing, empty or non-SQLite file, or an SQLite
database that neither carries incidentflow's ``application_id`` nor has its tables
(stores of earlier releases have the tables but no identity).

How the file is opened, so that its bytes, its journal mode and the presence of its
``-wal``/``-shm`` files are the same afterwards:

- always ``mode=ro``: the connection cannot write (SQLite answers SQLITE_READONLY),
  so it never creates a table and never changes the journal mode;
- a WAL-mode file with no ``-wal`` file beside it (no connection has it open, or it is
  a copy: every committed transaction is in the file itself) is opened with
  ``immutable=1`` too. Without it SQLite would create ``-wal`` and ``-shm`` files next
  to it, and could not open it at all in a read-only directory. Immutable means no
  locking, so the reader checks afterwards that no writer came (no ``-wal`` file, same
  size and modification time) and reads again if one did;
- when a ``-wal`` file exists, its committed transactions belong to the store: the file
  is opened with locking, which reads them (SQLite needs the ``-shm`` file for that).

Every read happens in one read transaction: one consistent snapshot of the store.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from incidentflow.audit.anchor import Anchor
from incidentflow.audit.events import ChainProblem, Event, StoredRow
from incidentflow.audit.specs import StoredSpec
from incidentflow.audit.sqlite import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    TABLE_COLUMNS,
    select_all_events,
    select_all_rows,
    select_events,
    select_incident_ids,
    select_index,
    select_specs,
)
from incidentflow.audit.verify import WHOLE_STORE, VerifyReport, check_store, verify_store
from incidentflow.errors import AuditError

_SQLITE_MAGIC = b"SQLite format 3\x00"
_WAL_MODE = 2  # header byte 18 (file format write version): 1 rollback journal, 2 WAL
_ATTEMPTS = 3  # reads of an immutable-opened file that a writer may disturb

_T = TypeVar("_T")


def verify_file(path: str | Path, *, anchor: Anchor | None = None) -> VerifyReport:
    """Verify the store file at ``path`` (see :func:`~incidentflow.audit.verify.verify_store`),
    reading it without changing it; a dropped table is a ``dropped`` problem."""
    return read_store(path, lambda store: _with_tables(store, verify_store(store, anchor=anchor)))


def anchor_file(path: str | Path, now: datetime) -> tuple[Anchor | None, VerifyReport]:
    """The anchor of the store file at ``path`` taken at ``now``, and its verification;
    no anchor (None) when the store does not verify."""

    def take(store: ReadOnlySQLiteStore) -> tuple[Anchor | None, VerifyReport]:
        check = check_store(store)
        report = _with_tables(store, check.report)
        return (Anchor.of(check.heads, now) if report.ok else None), report

    return read_store(path, take)


def read_store(path: str | Path, use: Callable[[ReadOnlySQLiteStore], _T]) -> _T:
    """``use(store)`` on the store at ``path`` opened read-only, and its result.

    Raises :class:`AuditError` if the file is not an incidentflow event store or cannot
    be read. If a writer changed the file while it was read without locking (see the
    module notes), the read is repeated.
    """
    for _ in range(_ATTEMPTS):
        store = ReadOnlySQLiteStore(path)
        try:
            result = use(store)
        except sqlite3.Error as exc:
            if store.unchanged():
                raise AuditError(str(path), f"cannot be read: {exc}") from exc
            continue
        finally:
            store.close()
        if store.unchanged():
            return result
    raise AuditError(str(path), "kept changing while it was read without locks; try again")


class ReadOnlySQLiteStore:
    """The reading half of the store interface, over one read-only snapshot of a file.

    ``missing_tables`` names the schema's tables the file no longer has (a store
    recognised by its identity or its other table, whose ``events`` or ``incidents``
    table was dropped): reads from a missing table find nothing. An event whose
    ``data`` is not JSON reads with empty ``data`` and its stored text, which the hash
    check then reports as modified.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        source = str(path)
        write_version = _sqlite_header_write_version(self.path, source)
        # No -wal beside a WAL-mode file: the file holds every committed transaction.
        self.immutable = write_version == _WAL_MODE and not _wal(self.path).exists()
        self._before = _fingerprint(self.path)
        uri = self.path.absolute().as_uri() + "?mode=ro"
        uri += "&immutable=1" if self.immutable else ""
        try:
            self._conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30.0)
        except sqlite3.Error as exc:
            raise AuditError(source, f"cannot be opened read-only: {exc}") from exc
        try:
            self._conn.execute("BEGIN")  # one snapshot for every read below
            self.missing_tables = _identify(self._conn, source)
        except sqlite3.Error as exc:
            self._conn.close()
            if _wal(self.path).exists() and not self.immutable:
                raise AuditError(
                    source,
                    f"cannot be read with its write-ahead log ({exc}): SQLite needs to "
                    "create its -shm file; copy the file with its -wal and -shm to a "
                    "writable directory",
                ) from exc
            raise AuditError(source, f"cannot be read as an SQLite database: {exc}") from exc
        except AuditError:
            self._conn.close()
            raise

    def unchanged(self) -> bool:
        """True unless a writer may have changed the file while it was read without locks."""
        return not self.immutable or _fingerprint(self.path) == self._before

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        """The incident's events with ``seq > after``, in seq order."""
        if "events" in self.missing_tables:
            return []
        return select_events(self._conn, incident_id, after, lenient=True)

    def incident_ids(self) -> list[str]:
        """Indexed ids in opening order, then ids only the events name."""
        if not self.missing_tables:
            return select_incident_ids(self._conn)
        if "events" in self.missing_tables:
            index = self.incident_index()
            return [iid for _, iid in index[0]] if index is not None else []
        rows = self._conn.execute("SELECT DISTINCT incident_id FROM events ORDER BY incident_id")
        return [str(iid) for (iid,) in rows]

    def incident_index(self) -> tuple[list[tuple[int, str]], int] | None:
        """The incidents index with its high-water mark; None if the table is missing."""
        if "incidents" in self.missing_tables:
            return None
        return select_index(self._conn)

    def stored_specs(self) -> list[StoredSpec]:
        """Every process version the file keeps (none in a file of an earlier release)."""
        return select_specs(self._conn)

    def all_events(self) -> Iterator[Event]:
        """Every event, grouped by incident, each in seq order."""
        if "events" in self.missing_tables:
            return iter(())
        return select_all_events(self._conn, lenient=True)

    def all_rows(self) -> Iterator[StoredRow]:
        """Every event as a row, data undecoded (see :mod:`incidentflow.audit.rows`)."""
        if "events" in self.missing_tables:
            return iter(())
        return select_all_rows(self._conn, lenient=True)

    def close(self) -> None:
        """End the snapshot and close the file."""
        self._conn.close()


def _with_tables(store: ReadOnlySQLiteStore, report: VerifyReport) -> VerifyReport:
    dropped = tuple(
        ChainProblem(WHOLE_STORE, 0, "dropped", f"the {name} table is missing: it was dropped")
        for name in store.missing_tables
    )
    return dataclasses.replace(report, problems=dropped + report.problems)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _fingerprint(path: Path) -> tuple[int, int, int, bool]:
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns, _wal(path).exists()


def _sqlite_header_write_version(path: Path, source: str) -> int:
    """The header's write version (1 or 2), after checking the file is an SQLite database."""
    not_a_store = "not an incidentflow event store"
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise AuditError(source, f"is not a regular file: {not_a_store}")
        if st.st_size == 0:
            raise AuditError(source, f"is empty (0 bytes): {not_a_store}")
        with path.open("rb") as file:
            header = file.read(100)
    except FileNotFoundError:
        raise AuditError(source, "no such database file") from None
    except OSError as exc:
        raise AuditError(source, f"cannot be read: {os.strerror(exc.errno or 0)}") from None
    if not header.startswith(_SQLITE_MAGIC):
        raise AuditError(source, f"is not an SQLite database: {not_a_store}")
    return header[18] if len(header) > 18 else 0


def _identify(conn: sqlite3.Connection, source: str) -> tuple[str, ...]:
    """The schema's tables the file lacks, once it is known to be an incidentflow store."""
    (application_id,) = conn.execute("PRAGMA application_id").fetchone()
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    tables = {
        str(name): frozenset(
            str(c) for (c,) in conn.execute("SELECT name FROM pragma_table_info(?)", (name,))
        )
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if name in TABLE_COLUMNS
    }
    if application_id == APPLICATION_ID:
        if version > SCHEMA_VERSION:
            raise AuditError(
                source,
                f"was written by a newer incidentflow (schema version {version}; this one "
                f"reads {SCHEMA_VERSION}): upgrade incidentflow to read it",
            )
    elif application_id != 0:
        raise AuditError(
            source,
            f"is the SQLite database of another application (application_id "
            f"{application_id:#010x}): not an incidentflow event store",
        )
    elif not any(TABLE_COLUMNS[name] <= columns for name, columns in tables.items()):
        # A file of an earlier release has no identity: its tables are what identify it.
        raise AuditError(
            source,
            "is an SQLite database without incidentflow's tables (events, incidents): "
            "not an incidentflow event store",
        )
    for name, columns in tables.items():
        lacking = TABLE_COLUMNS[name] - columns
        if lacking:
            raise AuditError(
                source,
                f"its {name} table lacks the column(s) {', '.join(sorted(lacking))}: "
                "not readable as an incidentflow event store",
            )
    return tuple(name for name in TABLE_COLUMNS if name not in tables)
