"""A store that holds only the latest incident: for rehearsals that run incidents one by one.

A generated drill plays hundreds of paths, each on a fresh incident that is verified
and read back when its path ends. Keeping only the newest incident means that
:meth:`Engine.tick <incidentflow.Engine.tick>` and ``next_deadline()`` see the
incident being played alone, as on an engine of its own, and that memory stays flat.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from incidentflow.audit.events import Event
from incidentflow.audit.specs import SpecShelf, StoredSpec
from incidentflow.audit.store import Append, checked_appends
from incidentflow.errors import ConcurrencyError, StoreClosed


class LatestStore:
    """An in-memory :class:`~incidentflow.Store` that holds only the latest incident.

    Appending the first events of a new incident forgets the one before, so an
    incident left open (by a refused step, say) never wakes up later. The append
    keeps the store contract (optimistic concurrency on the held incident); reads of
    a forgotten incident find nothing. Safe to share between threads, like every store.
    """

    def __init__(self) -> None:
        self._id: str | None = None
        self._log: list[Event] = []
        self._lock = threading.Lock()
        self._closed = False
        self._specs = SpecShelf()  # every process version seen (see audit/specs.py)

    def append(self, incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        """Append at ``expected_version``; a new incident id replaces the one held."""
        refused = self.append_many([Append(incident_id, expected_version, events)])
        if refused:
            raise refused[0]

    def append_many(self, appends: Sequence[Append]) -> list[ConcurrencyError]:
        """Each append in turn, under one lock; the last new incident is the one held."""
        checked = checked_appends(appends)
        refused = []
        with self._lock:
            self._check_open()
            for incident_id, expected_version, batch, _ in checked:
                current = len(self._log) if incident_id == self._id else 0
                if current != expected_version:
                    refused.append(ConcurrencyError(incident_id, expected_version, current))
                    continue
                if incident_id != self._id:
                    self._id, self._log = incident_id, []
                self._log.extend(batch)
        return refused

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        """The held incident's events after ``after`` (none for any other id)."""
        with self._lock:
            self._check_open()
            return self._log[max(after, 0) :] if incident_id == self._id else []

    def incident_ids(self) -> list[str]:
        """The held incident's id, if any."""
        with self._lock:
            self._check_open()
            return [self._id] if self._id is not None else []

    def all_events(self) -> Iterator[Event]:
        """The held incident's events."""
        with self._lock:
            self._check_open()
            log = list(self._log)
        return iter(log)

    def keep_spec(self, spec: StoredSpec) -> None:
        """Keep the source of a process version (see :class:`~incidentflow.SpecArchive`)."""
        self._check_open()
        self._specs.keep_spec(spec)

    def stored_specs(self) -> list[StoredSpec]:
        """Every process version kept, in the order first kept."""
        self._check_open()
        return self._specs.stored_specs()

    def close(self) -> None:
        """Refuse every later call (closing again does nothing)."""
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed(type(self).__name__)
