"""One call at a time per engine, except while an action handler runs.

An :class:`~incidentflow.Engine` shared by threads takes a turn for every call,
so no two calls act on the same cached state at once. Action handlers are the
host's code: they may be slow, hand work to other threads, or call other
engines whose handlers call back. Holding the turn while they run would make
such hosts deadlock, so :meth:`Turns.released` gives the turn up, completely,
for the duration of a handler, and takes it back afterwards.
"""

from __future__ import annotations

import _thread
from collections.abc import Iterator
from contextlib import contextmanager


class Turns(_thread.RLock):  # type: ignore[misc]  # final in typeshed, not at run time
    """A re-entrant lock that can be fully given up and taken back by its holder.

    The C lock itself (taking a turn is on every engine call: no Python-level
    ``__enter__``); giving it up uses the lock's own save and restore of its recursion
    count, the pair :class:`threading.Condition` waits with.
    """

    __slots__ = ()

    @contextmanager
    def released(self) -> Iterator[None]:
        """Give the turn up for the block (however deeply it is held), then take it back."""
        if not self._is_owned():  # type: ignore[attr-defined]
            yield  # not held by this thread: nothing to give up
            return
        saved = self._release_save()  # type: ignore[attr-defined]
        try:
            yield
        finally:
            self._acquire_restore(saved)  # type: ignore[attr-defined]
