"""incidentflow.testing: walks, the simulated engine, the invariants, and the copyable test."""

from __future__ import annotations

import collections
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

import incidentflow
from incidentflow import Engine, MemoryStore, NotAuthorized, Process
from incidentflow.audit.events import Event
from incidentflow.testing import (
    START,
    AddNote,
    Advance,
    Assign,
    CheckItem,
    EngineFactory,
    Fire,
    SetSeverity,
    SimulatedClock,
    SimulatedEngine,
    Unassign,
    Walk,
    assert_invariants,
    check_invariants,
    check_run,
    idle_states,
    make_engine,
    reachable_states,
    visited,
    walks,
)
from tests.conftest import EXAMPLES, ROOT

pytest_plugins = ["incidentflow.testing.pytest_plugin"]

MAJOR = incidentflow.load(EXAMPLES / "major-incident.yaml")
SECURITY = incidentflow.load(EXAMPLES / "security-incident.yaml")
DESK = incidentflow.load(EXAMPLES / "service-desk.yaml")
EXAMPLE_PROCESSES = [MAJOR, SECURITY, DESK]

# Compiles (at each level alone every reachable state can finish), but `parked` is
# entered only at SEV2 and left only at SEV2: lower the severity to SEV1 while parked
# and nobody can do anything. The compiler warns (IF313); the invariants must say so too.
STRANDABLE = incidentflow.loads(
    """\
apiVersion: incidentflow/v1
kind: Process
metadata: {name: strandable, version: "1"}
roles:
  responder: {title: Responder, backups: [lead]}
  lead: {title: Lead, backups: [responder]}
severity:
  levels:
    - {id: SEV1, title: Critical, acknowledge_within: 5m, resolve_within: 4h}
    - {id: SEV2, title: Major, acknowledge_within: 15m, resolve_within: 8h}
triggers:
  - id: anything
    when: {field: service, exists: true}
    severity: SEV1
process:
  initial: open
  states:
    open: {title: Open, owner: lead}
    parked: {title: Parked, owner: lead}
    closed: {title: Closed, terminal: true}
  transitions:
    - {name: close, from: open, to: closed, by: [responder]}
    - {name: park, from: open, to: parked, by: [lead], when: {severity: [SEV2]}}
    - {name: unpark, from: parked, to: open, by: [lead], when: {severity: [SEV2]}}
""",
    "strandable.yaml",
)

QUICK = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
# Searches stop at the first example found (no shrinking: generating a walk is not cheap).
FIND = settings(
    max_examples=1000, deadline=None, database=None, derandomize=True, phases=[Phase.generate]
)


# --- the copyable property test (docs/rehearsals.md shows this function verbatim) ----------


@settings(max_examples=150, deadline=None)
@given(walk=walks(MAJOR))
def test_every_walk_keeps_the_invariants(incidentflow_engine: EngineFactory, walk: Walk) -> None:
    engine = incidentflow_engine(MAJOR)
    run = walk.run(engine)  # refusals are recorded, never raised
    assert_invariants(engine, run)  # audit, replay, refusals wrote nothing, no idle owner


# --- the same property on every example spec ----------------------------------------------


@pytest.mark.parametrize("process", EXAMPLE_PROCESSES, ids=lambda p: p.name)
def test_the_property_holds_on_every_example_spec(
    process: Process, incidentflow_engine: EngineFactory
) -> None:
    @settings(max_examples=100, deadline=None, database=None)
    @given(walk=walks(process, max_steps=80))
    def check(walk: Walk) -> None:
        engine = incidentflow_engine(process)
        assert_invariants(engine, walk.run(engine))

    check()


def _guide_blocks() -> list[str]:
    guide = (ROOT / "docs" / "rehearsals.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", guide, re.S)


def test_the_guide_shows_the_property_test_this_file_runs() -> None:
    copyable = [b for b in _guide_blocks() if "def test_every_walk_keeps_the_invariants" in b]
    assert len(copyable) == 1
    function = copyable[0][copyable[0].index("@settings") :]
    assert function in Path(__file__).read_text(encoding="utf-8")
    assert 'MAJOR = incidentflow.load("process_specs/major-incident.yaml")' in copyable[0]
    assert [
        line for b in _guide_blocks() for line in b.splitlines() if "pytest_plugins" in line
    ] == ['pytest_plugins = ["incidentflow.testing.pytest_plugin"]']


def test_the_guide_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    ran = 0
    for block in _guide_blocks():
        if "def test_every_walk" in block or block.startswith("# conftest.py"):
            continue  # the property test runs above; the conftest line is checked above
        namespace: dict[str, object] = {}
        exec(compile(block, "docs/rehearsals.md", "exec"), namespace)
        for name, test in namespace.items():
            if name.startswith("test_") and callable(test):
                test(make_engine)  # the fixture's factory
        ran += 1
    assert ran == 3


# --- the strategies -----------------------------------------------------------------------


@pytest.mark.parametrize("process", EXAMPLE_PROCESSES, ids=lambda p: p.name)
def test_walks_are_mostly_allowed_with_some_refusals_and_every_kind(process: Process) -> None:
    kinds: collections.Counter[str] = collections.Counter()
    verdicts: collections.Counter[bool] = collections.Counter()
    reasons: collections.Counter[str | None] = collections.Counter()
    states: set[str] = set()

    # derandomized: what is counted below is a distribution, and an unlucky draw of 60
    # random walks could fall outside it; the same 60 walks every run cannot
    @settings(QUICK, derandomize=True)
    @given(walk=walks(process))
    def explore(walk: Walk) -> None:
        assert walk.process == process.name
        assert walk.level in process.level_ids
        engine = make_engine(process)
        run = walk.run(engine)
        assert len(run.outcomes) == len(walk.ops)
        for outcome in run.outcomes:
            kinds[outcome.op.kind] += 1
            verdicts[outcome.allowed] += 1
            reasons[outcome.reason] += 1
            states.add(outcome.state)

    explore()
    assert set(kinds) == {"assign", "unassign", "check", "fire", "set_severity", "note", "advance"}
    assert verdicts[True] > 3 * verdicts[False] > 0, verdicts
    assert {"role", "invalid"} <= set(reasons), reasons
    assert len(states) >= 3, states


@pytest.mark.parametrize("process", EXAMPLE_PROCESSES, ids=lambda p: p.name)
def test_walks_reach_every_terminal_state(process: Process) -> None:
    for terminal in [s for s in process.states if process.is_terminal(s)]:

        def ends_there(walk: Walk, terminal: str = terminal) -> bool:
            engine = make_engine(process)
            return engine.get(walk.run(engine).incident_id).state == terminal

        found = find(walks(process, max_steps=120), ends_there, settings=FIND)
        assert found.ops, terminal


def test_walks_repeat_on_another_engine_with_the_same_outcomes() -> None:
    @QUICK
    @given(walk=walks(MAJOR))
    def same(walk: Walk) -> None:
        first, second = make_engine(MAJOR), make_engine(MAJOR, start=START + timedelta(days=3))
        a, b = walk.run(first), walk.run(second)
        assert [(o.allowed, o.reason, o.state, o.after) for o in a.outcomes] == [
            (o.allowed, o.reason, o.state, o.after) for o in b.outcomes
        ]

    same()


def test_walks_respect_levels_and_step_bounds() -> None:
    @QUICK
    @given(walk=walks(DESK, levels=["P1"], min_steps=3, max_steps=5, refusals=0.0))
    def bounded(walk: Walk) -> None:
        assert walk.level == "P1"
        engine = make_engine(DESK)
        run = walk.run(engine)
        assert len(walk.ops) <= 5
        assert engine.get(run.incident_id).closed or len(walk.ops) >= 3

    bounded()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"levels": ["SEV9"]}, "levels must be"),
        ({"levels": []}, "levels must be"),
        ({"min_steps": 5, "max_steps": 2}, "min_steps"),
        ({"people": []}, "at least one person"),
        ({"refusals": 1.5}, "share"),
    ],
)
def test_walks_reject_bad_options(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        walks(MAJOR, **options)  # type: ignore[arg-type]


def test_a_walk_prints_as_a_script() -> None:
    walk = Walk("major-incident", "SEV2", (Assign("responder", "bob", "system"),))
    assert (
        str(walk) == "open major-incident at SEV2 as system\n  1. system: assign responder to bob"
    )
    shown = repr(walks(MAJOR))  # hypothesis prints strategies: not the whole Process
    assert "walks('major-incident', levels=['SEV1', 'SEV2', 'SEV3', 'SEV4']" in shown
    assert len(shown) < 200


# --- running walks ----------------------------------------------------------------------------


def test_run_records_allowed_and_refused_outcomes_without_raising() -> None:
    engine = make_engine(MAJOR)
    walk = Walk(
        "major-incident",
        "SEV1",
        (
            Fire("acknowledge", "mallory"),  # holds no role
            Assign("commander", "alice", "system"),
            Assign("responder", "alice", "system"),  # policy commander_is_not_fixer
            CheckItem("impact_confirmed", "system"),  # not an item of `detected`
            Fire("warp", "alice"),  # no such transition
            Advance(timedelta(minutes=5)),  # ack deadline: the timer escalates
            Unassign("scribe", "bob", "system"),  # bob holds no scribe role
            SetSeverity("SEV2", "alice"),
            AddNote("all hands", "alice"),
        ),
    )
    run = walk.run(engine)
    assert [o.reason for o in run.outcomes] == [
        "role",
        None,
        "policy",
        "invalid",
        "invalid",
        None,
        "invalid",
        None,
        None,
    ]
    assert [o.state for o in run.outcomes][-4:] == ["triage"] * 4
    assert run.outcomes[2].detail.startswith("policy 'commander_is_not_fixer'")
    assert all(o.written == 0 and o.after == o.before for o in run.refused)
    assert run.outcomes[5].written >= 2  # timer_fired, transitioned, and the actions it ran
    assert len(run.allowed) == 4
    assert engine.clock.now == START + timedelta(minutes=5)
    assert check_run(engine, run) == []
    assert "refused (policy)" in str(run)


def test_advance_needs_a_simulated_clock() -> None:
    engine = Engine(MAJOR)  # the system clock: walks cannot move it
    with pytest.raises(TypeError, match="SimulatedClock"):
        Walk("major-incident", "SEV1", (Advance(timedelta(minutes=1)),)).run(engine)
    clock = SimulatedClock()
    on_clock = Engine(MAJOR, clock=clock)
    run = Walk("major-incident", "SEV1", (Advance(timedelta(minutes=6)),)).run(on_clock, clock)
    assert run.outcomes[0].state == "triage"
    # the ack deadline (5m) fired when it fell due, not when the walk's minute ran out
    assert on_clock.get(run.incident_id).state_entered_at == clock.now - timedelta(minutes=1)


# --- the simulated engine and the fixture -------------------------------------------------


def test_sim_clock_moves_only_forward() -> None:
    clock = SimulatedClock(datetime(2030, 1, 1, tzinfo=UTC))
    assert clock() == clock.now == datetime(2030, 1, 1, tzinfo=UTC)
    assert clock.advance(timedelta(hours=2)) == datetime(2030, 1, 1, 2, tzinfo=UTC)
    assert clock.advance_to(datetime(2030, 1, 2, tzinfo=UTC)) == clock.now
    assert clock.advance_to(datetime(2030, 1, 1, tzinfo=UTC)) == datetime(2030, 1, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="never goes back"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="aware"):
        SimulatedClock(datetime(2030, 1, 1))
    assert "2030-01-02" in repr(clock)


def test_fixture_gives_engines_on_a_simulated_clock(incidentflow_engine: EngineFactory) -> None:
    engine = incidentflow_engine(str(EXAMPLES / "major-incident.yaml"))
    assert isinstance(engine, SimulatedEngine)
    assert isinstance(engine.store, MemoryStore)
    assert engine.clock.now == START
    incident = engine.open("major-incident", severity="SEV1")
    assert [r.action for r in engine.requests] == ["page", "create_ticket"]
    engine.clock.advance(timedelta(minutes=4, seconds=59))
    assert engine.tick() == []
    engine.clock.advance(timedelta(seconds=1))
    engine.tick()
    moved = engine.get(incident.id)
    assert moved.state == "triage"
    assert moved.state_entered_at == START + timedelta(minutes=5)
    assert moved.pending_actions == ()  # every request succeeded
    other = incidentflow_engine([MAJOR, DESK], start=datetime(2030, 1, 1, tzinfo=UTC))
    assert other is not engine
    assert set(other.processes) == {"major-incident", "service-desk"}
    assert other.clock.now.year == 2030


def test_handlers_given_replace_the_recording_ones() -> None:
    seen: list[str] = []
    engine = make_engine(MAJOR, handlers={"page": lambda r: seen.append(r.action)})
    engine.open("major-incident", severity="SEV1")
    assert seen == ["page"]
    assert [r.action for r in engine.requests] == ["create_ticket"]
    silent = make_engine(MAJOR, record_actions=False)
    opened = silent.open("major-incident", severity="SEV1")
    assert {a.status for a in silent.get(opened.id).actions} == {"failed"}  # no handler


# --- the invariants -------------------------------------------------------------------------


def test_the_example_specs_leave_no_owner_idle() -> None:
    for process in EXAMPLE_PROCESSES:
        assert idle_states(process) == [], process.name
        assert set(reachable_states(process)) == set(process.states)


def test_a_state_stranded_by_a_severity_change_is_found() -> None:
    assert idle_states(STRANDABLE) == [("parked", "SEV1")]
    engine = make_engine(STRANDABLE)
    walk = Walk(
        "strandable",
        "SEV2",
        (
            Assign("lead", "alice", "system"),
            Fire("park", "alice"),
            SetSeverity("SEV1", "alice"),
        ),
    )
    run = walk.run(engine)
    assert all(o.allowed for o in run.outcomes)
    problems = check_run(engine, run)
    assert len(problems) == 1
    assert problems[0].startswith("stuck: nothing to do in 'parked' at SEV1 (from event 4)")
    assert "unpark (guard:" in problems[0]
    with pytest.raises(AssertionError, match="stuck: nothing to do in 'parked'"):
        assert_invariants(engine, run)


def test_random_walks_find_the_stranded_state() -> None:
    def stranded(walk: Walk) -> bool:
        engine = make_engine(STRANDABLE)
        return any(p.startswith("stuck") for p in check_run(engine, walk.run(engine)))

    found = find(walks(STRANDABLE), stranded, settings=FIND)
    assert any(isinstance(op, SetSeverity) for op in found.ops)


def test_visited_lists_first_visits_from_the_log() -> None:
    engine = make_engine(MAJOR)
    walk = Walk(
        "major-incident",
        "SEV3",
        (
            Assign("responder", "bob", "system"),
            Fire("acknowledge", "bob"),
            SetSeverity("SEV4", "system"),
            Assign("commander", "carol", "system"),
            Fire("cancel", "carol"),
        ),
    )
    run = walk.run(engine)
    events = engine.history(run.incident_id)
    assert [(s, lv, c) for s, lv, c, _ in visited(events)] == [
        ("detected", "SEV3", False),
        ("triage", "SEV3", False),
        ("triage", "SEV4", False),
        ("false_positive", "SEV4", True),
    ]
    assert visited([]) == []
    assert check_invariants(engine, run.incident_id) == []


def test_check_invariants_of_an_unknown_incident() -> None:
    engine = make_engine(MAJOR)
    assert check_invariants(engine, "nope") == ["nope: the store has no events for this incident"]


# --- deliberately broken engines are caught ---------------------------------------------------


class LeakyNoteEngine(SimulatedEngine):
    """Bug: a refused note is still written to the log."""

    def note(
        self, incident_id: str, text: str, *, actor: str, expected_version: int | None = None
    ) -> incidentflow.Incident:
        try:
            return super().note(incident_id, text, actor=actor, expected_version=expected_version)
        except NotAuthorized:
            self._append(self._load(incident_id), [("noted", actor, {"text": text})])
            raise


class UnsavedSeverityEngine(SimulatedEngine):
    """Bug: a severity change updates the engine's cache but never reaches the log."""

    def set_severity(
        self,
        incident_id: str,
        level: str,
        *,
        actor: str,
        reason: str = "",
        expected_version: int | None = None,
    ) -> incidentflow.Incident:
        state = self._load(incident_id)
        if level in self._process(state.process).level_ids:
            state.severity = level
        return state.snapshot()


class RedactingStore(MemoryStore):
    """Bug: the store rewrites note texts after they were sealed."""

    def append(self, incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        rewritten = [replace(e, data={"text": "-"}) if e.kind == "noted" else e for e in events]
        super().append(incident_id, expected_version, rewritten)


def test_a_refusal_that_writes_is_caught() -> None:
    engine = make_engine(MAJOR, engine_class=LeakyNoteEngine)
    run = Walk("major-incident", "SEV1", (AddNote("let me in", "mallory"),)).run(engine)
    refused = run.outcomes[0]
    assert refused.reason == "role"
    assert refused.after == refused.before + 1
    assert check_run(engine, run) == [
        "step 1 (mallory: note 'let me in') was refused (role) but wrote 1 event(s) "
        f"(version {refused.before} -> {refused.after})"
    ]


def test_random_walks_catch_a_refusal_that_writes() -> None:
    def broken(walk: Walk) -> bool:
        engine = make_engine(MAJOR, engine_class=LeakyNoteEngine)
        return bool(check_run(engine, walk.run(engine)))

    found = find(walks(MAJOR), broken, settings=FIND)
    assert any(isinstance(op, AddNote) for op in found.ops)


def test_a_live_state_the_log_does_not_hold_is_caught() -> None:
    engine = make_engine(MAJOR, engine_class=UnsavedSeverityEngine)
    run = Walk("major-incident", "SEV1", (SetSeverity("SEV3", "system"),)).run(engine)
    assert check_run(engine, run) == ["replay: severity is 'SEV3' live but 'SEV1' replayed"]


def test_a_tampered_log_is_caught() -> None:
    engine = make_engine(MAJOR, store=RedactingStore())
    run = Walk("major-incident", "SEV1", (AddNote("secret", "system"),)).run(engine)
    seq = run.outcomes[0].after
    assert check_run(engine, run) == [
        f"audit: modified at event {seq}: event {seq} (noted) does not match its hash"
    ]


@given(st.data())
@settings(max_examples=5, deadline=None, database=None)
def test_broken_engines_fail_assert_invariants(data: st.DataObject) -> None:
    walk = data.draw(walks(MAJOR, levels=["SEV1"], max_steps=3))
    engine = make_engine(MAJOR, engine_class=UnsavedSeverityEngine)
    run = Walk(walk.process, walk.level, (*walk.ops, SetSeverity("SEV4", "system"))).run(engine)
    with pytest.raises(AssertionError, match="replay: severity"):
        assert_invariants(engine, run)


# --- hypothesis is a test dependency only ----------------------------------------------------


def test_importing_the_kit_does_not_import_hypothesis() -> None:
    code = "import sys, incidentflow.testing; print('hypothesis' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"


def test_walks_without_hypothesis_say_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import incidentflow.testing as kit

    for name in [m for m in sys.modules if m == "hypothesis" or m.startswith("hypothesis.")]:
        monkeypatch.setitem(sys.modules, name, None)  # type: ignore[arg-type]
    monkeypatch.delitem(sys.modules, "incidentflow.testing.strategies", raising=False)
    monkeypatch.delattr(kit, "strategies", raising=False)
    with pytest.raises(ImportError, match=re.escape("pip install incidentflow[test]")):
        kit.walks(MAJOR)


def test_the_compiler_warns_about_the_stranded_state_too() -> None:
    assert [w.code for w in STRANDABLE.warnings] == ["IF313"]
    assert (
        "'parked' (entered at SEV2) whose severity changes to SEV1"
        in STRANDABLE.warnings[0].message
    )
