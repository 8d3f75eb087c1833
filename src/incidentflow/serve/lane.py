"""Where the service's engine calls run: a few threads taking them in arrival order.

The engine makes one call at a time (it is safe to share between threads, and
serialises them). Run from the ASGI server's general thread pool (40 threads),
requests would queue on the engine's lock, which is not fair: under load a request
could wait behind any number of later ones. :class:`EngineLane` hands calls to a small
pool whose queue is first come, first served, and keeps the event loop free for
everything else (reading tokens, parsing, answering). It has more than one thread
because an engine call may run action handlers after its commit, without holding the
engine: a slow handler then holds one thread, not the service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from incidentflow.engine.engine import Engine

_T = TypeVar("_T")
THREADS = 4


class EngineLane:
    """Runs ``work(engine)`` on the lane's threads, in the order calls arrive."""

    def __init__(self, engine: Engine, threads: int = THREADS) -> None:
        self.engine = engine
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="incidentflow-engine")

    async def run(self, work: Callable[[Engine], _T]) -> _T:
        """The result of ``work(engine)`` (or its exception), awaited."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, self.engine)

    def close(self) -> None:
        """Finish the calls already queued, then stop the threads."""
        self._pool.shutdown(wait=True)
