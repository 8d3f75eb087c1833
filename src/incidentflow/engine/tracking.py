"""The open incidents the periodic calls look at: kept current, and when each is next due.

:meth:`Engine.tick <incidentflow.Engine.tick>`, ``queue()``, ``next_deadline()`` and
the dedupe of ``signal()`` work on the incidents of a :class:`Watchlist` (every open one
of the engine's processes, and closed ones with actions still to run). Before each call
:class:`OpenIncidents` brings them up to date, and how much that costs depends on the
store:

- a :class:`~incidentflow.ChangeFeed` store (MemoryStore, SQLiteStore) says which
  incidents changed since the last look (by any writer), so only those are read again;
  the others are current in the engine's cache;
- any other store is asked about every watched incident, every call.

Each watched incident's next due time (its soonest timer, an action to start again, a
problem to look at again) is kept in :class:`DueTimes`, so that ``tick()`` reads and
fires only the incidents with something due, and ``next_deadline()`` is the soonest of
them: with a change feed, a tick costs what changed and what is due, however many
incidents are open.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from incidentflow.audit.store import ChangeFeed, ChangeMark, Store
from incidentflow.engine.problems import Quarantine
from incidentflow.engine.state import IncidentState
from incidentflow.engine.store_call import StoreCall
from incidentflow.engine.watchlist import Watchlist
from incidentflow.errors import UnknownIncident

NOW = -math.inf
"""A due time that is always due (look at the incident at the next call)."""


class DueTimes:
    """When each incident is next due (POSIX seconds): a dict, and a heap of the same
    entries for the soonest (a replaced entry stays in the heap until it surfaces)."""

    def __init__(self) -> None:
        self._at: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []

    def set(self, incident_id: str, at: float | None) -> None:
        """The incident is next due at ``at`` (None: nothing is due, ever, unless it
        changes)."""
        if at is None:
            self._at.pop(incident_id, None)
            return
        if self._at.get(incident_id) == at:
            return
        self._at[incident_id] = at
        heapq.heappush(self._heap, (at, incident_id))
        if len(self._heap) > 2 * len(self._at) + 64:  # replaced entries: rebuild
            self._heap = [(t, i) for i, t in self._at.items()]
            heapq.heapify(self._heap)

    def take_due(self, now: float) -> list[str]:
        """Remove and return the incidents due at ``now`` (the caller sets each again)."""
        taken = []
        heap, at = self._heap, self._at
        while heap and heap[0][0] <= now:
            when, incident_id = heapq.heappop(heap)
            if at.get(incident_id) == when:
                del at[incident_id]
                taken.append(incident_id)
        return taken

    def soonest(self) -> float | None:
        """The soonest due time (None: nothing is due)."""
        heap, at = self._heap, self._at
        while heap and at.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)  # replaced or removed since
        return heap[0][0] if heap else None


class OpenIncidents:
    """The incidents the engine's periodic calls look at, current, with their due times.

    Not thread-safe by itself: the engine uses it only in its turn. The engine lends it:

    - ``load(id)``: the incident brought up to date from the store (the engine's cache);
    - ``cached(id)``: the engine's cached state, if any, without reading;
    - ``keeps(state, now)``: whether the periodic calls still have to look at it (an
      incident of the engine's processes, open or with actions to run);
    - ``due(state, now)``: when it is next due (None: never, unless it changes);
    - ``drop(id)``: the engine forgets what it holds for an incident no longer watched;
    - ``urgent()``: the incidents to look at in any case (work a call left undone).
    """

    def __init__(
        self,
        store: Store,
        problems: Quarantine,
        *,
        load: Callable[[str], IncidentState],
        cached: Callable[[str], IncidentState | None],
        keeps: Callable[[IncidentState, datetime], bool],
        due: Callable[[IncidentState, datetime], datetime | None],
        drop: Callable[[str], None],
        urgent: Callable[[], Iterable[str]],
    ) -> None:
        self._store = store
        # Checked once: isinstance() on a runtime protocol costs tens of microseconds.
        self._feed = store if isinstance(store, ChangeFeed) else None
        self._mark: ChangeMark | None = None
        self._watched = Watchlist(store)
        self._dues = DueTimes()
        self._problems = problems
        self._load, self._cached, self._keeps = load, cached, keeps
        self._due, self._drop, self._urgent = due, drop, urgent
        self._seen: dict[str, int | None] = {}  # the version last read (None: unreadable)
        self.generation = 0
        """Moves on whenever a watched incident changes, comes or goes: what :meth:`current`
        returns is the same as last time while it stays (the queue's memo)."""

    @property
    def watchlist(self) -> Watchlist:
        """The ids looked at, in opening order (and the queue's remembered keys)."""
        return self._watched

    def look_at(self, incident_id: str) -> None:
        """Look at the incident at the next periodic call, whatever its due time."""
        self._watched.add(incident_id)
        self._dues.set(incident_id, NOW)

    def current(self, now: datetime) -> list[IncidentState]:
        """Every watched incident, up to date, in opening order (one that cannot be read
        is reported, see :meth:`Engine.problems`, and left out)."""
        self.catch_up(now)
        return self.caught_up(now)

    def caught_up(self, now: datetime) -> list[IncidentState]:
        """:meth:`current` right after a :meth:`catch_up`."""
        states = []
        for incident_id in self._watched:
            state = self._cached(incident_id) or self._refreshed(incident_id, now)
            if state is not None:
                states.append(state)
        return states

    def due(self, now: datetime) -> list[IncidentState]:
        """The watched incidents with something due at ``now``, up to date, in opening
        order. Each must be :meth:`settle`\\ d after the caller handled it."""
        self.catch_up(now)
        at = now.timestamp()
        ids = set(self._dues.take_due(at))
        ids.update(self._urgent())
        ids.update(p.incident_id for p in self._problems.problems() if p.retry_at <= now)
        states = []
        for incident_id in self._watched.in_order(ids):
            state = self._cached(incident_id) or self._refreshed(incident_id, now)
            if state is not None:
                states.append(state)
        return states

    def settle(self, incident_ids: Iterable[str], now: datetime) -> None:
        """Record the next due time of incidents a call handled (or drop them). The cached
        state is current as far as this engine's own writes go; another writer's changes
        are read at the next look (:meth:`catch_up`)."""
        for incident_id in incident_ids:
            if incident_id in self._watched:
                state = self._cached(incident_id)
                if state is None:  # refused, or failed: read it again
                    self._refreshed(incident_id, now)
                else:
                    self._follow(state, now)

    def soonest(self, now: datetime) -> datetime | None:
        """The soonest due time of the watched incidents (None: nothing will be due)."""
        self.catch_up(now)
        at = self._dues.soonest()
        if at is None:
            return None
        return now if at == NOW else datetime.fromtimestamp(at, UTC)

    def catch_up(self, now: datetime) -> None:
        """Watch the incidents opened since the last look, and read again those that
        changed (every watched one, when the store cannot say which)."""
        # The mark first: whatever is appended after it is reported next time. Until this
        # look has read every change, the old mark is gone and none replaces it: a failed
        # look is followed by a look at everything.
        mark, self._mark = self._mark, None
        with StoreCall("list the changed incidents", None):
            changed, mark = self._feed.changes_since(mark) if self._feed else (None, None)
        with StoreCall("list the incidents", None):
            new = self._watched.discover(forget=self._forget)
        if changed is None:
            again: Iterable[str] = self._watched
        else:
            again = self._watched.in_order(changed.union(new))
        for incident_id in again:
            self._refreshed(incident_id, now)
        self._mark = mark

    def _refreshed(self, incident_id: str, now: datetime) -> IncidentState | None:
        """The incident read again and its due time recorded; None if it cannot be read
        (a problem) or is no longer watched (closed and settled, gone, or not ours)."""
        problems = self._problems
        if problems.unreadable(incident_id, now):
            return None
        try:
            state: IncidentState | None = self._load(incident_id)
        except UnknownIncident:
            state = None  # gone from the store (a store may forget: the drills' does)
        except Exception as error:  # the id stays: looked at again after a wait
            failed = problems.failed(incident_id, None, error, now)
            self._dues.set(incident_id, failed.retry_at.timestamp())
            self._saw(incident_id, None)
            return None
        problem = problems.get(incident_id)
        if problem is not None and problem.version is None:
            problems.cleared(incident_id)  # it reads again
        if state is None:
            self._watched.drop(incident_id)
            self._forget(incident_id)
            return None
        return self._follow(state, now)

    def _follow(self, state: IncidentState, now: datetime) -> IncidentState | None:
        """Record the incident's next due time; None if it is no longer watched (closed
        and settled, or not ours)."""
        if not self._keeps(state, now):
            self._watched.drop(state.id)
            self._forget(state.id)
            return None
        self._saw(state.id, state.version)
        due = self._due(state, now)
        self._dues.set(state.id, None if due is None else due.timestamp())
        return state

    def _saw(self, incident_id: str, version: int | None) -> None:
        if self._seen.get(incident_id, -1) != version:
            self._seen[incident_id] = version
            self.generation += 1

    def _forget(self, incident_id: str) -> None:
        """An incident no longer watched (settled, gone from the store, not ours)."""
        self._dues.set(incident_id, None)
        self._seen.pop(incident_id, None)
        self.generation += 1
        self._drop(incident_id)
