"""One call at a time per engine, except while an action handler runs.

An :class:`~incidentflow.Engine` shared by threads takes a turn for every call,
so no two calls act on the same cached state at once. Action handlers are the
host's code: they may be slow, hand work to other threads, or call other
engines whose handlers call back. Holding the turn while they run would make
such hosts deadlock, so :meth:`Turns.released` gives the turn up, completely,
for the duration of a handler, and takes it back afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Turns:
    """A re-entrant lock that can be fully given up and taken back by its holder."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0  # how many times the holder has entered; only the holder writes it

    def __enter__(self) -> Turns:
        self._lock.acquire()
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        self._lock.release()

    @contextmanager
    def released(self) -> Iterator[None]:
        """Give the turn up for the block (however deeply it is held), then take it back."""
        depth = self._depth
        self._depth = 0
        for _ in range(depth):
            self._lock.release()
        try:
            yield
        finally:
            for _ in range(depth):
                self._lock.acquire()
            self._depth = depth
