"""Running actions: claim an action (its start recorded under a lease), call its handler
outside the engine's turn, record the outcome (a failure with when to try again).

Outbox order: the engine calls :meth:`ActionRunner.run` only once the change that planned
the actions is committed. Each start is appended at the version it was decided on, so
two runners (threads, processes, workers) never start one attempt twice; the handler's
``idempotency_key`` makes a repeated delivery harmless. An outcome the store would not
record is kept and recorded by the next call (see :mod:`incidentflow.engine.retries`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incidentflow.audit.events import Event
from incidentflow.compiler.process import Process
from incidentflow.engine import inputs, leases, retries
from incidentflow.engine.inputs import SYSTEM
from incidentflow.engine.state import Incident, IncidentState, PlannedAction
from incidentflow.engine.turns import Turns
from incidentflow.errors import ConcurrencyError

Item = tuple[str, str, Mapping[str, Any]]
"""An event to append: (kind, actor, data)."""


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """What an action handler receives."""

    incident: Incident
    action: str
    params: Mapping[str, Any]
    holders: Mapping[str, frozenset[str]]  # for each role-valued param: who holds that role
    origin: str
    action_id: str  # "<seq>.<n>": unique within the incident only
    idempotency_key: str = ""  # unique across incidents and stores: key side effects on it
    attempt: int = 1  # 1 for the first run, 2 for the first retry, ...


ActionHandler = Callable[[ActionRequest], object]


class ActionRunner:
    """Runs one engine's actions. The engine lends it what touches incidents:

    - ``append(state, items, now)``: seal and append events at ``state``'s version (raises
      ConcurrencyError, having caught ``state`` up, when another writer was first);
    - ``time_for(state, now)``: the time to record (never before the incident's last event);
    - ``process_for(state, operation)``: the version the incident runs on;
    - ``renew(incident_id, action_id, attempt)``: record a heartbeat, in the engine's turn;
    - ``turns``: the engine's turn, released while a handler runs;
    - ``clock`` and ``store_clock``: the engine's time, and the store's if it has one.
    """

    def __init__(
        self,
        *,
        append: Callable[[IncidentState, list[Item], datetime | None], list[Event]],
        time_for: Callable[[IncidentState, datetime | None], datetime],
        process_for: Callable[[IncidentState, str], Process],
        renew: Callable[[str, str, int], bool],
        turns: Turns,
        clock: Callable[[], datetime],
        store_clock: Callable[[], datetime] | None,
    ) -> None:
        self._append = append
        self._time_for = time_for
        self._process_for = process_for
        self._renew = renew
        self._turns = turns
        self._clock = clock
        self._store_clock = store_clock
        self.handlers: dict[str, ActionHandler] = {}
        # outcomes of actions that ran but could not be recorded: incident -> action -> event
        self.unrecorded: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}
        # leases on the actions this engine starts (a Worker sets its own terms)
        self.lease = leases.LeaseTerms()

    def has_work(self, state: IncidentState) -> bool:
        """False when :meth:`run` would have nothing to run or record for ``state`` (most
        changes plan no action; the engine asks before every run)."""
        return bool(state.actions) or state.id in self.unrecorded

    def run(
        self,
        state: IncidentState,
        runnable: Callable[[PlannedAction], bool] | None = None,
        *,
        now: datetime | None = None,
        into: list[Event] | None = None,
    ) -> list[Event]:
        """Run the actions ``runnable`` selects (default: those planned), in order; ``now``
        is the time of their cause (a tick's time for timers).

        Returns the events recorded (each action's start and outcome), appended to ``into``
        when given (so that they are not lost to the caller if a later write fails).
        Outcomes that could not be recorded before are recorded first. If the store fails,
        this raises, and keeps an outcome it could not record for the next call.
        """
        # only this call's events, not other threads' meanwhile
        written: list[Event] = [] if into is None else into
        if not self.has_work(state):
            return written
        select = runnable or _is_planned
        self._record_unrecorded(state, now, written)
        for action_id in [a.id for a in state.actions.values() if select(a)]:
            planned = self._claim(state, action_id, select, now, written)
            if planned is None:
                continue  # another runner (another process, or a reentrant handler) took it
            attempt = planned.attempts + 1
            error = self._invoke(state, planned, attempt)
            kind, data = self._outcome(state, planned, attempt, error, now)
            try:
                self.record(state, kind, data, now, written)
            except Exception:
                self.unrecorded.setdefault(state.id, {})[planned.id] = (kind, data)
                raise
        return written

    def _outcome(
        self,
        state: IncidentState,
        planned: PlannedAction,
        attempt: int,
        error: str | None,
        now: datetime | None,
    ) -> tuple[str, dict[str, Any]]:
        """The event recording how an attempt went; a failure carries when to try again."""
        if error is None:
            return "action_succeeded", {"action_id": planned.id}
        # a missing handler is a gap in the host's set-up: trying again later cannot fix it
        retry = (
            retries.retry_at(attempt, self._time_for(state, now))
            if planned.action in self.handlers
            else None
        )
        return "action_failed", {
            "action_id": planned.id,
            "error": error,
            "attempt": attempt,
            "retry_at": retry.isoformat() if retry is not None else None,
        }

    def _record_unrecorded(
        self, state: IncidentState, now: datetime | None, written: list[Event]
    ) -> None:
        """Record the outcomes of actions that ran while the store could not record them."""
        pending = self.unrecorded.get(state.id)
        if pending is None:
            return
        for action_id, (kind, data) in list(pending.items()):
            action = state.actions.get(action_id)
            if action is not None and action.status == "started":  # nobody recorded it since
                self.record(state, kind, data, now, written)
            del pending[action_id]
        self.unrecorded.pop(state.id, None)

    def _claim(
        self,
        state: IncidentState,
        action_id: str,
        runnable: Callable[[PlannedAction], bool],
        now: datetime | None,
        written: list[Event],
    ) -> PlannedAction | None:
        """Record that an action starts, unless someone else started it first.

        The start is appended at the version it was decided on: a concurrent runner
        makes the append fail, the state catches up, and the action is looked at again.
        A refusal with nothing newer to catch up on is raised (retrying would spin).
        """
        while True:
            planned = state.actions[action_id]
            if not runnable(planned):
                return None
            data = {
                "action_id": planned.id,
                "action": planned.action,
                "attempt": planned.attempts + 1,
                "holder": self.lease.who,
                "lease_until": (self.lease_now(now) + self.lease.length).isoformat(),
            }
            version = state.version
            try:
                written += self._append(state, [("action_started", SYSTEM, data)], now)
            except ConcurrencyError:
                if state.version == version:
                    raise
                continue
            return planned

    def _invoke(self, state: IncidentState, planned: PlannedAction, attempt: int) -> str | None:
        handler = self.handlers.get(planned.action)
        if handler is None:
            return f"no handler registered for action {planned.action!r}"
        process = self._process_for(state, "run an action")
        kinds = (
            process.spec.actions[planned.action].params
            if planned.action in process.spec.actions
            else {}
        )
        holders = {
            str(value): frozenset(state.assignments.get(str(value), ()))
            for name, value in planned.params.items()
            if kinds.get(name) == "role"
        }
        request = ActionRequest(
            state.snapshot(),
            planned.action,
            dict(planned.params),
            holders,
            planned.origin,
            planned.id,
            planned.idempotency_key,
            attempt,
        )
        try:
            # the host's code runs outside the engine's turn: it may call engines, this one
            # included, from any thread (holding the turn would deadlock such hosts)
            with self._turns.released(), self._heartbeat(state.id, planned.id, attempt):
                handler(request)
        except Exception as exc:  # a failing handler must never lose the committed transition
            return f"{type(exc).__name__}: {exc}"
        return None

    def _heartbeat(self, incident_id: str, action_id: str, attempt: int) -> leases.Heartbeat:
        """Renews the lease of a running attempt every half lease (see leases.py)."""
        terms = self.lease
        return leases.Heartbeat(
            lambda: self._renew(incident_id, action_id, attempt),
            terms.length.total_seconds() / 2,
            terms.longest_run.total_seconds(),
        )

    def renew_lease(self, state: IncidentState, action_id: str, attempt: int) -> bool:
        """Record that the attempt still runs, moving its lease on; False if it is no longer
        running (finished, or taken over: the lease is someone else's now)."""
        action = state.actions.get(action_id)
        if action is None or action.status != "started" or action.attempts != attempt:
            return False
        now = self.lease_now(None)
        data = {
            "action_id": action_id,
            "attempt": attempt,
            "lease_until": (now + self.lease.length).isoformat(),
        }
        self.record(state, "action_heartbeat", data, now, [])
        return True

    def lease_now(self, now: datetime | None) -> datetime:
        """The time leases are measured in: the store's clock when it has one (the same for
        every replica), else ``now`` (the time of the cause), else the engine's clock."""
        if self._store_clock is not None:
            return inputs.when(self._store_clock(), "store", "the store's time")
        return now if now is not None else self._clock()

    def record(
        self,
        state: IncidentState,
        kind: str,
        data: Mapping[str, Any],
        now: datetime | None,
        written: list[Event],
    ) -> None:
        """Append a bookkeeping event, retrying on concurrent writes (it decides nothing)."""
        while True:
            version = state.version
            try:
                written += self._append(state, [(kind, SYSTEM, data)], now)
                return
            except ConcurrencyError:
                if state.version == version:
                    raise  # refused, yet nothing newer to build on: retrying would spin
                continue  # the append caught the state up; try again on top of the newer events


def _is_planned(action: PlannedAction) -> bool:
    return action.status == "planned"
