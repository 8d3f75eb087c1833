"""One append to a PostgreSQL store as one prepared statement (:meth:`PostgresStore.append`).

An append is a single SQL statement, sent with psycopg's ``prepare=True``: one round
trip, and after the first one on a connection the server neither parses nor plans it
again. In autocommit mode a single statement is its own transaction: it commits when it
succeeds and leaves nothing behind when any part of it fails, so nothing half-written is
ever visible. (A pipeline of several statements does the same in one round trip, but
the server parses, plans and answers each one: measured, three times the server time
and twice the client time of this statement; and psycopg's cache of prepared
statements is not safe in a pipeline that aborts halfway.)

The statement (:func:`append_statement`), its due row first, then the rest:

1. ``due``: the incident's due row is upserted as "look now" (``-infinity``), which
   locks it: two writers of one incident take turns, and a worker's claim
   (``FOR UPDATE SKIP LOCKED``) passes over an incident being written. The new value
   is NULL unless the incident is at the expected version, and ``due_at`` is NOT NULL:
   a stale append fails there, before writing anything (the store turns that error into
   :class:`~incidentflow.ConcurrencyError`). ``ON CONFLICT ... WHERE`` spares the write
   of a row already marked "look now" (it is only locked). The main query reads this
   part first (``SELECT count(*) FROM due``), so the lock is taken before any event is
   inserted: an append that waits for a worker's claim holds nothing the worker needs
   (in the other order they would deadlock on the event's primary key).
2. an opening (expected version 0) takes the next position of the incidents index from
   the one-row counter (``UPDATE ... RETURNING``: openers take turns until they
   commit, so positions are dense and become visible in order) and lists the incident.
3. the events are inserted: ``(incident_id, seq)`` is the primary key, so of two
   writers that both passed the version check (the second took the lock after the
   first committed, against the statement's older snapshot) the second fails with a
   unique violation, also a ConcurrencyError.
4. ``pg_notify`` on :data:`CHANNEL`, only when the events plan a timer due within
   :data:`NOTIFY_WITHIN` (PostgreSQL serialises the commits of notifying transactions).

One event (the usual append) goes as plain parameters; several as one array per column,
in binary (no text escaping of every value in Python).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Final

from incidentflow.audit.events import Event
from incidentflow.audit.sqlite import COLUMNS, event_row

CHANNEL: Final = "incidentflow_events"
NOTIFY_WITHIN: Final = timedelta(seconds=5)
"""An append notifies :data:`CHANNEL` only if it plans a timer due within this long (the
default poll of a worker): anything later, a polling worker sees in time."""
LOOK_NOW: Final = "-infinity"
"""The ``due_at`` of an incident a worker should look at now."""

_NAMES: Final = tuple(c.strip() for c in COLUMNS.split(","))


def append_statement(schema: str, *, opening: bool, many: bool) -> str:
    """The append statement for the quoted PostgreSQL ``schema``: of an incident's first
    events (``opening``) or of later ones, of one event or of ``many``. Its parameters
    are named (see :func:`append_parameters`)."""
    s = schema
    due = (
        f"INSERT INTO {s}.due AS d (incident_id, process, due_at) VALUES (%(id)s, %(process)s, "
        f"CASE WHEN (SELECT COALESCE(max(seq), 0) FROM {s}.events WHERE incident_id = %(id)s)"
        f" = %(version)s THEN '{LOOK_NOW}'::timestamptz END) "
        "ON CONFLICT (incident_id) DO UPDATE SET due_at = EXCLUDED.due_at "
        "WHERE d.due_at <> EXCLUDED.due_at RETURNING 1"
    )
    parts = [f"due AS ({due})"]
    if opening:
        parts.append(
            f"next AS (UPDATE {s}.incident_counter SET position = position + 1 RETURNING position)"
        )
        parts.append(
            f"listed AS (INSERT INTO {s}.incidents (position, incident_id) "
            "SELECT position, %(id)s FROM next)"
        )
    if many:  # one array per column, binary
        arrays = ", ".join(f"%({n})b::{'int' if n == 'seq' else 'text'}[]" for n in _NAMES)
        source = f"SELECT * FROM unnest({arrays})"
    else:
        source = f"VALUES ({', '.join(f'%({n})s' for n in _NAMES)})"
    parts.append(f"written AS (INSERT INTO {s}.events ({COLUMNS}) {source})")
    return (
        f"WITH {', '.join(parts)} SELECT (SELECT count(*) FROM due), "
        f"CASE WHEN %(soon)s::timestamptz < now() + %(within)s::interval "
        f"THEN pg_notify('{CHANNEL}', %(id)s) END"
    )


def append_parameters(batch: Sequence[Event], soonest: str | None) -> dict[str, Any]:
    """The parameters of :func:`append_statement` for ``batch`` (checked: one incident,
    consecutive seqs), whose soonest planned timer is ``soonest`` (ISO, or None)."""
    first = batch[0]
    params: dict[str, Any] = {
        "id": first.incident_id,
        "process": first.spec_name,
        "version": first.seq - 1,
        "soon": soonest,
        "within": NOTIFY_WITHIN,
    }
    if len(batch) == 1:
        params.update(zip(_NAMES, event_row(first), strict=True))
    else:
        columns = zip(*(event_row(e) for e in batch), strict=True)
        params.update(zip(_NAMES, (list(values) for values in columns), strict=True))
    return params


class AppendStatements:
    """The four append statements of one store's schema (opening or not, one event or
    many), built once."""

    def __init__(self, schema: str) -> None:
        self._texts = {
            (opening, many): append_statement(schema, opening=opening, many=many)
            for opening in (False, True)
            for many in (False, True)
        }

    def run(self, conn: Any, batch: Sequence[Event], soonest: str | None) -> None:
        """Append ``batch`` on ``conn`` (autocommit: the statement is its transaction).
        Raises what psycopg raises: NotNullViolation on ``due.due_at`` (not at the
        expected version), UniqueViolation (another writer committed it first)."""
        text = self._texts[(batch[0].seq == 1, len(batch) > 1)]
        conn.execute(text, append_parameters(batch, soonest), prepare=True)
