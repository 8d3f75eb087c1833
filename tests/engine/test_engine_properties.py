"""Property tests of the engine: random walks of operations against the example processes.

Each walk opens incidents and performs a random mix of assignments, checklist
ticks, transitions, severity changes, notes, clock advances with ticks and action
retries, by actors who may and may not be authorised. Refusals must write nothing.
After each walk the audit log must verify, replaying it must give the live state,
and a fresh engine on the same SQLite file must rebuild the identical state.
"""

from __future__ import annotations

import itertools
import tempfile
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import incidentflow
from incidentflow import (
    ActionRequest,
    Engine,
    EngineError,
    MemoryStore,
    Process,
    SQLiteStore,
    TransitionNotAllowed,
)
from incidentflow.audit.events import GENESIS, KINDS
from incidentflow.engine import authz
from incidentflow.engine.state import replay
from tests.conftest import EXAMPLES

MAJOR = incidentflow.load(EXAMPLES / "major-incident.yaml")
DESK = incidentflow.load(EXAMPLES / "service-desk.yaml")
PROCESSES = {p.name: p for p in (MAJOR, DESK)}

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
PEOPLE = ("alice", "bob", "carol", "dave", "erin")
STRANGERS = ("mallory", "system")
RESERVED = ("timer", "System")  # refused as actors (InvalidArgument), before anything is read
STEPS = [
    timedelta(0),
    timedelta(seconds=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=4),
    timedelta(hours=8),
    timedelta(days=1),
    timedelta(days=5),
]
OPERATIONS = (
    *["assign"] * 3,
    "unassign",
    *["check"] * 4,
    *["fire"] * 3,
    *["allowed"] * 3,
    "severity",
    *["tick"] * 2,
    "note",
    "retry",
)

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


def transition_names(process: Process) -> list[str]:
    return sorted({t.name for t in process.spec.process.transitions})


def choose_actor(
    data: st.DataObject, incident: incidentflow.Incident, good_roles: frozenset[str], opener: bool
) -> str:
    """Usually someone who may act (a holder of ``good_roles``, or the opener), sometimes anyone."""
    holders = {p for r in good_roles for p in incident.assignments.get(r, ())}
    if opener:
        holders.add(incident.opened_by)
    if holders and data.draw(st.integers(0, 3)) > 0:
        return data.draw(st.sampled_from(sorted(holders)))
    return data.draw(st.sampled_from([incident.opened_by, *PEOPLE, *STRANGERS, *RESERVED]))


def assert_fire_was_allowed(
    engine: Engine, process: Process, before: incidentflow.Incident, length: int, actor: str
) -> None:
    """An independent oracle: a fire that succeeded was one the rules allow."""
    moved = next(e for e in engine.history(before.id)[length:] if e.kind == "transitioned")
    assert moved.actor == actor
    transition = process.spec.process.transitions[moved.data["index"]]
    assert before.state in transition.sources
    assert transition.when is None or before.severity in transition.when.severity
    may = set(transition.by)
    for role in transition.by:
        may |= set(process.spec.roles[role].backups)
    assert before.roles_of(actor) & may, (actor, transition.name, dict(before.assignments))
    assert set(transition.requires) <= before.checklist


def walk(engine: Engine, now: list[datetime], data: st.DataObject, flaky: set[str]) -> None:
    """Open one or two incidents and perform random operations on them."""
    for _ in range(data.draw(st.integers(1, 2), label="incidents")):
        process = data.draw(st.sampled_from(sorted(PROCESSES)), label="process")
        level = data.draw(st.sampled_from(PROCESSES[process].level_ids), label="level")
        engine.open(process, severity=level, actor="system")
    ids = engine.store.incident_ids()
    steps = data.draw(st.integers(0, 100), label="steps")
    for _ in range(steps):
        iid = data.draw(st.sampled_from(ids))
        incident = engine.get(iid)
        process = PROCESSES[incident.process]
        operation = data.draw(st.sampled_from(OPERATIONS))
        before_len = len(engine.history(iid))
        before_version = incident.version
        try:
            if operation == "assign":
                useful = authz.manage_roles(process, incident)
                pool = useful if useful and data.draw(st.booleans()) else process.spec.roles
                role = data.draw(st.sampled_from([*sorted(pool), "janitor"]))
                person = data.draw(st.sampled_from(PEOPLE))
                actor = choose_actor(data, incident, authz.owner_roles(process, incident), True)
                engine.assign(iid, role, person, actor=actor)
            elif operation == "unassign":
                held = sorted((r, p) for r, ps in incident.assignments.items() for p in ps)
                role, person = data.draw(st.sampled_from(held or [("responder", "bob")]))
                actor = choose_actor(data, incident, authz.owner_roles(process, incident), True)
                engine.unassign(iid, role, person, actor=actor)
            elif operation == "check":
                items = [c.id for c in process.states[incident.state].checklist]
                todo = [i for i in items if i not in incident.checklist]
                if todo and data.draw(st.integers(0, 3)) > 0:
                    items = todo
                item = data.draw(st.sampled_from([*items, "not_an_item"]))
                actor = choose_actor(data, incident, authz.manage_roles(process, incident), True)
                engine.check(iid, item, actor=actor)
            elif operation == "fire":
                here = sorted({t.name for t in process.transitions_from.get(incident.state, ())})
                if len(here) > 1 and data.draw(st.integers(0, 7)) > 0:
                    here = [n for n in here if n != "cancel"]  # walk further before ending
                name = data.draw(
                    st.sampled_from(here or transition_names(process))
                    if data.draw(st.booleans())
                    else st.sampled_from([*transition_names(process), "warp"])
                )
                actor = choose_actor(data, incident, authz.manage_roles(process, incident), False)
                engine.fire(iid, name, actor=actor)
                assert_fire_was_allowed(engine, process, incident, before_len, actor)
            elif operation == "allowed":
                # what allowed() promises, fire() keeps: allowed ones fire, others fail alike
                options = [
                    (actor, entry)
                    for actor in sorted({incident.opened_by, *PEOPLE, *STRANGERS})
                    for entry in engine.allowed(iid, actor)
                ]
                assert engine.get(iid).version == before_version
                if options:
                    good = [o for o in options if o[1].allowed]
                    onward = [o for o in good if o[1].to not in {"canceled", "false_positive"}]
                    if onward and data.draw(st.integers(0, 7)) > 0:
                        good = onward  # walk further before ending
                    pool = good if good and data.draw(st.integers(0, 3)) > 0 else options
                    actor, entry = data.draw(st.sampled_from(pool))
                    if entry.allowed:
                        moved = engine.fire(iid, entry.transition, actor=actor)
                        assert moved.version > before_version
                        assert moved.state == entry.to
                    else:
                        with pytest.raises(TransitionNotAllowed) as refusal:
                            engine.fire(iid, entry.transition, actor=actor)
                        assert refusal.value.reason == entry.reason
                        assert len(engine.history(iid)) == before_len
            elif operation == "severity":
                level = data.draw(st.sampled_from([*process.level_ids, "SEV9"]))
                actor = choose_actor(data, incident, authz.manage_roles(process, incident), True)
                engine.set_severity(iid, level, actor=actor, reason="walk")
            elif operation == "tick":
                now[0] += data.draw(st.sampled_from(STEPS))
                engine.tick()
                for other in ids:
                    timers = engine.get(other).timers
                    assert all(due > now[0] for due in timers.values()), (other, timers)
            elif operation == "note":
                actor = choose_actor(data, incident, frozenset(incident.assignments), True)
                engine.note(iid, data.draw(st.text(max_size=20)), actor=actor)
            else:
                if data.draw(st.booleans()):
                    flaky.clear()  # the failing handlers recover
                engine.retry_actions(iid)
        except EngineError:
            assert len(engine.history(iid)) == before_len, operation
            assert engine.get(iid).version == before_version, operation
        if data.draw(st.integers(0, 4)) == 0:
            now[0] += timedelta(seconds=data.draw(st.integers(0, 3600)))


def check_invariants(engine: Engine, now: list[datetime]) -> None:
    report = engine.verify()
    assert report.ok, report.problems
    assert report.checked == len(engine.store.incident_ids())
    engine.tick()
    for iid in engine.store.incident_ids():
        live = engine.get(iid)
        events = engine.store.events(iid)
        rebuilt = replay(iid, events).snapshot()
        for field in dataclass_fields(live):
            assert getattr(rebuilt, field.name) == getattr(live, field.name), field.name
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert events[0].prev_hash == GENESIS
        for earlier, later in itertools.pairwise(events):
            assert later.prev_hash == earlier.hash
        assert {e.kind for e in events} <= KINDS
        assert all(e.incident_id == iid for e in events)
        assert live.version == len(events)
        assert all(due > now[0] for due in live.timers.values())
        fired = [e.data["timer"] for e in events if e.kind == "timer_fired"]
        assert engine.tick() == []
        assert [e.data["timer"] for e in engine.store.events(iid) if e.kind == "timer_fired"] == (
            fired
        )


def make_engine(store: object, now: list[datetime], flaky: set[str]) -> Engine:
    def handler(request: ActionRequest) -> None:
        if request.action in flaky:
            raise RuntimeError(f"{request.action} is down")

    engine = Engine(list(PROCESSES.values()), store=store, clock=lambda: now[0])  # type: ignore[arg-type]
    for name in {a for p in PROCESSES.values() for a in p.spec.actions}:
        engine.register_action(name, handler)
    return engine


@settings(max_examples=300, **SETTINGS)
@given(data=st.data(), failing=st.sets(st.sampled_from(["page", "post_status", "notify_caller"])))
def test_random_walks_in_memory(data: st.DataObject, failing: set[str]) -> None:
    now = [T0]
    flaky = set(failing)
    engine = make_engine(MemoryStore(), now, flaky)
    walk(engine, now, data, flaky)
    check_invariants(engine, now)


@settings(max_examples=40, **SETTINGS)
@given(data=st.data(), failing=st.sets(st.sampled_from(["page", "post_status", "notify_caller"])))
def test_random_walks_on_sqlite_rebuild_identically(data: st.DataObject, failing: set[str]) -> None:
    now = [T0]
    flaky = set(failing)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.db"
        store = SQLiteStore(path)
        engine = make_engine(store, now, flaky)
        walk(engine, now, data, flaky)
        check_invariants(engine, now)
        fresh_store = SQLiteStore(path)
        fresh = Engine(list(PROCESSES.values()), store=fresh_store, clock=lambda: now[0])
        assert fresh.store.incident_ids() == engine.store.incident_ids()
        for iid in engine.store.incident_ids():
            old, new = engine.get(iid), fresh.get(iid)
            for field in dataclass_fields(old):
                assert getattr(new, field.name) == getattr(old, field.name), field.name
            assert fresh.history(iid) == engine.history(iid)
        assert fresh.verify().ok
        assert fresh.tick() == []
        store.close()
        fresh_store.close()
