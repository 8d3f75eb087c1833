"""The Engine: open incidents from signals, let the right people move them, keep the log.

Every operation follows one path: refresh the incident from the store, decide
(refusing with a specific exception, having written nothing), then append the
resulting events with the version the decision was based on. A concurrent
writer makes that append fail with :class:`ConcurrencyError`, so no update is
lost and no timer fires twice. Actions run after their cause is committed
(outbox style); their start and outcome are recorded, and what a call could not
finish (a failing handler, bookkeeping the store refused) the next ``tick()`` picks
up on a recorded schedule (see :mod:`incidentflow.engine.retries`).

Arguments are checked first (:mod:`incidentflow.engine.inputs`); an incident the
periodic calls cannot handle is reported and skipped, never in the way of the
others (:mod:`incidentflow.engine.problems`).

This class is the public surface and the order of each call; the parts live beside it:
who may do what and what a transition records (:mod:`~incidentflow.engine.decisions`),
running actions (:mod:`~incidentflow.engine.action_runner`), the incidents the periodic
calls look at (:mod:`~incidentflow.engine.tracking`), group commit
(:mod:`~incidentflow.engine.group_commit`) and process versions
(:mod:`~incidentflow.engine.versions`).
"""

from __future__ import annotations

import functools
import random
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from incidentflow.audit.anchor import Anchor
from incidentflow.audit.events import Event, seal
from incidentflow.audit.store import (
    ClockedStore,
    DueClaim,
    DueIndexStore,
    MemoryStore,
    Store,
    append_many,
    require_store,
)
from incidentflow.audit.verify import VerifyReport, check_store, verify_store
from incidentflow.compiler.process import Process
from incidentflow.engine import alerts, authz, decisions, inputs, leases, retries
from incidentflow.engine.action_runner import ActionHandler as ActionHandler
from incidentflow.engine.action_runner import ActionRequest as ActionRequest
from incidentflow.engine.action_runner import ActionRunner
from incidentflow.engine.deadlines import Deadline, running_deadlines
from incidentflow.engine.group_commit import Committed, GroupCommit, Write, next_due
from incidentflow.engine.inputs import SYSTEM as SYSTEM  # re-exported: hosts import them here
from incidentflow.engine.inputs import TIMER as TIMER
from incidentflow.engine.leases import DEFAULT_LEASE
from incidentflow.engine.machine import ProcessMachine
from incidentflow.engine.planning import (
    metric_definitions,
    plan_actions,
    plan_recurrence,
    plan_timers,
    sla_marks,
    sla_seconds,
)
from incidentflow.engine.problems import LOGGER, IncidentProblem, Quarantine, TickResult
from incidentflow.engine.state import Incident, IncidentState, PlannedAction
from incidentflow.engine.store_call import StoreCall
from incidentflow.engine.times import iso_text
from incidentflow.engine.tracking import OpenIncidents
from incidentflow.engine.turns import Turns
from incidentflow.engine.versions import Versions
from incidentflow.engine.worker import DEFAULT_POLL, Stop, Worker
from incidentflow.errors import (
    ConcurrencyError,
    IncidentflowError,
    InvalidOperation,
    MissingHandlers,
    NotAuthorized,
    OperationRefused,
    StoreError,
    TransitionNotAllowed,
    UnknownIncident,
    UnknownProcess,
)
from incidentflow.migration import MappingSource, MigrationPlan
from incidentflow.migration.engine_step import migration_step

Clock = Callable[[], datetime]
"""Returns the current time as an aware datetime."""

_MAX_TIMER_STEPS = 1000  # bound on timers fired for one incident in one tick (zero-delay loops)


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


@dataclass(slots=True)
class BatchResult:
    """What :meth:`Engine.batch` wrote, filled in when its block ends: the events written,
    and a ConcurrencyError for each incident refused (none of its calls were written)."""

    events: list[Event] = field(default_factory=list)
    refused: list[ConcurrencyError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Allowed:
    """One transition out of the current state, and whether the actor may fire it now."""

    transition: str
    to: str
    allowed: bool
    reason: str | None  # None if allowed; else state | role | policy | checklist | guard | terminal
    detail: str


class Engine:
    """Drives incidents through compiled processes and records every change.

    Safe to share between threads: calls into one engine run one at a time, except
    that action handlers run without holding the engine (so a handler may call this
    engine or another, from its own thread or any other).

    Every call checks its arguments first (:mod:`incidentflow.engine.inputs`: limits and
    reserved names). An incident the periodic calls (:meth:`tick`, :meth:`queue`,
    :meth:`next_deadline`, the dedupe of :meth:`signal`) cannot handle is reported by
    :meth:`problems` and skipped for a while, never in the way of the others.

    ``processes``: one Process or several (their triggers compete for signals), and
    several versions of one process side by side (:mod:`incidentflow.engine.versions`):
    new incidents open on the newest, or on the version ``open_on`` names (process name
    -> ``metadata.version``); an incident keeps its version until :meth:`migrate`.
    ``store``: where events go (in memory when None; :class:`SQLiteStore` to persist).
    ``clock``: returns an aware datetime (injectable for tests and drills).
    """

    def __init__(
        self,
        processes: Process | Iterable[Process],
        store: Store | None = None,
        clock: Clock | None = None,
        *,
        require_handlers: bool = False,
        handlers: Mapping[str, ActionHandler] | None = None,
        new_id: Callable[[], str] | None = None,
        open_on: Mapping[str, str] | None = None,
    ) -> None:
        listed = inputs.processes(processes)
        self.store: Store = require_store(store) if store is not None else MemoryStore()
        self._versions = Versions(listed, open_on, self.store)
        self._processes: dict[str, Process] = dict(self._versions.newest)  # what new ones open on
        # Facts fixed by each version (by digest), computed once rather than on every fire.
        self._machines: dict[str, ProcessMachine] = {}
        self._clock = inputs.function(clock, "Engine", "clock") if clock else utc_now
        self._new_id = (
            inputs.function(new_id, "Engine", "new_id") if new_id else lambda: uuid.uuid4().hex[:16]
        )
        self._cache: dict[str, IncidentState] = {}
        # One call at a time; handlers run outside (see turns.py). Every public call takes
        # the turn in its own body (``with self._turns:``): a decorator's wrapper, packing
        # and unpacking the arguments, cost about a microsecond per call.
        self._turns = Turns()
        self._problems = Quarantine()  # incidents the periodic calls skip for a while
        self._unrun: set[str] = set()  # incidents whose planned actions a call left unrun
        self._actions = ActionRunner(  # handlers, leases, outcomes to record (action_runner.py)
            append=lambda state, items, now: self._append(state, items, now=now),
            time_for=self._time_for,
            process_for=self._process_for,
            renew=self._renew_lease,
            turns=self._turns,
            clock=self._now,
            store_clock=self.store.now if isinstance(self.store, ClockedStore) else None,
        )
        self._queued: tuple[int, list[Incident]] | None = None  # queue() memo: see there
        # the incidents tick(), queue(), next_deadline() and signal() look at (tracking.py)
        self._tracked = OpenIncidents(
            self.store,
            self._problems,
            load=self._load,
            cached=self._cache.get,
            keeps=self._keeps,
            due=self._due_at,
            drop=self._drop,
            urgent=lambda: self._unrun.union(self._actions.unrecorded),
        )
        self._group: GroupCommit | None = None  # appends kept for one commit (group_commit.py)
        for name, handler in (handlers or {}).items():
            self.register_action(name, handler)
        if require_handlers:
            missing = sorted(
                {a for p in listed for a in p.spec.actions} - set(self._actions.handlers)
            )
            if missing:
                raise MissingHandlers(missing)

    # --- configuration ---------------------------------------------------------------

    @property
    def processes(self) -> Mapping[str, Process]:
        """The loaded processes by name."""
        return dict(self._processes)

    def register_action(self, name: str, handler: ActionHandler) -> None:
        """Run ``handler`` whenever the process asks for action ``name``."""
        with self._turns:
            inputs.spec_name(name, "register_action", "name")
            inputs.function(handler, "register_action", "handler")
            declared = {a for p in self._versions.given for a in p.spec.actions}
            if name not in declared:
                raise InvalidOperation(
                    None, "register_action", f"no process declares an action {name!r}"
                )
            self._actions.handlers[name] = handler

    # --- reading -----------------------------------------------------------------------

    def get(self, incident_id: str) -> Incident:
        """The incident's current state."""
        with self._turns:
            return self._load(inputs.incident_id(incident_id, "get")).snapshot()

    def history(self, incident_id: str) -> list[Event]:
        """Every event of the incident, in order (as stored: readable even when the events
        no longer fold, or the loaded process no longer fits them)."""
        with self._turns:
            inputs.incident_id(incident_id, "history")
            with StoreCall("read the events", incident_id):
                events = self.store.events(incident_id)
            if not events:
                raise UnknownIncident(incident_id)
            return events

    def deadlines(self, incident_id: str) -> tuple[Deadline, ...]:
        """Every clock running on the incident, soonest first: its SLA deadlines and its
        timers, each with its due time (aware, UTC), calendar and whether it is paused
        (see :mod:`incidentflow.engine.deadlines`). A closed incident has none."""
        with self._turns:
            state = self._load(inputs.incident_id(incident_id, "deadlines"))
            with StoreCall("read the events", incident_id):
                events = self.store.events(incident_id)
            return running_deadlines(self._version_of(state), state, events, self._now())

    def queue(self) -> list[Incident]:
        """Open incidents, most severe first, then nearest deadline, then oldest.

        An incident whose level the loaded process does not have comes first: someone
        must look at it. One whose log cannot be read is left out (see :meth:`problems`).
        """
        with self._turns:
            tracked = self._tracked
            tracked.catch_up(self._now())
            memo = self._queued
            if memo is not None and memo[0] == tracked.generation:
                return list(memo[1])  # nothing changed since the last call
            queue = tracked.watchlist.queue(tracked.caught_up(self._now()), self._process)
            self._queued = (tracked.generation, queue)
            return list(queue)

    def next_deadline(self) -> datetime | None:
        """When :meth:`tick` next has something to do: a timer falls due, an action is to be
        started again, or a skipped incident is to be looked at again (None: nothing will)."""
        with self._turns:
            now = self._now()
            soonest = self._tracked.soonest(now)
            dues = [p.retry_at for p in self._problems.problems() if p.version is None]
            return min(dues if soonest is None else [*dues, soonest], default=None)

    def problems(self) -> tuple[IncidentProblem, ...]:
        """The incidents :meth:`tick`, :meth:`queue`, :meth:`next_deadline` and the dedupe of
        :meth:`signal` currently skip, and why, oldest first (empty when all is well).

        Each is logged as a warning when it fails, and looked at again after a wait that
        grows with each failure in a row, or as soon as its version changes.
        """
        with self._turns:
            return self._problems.problems()

    def allowed(self, incident_id: str, actor: str) -> list[Allowed]:
        """Every transition of the current state, and why ``actor`` may not fire it, if not."""
        with self._turns:
            inputs.incident_id(incident_id, "allowed")
            inputs.actor(actor, "allowed", incident_id)
            state = self._load(incident_id)
            process = self._process_for(state, "allowed")
            out = []
            seen: set[str] = set()
            for tr in process.transitions_from.get(state.state, ()):
                if tr.name in seen:
                    continue
                seen.add(tr.name)
                try:
                    index, _ = decisions.decide_fire(
                        process, self._machine(process), state, tr.name, actor
                    )
                    chosen = process.spec.process.transitions[index]
                    out.append(Allowed(tr.name, chosen.to, True, None, ""))
                except TransitionNotAllowed as refusal:
                    out.append(Allowed(tr.name, tr.to, False, refusal.reason, refusal.detail))
            return out

    # Not serialised: it reads only the (thread-safe) store, never the engine's state,
    # and a whole-store check must not hold up every other call into the engine.
    def verify(
        self, incident_id: str | None = None, *, anchor: Anchor | None = None
    ) -> VerifyReport:
        """Check the hash chain of one incident's log, or of every incident, the incidents
        index against the events, and, given an ``anchor``, that nothing it recorded was
        cut or rewritten. A damaged store gives a report, never an exception;
        :class:`UnknownIncident` means no index, event or anchor knows ``incident_id``.
        See :mod:`incidentflow.audit.verify` for every kind of problem."""
        return verify_store(self.store, incident_id, anchor=anchor)

    # Not serialised either, for the same reason.
    def anchor(self) -> Anchor:
        """Every incident's chain head now (its last ``seq`` and ``hash``), to keep where
        the store's writers cannot change it and pass to :meth:`verify` later. It records
        the heads as stored: run :meth:`verify` first, an anchor does not vouch for them."""
        return Anchor.of(check_store(self.store).heads, self._now())

    # --- opening ----------------------------------------------------------------------

    def signal(self, fields: Mapping[str, Any], *, actor: str = SYSTEM) -> Incident | None:
        """Open (or join) the incident a signal constitutes; None if no trigger matches.

        The most severe matching trigger of any process wins, ties going to the
        earlier process and the earlier trigger. A trigger with ``dedupe_by`` joins
        the open incident whose signal had equal values in those fields, unless that
        incident is broken (the engine skips it, see :meth:`problems`, or its state is not
        in the loaded version): then a new one opens, so that the alert is not absorbed
        by an incident whose timers cannot run. Across triggers, the process's
        ``intake.dedupe_by`` joins the open incident of the same problem, raising its
        severity for a more severe trigger (see :meth:`alert_fired`).
        """
        with self._turns:
            return self._signal(fields, actor, None, "signal").incident

    def alert_fired(
        self, fields: Mapping[str, Any], *, alert: str | None, actor: str = SYSTEM
    ) -> alerts.AlertOutcome:
        """:meth:`signal` for an alert with an identity (``alert``: unique per source, e.g.
        ``alertmanager:<fingerprint>``; None for a source that gives none), saying what it
        did: opened an incident, joined one, raised its severity, repeated an alert already
        firing there (nothing is written), or matched no trigger. Across triggers, the
        process's ``intake.dedupe_by`` decides what is one problem; see
        :mod:`incidentflow.engine.alerts`."""
        with self._turns:
            alert = inputs.optional_name(alert, "alert_fired", "alert")
            return self._signal(fields, actor, alert, "alert_fired")

    def alert_resolved(self, alert: str, *, actor: str = SYSTEM) -> list[alerts.AlertOutcome]:
        """Record that ``alert`` resolved, on every open incident it fires on. When it was
        the last one firing there, the process's ``intake.on_resolved.transition`` is fired
        as the engine if it leaves the incident's state at its level (else the event says
        why not). Resolving an alert no open incident holds does nothing (empty list)."""
        with self._turns:
            alert = inputs.spec_name(alert, "alert_resolved", "alert")
            actor = inputs.actor(actor, "alert_resolved")
            outcomes = []
            for state in self._tracked.current(self._now()):
                if state.closed or alert not in state.alerts or self._problems.get(state.id):
                    continue
                if not self._fits(state):
                    continue  # its version lacks its state: left to people (see problems())
                process = self._version_of(state)
                now = self._time_for(state)
                resolved: dict[str, Any] = {"alert": alert, "remaining": len(state.alerts) - 1}
                items: list[tuple[str, str, Mapping[str, Any]]] = [
                    ("alert_resolved", actor, resolved)
                ]
                name = alerts.resolution_transition(process) if not resolved["remaining"] else None
                if name is not None:
                    index = self._machine(process).select(state.state, state.severity, name)
                    if index is None:
                        resolved["transition_skipped"] = (
                            f"{name!r} does not leave {state.state!r} at {state.severity}"
                        )
                    else:
                        moved = decisions.transition_data(process, state, index, now)
                        items.append(("transitioned", SYSTEM, moved | {"cause": "alerts_resolved"}))
                self._append(state, items, now=now)
                self._run_actions_after_commit(state, now)
                outcome: alerts.Outcome = "auto_resolved" if len(items) > 1 else "resolved"
                detail = resolved.get("transition_skipped", "")
                outcomes.append(alerts.AlertOutcome(outcome, state.snapshot(), detail))
            return outcomes

    def _signal(
        self, fields: Mapping[str, Any], actor: str, alert: str | None, operation: str
    ) -> alerts.AlertOutcome:
        fields = inputs.fields(fields, operation)
        actor = inputs.actor(actor, operation)
        best = None
        for order, process in enumerate(self._processes.values()):
            trig = process.match(fields)
            if trig is not None and (best is None or (trig.rank, order) < (best[1].rank, best[0])):
                best = (order, trig, process)
        if best is None:
            return alerts.AlertOutcome("unmatched", None)
        _, trig, process = best
        joinable = (
            state
            for state in self._tracked.current(self._now())
            if not state.closed
            and self._fits(state)  # its version is loaded and has its state
            and self._problems.get(state.id) is None
        )
        target = alerts.join_target(joinable, process, trig, fields, alert)
        if target is not None:
            outcome, items, detail = alerts.join_items(process, target, trig, fields, alert, actor)
            if items:
                self._append(target, items)
            return alerts.AlertOutcome(outcome, target.snapshot(), detail)
        key = {f: fields.get(f) for f in trig.dedupe_by} if trig.dedupe_by else None
        opened = self._open(process, trig.level, trig.title, fields, actor, trig.id, key, alert)
        return alerts.AlertOutcome("opened", opened)

    def open(
        self,
        process: str,
        *,
        severity: str | None = None,
        impact: str | None = None,
        urgency: str | None = None,
        title: str = "",
        fields: Mapping[str, Any] | None = None,
        actor: str = SYSTEM,
    ) -> Incident:
        """Open an incident of ``process`` at a level, or at the matrix's impact x urgency."""
        with self._turns:
            inputs.spec_name(process, "open", "process")
            for argument, value in (
                ("severity", severity),
                ("impact", impact),
                ("urgency", urgency),
            ):
                inputs.optional_name(value, "open", argument)
            title = inputs.title(title, "open")
            copied = inputs.fields({} if fields is None else fields, "open")
            actor = inputs.actor(actor, "open")
            proc = self._process(process)
            level = decisions.resolve_level(proc, severity, impact, urgency)
            return self._open(proc, level, title, copied, actor, None, None, None)

    def _open(
        self,
        proc: Process,
        level: str,
        title: str,
        fields: Mapping[str, Any],
        actor: str,
        trigger: str | None,
        dedupe: Mapping[str, Any] | None,
        alert: str | None,
    ) -> Incident:
        now = self._now()
        incident_id = inputs.new_incident_id(self._new_id())
        state_id = proc.initial
        initial = proc.states[state_id]
        data = (
            {
                "process": proc.name,
                "title": title,
                "severity": level,
                "fields": dict(fields),  # a JSON copy already (inputs.fields)
                "trigger": trigger,
                "dedupe": dict(dedupe) if dedupe is not None else None,
                "state": state_id,
                "phase": initial.phase,
                "terminal": initial.terminal,
                "timers": plan_timers(proc, state_id, level, now),
                "actions": plan_actions(initial.on_enter, f"enter:{state_id}"),
                "sla": sla_seconds(proc, level),
            }
            | sla_marks(proc, state_id)
            | metric_definitions(proc)
        )
        if alert is not None:
            data["alert"] = alert
        state = IncidentState(incident_id)
        self._append(state, [("opened", actor, data)], now=now)
        self._run_actions_after_commit(state, now)
        return state.snapshot()

    # --- operations -------------------------------------------------------------------

    def assign(
        self,
        incident_id: str,
        role: str,
        person: str,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> Incident:
        """Give ``person`` the ``role`` on the incident (see :mod:`incidentflow.engine.authz`).

        Nobody may hold a role under a reserved name (``system``, ``timer`` or a look-alike).
        """
        with self._turns:
            state, process = self._prepare_role_change(
                "assign", incident_id, role, person, actor, expected_version
            )
            if role not in process.spec.roles:
                raise InvalidOperation(incident_id, "assign", f"the process has no role {role!r}")
            decisions.require_assign(process, state, actor, "assign")
            if person in state.assignments.get(role, ()):
                return state.snapshot()
            decisions.check_separation(process, state, role, person)
            self._append(state, [("assigned", actor, {"role": role, "person": person})])
            return state.snapshot()

    def unassign(
        self,
        incident_id: str,
        role: str,
        person: str,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> Incident:
        """Take ``role`` away from ``person``."""
        with self._turns:
            state, process = self._prepare_role_change(
                "unassign", incident_id, role, person, actor, expected_version
            )
            decisions.require_assign(process, state, actor, "unassign")
            if person not in state.assignments.get(role, ()):
                raise InvalidOperation(
                    incident_id, "unassign", f"{person!r} does not hold {role!r}"
                )
            self._append(state, [("unassigned", actor, {"role": role, "person": person})])
            return state.snapshot()

    def check(
        self, incident_id: str, item: str, *, actor: str, expected_version: int | None = None
    ) -> Incident:
        """Mark a checklist item of the current state as done."""
        with self._turns:
            inputs.spec_name(item, "check", "item", incident_id)
            inputs.actor(actor, "check", incident_id)
            state, process = self._prepare(incident_id, expected_version, "check")
            self._require_open(state, "check")
            items = [c.id for c in process.states[state.state].checklist]
            if item not in items:
                raise InvalidOperation(
                    incident_id, "check", f"state {state.state!r} has no checklist item {item!r}"
                )
            decisions.require_manage(process, state, actor, "check")
            if item in state.checklist:
                return state.snapshot()
            self._append(state, [("checked", actor, {"item": item})])
            return state.snapshot()

    def fire(
        self, incident_id: str, transition: str, *, actor: str, expected_version: int | None = None
    ) -> Incident:
        """Fire a transition; raise TransitionNotAllowed with the reason if it may not.

        Once the transition is committed, this returns its new state: actions whose start
        or outcome the store could not record are left to the next :meth:`tick`.
        """
        with self._turns:
            inputs.spec_name(transition, "fire", "transition", incident_id)
            inputs.actor(actor, "fire", incident_id)
            state, process = self._prepare(incident_id, expected_version, "fire")
            index, acting = decisions.decide_fire(
                process, self._machine(process), state, transition, actor
            )
            now = self._time_for(state)  # one reading: the event's time and the timers' origin
            data = decisions.transition_data(process, state, index, now)
            data.update(acting.record())
            self._append(state, [("transitioned", actor, data)], now=now, process=process)
            self._run_actions_after_commit(state, now)
            return state.snapshot()

    def set_severity(
        self,
        incident_id: str,
        level: str,
        *,
        actor: str,
        reason: str = "",
        expected_version: int | None = None,
    ) -> Incident:
        """Change the severity; running timers are re-planned for the new level."""
        with self._turns:
            inputs.spec_name(level, "set_severity", "level", incident_id)
            inputs.actor(actor, "set_severity", incident_id)
            inputs.text(reason, "set_severity", "reason", incident_id)
            state, process = self._prepare(incident_id, expected_version, "set_severity")
            self._require_open(state, "set_severity")
            if level not in process.level_ids:
                raise InvalidOperation(
                    incident_id, "set_severity", f"the process has no level {level!r}"
                )
            decisions.require_manage(process, state, actor, "set_severity")
            if level == state.severity:
                return state.snapshot()
            data = alerts.severity_change(process, state, level, reason)
            self._append(state, [("severity_changed", actor, data)])
            return state.snapshot()

    def note(
        self, incident_id: str, text: str, *, actor: str, expected_version: int | None = None
    ) -> Incident:
        """Add a note to the incident's log (a closed incident too: a follow-up, a
        correction; a note changes nothing else)."""
        with self._turns:
            inputs.text(text, "note", "text", incident_id)
            inputs.actor(actor, "note", incident_id)
            state, _ = self._prepare(incident_id, expected_version, "note")
            if not authz.may_note(state, actor):
                raise NotAuthorized(
                    incident_id,
                    "note",
                    actor,
                    sorted(state.assignments),
                    f"{actor!r} holds no role on this incident",
                )
            self._append(state, [("noted", actor, {"text": text})])
            return state.snapshot()

    def migrate(
        self,
        incident_id: str,
        *,
        mapping: MigrationPlan | MappingSource,
        actor: str,
        to: Process | str | None = None,
        expected_version: int | None = None,
    ) -> Incident:
        """Move an open incident to another version of its process (``to``: a Process, a
        loaded ``metadata.version``, or the newest by default) through ``mapping``: a
        checked :class:`~incidentflow.MigrationPlan`, a mapping file's path, or the mapping
        as plain data. The ``migrated`` event, sealed with the new version, records both
        digests. Refused, writing nothing, when the mapping has errors
        (:class:`MigrationRefused`), the actor may not (:class:`NotAuthorized`; see
        :mod:`incidentflow.migration.apply`), or the incident is closed or on another
        version than the plan moves from. An incident already on ``to`` is returned as is.
        """
        with self._turns:
            inputs.actor(actor, "migrate", incident_id)
            state = self._prepare_any_version(incident_id, expected_version, "migrate")
            now = self._time_for(state)
            decided = migration_step(self._versions, state, to, mapping, actor, now)
            if decided is None:
                return state.snapshot()
            target, data = decided
            self._append(state, [("migrated", actor, data)], now=now, process=target)
            self._versions.add(target)
            return state.snapshot()

    def retry_actions(self, incident_id: str) -> Incident:
        """Run again, now, every action of the incident that has not succeeded (whatever its
        retry schedule, and past the attempts :meth:`tick` would make)."""
        with self._turns:
            state = self._load(inputs.incident_id(incident_id, "retry_actions"))
            self._run_actions_after_commit(state, None, _not_succeeded)
            return state.snapshot()

    def tick(self, now: datetime | None = None, *, spread: bool = False) -> TickResult:
        """Fire every due timer exactly once (its actions, then its transition, if any), and
        start the actions that are due again (see :mod:`incidentflow.engine.retries`).

        Returns the events written (a list), with ``problems``: the incidents it skips
        (see :meth:`problems`). An incident that fails is skipped for a while and never
        stops the others. Safe to call from several processes sharing a store: a timer
        another process fired first is skipped. ``spread`` (what a
        :class:`~incidentflow.Worker` does): visit the incidents in a random order, and
        read an incident again just before firing its timer, so that workers sharing a
        store mostly work on different incidents instead of racing for the same ones.

        Group commit: the timers of every incident are fired in one batched append (one
        durable commit, see :mod:`incidentflow.engine.group_commit`); the actions they
        plan run once it has committed.
        """
        with self._turns:
            now = inputs.when(now, "tick", "now") if now is not None else self._now()
            written: list[Event] = []
            states = self._tracked.due(now)  # only those with something due (tracking.py)
            if spread:
                random.shuffle(states)
            write = functools.partial(append_many, self.store)
            try:
                fired, _ = self._fire_timers_of(states, now, write, written, refresh=spread)
                self._run_due_actions(states, now, written, fired)
            finally:
                self._tracked.settle([s.id for s in states], now)
            return TickResult(written, self._problems.problems())

    def tick_due(self, *, limit: int = 100) -> TickResult:
        """One worker round on a store with a due-work index (a
        :class:`~incidentflow.DueIndexStore`): claim up to ``limit`` due incidents of this
        engine's processes, fire their due timers in the claim's transaction, record each
        one's next due time, commit, then start their due actions.

        The claim is the store's (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL,
        against the database's time): workers sharing the store work on different
        incidents, and a timer's effect commits with its claim, exactly once. The time is
        the database's (SQLite: the engine's clock). Raises TypeError for a store
        without the index (use :meth:`tick`), and StoreError when the claim fails.
        """
        with self._turns:
            store = self.store
            if not isinstance(store, DueIndexStore):
                raise TypeError(f"a {type(store).__name__} has no due-work index: call tick()")
            written: list[Event] = []
            with (
                StoreCall("claim due incidents", None),
                store.claim_due(list(self._processes), limit, self._now()) as claim,
            ):
                now = inputs.when(claim.now, "store", "the store's time")
                states = []
                newer = self._read_claimed(claim, now)
                for incident_id in claim.incident_ids:
                    state = self._claimed_state(incident_id, newer, now)
                    if state is None:
                        unread = self._problems.get(incident_id)  # looked at again after a wait
                        claim.set_due(incident_id, unread.retry_at if unread else None)
                        continue
                    problem = self._problems.get(incident_id)
                    if problem is not None and self._problems.holds(
                        incident_id, state.version, now
                    ):
                        claim.set_due(incident_id, problem.retry_at)  # not before then
                        continue
                    states.append(state)
                fired, refused = self._fire_timers_of(
                    states, now, claim.append_many, written, claimed=True
                )
                for state in states:
                    if state.id not in fired and state.id not in refused:
                        claim.set_due(state.id, self._due_or_retry(state, now))
            self._run_due_actions(states, now, written, fired)
            return TickResult(written, self._problems.problems())

    def _read_claimed(self, claim: DueClaim, now: datetime) -> dict[str, list[Event]]:
        """The claimed incidents' events this engine has not read yet: one read."""
        after = {}
        for incident_id in claim.incident_ids:
            cached = self._cache.get(incident_id)
            after[incident_id] = cached.version if cached is not None else 0
        return claim.events(after)

    def _claimed_state(
        self, incident_id: str, newer: Mapping[str, list[Event]], now: datetime
    ) -> IncidentState | None:
        """A claimed incident's state, if this engine runs it and it reads (else None)."""
        state = self._cache.get(incident_id) or IncidentState(incident_id)
        try:
            for event in newer.get(incident_id, ()):
                state.fold(event, event.data)  # (apply, without its call: once per change)
        except Exception as error:  # looked at again after a wait (see problems())
            self._cache.pop(incident_id, None)  # a half-applied event must not stay cached
            self._problems.failed(incident_id, None, error, now)
            return None
        if state.version == 0 or state.process not in self._processes:
            return None
        self._cache[incident_id] = state
        return state

    def _due_or_retry(self, state: IncidentState, now: datetime) -> datetime | None:
        """The incident's next due time for the index: its own, or sooner when the engine
        skips it for now (a problem to look at again)."""
        due = next_due(state, now)
        problem = self._problems.get(state.id)
        if problem is not None:
            return problem.retry_at if due is None else min(due, problem.retry_at)
        return due

    @contextmanager
    def batch(self) -> Iterator[BatchResult]:
        """Group the calls made in the block into one durable commit (group commit).

        Each call decides as usual (a refusal raises at once and writes nothing) and
        returns the incident as it will be; their events are written together when the
        block ends, in one transaction, each incident checked against the version the
        calls were based on. An incident another writer changed meanwhile is refused
        **alone**: none of the block's calls on it are written, the yielded
        :class:`BatchResult` lists it in ``refused`` (a ConcurrencyError each: read it
        again and retry those calls), and every other incident is committed. If the block
        raises, nothing is written. Actions run once the batch committed. The engine is
        this thread's for the whole block (other threads' calls wait).
        """
        with self._turns:
            result = BatchResult()
            if self._group is not None:
                raise InvalidOperation(None, "batch", "a batch is already open")
            group = self._group = GroupCommit()
            committed: Committed | None = None
            try:
                yield result
                write = functools.partial(append_many, self.store)
                committed = self._commit_group(group, write, self._now())
            finally:
                self._group = None
                for incident_id in group.stale_states(committed):
                    self._cache.pop(incident_id, None)
            result.events.extend(committed.events)
            result.refused.extend(committed.refused)
            for run in group.runs_after(committed):
                run()

    def _commit_group(self, group: GroupCommit, write: Write, now: datetime) -> Committed:
        with StoreCall("append a batch", None):
            return group.commit(write, due=lambda state: self._due_or_retry(state, now))

    def _fire_timers_of(
        self,
        states: list[IncidentState],
        now: datetime,
        write: Write,
        written: list[Event],
        *,
        refresh: bool = False,
        claimed: bool = False,
    ) -> tuple[set[str], set[str]]:
        """Fire the due timers of ``states`` in one group commit through ``write``, adding
        the events written to ``written``. Returns the ids of the incidents written, and
        of those refused at last. A refused incident (another writer was first) is read
        again and looked at once or twice more, in a group of its own. A commit that fails
        marks every incident of the group as a problem, or, for a worker's claim
        (``claimed``), is raised (the claim rolls back)."""
        fired: set[str] = set()
        refused: set[str] = set()
        for _ in range(3):
            group = self._group = GroupCommit()
            committed: Committed | None = None
            try:
                for state in states:
                    if self._problems.holds(state.id, state.version, now):
                        continue
                    try:
                        self._fire_incident_timers(state, now, refresh=refresh)
                    except Exception as error:  # one incident must never stop the others
                        self._problems.failed(state.id, state.version, error, now)
                committed = self._commit_group(group, write, now)
            except Exception as error:
                if claimed:
                    raise
                for state in states:
                    if state.id in group:
                        self._problems.failed(state.id, state.version, error, now)
                return fired, refused
            finally:
                self._group = None
                for incident_id in group.stale_states(committed):
                    self._cache.pop(incident_id, None)
            written += committed.events
            fired.update(committed.incident_ids)
            refused = {error.incident_id for error in committed.refused}
            states = []
            for refusal in committed.refused:
                try:
                    state = self._load(refusal.incident_id)  # catch up on the other writer
                except Exception as error:
                    self._problems.failed(refusal.incident_id, None, error, now)
                    continue
                if state.version != refusal.expected:  # news: look again; else next tick
                    states.append(state)
            if not states:
                break
            refresh = False
        return fired, refused

    def _fire_incident_timers(self, state: IncidentState, now: datetime, *, refresh: bool) -> None:
        """Fire the incident's due timers, one after another (in the open group).
        ``refresh``: read the incident again before firing (another process may have)."""
        if not state.closed:
            self._process_for(state, "tick")
        for _ in range(_MAX_TIMER_STEPS):
            due = sorted((d, t) for t, d in state.timers.items() if d <= now and not state.closed)
            if due and refresh:
                refresh = False
                state = self._load(state.id)  # a read, cheaper than an append refused
                continue
            if not due:
                break
            self._fire_timer(state, due[0][1], now, self._process_for(state, "tick"))

    def _run_due_actions(
        self, states: list[IncidentState], now: datetime, written: list[Event], fired: set[str]
    ) -> None:
        """Start the actions the fired timers planned and those due again, after the
        timers' commit (outbox order). An incident that fails is skipped for a while."""
        for state in states:
            current = self._cache.get(state.id)
            try:
                if current is None:  # refused, or dropped: read it again
                    current = self._load(state.id)
            except UnknownIncident:
                continue
            except Exception as error:
                self._problems.failed(state.id, None, error, now)
                continue
            if self._problems.holds(current.id, current.version, now):
                continue
            try:
                self._tick_actions(current, now, written, fired=current.id in fired)
            except Exception as error:  # one incident must never stop the others' actions
                self._problems.failed(current.id, current.version, error, now)
            else:
                self._problems.cleared(current.id)

    def _tick_actions(
        self, state: IncidentState, now: datetime, written: list[Event], *, fired: bool
    ) -> None:
        """Start the incident's actions: those planned, if its timers just ``fired`` (the
        others are the planning call's for a while, see retries.py), then those due."""
        if fired:
            self._actions.run(state, now=now, into=written)
        eager = state.id in self._unrun

        def due_now(action: PlannedAction) -> bool:
            at = retries.next_run(action, now, eager=eager)
            return at is not None and at <= now

        self._actions.run(state, due_now, now=now, into=written)
        self._unrun.discard(state.id)

    def run_worker(
        self,
        stop: Stop,
        *,
        lease: float | timedelta = DEFAULT_LEASE,
        poll: float | timedelta = DEFAULT_POLL,
        worker_id: str | None = None,
    ) -> None:
        """Fire due timers and deliver planned actions until ``stop`` (a set Event, or a
        function returning True): ``Worker(self, ...).run(stop)``, see
        :class:`~incidentflow.engine.worker.Worker` for the options and the guarantees."""
        Worker(self, lease=lease, poll=poll, worker_id=worker_id).run(stop)

    # --- internals --------------------------------------------------------------------

    def _process(self, name: str) -> Process:
        process = self._processes.get(name)
        if process is None:
            raise UnknownProcess(name, list(self._processes))
        return process

    def _machine(self, process: Process) -> ProcessMachine:
        """The state machine of one version, built on first use."""
        machine = self._machines.get(process.digest)
        if machine is None:
            machine = self._machines[process.digest] = ProcessMachine(process)
        return machine

    def _version_of(self, state: IncidentState) -> Process:
        """The version of its process the incident runs on (see engine/versions.py)."""
        known = self._versions.known(state.process, state.spec_digest)
        if known is not None:
            return known
        with StoreCall("read the process versions", state.id):
            process = self._versions.for_incident(state.process, state.spec_digest)
        if process is None:
            raise UnknownProcess(state.process, list(self._processes))
        return process

    def _fits(self, state: IncidentState) -> bool:
        """True if the incident's version is loaded and has its current state."""
        try:
            self._process_for(state, "signal")
        except IncidentflowError:
            return False
        return True

    def _now(self) -> datetime:
        return inputs.when(self._clock(), "clock", "the clock's time")

    def _time_for(self, state: IncidentState, now: datetime | None = None) -> datetime:
        """``now`` (default: the clock), or the time of the incident's last event if that is
        later: an incident's log never runs backwards, whatever the clock does."""
        at = now if now is not None else self._now()
        last = state.last_at
        if last is not None and at < last:
            LOGGER.warning(
                "incident %s: the clock reads %s, before its last event: recording the "
                "event at the last event's time, %s",
                state.id,
                at.isoformat(),
                state.last_time,
            )
            return last
        return at

    def _load(self, incident_id: str) -> IncidentState:
        if self._group is not None and incident_id in self._group:
            return self._group.state(incident_id)  # ahead of the store until the commit
        state = self._cache.get(incident_id)
        if state is None:
            state = IncidentState(incident_id)
        try:
            try:  # (not StoreCall: this runs on every call, and try costs nothing)
                newer = self.store.events(incident_id, after=state.version)
            except IncidentflowError:
                raise
            except Exception as error:
                raise StoreError("read the events", incident_id, error) from error
            for event in newer:
                state.fold(event, event.data)  # (apply, without its call: once per change)
        except BaseException:
            self._cache.pop(incident_id, None)  # a half-applied event must not stay cached
            raise
        if state.version == 0:
            raise UnknownIncident(incident_id)
        self._cache[incident_id] = state
        return state

    def _keeps(self, state: IncidentState, now: datetime) -> bool:
        """True while the periodic calls have something to do for the incident: one of this
        engine's processes, open, or with actions still to run."""
        return state.process in self._processes and (
            not state.closed
            or state.id in self._unrun
            or state.id in self._actions.unrecorded
            or any(
                retries.next_run(a, now, eager=False) is not None for a in state.actions.values()
            )
        )

    def _due_at(self, state: IncidentState, now: datetime) -> datetime | None:
        """When the periodic calls next have something to do for the incident (see
        :meth:`next_deadline`): once a skipped incident is looked at again, or at once
        for work a call left undone, or its next timer or action start."""
        problem = self._problems.get(state.id)
        if problem is not None and self._problems.holds(state.id, state.version, now):
            return problem.retry_at
        if state.id in self._unrun or state.id in self._actions.unrecorded:
            return now
        return next_due(state, now)

    def _drop(self, incident_id: str) -> None:
        """Forget what the periodic calls held for an incident they no longer look at."""
        self._cache.pop(incident_id, None)  # read again on demand: the cache stays small
        self._problems.forget(incident_id)
        self._unrun.discard(incident_id)

    def _prepare(
        self, incident_id: str, expected_version: int | None, operation: str
    ) -> tuple[IncidentState, Process]:
        state = self._prepare_any_version(incident_id, expected_version, operation)
        return state, self._process_for(state, operation)

    def _prepare_any_version(
        self, incident_id: str, expected_version: int | None, operation: str
    ) -> IncidentState:
        """The incident, brought up to date, whatever version it runs on."""
        inputs.incident_id(incident_id, operation)
        if expected_version is not None:
            inputs.expected_version(expected_version, operation, incident_id)
        state = self._load(incident_id)
        if expected_version is not None and expected_version != state.version:
            raise ConcurrencyError(incident_id, expected_version, state.version)
        return state

    def _prepare_role_change(
        self,
        operation: str,
        incident_id: str,
        role: str,
        person: str,
        actor: str,
        expected_version: int | None,
    ) -> tuple[IncidentState, Process]:
        """For ``assign`` and ``unassign``: the arguments checked (a new holder's name must
        not be reserved) and the open incident, brought up to date."""
        inputs.spec_name(role, operation, "role", incident_id)
        inputs.person(person, operation, incident_id, new_holder=operation == "assign")
        inputs.actor(actor, operation, incident_id)
        state, process = self._prepare(incident_id, expected_version, operation)
        self._require_open(state, operation)
        return state, process

    def _process_for(self, state: IncidentState, operation: str) -> Process:
        """The version of its process the incident runs on (see engine/versions.py), or
        InvalidOperation if that version lacks the current state."""
        process = self._version_of(state)
        if state.state not in process.states:
            raise InvalidOperation(
                state.id,
                operation,
                f"the incident is in state {state.state!r}, which version {process.version} "
                f"of {process.name!r} no longer has",
            )
        return process

    @staticmethod
    def _require_open(state: IncidentState, operation: str) -> None:
        if state.closed:
            raise OperationRefused(
                state.id,
                operation,
                "closed",
                f"the incident is closed (in {state.state!r}), and a closed incident is final",
            )

    def _append(
        self,
        state: IncidentState,
        items: list[tuple[str, str, Mapping[str, Any]]],
        *,
        now: datetime | None = None,
        process: Process | None = None,
    ) -> list[Event]:
        """Seal and append events in one atomic write based on ``state.version``, under
        ``process`` (default: the version the incident runs on; for an opening, the newest)."""
        if process is None:
            process = (
                self._version_of(state) if state.process else self._process(items[0][2]["process"])
            )
        if not self._versions.archived(process):
            with StoreCall("keep the process version", state.id):
                self._versions.archive(process)  # before any event names it
        spec = process.identity
        time = iso_text(self._time_for(state, now))
        events = []
        seq, prev = state.version, state.last_hash
        for kind, actor, data in items:
            seq += 1
            event = seal(state.id, seq, time, actor, kind, data, spec, prev)
            events.append(event)
            prev = event.hash
        if self._group is not None:  # group commit: written with the group's other changes
            self._cache[state.id] = state
            return self._group.add(state, events)
        try:
            try:  # (not StoreCall: this runs on every change, and try costs nothing)
                self.store.append(state.id, state.version, events)
            except IncidentflowError:
                raise
            except Exception as error:
                raise StoreError("append", state.id, error) from error
        except ConcurrencyError:
            with StoreCall("read the events", state.id):
                newer = self.store.events(state.id, after=state.version)
            for event in newer:
                state.apply(event)  # catch up, so the caller's next decision sees the truth
            raise
        for event in events:
            state.fold(event, event.data)  # (apply, without its call: once per change)
        self._cache[state.id] = state
        return events

    def _fire_timer(
        self, state: IncidentState, timer_id: str, now: datetime, process: Process
    ) -> list[Event]:
        """Fire the due timer ``timer_id`` of ``state``, which runs on ``process``."""
        try:
            spec_timer = process.timer(state.state, timer_id)
        except KeyError:
            raise InvalidOperation(
                state.id,
                "tick",
                f"timer {timer_id!r} of state {state.state!r} is not in version "
                f"{process.version} of {process.name!r}",
            ) from None
        now = self._time_for(state, now)  # the event's time and the new timers' origin
        fired = {
            "timer": timer_id,
            "due": state.timers[timer_id].isoformat(),
            "actions": plan_actions(spec_timer.actions, f"timer:{timer_id}"),
        } | plan_recurrence(process, state, timer_id, now)
        items: list[tuple[str, str, Mapping[str, Any]]] = [("timer_fired", TIMER, fired)]
        if spec_timer.transition is not None:
            index = self._machine(process).select(
                state.state, state.severity, spec_timer.transition
            )
            if index is None:
                fired["transition_skipped"] = (
                    f"{spec_timer.transition!r} is not allowed at {state.severity}"
                )
            else:
                items.append(
                    ("transitioned", TIMER, decisions.transition_data(process, state, index, now))
                )
        return self._append(state, items, now=now, process=process)

    def _run_actions_after_commit(
        self,
        state: IncidentState,
        now: datetime | None,
        runnable: Callable[[PlannedAction], bool] | None = None,
    ) -> None:
        """Run the actions a committed change planned. The change stands whatever happens
        here: what the store would not record is left to the next :meth:`tick`."""
        if self._group is not None:  # not committed yet: once it is
            group = self._group
            group.then(state.id, lambda: self._run_actions_after_commit(state, now, runnable))
            return
        if not self._actions.has_work(state):
            return
        try:
            self._actions.run(state, runnable, now=now)
        except Exception as error:  # bookkeeping failed; the caller's change is committed
            self._unrun.add(state.id)
            self._tracked.look_at(state.id)
            LOGGER.warning(
                "incident %s: actions left for the next tick: %s: %s",
                state.id,
                type(error).__name__,
                error,
                exc_info=error,
            )

    def _renew_lease(self, incident_id: str, action_id: str, attempt: int) -> bool:
        """A running attempt's heartbeat, in the engine's turn (see ActionRunner)."""
        with self._turns:
            return self._actions.renew_lease(self._load(incident_id), action_id, attempt)

    def set_lease_terms(self, terms: leases.LeaseTerms) -> None:
        """How this engine holds the actions it starts from now on: for how long, recorded
        under which holder (what a :class:`~incidentflow.Worker` sets)."""
        with self._turns:
            self._actions.lease = terms

    def now(self) -> datetime:
        """The engine's clock's time (checked: an aware datetime)."""
        return self._now()


def _not_succeeded(action: PlannedAction) -> bool:
    return action.status != "succeeded"
