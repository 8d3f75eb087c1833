"""The open-incident index: which incidents the periodic calls look at, and in what order.

:meth:`Engine.tick <incidentflow.Engine.tick>`, ``queue()``, ``next_deadline()`` and the
dedupe of ``signal()`` look at the incidents of a :class:`Watchlist`: every open incident
of the engine's processes, in opening order, and closed ones with actions still to run.
Closing is final (terminal states have no exits), so once its actions are settled a
closed incident is dropped for good, and the periodic calls read only open incidents
however long the history. New incidents, by any writer, are found through the store's
:meth:`~incidentflow.audit.store.IndexedStore.opened_since` when it has one (one small
query), else by listing every incident id.

The watchlist also remembers, per incident and version, the key :meth:`Engine.queue
<incidentflow.Engine.queue>` sorts by and the snapshot it returns, so that a queue of
unchanged incidents costs a sort of remembered keys (a version is a position in the
incident's log, and a state is a fold of its log: the same version, the same state).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator

from incidentflow.audit.store import IndexedStore, Store
from incidentflow.compiler.process import Process
from incidentflow.engine.state import Incident, IncidentState

QueueKey = tuple[int, float, float]
"""(severity rank, nearest deadline, opened at), times as POSIX timestamps (they compare
several times faster than aware datetimes): :meth:`Engine.queue`'s order. A level the
process does not have ranks -1 (first: someone must look at it)."""

_NEVER = math.inf  # the deadline of an incident without timers


def queue_key(process: Process, state: IncidentState) -> QueueKey:
    """Where ``state`` goes in the queue: most severe first, then nearest deadline, then
    oldest."""
    levels = process.level_ids
    rank = levels.index(state.severity) if state.severity in levels else -1
    deadline = min((due.timestamp() for due in state.timers.values()), default=_NEVER)
    return rank, deadline, state.opened_at.timestamp()


class Watchlist:
    """The ids of the incidents the periodic calls look at, in opening order.

    Not thread-safe by itself: the engine changes it only in its turn.
    """

    def __init__(self, store: Store) -> None:
        # Checked once: isinstance() on a runtime protocol costs tens of microseconds.
        self._index = store if isinstance(store, IndexedStore) else None
        self._store = store
        self._ids: dict[str, int] = {}  # id -> place: a dict is ordered, O(1) removal
        self._places = itertools.count()
        self._position = 0  # how far opened_since() has been read
        self._listed: set[str] = set()  # the same, for stores without opened_since()
        self._queued: dict[str, tuple[int, QueueKey, Incident]] = {}  # id -> version, ...

    def __iter__(self) -> Iterator[str]:
        """The ids, in opening order (a copy: the caller may add and drop meanwhile)."""
        return iter(list(self._ids))

    def __contains__(self, incident_id: object) -> bool:
        return incident_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, incident_id: str) -> None:
        """Look at ``incident_id`` (again) in the periodic calls."""
        if incident_id not in self._ids:
            self._ids[incident_id] = next(self._places)

    def in_order(self, incident_ids: Iterable[str]) -> list[str]:
        """Those of ``incident_ids`` on the list, in its order."""
        places = self._ids
        return sorted((i for i in incident_ids if i in places), key=places.__getitem__)

    def drop(self, incident_id: str) -> None:
        """Stop looking at ``incident_id`` (it is closed and settled, or gone)."""
        self._ids.pop(incident_id, None)
        self._queued.pop(incident_id, None)

    def discover(self, forget: Callable[[str], None]) -> list[str]:
        """Add the incidents opened since the last call (by any writer); return their ids.

        New ids are recorded before any is read, so a failed read loses none of them.
        A store without ``opened_since()`` is listed whole; ids it no longer has are
        dropped, and ``forget`` is told of each (the engine drops its cached state).
        Store failures propagate (the caller turns them into its own error).
        """
        index = self._index
        if index is not None:
            new, self._position = index.opened_since(self._position)
        else:
            listed = self._store.incident_ids()
            present = set(listed)
            for iid in [i for i in self._ids if i not in present]:
                self.drop(iid)  # the store no longer has it
                forget(iid)
            new = [iid for iid in listed if iid not in self._listed]
            self._listed = present
        for iid in new:
            self.add(iid)
        return new

    def queue(
        self, states: Iterable[IncidentState], process_of: Callable[[str], Process]
    ) -> list[Incident]:
        """The snapshots of the open ones of ``states`` (in opening order), most severe
        first, then nearest deadline, then oldest (ties: opening order). An unchanged
        incident costs a remembered key and snapshot; ``process_of(name)`` is asked only
        for the others."""
        remembered = self._queued
        keyed = []
        for n, state in enumerate(states):
            if state.closed:
                continue
            known = remembered.get(state.id)
            if known is None or known[0] != state.version:
                key, snapshot = queue_key(process_of(state.process), state), state.snapshot()
                known = remembered[state.id] = (state.version, key, snapshot)
            rank, deadline, opened = known[1]
            keyed.append((rank, deadline, opened, n, known[2]))
        keyed.sort()  # flat tuples, n unique: the snapshots are never compared
        return [entry[4] for entry in keyed]
