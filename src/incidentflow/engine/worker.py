"""A worker: the loop that fires due timers and delivers planned actions.

Any number of workers, in any number of processes and hosts, may share one store.
What keeps them from doing a thing twice is the store's version-checked append, not
the worker (see docs/workers.md for the argument):

- a due timer's effect is **exactly once**: ``timer_fired`` and the transition it
  causes are one append at the version the decision was based on. Two workers that
  decide to fire the same timer both try to append at that version; the store commits
  one and refuses the other (:class:`ConcurrencyError`), which catches up, sees the
  timer gone and moves on;
- an action is started by one worker at a time, under a lease renewed while its
  handler runs, and started again by another worker when the lease runs out
  (:mod:`incidentflow.engine.leases`): delivery is **at least once**, and handlers make
  it effectively once by keying side effects on ``ActionRequest.idempotency_key``.

On a store with a due-work index (:class:`~incidentflow.DueIndexStore`: SQLite and
PostgreSQL) each round is one :meth:`Engine.tick_due`: the worker claims up to
``batch`` due incidents (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, against the
database's time), fires their timers in the claim's transaction (one commit for the
lot), and records each one's next due time; workers sharing the store work on
different incidents, and a round reads only incidents that are due, however many are
open. On other stores a round is one :meth:`Engine.tick` at the store's time when the
store has a clock (:class:`~incidentflow.audit.store.ClockedStore`), else at the
engine's clock (simulated clocks work as they do for ``tick()``). Between rounds the
worker sleeps until the next deadline or ``poll`` seconds, whichever is sooner; a store
that can notify (:class:`~incidentflow.audit.store.NotifyingStore`) wakes it early.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from incidentflow.audit.store import ClockedStore, DueIndexStore, NotifyingStore
from incidentflow.engine import inputs
from incidentflow.engine.leases import DEFAULT_LEASE, LONGEST_RUN, LeaseTerms
from incidentflow.engine.problems import LOGGER, TickResult
from incidentflow.errors import InvalidArgument

if TYPE_CHECKING:
    from incidentflow.engine.engine import Engine

Stop = threading.Event | Callable[[], bool]
"""What tells :meth:`Worker.run` to stop: an Event that gets set, or a function that
returns True."""

DEFAULT_POLL = 5.0
"""Seconds between two rounds when nothing is due sooner and nothing wakes the worker."""
FIRST_BACKOFF = 0.5
"""Seconds a worker waits after a round failed (the store is down); doubled each time."""
LONGEST_BACKOFF = 30.0
"""The longest wait between two attempts on a failing store."""
DEFAULT_BATCH = 100
"""How many due incidents a worker claims per round (one commit for their timers)."""
GIVE_UP_AFTER = timedelta(minutes=10)
"""How long rounds may fail in a row before :meth:`Worker.run` gives up and raises."""
_SLICE = 0.25  # seconds: how often a sleeping worker looks at a stop function


def _seconds(value: float | timedelta, argument: str) -> float:
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not 0 < seconds < float("inf")
    ):
        raise InvalidArgument(
            None, "Worker", argument, f"must be a positive duration, not {value!r}"
        )
    return float(seconds)


class Worker:
    """Fires ``engine``'s due timers and delivers its planned actions, round after round.

    ``lease``: how long an action's runner holds it without renewing (seconds or a
    timedelta); a worker that dies mid-handler is taken over after it. Its terms apply to
    every action ``engine`` starts from now on. ``poll``: the longest sleep between
    rounds. ``worker_id``: recorded as the holder of the actions it starts (default
    ``host:pid``). ``give_up_after``: how long rounds may fail in a row (a store that is
    down) before :meth:`run` raises the last error. ``batch``: how many due incidents a
    round claims, on a store with a due-work index.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        lease: float | timedelta = DEFAULT_LEASE,
        poll: float | timedelta = DEFAULT_POLL,
        worker_id: str | None = None,
        give_up_after: float | timedelta = GIVE_UP_AFTER,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        self.engine = engine
        self.lease = timedelta(seconds=_seconds(lease, "lease"))
        self.poll = _seconds(poll, "poll")
        self.give_up_after = _seconds(give_up_after, "give_up_after")
        if worker_id is not None:
            inputs.label(worker_id, "Worker", "worker_id")
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise InvalidArgument(None, "Worker", "batch", f"must be a positive int, not {batch!r}")
        self.batch = batch
        terms = LeaseTerms(self.lease, worker_id or "", max(LONGEST_RUN, self.lease))
        self.worker_id = terms.who
        engine.set_lease_terms(terms)
        store = engine.store
        self._due_index = store if isinstance(store, DueIndexStore) else None
        self._clock = store.now if isinstance(store, ClockedStore) else None
        self._wait = store.wait_for_change if isinstance(store, NotifyingStore) else None

    def now(self) -> datetime:
        """The time deadlines are compared against: the store's if it has a clock, else
        the engine's."""
        if self._clock is not None:
            return inputs.when(self._clock(), "store", "the store's time")
        return self.engine.now()

    def run_once(self) -> TickResult:
        """One round: fire due timers and start due actions, at :meth:`now` (on a store
        with a due-work index: those of up to ``batch`` claimed incidents). Returns what
        :meth:`Engine.tick` returns: the events written, and the incidents skipped
        (``problems``). A store error is raised (:meth:`run` backs off)."""
        if self._due_index is not None:
            return self.engine.tick_due(limit=self.batch)
        return self.engine.tick(self.now(), spread=True)

    def run(self, stop: Stop) -> None:
        """Run rounds until ``stop`` is set (or returns True), sleeping in between.

        A round in progress is finished first: an action already started gets its outcome
        recorded. An incident's trouble never stops the loop (the engine skips it, see
        :meth:`Engine.problems`). A failing store is logged and tried again after a wait
        that doubles up to :data:`LONGEST_BACKOFF`; after ``give_up_after`` seconds of
        failures in a row, the last error is raised.
        """
        stopped = stop.is_set if isinstance(stop, threading.Event) else stop
        failing_since: float | None = None
        backoff = FIRST_BACKOFF
        while not stopped():
            try:
                done = self.run_once()
                wait = self._until_next()
                if wait == 0 and not done:  # due, yet a round does nothing: do not spin
                    wait = min(self.poll, 1.0)
            except Exception as error:  # the store is down: back off, never spin or die quietly
                started = time.monotonic() if failing_since is None else failing_since
                failing_since = started
                if time.monotonic() - started >= self.give_up_after:
                    LOGGER.error("worker %s: giving up: %s", self.worker_id, error)
                    raise
                LOGGER.warning(
                    "worker %s: round failed, next try in %.1fs: %s: %s",
                    self.worker_id,
                    backoff,
                    type(error).__name__,
                    error,
                    exc_info=error,
                )
                self._sleep(backoff, stopped, wake=False)
                backoff = min(backoff * 2, LONGEST_BACKOFF)
                continue
            if failing_since is not None:
                LOGGER.info("worker %s: the store answers again", self.worker_id)
            failing_since, backoff = None, FIRST_BACKOFF
            self._sleep(wait, stopped, wake=True)

    def _until_next(self) -> float:
        """Seconds until the engine next has something to do, at most ``poll``."""
        if self._due_index is not None:
            deadline = self._due_index.next_due(list(self.engine.processes))
        else:
            deadline = self.engine.next_deadline()
        if deadline is None:
            return self.poll
        return min(self.poll, max(0.0, (deadline - self.now()).total_seconds()))

    def _sleep(self, seconds: float, stopped: Callable[[], bool], *, wake: bool) -> None:
        """Sleep ``seconds``, in slices so that a stop is seen soon; with ``wake``, a
        notifying store's change ends the sleep early."""
        end = time.monotonic() + seconds
        while not stopped():
            left = end - time.monotonic()
            if left <= 0:
                return
            step = min(left, _SLICE)
            if wake and self._wait is not None:
                try:
                    if self._wait(step):
                        return
                except Exception as error:  # the listener is down: sleep out this wait
                    LOGGER.warning("worker %s: cannot wait for changes: %s", self.worker_id, error)
                    wake = False
            else:
                time.sleep(step)
