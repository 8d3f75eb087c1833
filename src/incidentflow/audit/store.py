"""The store interface, and the in-memory store.

A store keeps each incident's events in order and appends atomically with
optimistic concurrency: :meth:`Store.append` takes the version (the last ``seq``)
the caller's decision was based on, and refuses with :class:`ConcurrencyError`,
writing nothing, if another writer got there first. That single rule is what
keeps two processes from losing an update or firing a timer twice.

The interface is three checked protocols (``isinstance`` works on them):

- :class:`Store`, five methods every store has;
- :class:`IndexedStore`, a Store that also has :meth:`~IndexedStore.opened_since`, so
  that a long history does not slow timers (optional, but worth writing);
- :class:`IncidentIndex`, for a store whose index positions are dense (1, 2, 3, ...
  with none ever skipped, as SQLite's ``AUTOINCREMENT`` gives): ``incident_index()``
  lists every ``(position, incident_id)`` and the highest position handed out, and
  verification then reports positions that are gone (see
  :mod:`incidentflow.audit.verify`).

To write another store (PostgreSQL, say), implement them and run the contract suite,
:mod:`incidentflow.testing.store_contract`, against it: the tests that MemoryStore,
SQLiteStore and the drills' store pass. The append must be one transaction that checks
the current version under a lock (``SELECT max(seq) ... FOR UPDATE``) or relies on a
unique (incident_id, seq) key; :func:`checked_batch` checks its arguments first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

from incidentflow.audit.change_log import ChangeLog
from incidentflow.audit.events import Event
from incidentflow.audit.specs import SpecShelf, StoredSpec
from incidentflow.errors import ConcurrencyError, StoreClosed


@runtime_checkable
class Store(Protocol):
    """Where events live. Implementations must be safe to share between threads."""

    def append(self, incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        """Append ``events`` (seq ``expected_version + 1`` onwards) atomically, or raise
        ConcurrencyError (and write nothing) if the incident's version is not ``expected_version``.
        A batch that does not continue the incident (see :func:`checked_batch`) raises
        ValueError and writes nothing."""
        ...

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        """The incident's events with ``seq > after``, in order."""
        ...

    def incident_ids(self) -> list[str]:
        """Every incident id, in the order incidents were opened."""
        ...

    def all_events(self) -> Iterator[Event]:
        """Every event, grouped by incident (the groups in any order), each incident's in
        seq order."""
        ...

    def close(self) -> None:
        """Release resources. Closing again does nothing; any other call on a closed store
        raises :class:`~incidentflow.StoreClosed`."""
        ...


@runtime_checkable
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


@runtime_checkable
class IncidentIndex(Protocol):
    """A store (or a reader of one) whose incidents index has dense positions.

    Optional, and only for positions that are never skipped (not a PostgreSQL sequence,
    which skips the numbers of rolled-back inserts): verification then reports the
    positions that are gone, that is, incidents deleted with their index rows.
    """

    def incident_index(self) -> tuple[list[tuple[int, str]], int] | None:
        """Every ``(position, incident_id)`` in position order (1, 2, 3, ...: opening
        order), and the highest position ever handed out; None if there is no index to
        compare (a reader of a damaged file)."""
        ...


def require_store(store: object) -> Store:
    """``store``, if it has the methods of :class:`Store`; else a TypeError naming those
    it lacks (rather than an AttributeError at its first use)."""
    if isinstance(store, Store):
        return store
    wanted = sorted(name for name in vars(Store) if not name.startswith("_"))
    lacking = [name for name in wanted if not callable(getattr(store, name, None))]
    raise TypeError(
        f"a {type(store).__name__} is not an event store: it lacks {', '.join(lacking)} "
        "(see incidentflow.Store; for a file, pass SQLiteStore(path))"
    )


def checked_batch(
    incident_id: str, expected_version: int, events: Sequence[Event]
) -> tuple[Event, ...]:
    """``events`` as a tuple, once checked to continue ``incident_id`` at ``expected_version``:
    at least one event, every one of ``incident_id``, with seq ``expected_version + 1``,
    ``+ 2``, ... Raises ValueError otherwise (a caller's mistake; a store that calls this
    before writing writes nothing).

    The tuple is read once, up front: a store that writes it cannot be left half-way by a
    sequence that fails while being read.
    """
    batch = tuple(events)
    if len(batch) == 1:  # most appends: one event, checked without the loop below
        event = batch[0]
        if event.seq == expected_version + 1 >= 1 and event.incident_id == incident_id:
            return batch
    if expected_version < 0:
        raise ValueError(f"append to {incident_id!r}: expected_version {expected_version} < 0")
    if not batch:
        raise ValueError(f"append to {incident_id!r}: no events to append")
    for seq, event in enumerate(batch, expected_version + 1):
        if event.incident_id != incident_id or event.seq != seq:
            raise ValueError(
                f"append to {incident_id!r} at version {expected_version}: the batch's "
                f"event {event.seq} of {event.incident_id!r} is not event {seq} of {incident_id!r}"
            )
    return batch


class Append(NamedTuple):
    """One incident's part of a batched append (:meth:`BatchStore.append_many`): ``events``
    continue ``incident_id`` at ``expected_version``, as for :meth:`Store.append`.

    ``due``, for a store with a due-work index (:class:`DueIndexStore`): when a worker next
    has something to do for the incident (None: nothing, ever), as the engine computed it
    from the incident's state after these events. Left :data:`LOOK`, the store marks the
    incident "look at it now": a worker reads it and records the real time. The index may
    thus be early, never late.
    """

    incident_id: str
    expected_version: int
    events: Sequence[Event]
    due: datetime | str | None = "look"


LOOK = "look"
"""``Append.due`` when the writer does not know the incident's next due time."""


@runtime_checkable
class BatchStore(Store, Protocol):
    """A store that appends to many incidents in one durable transaction (group commit).

    Optional: :func:`append_many` falls back to one :meth:`Store.append` per incident.
    """

    def append_many(self, appends: Sequence[Append]) -> list[ConcurrencyError]:
        """Commit, in one transaction, every append whose incident is at its expected
        version; return a ConcurrencyError for each one that is not (in the order given),
        having written nothing of it. A stale incident fails alone: the others are kept.

        Arguments are checked first (:func:`checked_appends`): a batch that does not
        continue its incident, or names an incident twice, raises ValueError and nothing
        at all is written.
        """
        ...


def checked_appends(appends: Sequence[Append]) -> list[Append]:
    """``appends`` with each batch checked (:func:`checked_batch`, events as tuples), or
    ValueError: an incident named twice (its second part could only be refused), or a
    batch that does not continue its incident."""
    appends = listed(appends)
    named_once(appends)
    return [
        Append(incident_id, version, checked_batch(incident_id, version, events), due)
        for incident_id, version, events, due in appends
    ]


def named_once(appends: Sequence[Append]) -> list[str]:
    """The incident ids of ``appends``, in order; ValueError if one is named twice."""
    ids = [a[0] for a in appends]
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        for incident_id in ids:
            if incident_id in seen:
                raise ValueError(f"append_many: incident {incident_id!r} is named twice")
            seen.add(incident_id)
    return ids


def listed(appends: Sequence[Append]) -> Sequence[Append]:
    """``appends`` as a list or tuple: a store reads it more than once, and a generator
    (against the type, but easy to pass) would be written as nothing at all."""
    return appends if isinstance(appends, list | tuple) else list(appends)


def append_many(store: Store, appends: Sequence[Append]) -> list[ConcurrencyError]:
    """``store.append_many(appends)`` if the store has it; else one :meth:`Store.append`
    per incident (each atomic, not the batch), with the same result: the refusals."""
    if isinstance(store, BatchStore):
        return store.append_many(appends)
    refused = []
    for incident_id, expected_version, events, _ in checked_appends(appends):
        try:
            store.append(incident_id, expected_version, events)
        except ConcurrencyError as error:
            refused.append(error)
    return refused


class MemoryStore:
    """Events in process memory: for tests, drills and hosts that do not persist."""

    def __init__(self) -> None:
        self._events: dict[str, list[Event]] = {}
        self._opened: list[str] = []  # incident ids in opening order: opened_since()
        self._lock = threading.Lock()
        self._closed = False
        self._specs = SpecShelf()  # every process version seen (see audit/specs.py)
        self._changes = ChangeLog()  # which incidents changed: changes_since()

    def append(self, incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        batch = checked_batch(incident_id, expected_version, events)
        with self._lock:
            self._check_open()
            log = self._events.get(incident_id, [])
            if len(log) != expected_version:
                raise ConcurrencyError(incident_id, expected_version, len(log))
            if expected_version == 0:
                self._events[incident_id] = log
                self._opened.append(incident_id)
            log.extend(batch)  # under the lock, after the check, from a tuple: all or nothing
            self._changes.note((incident_id,))

    def append_many(self, appends: Sequence[Append]) -> list[ConcurrencyError]:
        checked = checked_appends(appends)
        refused = []
        with self._lock:
            self._check_open()
            for incident_id, expected_version, batch, _ in checked:
                log = self._events.get(incident_id, [])
                if len(log) != expected_version:
                    refused.append(ConcurrencyError(incident_id, expected_version, len(log)))
                    continue
                if expected_version == 0:
                    self._events[incident_id] = log
                    self._opened.append(incident_id)
                log.extend(batch)
                self._changes.note((incident_id,))
        return refused

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        with self._lock:
            self._check_open()
            return self._events.get(incident_id, [])[max(after, 0) :]

    def incident_ids(self) -> list[str]:
        with self._lock:
            self._check_open()
            return list(self._events)

    def opened_since(self, position: int) -> tuple[list[str], int]:
        with self._lock:
            self._check_open()
            return self._opened[max(position, 0) :], len(self._opened)

    def incident_index(self) -> tuple[list[tuple[int, str]], int]:
        """Every ``(position, incident_id)`` in opening order, and the last position."""
        with self._lock:
            self._check_open()
            return [(n, iid) for n, iid in enumerate(self._opened, 1)], len(self._opened)

    def all_events(self) -> Iterator[Event]:
        with self._lock:
            self._check_open()
            logs = [list(log) for log in self._events.values()]
        for log in logs:
            yield from log

    def changes_since(self, mark: ChangeMark | None) -> tuple[frozenset[str] | None, ChangeMark]:
        """See :class:`ChangeFeed` (every writer of a MemoryStore is in this process)."""
        self._check_open()
        position = self._changes.position
        changed = self._changes.since(mark) if isinstance(mark, int) else None
        return changed, position

    def keep_spec(self, spec: StoredSpec) -> None:
        """Keep the source of a process version (see :class:`~incidentflow.SpecArchive`)."""
        self._check_open()
        self._specs.keep_spec(spec)

    def stored_specs(self) -> list[StoredSpec]:
        """Every process version kept, in the order first kept."""
        self._check_open()
        return self._specs.stored_specs()

    def close(self) -> None:
        """Refuse every later call."""
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed(type(self).__name__)


if TYPE_CHECKING:  # mypy holds MemoryStore to the protocols it is used through

    def _conforms(
        store: MemoryStore,
    ) -> tuple[IndexedStore, IncidentIndex, BatchStore, ChangeFeed]:
        return store, store, store, store


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


ChangeMark = object
"""What :meth:`ChangeFeed.changes_since` returns to be given back next time (opaque)."""


@runtime_checkable
class ChangeFeed(Protocol):
    """A store that can say which incidents changed since an earlier look.

    Optional. The engine's periodic calls (:meth:`~incidentflow.Engine.tick`,
    ``queue()``, ``next_deadline()``, the dedupe of ``signal()``) then read only the
    incidents that changed, instead of asking the store about every open incident on
    every call: their cost follows what changed and what is due, not how many are open.
    """

    def changes_since(self, mark: ChangeMark | None) -> tuple[frozenset[str] | None, ChangeMark]:
        """The ids of the incidents appended to (by any writer) since ``mark`` was handed
        out, and a new mark. More ids than changed is allowed; fewer never is. None instead
        of ids: the store cannot tell (the first look, with ``mark`` None; another writer
        it cannot see into; a mark too old): the caller then looks at every incident."""
        ...


# --- The due-work index (see docs/workers.md) ----------------------------------------


class DueClaim(Protocol):
    """Incidents a worker claimed, with their transaction still open (see
    :meth:`DueIndexStore.claim_due`). Writes through the claim commit with it."""

    @property
    def now(self) -> datetime:
        """The time the claim was made against: the database's, for a shared store."""
        ...

    @property
    def incident_ids(self) -> list[str]:
        """The incidents claimed, soonest due first."""
        ...

    def events(self, after: Mapping[str, int]) -> dict[str, list[Event]]:
        """For each incident id in ``after``, its events with ``seq`` greater than the
        number given, in order (one read for them all, in the claim's transaction)."""
        ...

    def append_many(self, appends: Sequence[Append]) -> list[ConcurrencyError]:
        """As :meth:`BatchStore.append_many`, in the claim's transaction; each ``due`` is
        written to the index."""
        ...

    def set_due(self, incident_id: str, due: datetime | None) -> None:
        """Record when a worker next has something to do for a claimed incident (None:
        nothing: it leaves the index)."""
        ...


@runtime_checkable
class DueIndexStore(BatchStore, Protocol):
    """A store that keeps, beside the events, when each incident next needs a worker.

    Optional. Every append updates the index in the same transaction as the events, so
    a crash leaves both or neither. A plain :meth:`Store.append` (which does not know
    the incident's next due time) marks the incident "look now"; a worker claims it,
    reads it, and records the real time: the index is never late. Workers then read
    only the incidents that are due, however many are open, and claim them so that
    two workers never work on the same incident at once.
    """

    def claim_due(
        self, processes: Sequence[str], limit: int, now: datetime | None = None
    ) -> AbstractContextManager[DueClaim]:
        """Claim up to ``limit`` incidents of ``processes`` due at ``now`` (a shared store
        uses the database's time and ignores it), skipping incidents another worker holds.
        The claim commits when the block ends, and rolls back, writing nothing, if it
        raises: what a worker decides for an incident is committed with its claim."""
        ...

    def next_due(self, processes: Sequence[str]) -> datetime | None:
        """The soonest due time in the index among ``processes``' incidents (None: none)."""
        ...
