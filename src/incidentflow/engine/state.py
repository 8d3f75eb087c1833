"""An incident's state as a pure function of its events.

:class:`IncidentState` folds events one at a time; :class:`Incident` is the
immutable snapshot the engine hands out. Every event carries what the fold needs
(the timers planned on entering a state, the phase of the state entered, the
SLAs of the level), so replaying a log needs neither the spec nor a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from incidentflow._frozen import builder
from incidentflow.audit.events import GENESIS, Event, EventFields, StoredRow
from incidentflow.audit.rows import decode_data


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """An action invocation the process asked for, and what became of it."""

    id: str
    action: str
    params: Mapping[str, Any]
    origin: str  # e.g. "transition:acknowledge", "enter:triage", "timer:ack_deadline"
    status: str  # planned | started | succeeded | failed
    error: str | None = None
    attempts: int = 0  # how many times it was started
    retry_at: datetime | None = None  # when tick() starts a failed action again (None: never)
    planned_at: datetime | None = None  # the time of the event that planned it
    idempotency_key: str = ""  # unique across incidents and stores (see key_of)
    holder: str = ""  # who started the current attempt (logs before leases: "")
    lease_until: datetime | None = None  # a started attempt is taken over after this


@dataclass(frozen=True, slots=True)
class Incident:
    """A snapshot of one incident (what :meth:`Engine.get` returns)."""

    id: str
    process: str
    title: str
    state: str
    phase: str | None
    severity: str
    fields: Mapping[str, Any]
    opened_by: str
    opened_at: datetime
    state_entered_at: datetime
    assignments: Mapping[str, frozenset[str]]
    checklist: frozenset[str]
    timers: Mapping[str, datetime]
    closed: bool
    version: int
    actions: tuple[PlannedAction, ...]
    process_version: str = ""  # the version of the process it runs on (metadata.version)
    process_digest: str = ""  # ... and that version's digest (see incidentflow.engine.versions)

    @property
    def pending_actions(self) -> tuple[PlannedAction, ...]:
        """Actions planned or started but not yet succeeded (to run or retry)."""
        return tuple(a for a in self.actions if a.status != "succeeded")

    def roles_of(self, person: str) -> frozenset[str]:
        """The roles ``person`` holds on this incident."""
        return frozenset(r for r, people in self.assignments.items() if person in people)


# Incident(...) and PlannedAction(...) at a plain class's cost (see incidentflow._frozen)
_new_incident: Callable[..., Incident] = builder(Incident)
_new_action: Callable[..., PlannedAction] = builder(PlannedAction)

_NONE: frozenset[str] = frozenset()
_NO_COUNTS: Mapping[str, int] = MappingProxyType({})


UNFOLDED_DATA = frozenset({"noted"})
"""Kinds of event whose ``data`` :meth:`IncidentState.fold` does not read: their fold changes
only what every event's fold sets (the version, process version, last hash and time)."""
_NO_DATA: Mapping[str, Any] = MappingProxyType({})


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def key_of(planning_event_hash: str, index: int) -> str:
    """The idempotency key of the ``index``-th action planned by the event with this hash.

    The hash covers the incident id, the event's time and the hash of every earlier
    event: two incidents (in one store or two) never share a key, while a retry of the
    same action, by any engine, gets the same key again.
    """
    return f"{planning_event_hash[:32]}-{index}"


class IncidentState:
    """Mutable fold of one incident's events; ``snapshot()`` freezes it."""

    __slots__ = (
        "_assignments_view",
        "_last_at",
        "_roles",
        "acted",
        "actions",
        "alerts",
        "assignments",
        "checklist",
        "closed",
        "dedupe",
        "fields",
        "fired_timers",
        "id",
        "last_hash",
        "last_time",
        "opened_at",
        "opened_by",
        "phase",
        "process",
        "severity",
        "spec_digest",
        "spec_version",
        "state",
        "state_entered_at",
        "timer_counts",
        "timers",
        "title",
        "trigger",
        "version",
    )

    def __init__(self, incident_id: str) -> None:
        self.id = incident_id
        self.process = ""
        self.title = ""
        self.state = ""
        self.phase: str | None = None
        self.severity = ""
        self.fields: Mapping[str, Any] = MappingProxyType({})
        self.trigger: str | None = None
        self.dedupe: dict[str, Any] | None = None
        self.opened_by = ""
        self.opened_at = datetime.min
        self.state_entered_at = datetime.min
        # Immutable small collections, replaced on change: a live incident stays under 1 KB
        # (an empty set costs 216 bytes; a shared empty frozenset, nothing).
        self.assignments: dict[str, tuple[str, ...]] = {}
        # Derived from assignments on demand, dropped when they change (every fire asks
        # who holds what; assignments change rarely).
        self._roles: dict[str, frozenset[str]] | None = None  # person -> roles held
        self._assignments_view: Mapping[str, frozenset[str]] | None = None  # snapshot's
        self.checklist: frozenset[str] = _NONE
        # Replaced on every change, never changed in place: a snapshot shares it safely.
        self.timers: dict[str, datetime] = {}
        self.closed = False
        self.version = 0
        # the process version the incident runs on: the one its last event was sealed with
        # (a migration's event is sealed with the version it moves to)
        self.spec_digest = ""
        self.spec_version = ""
        self.last_hash = GENESIS
        self.last_time = ""  # the time (ISO text) of the last event: times never go back
        self._last_at: datetime | None = None  # last_time parsed, on demand
        self.fired_timers: frozenset[str] = _NONE
        # recurring timer -> instants of its schedule used up in this visit (replaced on change)
        self.timer_counts: Mapping[str, int] = _NO_COUNTS
        self.actions: dict[str, PlannedAction] = {}
        # person -> roles they fired a transition as (separation of duties reads it)
        self.acted: dict[str, frozenset[str]] = {}
        # identities of the alerts firing behind the incident (see engine/alerts.py)
        self.alerts: frozenset[str] = _NONE

    def roles_of(self, person: str) -> frozenset[str]:
        """The roles ``person`` holds on this incident."""
        roles = self._roles
        if roles is None:
            held: dict[str, set[str]] = {}
            for role, people in self.assignments.items():
                for someone in people:
                    held.setdefault(someone, set()).add(role)
            roles = self._roles = {p: frozenset(r) for p, r in held.items()}
        return roles.get(person, _NONE)

    def _assignments_changed(self) -> None:
        self._roles = None
        self._assignments_view = None

    @property
    def last_at(self) -> datetime | None:
        """The time of the last event (None before the first)."""
        if self._last_at is None and self.last_time:
            self._last_at = datetime.fromisoformat(self.last_time)
        return self._last_at

    def _at(self, event: EventFields) -> datetime:
        """``event.at``, parsed once for a run of events at the same time."""
        if event.time != self.last_time or self._last_at is None:
            self.last_time = event.time
            self._last_at = datetime.fromisoformat(event.time)
        return self._last_at

    def apply(self, event: Event) -> None:
        """Fold one event (events must come in seq order)."""
        self.fold(event, event.data)

    def fold(self, event: EventFields, data: Mapping[str, Any], advance: bool = True) -> None:
        """Fold one event given its decoded ``data`` (``event``: an :class:`Event`, or a
        :class:`StoredRow` read straight from a store); events must come in seq order.

        ``advance=False`` leaves out what each event's fold overwrites (the version, the
        process version, the last hash and time): for all but the last of a run of events
        folded together, as :func:`replay_rows` does; the last one's fold sets them."""
        kind = event.kind
        if kind == "opened":
            self.process = data["process"]
            self.title = data["title"]
            self.severity = data["severity"]
            self.fields = MappingProxyType(dict(data["fields"]))  # fields never change
            self.trigger = data.get("trigger")
            self.dedupe = data.get("dedupe")
            if "alert" in data:  # opened by an alert with an identity
                self.alerts = frozenset((data["alert"],))
            self.opened_by = event.actor
            self.opened_at = self._at(event)
            self._enter(data, event)
        elif kind == "transitioned":
            self._enter(data, event)
            if "as_role" in data:  # absent in logs written before roles were recorded
                acted = self.acted.get(event.actor, _NONE)
                if data["as_role"] not in acted:  # mostly known: no new set
                    self.acted[event.actor] = acted | {data["as_role"]}
        elif kind == "assigned":
            held = self.assignments.get(data["role"], ())
            if data["person"] not in held:
                self.assignments[data["role"]] = (*held, data["person"])
                self._assignments_changed()
        elif kind == "unassigned":
            rest = tuple(p for p in self.assignments.get(data["role"], ()) if p != data["person"])
            if rest:
                self.assignments[data["role"]] = rest
            else:
                self.assignments.pop(data["role"], None)
            self._assignments_changed()
        elif kind == "deduplicated":
            if "alert" in data:
                self.alerts = self.alerts | {data["alert"]}
        elif kind == "alert_resolved":
            self.alerts = self.alerts - {data["alert"]}
        elif kind == "checked":
            self.checklist = self.checklist | {data["item"]}
        elif kind == "timer_fired":
            timer = data["timer"]
            # the timers dict is replaced, never changed in place (snapshots share it)
            if "next" in data:  # a recurring timer fires again (planning.plan_recurrence)
                self.timers = {**self.timers, timer: _time(data["next"])}
            else:
                self.timers = {t: due for t, due in self.timers.items() if t != timer}
                self.fired_timers = self.fired_timers | {timer}
            if "count" in data:
                self.timer_counts = MappingProxyType({**self.timer_counts, timer: data["count"]})
            self._plan(data, event)
        elif kind == "severity_changed":
            self.severity = data["new"]
            self.timers = {k: _time(v) for k, v in data["timers"].items()}
        elif kind == "migrated":  # another version: same visit, new names (migration/apply.py)
            self.state = data["to"]
            self.phase = data.get("phase")
            self.closed = bool(data.get("terminal", False))
            self.severity = data["severity"]
            self.checklist = frozenset(data["checklist"])
            self.timers = {k: _time(v) for k, v in data["timers"].items()}
            self.fired_timers = frozenset(data["fired_timers"])
        elif kind == "action_started":
            lease = data.get("lease_until")  # absent from logs written before leases
            self._action(
                data["action_id"],
                "started",
                started=True,
                holder=data.get("holder", ""),
                lease_until=_time(lease) if lease else None,
            )
        elif kind == "action_heartbeat":
            self._renew(data["action_id"], data["attempt"], _time(data["lease_until"]))
        elif kind == "action_succeeded":
            self._action(data["action_id"], "succeeded")
        elif kind == "action_failed":
            retry = data.get("retry_at")  # absent from logs written before retries existed
            self._action(
                data["action_id"], "failed", data.get("error"), _time(retry) if retry else None
            )
        if not advance:
            return
        self.version = event.seq
        self.spec_digest = event.spec_digest
        self.spec_version = event.spec_version
        self.last_hash = event.hash
        if event.time != self.last_time:  # a burst of events shares one time: parse it once
            self.last_time = event.time
            self._last_at = None

    def _enter(self, data: Mapping[str, Any], event: EventFields) -> None:
        self.state = data["to"] if "to" in data else data["state"]
        self.phase = data.get("phase")
        self.closed = bool(data.get("terminal", False))
        self.state_entered_at = self._at(event)
        self.checklist = _NONE  # a checklist belongs to one visit of its state
        self.fired_timers = _NONE
        self.timer_counts = _NO_COUNTS
        timers = data.get("timers")
        self.timers = {k: _time(v) for k, v in timers.items()} if timers else {}
        if data.get("actions"):
            self._plan(data, event)

    def _plan(self, data: Mapping[str, Any], event: EventFields) -> None:
        for i, planned in enumerate(data.get("actions", ())):
            action_id = f"{event.seq}.{i}"
            self.actions[action_id] = _new_action(  # PlannedAction's fields, in order
                action_id,
                planned["action"],
                planned.get("params", {}),
                planned["origin"],
                "planned",
                None,  # error
                0,  # attempts
                None,  # retry_at
                self._at(event),  # planned_at
                key_of(event.hash, i),  # idempotency_key
            )

    def _action(
        self,
        action_id: str,
        status: str,
        error: str | None = None,
        retry_at: datetime | None = None,
        *,
        started: bool = False,
        holder: str = "",
        lease_until: datetime | None = None,
    ) -> None:
        current = self.actions.get(action_id)
        if current is not None:
            self.actions[action_id] = replace(
                current,
                status=status,
                error=error,
                attempts=current.attempts + started,
                retry_at=retry_at,
                holder=holder,
                lease_until=lease_until,
            )

    def _renew(self, action_id: str, attempt: int, lease_until: datetime) -> None:
        """A heartbeat of the attempt still running: its lease moves on (one of an
        attempt already taken over, or finished, changes nothing)."""
        current = self.actions.get(action_id)
        if current is not None and current.status == "started" and current.attempts == attempt:
            self.actions[action_id] = replace(current, lease_until=lease_until)

    def snapshot(self) -> Incident:
        """An immutable copy of the current state."""
        assignments = self._assignments_view
        if assignments is None:
            assignments = self._assignments_view = MappingProxyType(
                {r: frozenset(p) for r, p in self.assignments.items()}
            )
        return _new_incident(  # every field, in Incident's order
            self.id,
            self.process,
            self.title,
            self.state,
            self.phase,
            self.severity,
            self.fields,
            self.opened_by,
            self.opened_at,
            self.state_entered_at,
            assignments,
            self.checklist,
            MappingProxyType(self.timers),  # replaced, never changed in place
            self.closed,
            self.version,
            tuple(self.actions.values()),
            self.spec_version,
            self.spec_digest,
        )


def replay(incident_id: str, events: list[Event]) -> IncidentState:
    """The state an incident's events describe."""
    state = IncidentState(incident_id)
    for event in events:
        state.apply(event)
    return state


def replay_rows(
    incident_id: str, rows: Iterable[StoredRow], *, lenient: bool = False
) -> IncidentState:
    """The state an incident's stored rows describe (see :mod:`incidentflow.audit.rows`):
    :func:`replay` without building :class:`Event` objects, each ``data`` decoded once, and
    only if the fold reads it (not for the kinds in :data:`UNFOLDED_DATA`).

    Three shortcuts, none visible in the state: what each event's fold overwrites (the
    version, the process version, the last hash and time) is set by the last row's alone;
    a row of a kind in :data:`UNFOLDED_DATA` changes nothing else, so it is folded only if
    it is the last; and a ``data`` text seen before is not decoded again when the fold
    keeps nothing of it that could change (see :func:`_shareable`): the same decoded value
    serves every row with that text."""
    state = IncidentState(incident_id)
    fold = state.fold
    unfolded = UNFOLDED_DATA
    shared = _SHARED
    seen = shared.get
    held: StoredRow | None = None  # the row read last: folded when the next is read, or last
    held_data: Mapping[str, Any] = _NO_DATA
    for row in rows:
        if held_data is not _NO_DATA:
            fold(held, held_data, False)  # type: ignore[arg-type]  # (held is set with it)
        held = row
        if row[4] in unfolded:
            held_data = _NO_DATA
            continue
        text = row[5]
        try:
            data = seen(text)
        except TypeError:  # not text (a row made by hand): decode_data says what it is
            data = None
        if data is None:
            data = decode_data(text, lenient=lenient)
            if type(text) is str and len(text) <= _SHARED_TEXT and _shareable(data):
                if len(shared) >= _SHARED_MAX:
                    shared.clear()  # bounded memory, whatever the number of distinct texts
                shared[text] = data
        held_data = data
    if held is not None:
        fold(held, held_data)
    return state


# Decoded data by stored text, for the texts that repeat from incident to incident (an
# assignment, a transition that plans no timers): decoding one takes several times what
# folding it does. Only data the fold keeps nothing mutable of is kept (see _shareable).
_SHARED: dict[str, Mapping[str, Any]] = {}
_SHARED_MAX = 1024  # texts
_SHARED_TEXT = 1024  # characters: longer texts are decoded each time
_SCALARS = frozenset({str, int, float, bool, type(None)})
_COPIED = frozenset({"actions", "checklist", "fields", "fired_timers", "sla", "timers"})
"""Keys whose containers the fold copies or converts (or does not read), never keeps."""


def _shareable(data: object) -> bool:
    """Whether one decoded ``data`` can serve many folds: the fold never changes its data,
    and keeps of it only the values it holds directly, each an immutable scalar, and the
    scalars inside the containers under :data:`_COPIED` keys (copied, or converted). Not
    shareable: planned actions (their params are kept), a dedupe key, nested fields, and
    a text that decodes to ``{}`` (also what a lenient read makes of broken JSON)."""
    if type(data) is not dict or not data:
        return False
    scalars = _SCALARS
    for key, value in data.items():
        if type(value) in scalars:
            continue
        if key not in _COPIED:
            return False
        items = value.values() if type(value) is dict else value
        if type(value) not in (dict, list) or any(type(v) not in scalars for v in items):
            return False
    return True
