"""PostgresStore: the shared store for several processes and hosts (psycopg 3 and a pool).

Install with ``pip install 'incidentflow[postgres]'``. Construct it from a libpq
connection string, ``PostgresStore("postgresql://app@db/incidents")``, or hand it a
``psycopg_pool.ConnectionPool`` of your own (``PostgresStore(pool=...)``).

The schema is created and upgraded only by an explicit, versioned step,
:meth:`PostgresStore.migrate` (``incidentflow store init URL`` on the command line):
a store opened on a database without the schema, or with an older or newer version
of it, raises :class:`~incidentflow.StoreSchemaError` on its first call and writes
nothing. ``schema=`` puts the tables in a PostgreSQL schema of their own (default
``public``).

How an append stays correct with any number of writers, holding nothing between calls:

- one prepared statement, its own transaction (:mod:`incidentflow.audit.pg_append`):
  the incident's due row is locked and its version checked, then the events inserted;
  ``(incident_id, seq)`` is the primary key, so of two writers at the same version the
  second one's insert fails with a unique violation, which becomes
  :class:`~incidentflow.ConcurrencyError` (and the transaction rolls back);
- an incident's opening also takes the next index position from a one-row counter
  with ``UPDATE ... RETURNING``: the row lock makes openers take turns until they
  commit, so positions are dense (1, 2, 3, ...) and become visible in order, and
  :meth:`opened_since` never passes over an incident that commits late;
- when it plans a timer due soon, the same transaction sends
  ``NOTIFY incidentflow_events`` with the incident id as payload (delivered on
  commit): workers ``LISTEN`` on that channel (:meth:`wait_for_change`).

Failures: a connection that dies (server restart, ``pg_terminate_backend``, failover)
is replaced by the pool, which checks each connection before lending it. An append
that fails raises :class:`~incidentflow.StoreError` and its transaction rolls back, so
nothing half-written is ever visible. If the connection is lost before the reply
the outcome is unknown: the append is made once more on a fresh connection, and if
the incident has moved by then, the events at those positions tell whether the first
attempt landed (the same hashes: done; others: ConcurrencyError). Reads are retried
once on a fresh connection.

Statements are prepared on each connection (psycopg's ``prepare``). Behind a pooler
in transaction mode that does not keep them for its clients (PgBouncer before 1.21, or
with ``max_prepared_statements = 0``; see docs/deployment.md), hand the store a pool
whose connections have ``prepare_threshold=None``: otherwise the first append fails.
"""

from __future__ import annotations

import select
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from incidentflow.audit.events import Event, StoredRow
from incidentflow.audit.pg_append import CHANNEL, LOOK_NOW, NOTIFY_WITHIN, AppendStatements
from incidentflow.audit.rows import stored_rows
from incidentflow.audit.specs import StoredSpec
from incidentflow.audit.sqlite import COLUMNS, event_row, row_event
from incidentflow.audit.store import Append, checked_appends, checked_batch
from incidentflow.errors import ConcurrencyError, StoreClosed, StoreError, StoreSchemaError

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

    from incidentflow.audit.store import BatchStore, DueClaim, DueIndexStore, IndexedStore

INSTALL_HINT: Final = "PostgresStore needs psycopg 3: pip install 'incidentflow[postgres]'"
SCHEMA_VERSION: Final = 3
"""The schema version this release reads and writes (rows of ``incidentflow_schema``;
2: the source of every process version, table ``specs``; 3: the due-work index, table
``due``)."""

# Each migration brings the schema from the previous version to its own. `{s}` is the
# quoted PostgreSQL schema. Never edit a released one: add the next.
MIGRATIONS: Final[dict[int, str]] = {
    1: """
CREATE TABLE {s}.events (
    incident_id  TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    time         TEXT    NOT NULL,  -- the hashed ISO text, not a timestamptz
    actor        TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    data         TEXT    NOT NULL,  -- the hashed JSON text, not jsonb: it comes back as written
    spec_name    TEXT    NOT NULL,
    spec_version TEXT    NOT NULL,
    spec_digest  TEXT    NOT NULL,
    prev_hash    TEXT    NOT NULL,
    hash         TEXT    NOT NULL,
    PRIMARY KEY (incident_id, seq)
);
CREATE TABLE {s}.incidents (
    position    BIGINT PRIMARY KEY,
    incident_id TEXT   NOT NULL UNIQUE
);
CREATE TABLE {s}.incident_counter (
    one      BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    position BIGINT  NOT NULL
);
INSERT INTO {s}.incident_counter (position) VALUES (0);
""",
    # the source of every process version seen (incidentflow.audit.specs)
    2: """
CREATE TABLE {s}.specs (
    position BIGSERIAL PRIMARY KEY,
    digest   TEXT NOT NULL UNIQUE,
    name     TEXT NOT NULL,
    version  TEXT NOT NULL,
    text     TEXT NOT NULL
);
""",
    # the due-work index (Engine.tick_due, workers' claims)
    3: """
CREATE TABLE {s}.due (
    incident_id TEXT        PRIMARY KEY,
    process     TEXT        NOT NULL,
    due_at      TIMESTAMPTZ NOT NULL  -- '-infinity': look at it now
);
CREATE INDEX due_by_time ON {s}.due (process, due_at);
INSERT INTO {s}.due (incident_id, process, due_at)
    SELECT incident_id, spec_name, '-infinity' FROM {s}.events WHERE seq = 1;
""",
}
_MIGRATE_LOCK: Final = 0x49464C57  # pg_advisory_xact_lock key: one migrate() at a time

_T = TypeVar("_T")


def psycopg_modules() -> Any:
    """``(psycopg, psycopg_pool)``, or ImportError with the install hint."""
    try:
        import psycopg
        import psycopg_pool
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return psycopg, psycopg_pool


def check_idle_connection(conn: psycopg.Connection[Any]) -> None:
    """The pool's check before it lends a connection: raise if the connection is broken.

    Without a round trip while it looks well: an idle connection has nothing to read
    unless the server said something since, which is almost always that it ended the
    session (``pg_terminate_backend``, a restart); then the check is a real query
    (``ConnectionPool.check_connection``). A connection that dies unseen fails the
    call that uses it, and an append tries once more (:meth:`PostgresStore.append`).
    """
    psycopg, psycopg_pool = psycopg_modules()
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    if _readable(conn.fileno()):
        psycopg_pool.ConnectionPool.check_connection(conn)


def _readable(fd: int) -> bool:
    """Whether the socket ``fd`` has something to read now (without waiting)."""
    if hasattr(select, "poll"):  # any descriptor number (select() stops at FD_SETSIZE)
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])


class Queries:
    """The SQL of one store, its tables qualified with the PostgreSQL schema."""

    def __init__(self, schema: str) -> None:
        from psycopg import sql

        s = sql.Identifier(schema).as_string(None)
        self.schema = s
        self.version = f"SELECT max(version) FROM {s}.incidentflow_schema"
        self.current = f"SELECT COALESCE(max(seq), 0) FROM {s}.events WHERE incident_id = %s"
        self.insert = f"INSERT INTO {s}.events ({COLUMNS}) VALUES ({', '.join(['%s'] * 11)})"
        # many events in one statement of constant text: one array per column, sent in
        # binary (%b: no escaping of every text in Python)
        types = ", ".join(
            "%b::int[]" if c.strip() == "seq" else "%b::text[]" for c in COLUMNS.split(",")
        )
        self.insert_many = f"INSERT INTO {s}.events ({COLUMNS}) SELECT * FROM unnest({types})"
        self.open = (
            f"WITH next AS (UPDATE {s}.incident_counter SET position = position + 1 "
            f"RETURNING position) INSERT INTO {s}.incidents (position, incident_id) "
            "SELECT position, %s FROM next"
        )
        # NOTIFY takes a database-wide lock at COMMIT, serialising every notifying writer:
        # only an append that plans something due within NOTIFY_WITHIN wakes the workers.
        self.notify = (
            f"SELECT pg_notify('{CHANNEL}', %s) WHERE %s::timestamptz < now() + %s::interval"
        )
        # An append is one statement (pg_append.py): its version check, in the due row.
        self.append = AppendStatements(s)
        self.lock_many = (
            f"SELECT incident_id FROM {s}.due WHERE incident_id = ANY(%s) "
            "ORDER BY incident_id FOR UPDATE"
        )
        self.add_due = (
            f"INSERT INTO {s}.due (incident_id, process, due_at) "
            "SELECT unnest(%s::text[]), unnest(%s::text[]), '-infinity' "
            "ON CONFLICT (incident_id) DO NOTHING"
        )
        # Due times of many incidents, one statement each way (an array per column: no
        # message and no Python work per row, as executemany has). Times go as ISO text
        # ('-infinity': look now), cast by the server.
        self.set_due = (
            f"INSERT INTO {s}.due (incident_id, process, due_at) "
            "SELECT i, p, d::timestamptz FROM unnest(%s::text[], %s::text[], %s::text[]) "
            "AS v(i, p, d) ON CONFLICT (incident_id) DO UPDATE SET due_at = EXCLUDED.due_at"
        )
        self.update_due = (
            f"UPDATE {s}.due AS d SET due_at = v.due::timestamptz "
            "FROM unnest(%s::text[], %s::text[]) AS v(id, due) WHERE d.incident_id = v.id"
        )
        self.drop_due = f"DELETE FROM {s}.due WHERE incident_id = ANY(%s::text[])"
        self.versions = (
            f"SELECT incident_id, max(seq) FROM {s}.events WHERE incident_id = ANY(%s) "
            "GROUP BY incident_id"
        )
        self.claim = (
            f"SELECT incident_id, now() FROM {s}.due WHERE process = ANY(%s) "
            "AND due_at <= now() ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED"
        )
        # psycopg cannot read '-infinity' into a datetime: "look now" reads as now().
        self.events_after = (
            f"SELECT {', '.join('e.' + c.strip() for c in COLUMNS.split(','))} "
            f"FROM {s}.events e JOIN unnest(%s::text[], %s::int[]) AS a(id, after) "
            "ON e.incident_id = a.id AND e.seq > a.after ORDER BY e.incident_id, e.seq"
        )
        self.next_due = (
            "SELECT CASE WHEN min(due_at) = '-infinity' THEN now() ELSE min(due_at) END "
            f"FROM {s}.due WHERE process = ANY(%s)"
        )
        self.events = (
            f"SELECT {COLUMNS} FROM {s}.events WHERE incident_id = %s AND seq > %s ORDER BY seq"
        )
        self.index = f"SELECT position, incident_id FROM {s}.incidents ORDER BY position"
        self.since = (
            f"SELECT position, incident_id FROM {s}.incidents WHERE position > %s ORDER BY position"
        )
        self.high = f"SELECT position FROM {s}.incident_counter"
        self.unlisted = (
            f"SELECT DISTINCT e.incident_id FROM {s}.events e WHERE NOT EXISTS "
            f"(SELECT 1 FROM {s}.incidents i WHERE i.incident_id = e.incident_id) "
            "ORDER BY e.incident_id"
        )
        self.all_events = f"SELECT {COLUMNS} FROM {s}.events ORDER BY incident_id, seq"
        self.keep_spec = (
            f"INSERT INTO {s}.specs (digest, name, version, text) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (digest) DO NOTHING"
        )
        self.specs = f"SELECT name, version, digest, text FROM {s}.specs ORDER BY position"


class PostgresStore:
    """Events in a PostgreSQL database, shared safely by any number of processes.

    ``conninfo``: a libpq connection string or URL. ``pool``: a
    ``psycopg_pool.ConnectionPool`` to use instead (its connections must be in
    autocommit mode; the store never closes a pool it did not make). ``schema``: the
    PostgreSQL schema holding the tables. ``max_connections``: the size of the pool
    the store makes. ``timeout``: seconds a call waits for a connection before it fails
    with StoreError.
    """

    def __init__(
        self,
        conninfo: str = "",
        *,
        pool: ConnectionPool[Any] | None = None,
        schema: str = "public",
        max_connections: int = 4,
        timeout: float = 30.0,
    ) -> None:
        _, psycopg_pool = psycopg_modules()
        self.schema = schema
        self._sql = Queries(schema)
        self._owns_pool = pool is None
        self._conninfo = conninfo
        if pool is None:
            pool = psycopg_pool.ConnectionPool(
                conninfo,
                min_size=1,
                max_size=max(1, max_connections),
                kwargs={"autocommit": True},
                check=check_idle_connection,
                timeout=timeout,
                open=True,
                name="incidentflow",
            )
        self.pool: ConnectionPool[Any] = pool
        self._checked = False
        self._check_lock = threading.Lock()
        self._listener: psycopg.Connection[Any] | None = None
        self._listen_lock = threading.Lock()
        self._closed = False

    def _require_open(self) -> None:
        """StoreClosed after :meth:`close` (every call but ``close`` itself)."""
        if self._closed:
            raise StoreClosed(f"PostgresStore(schema={self.schema!r})")

    # --- the schema ------------------------------------------------------------------

    def migrate(self) -> int:
        """Create the schema, or upgrade it to :data:`SCHEMA_VERSION`; return the version.

        Idempotent, and safe to run from several processes at once (they take turns).
        Raises StoreSchemaError if the database's schema is newer than this release's.
        """
        self._require_open()
        psycopg, _ = psycopg_modules()
        s = self._sql.schema
        try:
            with self.pool.connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK,))
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {s}.incidentflow_schema ("
                    "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                found = conn.execute(self._sql.version).fetchone()[0] or 0
                if found > SCHEMA_VERSION:
                    raise self._schema_error(found)
                for version in range(found + 1, SCHEMA_VERSION + 1):
                    conn.execute(MIGRATIONS[version].format(s=s))
                    conn.execute(
                        f"INSERT INTO {s}.incidentflow_schema (version) VALUES (%s)", (version,)
                    )
        except psycopg.Error as exc:
            raise StoreError("migrate the schema", None, exc) from exc
        self._checked = True
        return SCHEMA_VERSION

    def schema_version(self) -> int | None:
        """The database's schema version, or None when it has none."""
        return self._read("read the schema version", None, self._version_of)

    def _version_of(self, conn: psycopg.Connection[Any]) -> int | None:
        return read_schema_version(conn, self._sql)

    def _schema_error(self, found: int | None) -> StoreSchemaError:
        where = f"schema {self.schema!r} of the database"
        if found is not None and found > SCHEMA_VERSION:
            remedy = "upgrade incidentflow to use it"
        else:
            remedy = "run `incidentflow store init URL` (or PostgresStore.migrate()) first"
        return StoreSchemaError(where, found, SCHEMA_VERSION, remedy)

    def _require_schema(self, conn: psycopg.Connection[Any]) -> None:
        if self._checked:
            return
        with self._check_lock:
            if not self._checked:
                found = self._version_of(conn)
                if found != SCHEMA_VERSION:
                    raise self._schema_error(found)
                self._checked = True

    # --- writing ---------------------------------------------------------------------

    def append(self, incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        """Append ``events`` in one transaction, or raise ConcurrencyError (writing nothing)
        if the incident is not at ``expected_version``; StoreError if the database failed
        (the transaction rolled back). An attempt that failed with psycopg's OperationalError
        (a dropped connection; also a deadlock, a lock or statement time-out) is made once
        more on a fresh connection; if the incident has moved by then, the events found at
        those positions tell whether the first attempt landed (the same hashes: done)."""
        self._require_open()
        psycopg, _ = psycopg_modules()
        batch = checked_batch(incident_id, expected_version, events)
        try:
            try:
                self._append_once(batch)
            except _pool_errors():
                raise  # no connection to be had: trying again would wait as long again
            except psycopg.OperationalError:  # connection lost, deadlock, time-out: once more
                try:
                    self._append_once(batch)
                except ConcurrencyError:
                    if not self._landed(batch):
                        raise
        except ConcurrencyError:
            raise
        except (psycopg.Error, _pool_errors()) as exc:
            raise StoreError("append", incident_id, exc) from exc

    def _append_once(self, batch: Sequence[Event]) -> None:
        """One attempt at an append: one prepared statement, its own transaction, in one
        round trip (see :mod:`incidentflow.audit.pg_append`)."""
        psycopg, _ = psycopg_modules()
        q = self._sql
        incident_id, expected_version = batch[0].incident_id, batch[0].seq - 1
        with self.pool.connection() as conn:
            self._require_schema(conn)
            try:
                q.append.run(conn, batch, soonest_timer(batch))
            except (psycopg.errors.UniqueViolation, psycopg.errors.NotNullViolation) as exc:
                if isinstance(exc, psycopg.errors.NotNullViolation) and not _version_refused(exc):
                    raise
                # Not at the expected version, or another writer committed it first.
                (actual,) = conn.execute(q.current, (incident_id,)).fetchone() or (0,)
                raise ConcurrencyError(incident_id, expected_version, int(actual)) from None

    def _landed(self, batch: Sequence[Event]) -> bool:
        """Whether ``batch`` is in the store as it is (an attempt whose reply was lost)."""
        found = self.events(batch[0].incident_id, batch[0].seq - 1)[: len(batch)]
        return [e.hash for e in found] == [e.hash for e in batch]

    def append_many(self, appends: Sequence[Append]) -> list[ConcurrencyError]:
        """One transaction (one durable commit, two round trips) for every append at its
        version; the stale ones are returned, unwritten (see :class:`~incidentflow.BatchStore`).

        The incidents' due rows are locked first (in id order, so two batches cannot
        deadlock), which makes the version check exact: a stale incident is left out and
        the others commit. StoreError as for :meth:`append`.
        """
        self._require_open()
        psycopg, _ = psycopg_modules()
        checked = checked_appends(appends)
        if not checked:
            return []
        try:
            with self.pool.connection() as conn:
                self._require_schema(conn)
                with conn.transaction():
                    lock_incidents(conn, self._sql, checked)
                    return write_locked(conn, self._sql, checked)
        except (psycopg.Error, _pool_errors()) as exc:
            raise StoreError("append a batch", checked[0].incident_id, exc) from exc

    @contextmanager
    def claim_due(
        self, processes: Sequence[str], limit: int, now: datetime | None = None
    ) -> Iterator[DueClaim]:
        """Claim up to ``limit`` due incidents with ``SELECT ... FOR UPDATE SKIP LOCKED``
        against the database's time (``now`` is ignored: one clock for every replica).
        Other workers skip the claimed incidents; writers of one wait for the claim to
        end. Everything written through the claim commits with it, or not at all."""
        self._require_open()
        psycopg, _ = psycopg_modules()
        try:
            with self.pool.connection() as conn:
                self._require_schema(conn)
                with conn.transaction():
                    rows = conn.execute(self._sql.claim, (list(processes), limit)).fetchall()
                    at = rows[0][1] if rows else conn.execute("SELECT now()").fetchone()[0]
                    claim = _PostgresClaim(
                        conn, self._sql, at.astimezone(UTC), [r[0] for r in rows]
                    )
                    yield claim
                    claim.flush()
        except (psycopg.Error, _pool_errors()) as exc:
            raise StoreError("claim due incidents", None, exc) from exc

    def next_due(self, processes: Sequence[str]) -> datetime | None:
        def query(conn: Any) -> datetime | None:
            found: datetime | None = conn.execute(
                self._sql.next_due, (list(processes),)
            ).fetchone()[0]
            return None if found is None else found.astimezone(UTC)

        return self._checked_read("read the due index", None, query)

    # --- reading ---------------------------------------------------------------------

    def _read(self, operation: str, incident_id: str | None, query: Callable[[Any], _T]) -> _T:
        """``query(connection)``, retried once on a fresh connection if the first broke."""
        self._require_open()
        psycopg, _ = psycopg_modules()
        for attempt in (1, 2):
            try:
                with self.pool.connection() as conn:
                    return query(conn)
            except psycopg.OperationalError as exc:
                if attempt == 2:
                    raise StoreError(operation, incident_id, exc) from exc
            except (psycopg.Error, _pool_errors()) as exc:
                raise StoreError(operation, incident_id, exc) from exc
        raise AssertionError("unreachable")

    def _checked_read(
        self, operation: str, incident_id: str | None, query: Callable[[Any], _T]
    ) -> _T:
        def run(conn: Any) -> _T:
            self._require_schema(conn)
            return query(conn)

        return self._read(operation, incident_id, run)

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        return self._checked_read(
            "read the events",
            incident_id,
            lambda c: select_events(c, self._sql, incident_id, after),
        )

    def incident_ids(self) -> list[str]:
        """Indexed ids in opening order, then ids that only the events name (sorted)."""
        return self._checked_read(
            "list the incidents", None, lambda c: select_incident_ids(c, self._sql)
        )

    def opened_since(self, position: int) -> tuple[list[str], int]:
        def query(conn: Any) -> tuple[list[str], int]:
            rows = conn.execute(self._sql.since, (position,)).fetchall()
            return [str(r[1]) for r in rows], (int(rows[-1][0]) if rows else position)

        return self._checked_read("list the incidents", None, query)

    def incident_index(self) -> tuple[list[tuple[int, str]], int]:
        """Every ``(position, incident_id)`` in order, and the highest position handed out.
        Positions are dense: a gap means index rows were deleted."""
        return self._checked_read(
            "read the incidents index", None, lambda c: select_index(c, self._sql)
        )

    def all_events(self) -> Iterator[Event]:
        """Every event, grouped by incident (by id), each in seq order; streamed with a
        server-side cursor in one snapshot."""
        self._require_open()  # now, not at the first next()
        return self._stream_all_events()

    def _stream_all_events(self) -> Iterator[Event]:
        psycopg, _ = psycopg_modules()
        try:
            with self.pool.connection() as conn:
                self._require_schema(conn)
                yield from select_all_events(conn, self._sql)
        except (psycopg.Error, _pool_errors()) as exc:
            raise StoreError("read every event", None, exc) from exc

    def all_rows(self) -> Iterator[StoredRow]:
        """Every event as a row, data undecoded (see :mod:`incidentflow.audit.rows`);
        streamed like :meth:`all_events`."""
        self._require_open()
        return self._stream_all_rows()

    def _stream_all_rows(self) -> Iterator[StoredRow]:
        psycopg, _ = psycopg_modules()
        try:
            with self.pool.connection() as conn:
                self._require_schema(conn)
                yield from select_all_rows(conn, self._sql)
        except (psycopg.Error, _pool_errors()) as exc:
            raise StoreError("read every event", None, exc) from exc

    # --- the versions kept (incidentflow.audit.specs) ---------------------------------

    def keep_spec(self, spec: StoredSpec) -> None:
        """Keep the source of a process version (see :class:`~incidentflow.SpecArchive`)."""
        self._require_open()
        spec.check()
        psycopg, _ = psycopg_modules()
        try:
            with self.pool.connection() as conn:
                self._require_schema(conn)
                conn.execute(self._sql.keep_spec, (spec.digest, spec.name, spec.version, spec.text))
        except (psycopg.Error, _pool_errors()) as exc:
            raise StoreError("keep a process version", None, exc) from exc

    def stored_specs(self) -> list[StoredSpec]:
        """Every process version kept, in the order first kept."""
        return self._checked_read(
            "read the process versions", None, lambda c: select_specs(c, self._sql)
        )

    # --- optional capabilities -------------------------------------------------------

    def now(self) -> datetime:
        """The database's current time (UTC): one clock for every process that shares it."""

        def query(conn: Any) -> datetime:
            value: datetime = conn.execute("SELECT statement_timestamp()").fetchone()[0]
            return value.astimezone(UTC)

        return self._read("read the clock", None, query)

    def wait_for_change(self, timeout: float) -> bool:
        """Wait until a commit notifies :data:`CHANNEL`, or ``timeout`` seconds pass.

        True when a notification arrived (since the previous call, or during this one),
        or when the listening connection had to be re-made (changes may have been missed
        while it was down); False on timeout. Notifications are hints, not a queue:
        callers must still read the store (and poll as a fallback).
        """
        self._require_open()
        psycopg, _ = psycopg_modules()
        with self._listen_lock:
            if self._listener is not None and not self._listener.closed:
                try:
                    got = list(self._listener.notifies(timeout=max(0.0, timeout), stop_after=1))
                except psycopg.Error:
                    self._listener.close()  # dropped: listen again below
                else:
                    return bool(got)
            try:
                kwargs = {**(getattr(self.pool, "kwargs", None) or {}), "autocommit": True}
                self._listener = psycopg.Connection.connect(self._dsn(), **kwargs)
                self._listener.execute(f"LISTEN {CHANNEL}")
            except psycopg.Error as exc:
                self._listener = None
                raise StoreError("wait for a change", None, exc) from exc
            return True

    def _dsn(self) -> str:
        return str(self._conninfo or getattr(self.pool, "conninfo", ""))

    def close(self) -> None:
        """Close the listening connection, and the pool if the store made it; every later
        call raises StoreClosed (``close()`` again does nothing)."""
        if self._closed:
            return
        self._closed = True
        with self._listen_lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
        if self._owns_pool:
            self.pool.close()


if TYPE_CHECKING:  # mypy holds PostgresStore to the protocols it is used through

    def _conforms(store: PostgresStore) -> tuple[IndexedStore, BatchStore, DueIndexStore]:
        return store, store, store


def soonest_timer(events: Sequence[Event]) -> str | None:
    """The earliest due time (ISO) among the timers ``events`` plan, if any: what decides
    whether an append wakes the workers."""
    # "timers" is what opened, transitioned and severity_changed events carry.
    dues = [d for e in events for d in (e.data.get("timers") or {}).values()]
    return min(dues, key=datetime.fromisoformat) if dues else None


def _due_text(due: datetime | str) -> str:
    """A due time as the text the due statements cast (LOOK: "look now")."""
    return LOOK_NOW if isinstance(due, str) else due.isoformat()


def lock_incidents(conn: Any, q: Queries, appends: Sequence[Append]) -> None:
    """Lock the due rows of ``appends``' incidents (adding those of new incidents), in id
    order, in ``conn``'s open transaction: their versions cannot change until it ends."""
    new = sorted((a.incident_id, a.events[0].spec_name) for a in appends if a.expected_version == 0)
    if new:
        conn.execute(q.add_due, ([i for i, _ in new], [p for _, p in new]))
    conn.execute(q.lock_many, (sorted(a.incident_id for a in appends),)).fetchall()


def insert_events(cur: Any, q: Queries, events: Sequence[Event]) -> None:
    """Insert ``events`` with one statement (an array per column): far less client work
    than ``executemany``, and no Sync in a pipeline.

    Statements in a pipeline are prepared with ``prepare=True``, not by psycopg's
    threshold: a statement the threshold prepares (at its fifth use) counts as prepared
    at once, and if its pipeline aborts before the server parses it, later uses on that
    connection fail ("prepared statement _pg3_N does not exist") until a ROLLBACK
    clears psycopg's list (the batches here run in a transaction, which does);
    ``prepare=True`` from the first use is checked against the server's answer."""
    columns = [list(values) for values in zip(*(event_row(e) for e in events), strict=True)]
    cur.execute(q.insert_many, columns, prepare=True)


def write_locked(conn: Any, q: Queries, appends: Sequence[Append]) -> list[ConcurrencyError]:
    """Write the ``appends`` whose incident is at its expected version (their due rows
    locked by this transaction), with their due times; return the refusals."""
    versions = dict(conn.execute(q.versions, ([a.incident_id for a in appends],)).fetchall())
    refused = []
    fresh = []
    for append in appends:
        found = int(versions.get(append.incident_id) or 0)
        if found != append.expected_version:
            refused.append(ConcurrencyError(append.incident_id, append.expected_version, found))
        else:
            fresh.append(append)
    if not fresh:
        return refused
    soonest = min(
        (t for t in (soonest_timer(a.events) for a in fresh) if t is not None),
        key=datetime.fromisoformat,
        default=None,
    )
    with conn.pipeline(), conn.cursor() as cur:
        opened = [(a.incident_id,) for a in fresh if a.expected_version == 0]
        if opened:
            cur.executemany(q.open, opened)
        insert_events(cur, q, [e for a in fresh for e in a.events])
        kept = [
            (a.incident_id, a.events[0].spec_name, _due_text(a.due))
            for a in fresh
            if a.due is not None
        ]
        if kept:
            columns = [list(column) for column in zip(*kept, strict=True)]
            cur.execute(q.set_due, columns, prepare=True)
        dropped = [a.incident_id for a in fresh if a.due is None]
        if dropped:
            cur.execute(q.drop_due, (dropped,), prepare=True)
        cur.execute(q.notify, (fresh[0].incident_id, soonest, NOTIFY_WITHIN), prepare=True)
    return refused


class _PostgresClaim:
    """A claim of :meth:`PostgresStore.claim_due`: writes go into its open transaction."""

    def __init__(self, conn: Any, q: Queries, now: datetime, incident_ids: list[str]) -> None:
        self._conn = conn
        self._sql = q
        self.now = now
        self.incident_ids = incident_ids
        self._dues: list[tuple[str, datetime | None]] = []

    def events(self, after: Mapping[str, int]) -> dict[str, list[Event]]:
        found: dict[str, list[Event]] = {iid: [] for iid in after}
        if after:
            ids, seqs = list(after), list(after.values())
            for row in self._conn.execute(self._sql.events_after, (ids, seqs)):
                found[row[0]].append(row_event(row))
        return found

    def append_many(self, appends: Sequence[Append]) -> list[ConcurrencyError]:
        checked = checked_appends(appends)
        self.flush()
        claimed = set(self.incident_ids)
        if any(a.incident_id not in claimed for a in checked):
            lock_incidents(self._conn, self._sql, checked)  # not claimed: lock them now
        return write_locked(self._conn, self._sql, checked) if checked else []

    def set_due(self, incident_id: str, due: datetime | None) -> None:
        self._dues.append((incident_id, due))  # written together, before the commit

    def flush(self) -> None:
        """Write the due times set so far (one round trip)."""
        if not self._dues:
            return
        latest = dict(self._dues)  # an incident set twice: its last time
        with self._conn.pipeline(), self._conn.cursor() as cur:
            kept = [(iid, _due_text(due)) for iid, due in latest.items() if due is not None]
            if kept:
                columns = [list(c) for c in zip(*kept, strict=True)]
                cur.execute(self._sql.update_due, columns, prepare=True)
            dropped = [iid for iid, due in latest.items() if due is None]
            if dropped:
                cur.execute(self._sql.drop_due, (dropped,), prepare=True)
        self._dues.clear()


# The reads, shared with the read-only snapshot (postgres_readonly.py). ``lenient``: data
# that is not JSON reads as {} and verification reports the event as modified.


def select_events(
    conn: Any, q: Queries, incident_id: str, after: int = 0, *, lenient: bool = False
) -> list[Event]:
    """The incident's events with ``seq > after``, in seq order."""
    rows = conn.execute(q.events, (incident_id, after)).fetchall()
    return [row_event(r, lenient=lenient) for r in rows]


def select_incident_ids(conn: Any, q: Queries) -> list[str]:
    """Indexed ids in opening order, then ids that only the events name (sorted)."""
    with conn.transaction():  # one snapshot for both queries
        listed = [str(r[1]) for r in conn.execute(q.index)]
        unlisted = [str(r[0]) for r in conn.execute(q.unlisted)]
    return listed + unlisted


def select_index(conn: Any, q: Queries) -> tuple[list[tuple[int, str]], int]:
    """The incidents index and the highest position ever handed out (the counter)."""
    with conn.transaction():
        rows = [(int(p), str(i)) for p, i in conn.execute(q.index)]
        found = conn.execute(q.high).fetchone()
    high = int(found[0]) if found is not None else 0
    return rows, max(high, rows[-1][0] if rows else 0)


def select_all_events(conn: Any, q: Queries, *, lenient: bool = False) -> Iterator[Event]:
    """Every event, grouped by incident (by id), each in seq order, from a server-side
    cursor (constant memory however many there are)."""
    with conn.transaction(), conn.cursor(name="incidentflow_all_events") as cur:
        cur.itersize = 5000
        cur.execute(q.all_events)
        for row in cur:
            yield row_event(row, lenient=lenient)


ROWS_PER_FETCH: Final = 10_000
"""Rows :func:`select_all_rows` fetches per round trip (a few MB in memory at most)."""


def select_all_rows(conn: Any, q: Queries, *, lenient: bool = False) -> Iterator[StoredRow]:
    """Every event as a :class:`StoredRow`, in the order of :func:`select_all_events`,
    from a server-side cursor read ROWS_PER_FETCH rows at a time."""
    with conn.transaction(), conn.cursor(name="incidentflow_all_rows") as cur:
        cur.execute(q.all_events)
        while batch := cur.fetchmany(ROWS_PER_FETCH):  # a list: no generator per row
            yield from stored_rows(batch, lenient=lenient)


def select_specs(conn: Any, q: Queries) -> list[StoredSpec]:
    """Every process version kept, in the order first kept (none under schema version 1,
    which had no table for them: a read-only snapshot may read such a database)."""
    psycopg, _ = psycopg_modules()
    try:
        with conn.transaction():
            rows = conn.execute(q.specs).fetchall()
    except psycopg.errors.UndefinedTable:
        return []
    return [StoredSpec(str(n), str(v), str(d), str(t)) for n, v, d, t in rows]


def read_schema_version(conn: Any, q: Queries) -> int | None:
    """The database's schema version under ``q``'s schema, or None when it has none."""
    psycopg, _ = psycopg_modules()
    try:
        with conn.transaction():
            row = conn.execute(q.version).fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return None if row is None or row[0] is None else int(row[0])


def _version_refused(exc: Exception) -> bool:
    """Whether a NOT NULL violation is the version check of an append (its due row)."""
    diag = getattr(exc, "diag", None)
    return getattr(diag, "table_name", None) == "due" and getattr(diag, "column_name", None) == (
        "due_at"
    )


def _pool_errors() -> type[Exception]:
    from psycopg_pool import PoolTimeout

    return PoolTimeout
