"""A PostgreSQL event store read as evidence: one read-only snapshot, nothing changed.

:func:`read_postgres` is how ``audit verify``, ``audit anchor``, ``report`` and
``store copy`` (its source) read a PostgreSQL store: one connection, one ``REPEATABLE
READ, READ ONLY`` transaction (the server refuses any write in it, and every read sees
the same committed state), ended with a rollback. A database without incidentflow's
schema, or with a newer one, is refused with :class:`~incidentflow.AuditError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from incidentflow.audit.events import Event, StoredRow
from incidentflow.audit.postgres import (
    SCHEMA_VERSION,
    Queries,
    psycopg_modules,
    read_schema_version,
    select_all_events,
    select_all_rows,
    select_events,
    select_incident_ids,
    select_index,
    select_specs,
)
from incidentflow.audit.specs import StoredSpec
from incidentflow.errors import AuditError

_T = TypeVar("_T")


def read_postgres(
    conninfo: str, schema: str, use: Callable[[PostgresSnapshot], _T], *, source: str
) -> _T:
    """``use(snapshot)`` on the store in ``schema`` of the database at ``conninfo``, and
    its result. ``source`` names the store in errors (a URL without its password)."""
    psycopg, _ = psycopg_modules()
    try:
        conn = psycopg.connect(conninfo, autocommit=False)
    except psycopg.Error as exc:
        raise AuditError(source, f"cannot connect: {_first_line(exc)}") from None
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot = PostgresSnapshot(conn, Queries(schema), source)
        return use(snapshot)
    except psycopg.Error as exc:
        raise AuditError(source, f"cannot be read: {_first_line(exc)}") from None
    finally:
        conn.rollback()
        conn.close()


class PostgresSnapshot:
    """The reading half of the store interface, over one read-only transaction.

    An event whose ``data`` is not JSON reads with empty ``data`` and its stored text,
    which the hash check then reports as modified.
    """

    def __init__(self, conn: Any, queries: Queries, source: str) -> None:
        self._conn = conn
        self._q = queries
        found = read_schema_version(conn, queries)
        if found is None:
            raise AuditError(
                source,
                f"has no incidentflow store schema (PostgreSQL schema {queries.schema}): "
                "not an incidentflow event store",
            )
        if found > SCHEMA_VERSION:
            raise AuditError(
                source,
                f"was written by a newer incidentflow (schema version {found}; this one "
                f"reads {SCHEMA_VERSION}): upgrade incidentflow to read it",
            )

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        """The incident's events with ``seq > after``, in seq order."""
        return select_events(self._conn, self._q, incident_id, after, lenient=True)

    def incident_ids(self) -> list[str]:
        """Indexed ids in opening order, then ids only the events name."""
        return select_incident_ids(self._conn, self._q)

    def incident_index(self) -> tuple[list[tuple[int, str]], int]:
        """The incidents index with its high-water mark."""
        return select_index(self._conn, self._q)

    def stored_specs(self) -> list[StoredSpec]:
        """Every process version the database keeps (none under schema version 1)."""
        return select_specs(self._conn, self._q)

    def all_events(self) -> Iterator[Event]:
        """Every event, grouped by incident, each in seq order."""
        return select_all_events(self._conn, self._q, lenient=True)

    def all_rows(self) -> Iterator[StoredRow]:
        """Every event as a row, data undecoded (see :mod:`incidentflow.audit.rows`)."""
        return select_all_rows(self._conn, self._q, lenient=True)

    def close(self) -> None:
        """Nothing to release: :func:`read_postgres` ends the transaction."""


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
