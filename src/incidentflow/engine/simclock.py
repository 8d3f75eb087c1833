"""Simulated time: one clock that moves only when told to, and one way to let time pass.

Drills, scenarios, the demo and the testing kit all run the engine on a
:class:`SimulatedClock` that starts at :data:`START` (unless told otherwise), and let
time pass with :func:`advance_and_tick`, which ticks the engine at each deadline as it
falls due, so that every timer fires at its own instant, as it would on a host that
ticks often. Reports never depend on the wall clock.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from incidentflow.audit.events import Event
    from incidentflow.engine.engine import Engine

START = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
"""Where simulated time starts unless told otherwise: a Monday, 09:00 UTC (fixed, so that
every run of a drill, scenario or walk is the same)."""

MAX_ROUNDS = 10_000
"""Deadlines :func:`advance_and_tick` ticks through in one call at most: a bound that cuts a
loop of zero-delay timers, never reached by a valid spec."""


class SimulatedClock:
    """A clock that moves only when told to: pass it as an Engine's ``clock``.

    ``clock.now`` is the current simulated time, and calling the clock (as the engine
    does) returns it. It never goes back.
    """

    def __init__(self, start: datetime = START) -> None:
        if start.tzinfo is None:
            raise ValueError(
                "a simulated clock needs an aware start time (for example with tzinfo=UTC)"
            )
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new time; a negative ``delta`` is a
        ValueError."""
        if delta < timedelta(0):
            raise ValueError(f"a simulated clock never goes back (asked to advance by {delta})")
        self.now += delta
        return self.now

    def advance_to(self, when: datetime) -> datetime:
        """Move forward to ``when`` and return the time; a ``when`` already past (an
        overdue deadline) leaves the clock where it is."""
        self.now = max(self.now, when)
        return self.now

    def set(self, when: datetime) -> datetime:
        """Deprecated: use :meth:`advance` (or :meth:`advance_to`, which never raises)."""
        warnings.warn(
            "SimulatedClock.set() is deprecated; use advance(when - clock.now) or advance_to(when)",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.advance(when - self.now)

    def __repr__(self) -> str:
        return f"SimulatedClock({self.now.isoformat()})"


def advance_and_tick(
    engine: Engine,
    clock: SimulatedClock,
    *,
    until: datetime | None = None,
    done: Callable[[Sequence[Event]], bool] | None = None,
) -> list[Event]:
    """Let simulated time pass: move ``clock`` to each deadline as it falls due and tick
    ``engine`` there, so that every timer fires at its own instant. Returns the events
    the ticks wrote, in order.

    With ``until``, time stops there: deadlines after it are left running, and the clock
    ends at ``until``. Without it, time runs from deadline to deadline until none is left.
    ``done``, given the events written so far, ends it early (it is asked before each
    deadline). ``engine`` must run on ``clock``.
    """
    written: list[Event] = []
    for _ in range(MAX_ROUNDS):
        if done is not None and done(written):
            break
        due = engine.next_deadline()
        if due is None or (until is not None and due > until):
            break
        clock.advance_to(due)
        events = engine.tick()
        if not events:
            break  # a due timer always writes something: never spin on nothing
        written += events
    if until is not None:
        clock.advance_to(until)
        written += engine.tick()  # what MAX_ROUNDS left due, if it cut a loop
    return written
