"""Which incidents changed since an earlier look: what a :class:`~incidentflow.ChangeFeed`
store answers from.

A store notes the incident ids it appends to, in order; a reader keeps the position it
read up to and later asks for the ids noted since. Only the most recent ``keep`` notes are
kept (memory stays bounded however long a store lives): a reader whose position is older
than that is told "cannot say" and looks at everything, which is always correct.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

KEEP = 100_000
"""How many of the latest notes a :class:`ChangeLog` keeps by default."""


class ChangeLog:
    """The ids of the incidents appended to, in order, with positions (thread-safe)."""

    def __init__(self, keep: int = KEEP) -> None:
        self._ids: deque[str] = deque()
        self._keep = keep
        self._first = 0  # the position of the oldest note kept
        self._lock = threading.Lock()

    @property
    def position(self) -> int:
        """The position after the latest note (what a reader remembers)."""
        with self._lock:
            return self._first + len(self._ids)

    def note(self, incident_ids: Iterable[str]) -> None:
        """Note that these incidents were appended to (a note too many is harmless: the
        reader looks at an incident that did not change)."""
        with self._lock:
            self._ids.extend(incident_ids)
            extra = len(self._ids) - self._keep
            for _ in range(max(extra, 0)):
                self._ids.popleft()
                self._first += 1

    def since(self, position: int) -> frozenset[str] | None:
        """The ids noted at or after ``position``; None if some were no longer kept."""
        with self._lock:
            if position < self._first:
                return None
            start = position - self._first
            return frozenset(self._ids[i] for i in range(start, len(self._ids)))
