"""What one SQLite connection knows of the rows it wrote, while no one else writes.

Every append checks the incident's version (a query) and sets its due-index row (a
statement, and a page for the commit to write if the row changes). A connection that
wrote an incident last already knows both: :class:`KnownRows` remembers them, and
:func:`~incidentflow.audit.sqlite.write_appends` then skips the query and the
unchanged rows. A host firing the timers of the incidents it opened, or noting on one
incident, pays for its events only. The same knowledge answers the engine's read before
each call ("the events after the version I hold"): when it holds the version this
connection wrote last, and no one else has committed since, the answer is "none",
found with ``PRAGMA data_version`` instead of a query of the events table.

Knowledge is kept only while it is exact. SQLite changes ``PRAGMA data_version`` when
any other connection commits to the file (another thread's, another process's, a
worker's claim, a repair tool), and never for the connection's own commits; read under
the write lock, at the start of each write transaction, an unchanged value proves that
the rows are still as this connection left them. Anything else forgets everything: a
changed value (or a checkpoint, which may also change it: a miss, never a wrong
answer), a transaction rolled back, a statement that failed half-way.
"""

from __future__ import annotations

import sqlite3

DueRow = tuple[str, float] | None
"""An incident's row of the ``due`` table: (process, due_at), or None: no row."""


class KnownRows:
    """Each incident's version and due-index row, as this connection last wrote or read
    them in a write transaction (see the module). Bounded: past :attr:`LIMIT` incidents,
    it starts again empty."""

    LIMIT = 50_000
    """Incidents remembered at most (a few MB)."""

    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        """incident id -> its version (last seq; 0: no events)."""
        self.due: dict[str, DueRow] = {}
        """incident id -> its due-index row."""
        self._data_version: int | None = None

    def begin(self, conn: sqlite3.Connection) -> None:
        """Call in each new write transaction, the write lock held (``BEGIN IMMEDIATE``):
        forgets everything if another connection has committed since the last one."""
        (found,) = conn.execute("PRAGMA data_version").fetchone()
        if found != self._data_version or len(self.versions) + len(self.due) > self.LIMIT:
            self.forget()
            self._data_version = found

    def unchanged(self, conn: sqlite3.Connection) -> bool:
        """True if no other connection has committed since the last write transaction
        began, so that what is known is still exact (outside a transaction, ``PRAGMA
        data_version`` reads the file's latest commit; inside this connection's write
        transaction, nothing else can commit)."""
        if self._data_version is None:
            return False
        (found,) = conn.execute("PRAGMA data_version").fetchone()
        return bool(found == self._data_version)

    def forget(self) -> None:
        """Know nothing (the transaction is rolled back, or a write failed half-way)."""
        self.versions.clear()
        self.due.clear()
        self._data_version = None
