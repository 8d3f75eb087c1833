"""The store interface, and the in-memory store.

A store keeps each incident's events in order and appends atomically with
optimistic concurrency: :meth:`Store.append` takes the version (the last ``seq``)
the caller's decision was based on, and refuses with :class:`ConcurrencyError`,
writing nothing, if another writer got there first. That single rule is what
keeps two processes from losing an update or firing a timer twice.

To write another store (PostgreSQL, say) implement these five methods (and
:meth:`IndexedStore.opened_since`, so that a long history does not slow timers); the
append must be one transaction that checks the current version under a lock
(``SELECT max(seq) ... FOR UPDATE``) or relies on a unique (incident_id, seq) key.

A store whose index positions are dense (1, 2, 3, ... with none ever skipped, as
SQLite's ``AUTOINCREMENT`` gives) may also offer ``incident_index()``: every
``(position, incident_id)`` in order and the highest position handed out. Verification
then reports positions that are gone (incidents deleted with their index rows); see
:mod:`incidentflow.audit.verify`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from incidentflow.audit.events import Event
from incidentflow.errors import ConcurrencyError


class Store(Protocol):
    """Where events live. Implementations must be safe to share between threads."""

    def append(self, incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        """Append ``events`` (seq ``expected_version + 1`` onwards) atomically, or raise
        ConcurrencyError (and write nothing) if the incident's version is not ``expected_version``."""
        ...

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        """The incident's events with ``seq > after``, in order."""
        ...

    def incident_ids(self) -> list[str]:
        """Every incident id, in the order incidents were opened."""
        ...

    def all_events(self) -> Iterator[Event]:
        """Every event, grouped by incident, each incident's in seq order."""
        ...

    def close(self) -> None:
        """Release resources (a no-op for stores that hold none)."""
        ...


class IndexedStore(Store, Protocol):
    """A store that can list the incidents opened since the last time it was asked.

    Optional: with it, :meth:`Engine.tick <incidentflow.Engine.tick>`, ``queue()``,
    ``next_deadline()`` and ``signal()`` cost one small query plus one per *open*
    incident, however many closed incidents the store holds; without it the engine
    lists every incident id each time (and still reads only the open ones).
    """

    def opened_since(self, position: int) -> tuple[list[str], int]:
        """Ids of the incidents first appended after ``position`` (``0``: all of them), in
        the order they were opened, and the position to pass next time. An id is listed
        only once its first events are committed and readable (an engine drops an id
        whose events it cannot find)."""
        ...


class MemoryStore:
    """Events in process memory: for tests, drills and hosts that do not persist."""

    def __init__(self) -> None:
        self._events: dict[str, list[Event]] = {}
        self._opened: list[str] = []  # incident ids in opening order: opened_since()
        self._lock = threading.Lock()

    def append(self, incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        with self._lock:
            log = self._events.setdefault(incident_id, [])
            if len(log) != expected_version:
                if not log:
                    del self._events[incident_id]
                raise ConcurrencyError(incident_id, expected_version, len(log))
            log.extend(events)  # under the lock, and after the check: all or nothing
            if expected_version == 0:
                self._opened.append(incident_id)

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        with self._lock:
            return list(self._events.get(incident_id, [])[after:])

    def incident_ids(self) -> list[str]:
        with self._lock:
            return list(self._events)

    def opened_since(self, position: int) -> tuple[list[str], int]:
        with self._lock:
            return self._opened[position:], len(self._opened)

    def incident_index(self) -> tuple[list[tuple[int, str]], int]:
        """Every ``(position, incident_id)`` in opening order, and the last position."""
        with self._lock:
            return [(n, iid) for n, iid in enumerate(self._opened, 1)], len(self._opened)

    def all_events(self) -> Iterator[Event]:
        with self._lock:
            logs = [list(log) for log in self._events.values()]
        for log in logs:
            yield from log

    def close(self) -> None:
        return None


# --- Optional capabilities the worker uses (see incidentflow.engine.worker) -------------


@runtime_checkable
class ClockedStore(Protocol):
    """A store that tells the time of the database every replica writes to.

    Optional. A :class:`~incidentflow.Worker` compares deadlines (due timers, action
    leases) against this clock rather than its host's, so that replicas whose clocks
    disagree cannot fire a timer early. Stores of one machine (SQLite, memory) have no
    need for it: their host's clock is the only one.
    """

    def now(self) -> datetime:
        """The database's current time, as an aware datetime."""
        ...


@runtime_checkable
class NotifyingStore(Protocol):
    """A store that can wake a waiting worker when something was appended.

    Optional. Without it a worker polls. A notification is a hint, never a promise
    (PostgreSQL's ``NOTIFY`` is lost while nobody listens): workers poll as well.
    """

    def wait_for_change(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True if something was appended meanwhile (by
        any writer), False on time-out. May return True spuriously."""
        ...
