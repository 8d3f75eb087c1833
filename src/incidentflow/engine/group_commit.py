"""Group commit: many incidents' changes written in one durable transaction.

Inside a group, :class:`~incidentflow.Engine` decides every call as usual, but instead
of appending its events at once it applies them to the incident's cached state and
keeps them here; :meth:`GroupCommit.commit` then writes every incident's events in one
:meth:`~incidentflow.BatchStore.append_many` (one fsync, one round trip or two), each
incident still checked against the version its decisions were based on.

What a stale incident does (another writer got there first): it fails **alone**. Its
events are not written, its cached state is dropped (the next read rebuilds it from the
store), and its refusal is reported; every other incident of the group is committed. A
group that fails as a whole (the store is down, the block raised) writes nothing.
Actions planned by the group run once it has committed, and only for incidents whose
events were written (outbox order: an action never runs for a change the log lacks).

Used by :meth:`Engine.tick <incidentflow.Engine.tick>` (every due timer of a round in
one commit), :meth:`Engine.batch <incidentflow.Engine.batch>` (a host's batch of calls)
and the workers' claimed rounds (:meth:`Engine.tick_due <incidentflow.Engine.tick_due>`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from incidentflow.audit.events import Event
from incidentflow.audit.store import LOOK, Append
from incidentflow.engine import retries
from incidentflow.engine.state import IncidentState
from incidentflow.errors import ConcurrencyError

Write = Callable[[Sequence[Append]], list[ConcurrencyError]]
"""Writes a batch, returns the refusals (a store's or a claim's ``append_many``)."""


def next_due(state: IncidentState, now: datetime) -> datetime | None:
    """When a worker next has something to do for the incident: its soonest timer (while
    open), or the soonest start of one of its actions (see
    :func:`~incidentflow.engine.retries.next_run`); None: nothing, ever (unless it
    changes)."""
    dues = [] if state.closed else list(state.timers.values())
    for action in state.actions.values():
        due = retries.next_run(action, now, eager=False)
        if due is not None:
            dues.append(due)
    return min(dues, default=None)


@dataclass(slots=True)
class _Pending:
    state: IncidentState
    expected_version: int
    events: list[Event] = field(default_factory=list)


@dataclass(slots=True)
class Committed:
    """What a group wrote: the events (in the order they were decided) and the ids of the
    incidents written; ``refused``: a ConcurrencyError per stale incident."""

    events: list[Event]
    incident_ids: list[str]
    refused: list[ConcurrencyError]


class GroupCommit:
    """The changes of one group, not yet written (see the module)."""

    def __init__(self) -> None:
        self._pending: dict[str, _Pending] = {}
        self._order: list[Event] = []
        self._after: list[tuple[str, Callable[[], None]]] = []

    def __contains__(self, incident_id: object) -> bool:
        return incident_id in self._pending

    def state(self, incident_id: str) -> IncidentState:
        """The incident's state with the group's changes applied."""
        return self._pending[incident_id].state

    def add(self, state: IncidentState, events: list[Event]) -> list[Event]:
        """Keep ``events`` (sealed on ``state``) for the commit, and apply them to ``state``
        so that the group's next decisions see them."""
        pending = self._pending.get(state.id)
        if pending is None:
            pending = self._pending[state.id] = _Pending(state, state.version)
        elif pending.state is not state:
            raise AssertionError(f"two states of incident {state.id!r} in one group")
        for event in events:
            state.apply(event)
        pending.events.extend(events)
        self._order.extend(events)
        return events

    def then(self, incident_id: str, run: Callable[[], None]) -> None:
        """Run ``run`` after the commit, if the incident's events were written."""
        self._after.append((incident_id, run))

    def commit(
        self, write: Write, *, due: Callable[[IncidentState], datetime | None] | None
    ) -> Committed:
        """Write every incident's events in one batch (``due``: computes each one's next due
        time for the store's index; None: let workers look). Returns what was written."""
        appends = [
            Append(
                p.state.id,
                p.expected_version,
                p.events,
                due(p.state) if due is not None else LOOK,
            )
            for p in self._pending.values()
            if p.events
        ]
        refused = write(appends) if appends else []
        stale = {error.incident_id for error in refused}
        written = [e for e in self._order if e.incident_id not in stale]
        kept = [a.incident_id for a in appends if a.incident_id not in stale]
        return Committed(written, kept, refused)

    def stale_states(self, committed: Committed | None) -> list[str]:
        """The incidents whose cached state is not the store's: all of them when nothing was
        committed, else the refused ones."""
        if committed is None:
            return list(self._pending)
        return [error.incident_id for error in committed.refused]

    def runs_after(self, committed: Committed) -> list[Callable[[], None]]:
        """The deferred runs of the incidents ``committed`` wrote, in order."""
        kept = set(committed.incident_ids)
        return [run for incident_id, run in self._after if incident_id in kept]
