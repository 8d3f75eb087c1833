"""Engine.migrate: an incident moves to another version through a checked mapping, recorded
in its hash chain with both digests; a refusal writes nothing; replay gives the live state.

The property test walks an incident at random on version 1, migrates it through a checked
mapping to a generated version 2 (states renamed, random policies), and drives it to a
terminal state there; at every step the chain verifies and replay equals the live state.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import incidentflow
from incidentflow import (
    Engine,
    InvalidArgument,
    MemoryStore,
    MigrationRefused,
    NotAuthorized,
    OperationRefused,
    Process,
)
from incidentflow.engine.state import replay
from tests.conftest import EXAMPLES
from tests.engine.common import MAJOR, T0, in_triage, writes_nothing
from tests.engine.test_versions import V2, at_version

SPEC = (EXAMPLES / "major-incident.yaml").read_text(encoding="utf-8")
RENAME = {"states": {"triage": "assessment"}}


def assert_replays(engine: Engine, incident_id: str) -> None:
    """The chain verifies and the log replays to what the engine says."""
    assert engine.verify(incident_id).ok
    assert replay(incident_id, engine.history(incident_id)).snapshot() == engine.get(incident_id)


# --- one incident ----------------------------------------------------------------------------


def test_a_migration_moves_the_incident_and_records_both_digests(now: list[datetime]) -> None:
    engine = Engine([MAJOR, V2], clock=lambda: now[0], open_on={"major-incident": "1.0.0"})
    iid = in_triage(engine)
    engine.check(iid, "impact_confirmed", actor="carol")
    now[0] = T0 + timedelta(minutes=5)
    before = engine.get(iid)
    moved = engine.migrate(iid, to="2.0.0", mapping={**RENAME, "timers": "keep"}, actor="carol")
    assert (moved.state, moved.process_version, moved.process_digest) == (
        "assessment",
        "2.0.0",
        V2.digest,
    )
    assert moved.checklist == {"impact_confirmed"}  # keep: the item is in 'assessment' too
    assert moved.timers == before.timers  # kept: a restart would plan them from 09:05
    assert moved.state_entered_at == before.state_entered_at
    event = engine.history(iid)[-1]
    assert (event.kind, event.actor, event.spec_version, event.spec_digest) == (
        "migrated",
        "carol",
        "2.0.0",
        V2.digest,
    )
    assert (event.data["from_digest"], event.data["to_digest"]) == (MAJOR.digest, V2.digest)
    assert (event.data["from"], event.data["to"]) == ("triage", "assessment")
    assert_replays(engine, iid)
    # the incident now runs by 2.0.0's rules
    for item in ("severity_confirmed", "roles_assigned"):
        engine.check(iid, item, actor="carol")
    assert engine.fire(iid, "start_mitigation", actor="carol").process_version == "2.0.0"
    assert engine.migrate(iid, to=V2, mapping=RENAME, actor="carol") == engine.get(iid)  # there
    assert_replays(engine, iid)


def test_restart_plans_timers_from_the_migration_and_cancel_plans_none(now: list[datetime]) -> None:
    engine = Engine([MAJOR, V2], clock=lambda: now[0], open_on={"major-incident": "1.0.0"})
    first, second = in_triage(engine), in_triage(engine)
    now[0] = T0 + timedelta(minutes=5)
    restarted = engine.migrate(
        first, to=V2, mapping={**RENAME, "timers": "restart", "checklist": "drop"}, actor="system"
    )
    assert restarted.timers == {"exec_heads_up": now[0] + timedelta(minutes=15)}
    cancelled = engine.migrate(
        second, to=V2, mapping={**RENAME, "timers": "cancel"}, actor="system"
    )
    assert cancelled.timers == {}
    assert engine.set_severity(second, "SEV2", actor="carol").timers == {}  # stays cancelled
    now[0] = T0 + timedelta(hours=3)
    assert [e.data["timer"] for e in engine.tick() if e.kind == "timer_fired"] == ["exec_heads_up"]
    assert_replays(engine, first)
    assert_replays(engine, second)


def test_a_refused_mapping_writes_nothing_and_says_where(engine: Engine) -> None:
    iid = in_triage(engine)
    plan = incidentflow.plan_migration(MAJOR, V2, {"states": {"triage": "asessment"}})
    assert not plan.ok
    with writes_nothing(engine, iid), pytest.raises(MigrationRefused) as refused:
        engine.migrate(iid, mapping=plan, actor="carol")
    assert [d.code for d in refused.value.diagnostics] == ["IF906"]
    assert refused.value.reason == "mapping"
    assert "did you mean 'assessment'?" in refused.value.diagnostics[0].hint
    assert engine.store.stored_specs() == [  # type: ignore[attr-defined]
        incidentflow.StoredSpec.of(MAJOR, SPEC)
    ]  # 2.0.0 was not even kept: nothing ran under it


def test_who_may_migrate_and_what_is_refused(engine: Engine) -> None:
    iid = in_triage(engine)  # opened by 'system', carol commands (the owner of triage)
    with writes_nothing(engine, iid), pytest.raises(NotAuthorized) as refused:
        engine.migrate(iid, to=V2, mapping=RENAME, actor="alice")  # a responder
    assert refused.value.allowed_roles == ("commander", "deputy")
    with writes_nothing(engine, iid), pytest.raises(InvalidArgument, match="not a version of"):
        engine.migrate(iid, to=incidentflow.load(EXAMPLES / "service-desk.yaml"), mapping=RENAME,
                       actor="carol")  # fmt: skip
    with writes_nothing(engine, iid), pytest.raises(InvalidArgument, match=r"no version '9\.0\.0'"):
        engine.migrate(iid, to="9.0.0", mapping=RENAME, actor="carol")
    closed = engine.open("major-incident", severity="SEV4", actor="system").id
    engine.assign(closed, "commander", "carol", actor="system")
    engine.fire(closed, "cancel", actor="carol")
    with writes_nothing(engine, closed), pytest.raises(OperationRefused) as refused:
        engine.migrate(closed, to=V2, mapping=RENAME, actor="system")
    assert refused.value.reason == "closed"
    other = incidentflow.plan_migration(at_version("1.5.0"), V2, RENAME)
    with writes_nothing(engine, iid), pytest.raises(OperationRefused) as refused:
        engine.migrate(iid, mapping=other, actor="carol")  # the plan moves from 1.5.0
    assert refused.value.reason == "version"
    assert engine.migrate(iid, to=V2, mapping=RENAME, actor="carol").state == "assessment"


def test_a_fresh_engine_with_only_the_new_version_carries_on_after_a_migration() -> None:
    store = MemoryStore()
    old = Engine(MAJOR, store, clock=lambda: T0)
    iid = in_triage(old)
    old.migrate(iid, to=V2, mapping=RENAME, actor="carol")
    fresh = Engine(V2, store, clock=lambda: T0)
    assert fresh.get(iid).state == "assessment"
    fresh.check(iid, "impact_confirmed", actor="carol")
    assert fresh.fire(iid, "stand_down", actor="carol").state == "review"
    assert [s.version for s in store.stored_specs()] == ["1.0.0", "2.0.0"]
    assert_replays(fresh, iid)


# --- the property: walk, migrate, finish ------------------------------------------------------

OPEN_STATES = ("triage", "stabilising", "monitoring", "review")
PEOPLE = {
    "responder": "alice",
    "commander": "carol",
    "deputy": "dave",
    "scribe": "sam",
    "comms": "cam",
    "secondary": "sid",
}


def version_2(renames: dict[str, str]) -> Process:
    """Version 2.0.0 of major-incident with the states in ``renames`` renamed."""
    text = SPEC.replace('version: "1.0.0"', 'version: "2.0.0"')
    for old, new in renames.items():
        text = re.sub(rf"\b{old}\b", new, text)
    return incidentflow.loads(text, filename="generated-v2.yaml")


@st.composite
def migrations(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, object]]:
    """States to rename in version 2, and a mapping (random policies) that follows them."""
    renamed = draw(st.lists(st.sampled_from(OPEN_STATES), unique=True))
    renames = {s: f"{s}_v2" for s in renamed}
    policy = st.sampled_from
    states: dict[str, object] = {}
    for source, target in renames.items():
        if draw(st.booleans()):
            states[source] = target
        else:
            states[source] = {
                "to": target,
                "checklist": draw(policy(["keep", "drop"])),
                "timers": draw(policy(["keep", "restart", "cancel"])),
            }
    mapping: dict[str, object] = {
        "states": states,
        "checklist": draw(policy(["keep", "drop"])),
        "timers": draw(policy(["keep", "restart", "cancel"])),
    }
    return renames, mapping


def distances(process: Process, level: str) -> dict[str, int]:
    """Transitions from each state to the nearest terminal state, at ``level``."""
    view = process.view_at(level)
    into: dict[str, list[str]] = {}
    for edge in view.edges:
        into.setdefault(edge.target, []).append(edge.source)
    far = {s: 0 for s in process.states if process.is_terminal(s)}
    todo = deque(far)
    while todo:
        state = todo.popleft()
        for source in into.get(state, ()):
            if source not in far:
                far[source] = far[state] + 1
                todo.append(source)
    return far


def step(
    engine: Engine,
    iid: str,
    process: Process,
    clock: list[datetime],
    choice: int,
    *,
    towards: dict[str, int] | None = None,
) -> None:
    """One move on ``process``: tick every item of the state, then fire a transition some
    person may fire (the ``choice``-th, or the one nearest a terminal state), or, when
    there is none (or the choice is one past them), let 12 hours pass and tick."""
    incident = engine.get(iid)
    assert incident.process_digest == process.digest
    for item in process.states[incident.state].checklist:
        if item.id not in incident.checklist:
            engine.check(iid, item.id, actor="system")
    options = sorted(
        {
            (a.transition, a.to, person)
            for person in PEOPLE.values()
            for a in engine.allowed(iid, person)
            if a.allowed
        }
    )
    if towards is not None:
        options.sort(key=lambda o: (towards.get(o[1], 99), o))
        choice = 0
    if not options or choice == len(options):
        clock[0] += timedelta(hours=12)
        engine.tick()
        return
    name, _, person = options[choice % len(options)]
    engine.fire(iid, name, actor=person)
    clock[0] += timedelta(minutes=7)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    migration=migrations(),
    level=st.sampled_from(MAJOR.level_ids),
    walk=st.lists(st.integers(0, 4), max_size=6),
)
def test_walk_migrate_and_finish_replays_at_every_step(
    migration: tuple[dict[str, str], dict[str, object]], level: str, walk: list[int]
) -> None:
    renames, mapping = migration
    v2 = version_2(renames)
    plan = incidentflow.plan_migration(MAJOR, v2, mapping)
    assert plan.ok, plan.diagnostics
    clock = [T0]
    engine = Engine([MAJOR, v2], clock=lambda: clock[0], open_on={"major-incident": "1.0.0"})
    iid = engine.open("major-incident", severity=level, actor="system").id
    for role, person in PEOPLE.items():
        engine.assign(iid, role, person, actor="system")
    for choice in walk:
        if engine.get(iid).closed:
            break
        step(engine, iid, MAJOR, clock, choice)
        assert_replays(engine, iid)
    before = engine.get(iid)
    if before.closed:
        with pytest.raises(OperationRefused):
            engine.migrate(iid, mapping=plan, actor="system")
        return
    moved = engine.migrate(iid, mapping=plan, actor="system")
    assert moved.state == renames.get(before.state, before.state)
    assert moved.process_digest == v2.digest
    assert_replays(engine, iid)
    far = distances(v2, level)
    for _ in range(40):
        if engine.get(iid).closed:
            break
        step(engine, iid, v2, clock, 0, towards=far)
        assert_replays(engine, iid)
    finished = engine.get(iid)
    assert finished.closed, finished.state
    assert finished.process_digest == v2.digest
    assert {e.spec_digest for e in engine.history(iid)} <= {MAJOR.digest, v2.digest}
