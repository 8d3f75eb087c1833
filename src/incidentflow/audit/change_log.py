"""Which incidents changed since an earlier look: what a :class:`~incidentflow.ChangeFeed`
store answers from.

A store notes the incident ids it appends to, in order; a reader keeps the position it
read up to and later asks for the ids noted since. Only the most recent ``keep`` notes are
kept (memory stays bounded however long a store lives): a reader whose position is older
than that is told "cannot say" and looks at everything, which is always correct.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterable

KEEP = 100_000
"""How many of the latest notes a :class:`ChangeLog` keeps by default."""


class ChangeLog:
    """The ids of the incidents appended to, in order, with positions (thread-safe)."""

    def __init__(self, keep: int = KEEP) -> None:
        self._ids: deque[str] = deque(maxlen=keep)  # the oldest fall off as new ones come
        self._noted = 0  # notes ever made: the position after the latest
        self._lock = threading.Lock()

    @property
    def position(self) -> int:
        """The position after the latest note (what a reader remembers)."""
        return self._noted

    def note(self, incident_ids: Iterable[str]) -> None:
        """Note that these incidents were appended to (a note too many is harmless: the
        reader looks at an incident that did not change)."""
        noted = tuple(incident_ids)
        with self._lock:
            self._ids.extend(noted)
            self._noted += len(noted)

    def since(self, position: int) -> frozenset[str] | None:
        """The ids noted at or after ``position``; None if some were no longer kept."""
        with self._lock:
            ids = self._ids
            first = self._noted - len(ids)
            if position < first:
                return None
            return frozenset(itertools.islice(reversed(ids), len(ids) - (position - first)))
