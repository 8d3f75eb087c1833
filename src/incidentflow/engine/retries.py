"""When the engine starts an action again by itself, at ``tick()``.

Actions run in the call that planned them (``fire()``, ``open()``, ``signal()``,
``tick()``). What that call could not finish, the next ``tick()`` picks up:

- an action still **planned** (never started: its ``action_started`` event could not
  be written, or the host died first) is started once :data:`UNSTARTED_GRACE` has
  passed since it was planned (the planning call normally runs it at once: the grace
  keeps a ticker in another process from racing that call), or at the very next tick
  when this engine itself could not run it;
- a **failed** action is started again at the ``retry_at`` its ``action_failed``
  event records: :data:`FIRST_RETRY` after the first attempt, the wait doubling after
  each, for at most :data:`MAX_ATTEMPTS` attempts. The last failure records
  ``retry_at: null``: the action stays failed (``retry_actions()`` still runs it).
  A failure for want of a handler is not retried by itself either.
- a **started** action whose lease ran out with no outcome recorded (its runner died
  mid-handler, see :mod:`incidentflow.engine.leases`) is started again once its
  ``lease_until`` has passed, unless :data:`MAX_ATTEMPTS` attempts were made: an action
  that kills every runner that starts it must not take down every worker in turn. Logs
  written before leases have none: such an action is left to ``retry_actions()``.

Nothing planned more than :data:`GIVE_UP_AFTER` ago is started by itself: after a long
outage, a page about a long-gone moment would mislead (``retry_actions()`` still runs
it). The schedule is in the log, so a replay tells when the next attempt is due.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from incidentflow.engine.state import PlannedAction

MAX_ATTEMPTS = 6
"""Attempts (``action_started`` events) after which a failing action is left failed."""
FIRST_RETRY = timedelta(minutes=1)
"""The wait after a first failed attempt; it doubles after each further one."""
UNSTARTED_GRACE = timedelta(minutes=1)
"""How long a planned action is left to the call that planned it."""
GIVE_UP_AFTER = timedelta(days=1)
"""How long after it was planned ``tick()`` may still start an action by itself."""


def retry_at(attempt: int, failed_at: datetime) -> datetime | None:
    """When to start an action again whose ``attempt``-th attempt failed at ``failed_at``
    (None: the attempts are used up)."""
    if attempt >= MAX_ATTEMPTS:
        return None
    return failed_at + FIRST_RETRY * (1 << (max(attempt, 1) - 1))


def next_run(action: PlannedAction, now: datetime, *, eager: bool) -> datetime | None:
    """When ``tick()`` should start ``action`` (None: not by itself). ``eager``: this engine
    could not run the incident's planned actions, so they are due at once."""
    if action.planned_at is None or now - action.planned_at > GIVE_UP_AFTER:
        return None
    if action.status == "planned":
        return action.planned_at if eager else action.planned_at + UNSTARTED_GRACE
    if action.status == "failed":
        return action.retry_at
    if action.status == "started" and action.attempts < MAX_ATTEMPTS:
        return action.lease_until
    return None
