"""Leases on running actions: one runner at a time, and a takeover when the runner dies.

Starting an action is a version-checked append of ``action_started`` (see
``Engine._claim``): of two runners deciding at the same version, one commits and the
other is refused, so an action is started by one runner at a time. The event records
who holds it (``holder``) and until when (``lease_until``). While the handler runs,
its runner appends one ``action_heartbeat`` event every half lease, moving
``lease_until`` on. A runner that dies (SIGKILL, a lost host) stops renewing: once
``lease_until`` has passed, the next ``tick()`` of any engine sharing the store starts
the action again as attempt n+1, with the same idempotency key (see
:func:`incidentflow.engine.retries.next_run`). The log shows both attempts.

Why heartbeats are events in the hash chain rather than rows outside it: every
store supports them as they are (no schema change, no second write path that a
replica could see out of step with the log), a replay tells exactly when and by
whom an action was held, and they are few: none for a handler that finishes within
half a lease (the usual case), and at most ``longest_run / (lease / 2)`` for one
that does not, because heartbeats stop after :data:`LONGEST_RUN`: a handler still
running then is presumed hung and its action is taken over.

Deadlines compare against one clock: the store's (:class:`ClockedStore`, the
database's time) when it has one, else the engine's.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType

from incidentflow.engine.problems import LOGGER

DEFAULT_LEASE = timedelta(seconds=60)
"""How long an action's runner holds it without a heartbeat."""
LONGEST_RUN = timedelta(minutes=30)
"""How long a handler is kept alive by heartbeats; after that it is presumed hung."""


def default_holder() -> str:
    """``host:pid``: who holds a lease when no worker id was given."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class LeaseTerms:
    """How an engine holds the actions it starts."""

    length: timedelta = DEFAULT_LEASE
    holder: str = ""  # recorded in action_started; "" means default_holder()
    longest_run: timedelta = LONGEST_RUN

    @property
    def who(self) -> str:
        """The holder's name as recorded."""
        return self.holder or default_holder()


class Heartbeat:
    """Calls ``renew`` every ``interval`` seconds, from a thread of its own, while the
    block runs, for at most ``runs_for`` seconds, or until ``renew`` returns False (the
    action is no longer this runner's). A failing ``renew`` is logged, and tried again
    at the next beat: a lease that lapses meanwhile is taken over, which is safe."""

    def __init__(self, renew: Callable[[], bool], interval: float, runs_for: float) -> None:
        self._renew = renew
        self._interval = interval
        self._runs_for = runs_for
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if self._interval > 0 and self._runs_for > 0:
            self._thread = threading.Thread(
                target=self._beat, name="incidentflow-lease", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        beats = int(self._runs_for // self._interval)
        for _ in range(beats):
            if self._done.wait(self._interval):
                return
            try:
                if not self._renew():
                    return
            except Exception as error:  # the store is down: the lease may lapse, safely
                LOGGER.warning(
                    "could not renew an action's lease: %s: %s", type(error).__name__, error
                )
