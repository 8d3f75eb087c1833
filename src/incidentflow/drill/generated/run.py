"""Run generated drill paths through the real Engine, with an in-memory store and a simulated clock.

:func:`drill` opens one incident per path (as the actor ``drill``, at the
path's level) and plays its steps as people and timers would: before a fire
step it assigns ``ROLE-holder`` to the first role of the transition's ``by``
(one person per role, so ``distinct_holders`` policies hold), has that person
check the required items and fire; a wait step advances the clock to the next
deadline and ticks until the expected timers have fired. Every declared action
gets a handler that only counts. For every ``distinct_holders`` policy and level,
a probe incident checks that the engine refuses to give one person two of its
roles where the policy applies. What the engine refuses is recorded with its
reason and detail; the refused transition is then avoided, the rest is planned
again around it (:mod:`incidentflow.drill.generated.plan`), until nothing is left
to try. Every drilled incident's audit log is verified.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from incidentflow.audit.events import Event
from incidentflow.audit.latest import LatestStore
from incidentflow.compiler.process import Process
from incidentflow.drill.generated.plan import (
    DrillPath,
    EdgeKey,
    Finding,
    LevelModel,
    PathStep,
    TimerKey,
    timer_label,
)
from incidentflow.drill.generated.report import (
    Count,
    DrillReport,
    LevelResult,
    PathResult,
    PolicyCheck,
    Problem,
)
from incidentflow.engine.engine import ActionRequest, Engine
from incidentflow.engine.operations import (
    Assign,
    CheckItem,
    Fire,
    IncidentOperation,
    Open,
    refusal,
)
from incidentflow.engine.simclock import SimulatedClock, advance_and_tick
from incidentflow.errors import EngineError, OperationRefused
from incidentflow.spec.models import Policy

OPENER = "drill"
"""The actor that opens every drilled incident (and so may assign roles on it)."""
PROBE = "probe"
"""The person a separation-of-duties probe tries to give two roles."""

ItemKey = tuple[str, EdgeKey | TimerKey | str]  # (kind, key)


@dataclass
class _Tally:
    """What the incidents of one level really did, read from their events."""

    states: set[str] = field(default_factory=set)
    edges: set[EdgeKey] = field(default_factory=set)
    timers: set[TimerKey] = field(default_factory=set)
    actions: Counter[str] = field(default_factory=Counter)


class _Session:
    """One engine, one store and one clock for a whole drill."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.clock = SimulatedClock()
        self.store = LatestStore()
        self.invoked: defaultdict[str, Counter[str]] = defaultdict(Counter)  # incident -> calls
        ids = itertools.count(1)
        self.engine = Engine(
            process,
            store=self.store,
            clock=self.clock,
            handlers=dict.fromkeys(process.spec.actions, self._count),
            new_id=lambda: f"drill-{next(ids):04d}",
        )
        self.covered = _Tally()  # over every level, for the overall figures
        self.paths = 0
        self.incidents = 0
        self.audit_failures: list[str] = []

    def _count(self, request: ActionRequest) -> None:
        self.invoked[request.incident.id][request.action] += 1

    def _verify(self, incident_id: str) -> None:
        self.incidents += 1
        self.audit_failures += [
            f"{p.incident_id}: event {p.seq}: {p.problem}: {p.detail}"
            for p in self.engine.verify(incident_id).problems
        ]

    def probe(self, policy: Policy, level: str) -> PolicyCheck:
        """Open an incident at ``level``; give one person the policy's first role, then its
        second, and record whether the engine refused."""
        assert policy.distinct_holders is not None
        first, second = policy.distinct_holders[:2]
        required = policy.for_severity is None or level in policy.for_severity
        engine = self.engine
        incident = Open(self.process.name, level, OPENER, title=f"probe {policy.id}").apply(engine)
        try:
            Assign(first, PROBE, OPENER).apply(engine, incident.id)
            Assign(second, PROBE, OPENER).apply(engine, incident.id)
        except OperationRefused as exc:
            enforced, detail = exc.reason == "policy", exc.detail
        else:
            enforced, detail = False, f"the engine let {PROBE!r} hold both {first!r} and {second!r}"
        self._verify(incident.id)
        return PolicyCheck(policy.id, level, (first, second), required, enforced, detail)

    def level(self, model: LevelModel) -> LevelResult:
        """Drill one level until every item is covered or given up."""
        tally = _Tally()
        failures: dict[ItemKey, Problem] = {}
        findings: dict[ItemKey, Finding] = {}
        given_up: set[EdgeKey | TimerKey] = set()
        avoid: set[EdgeKey] = set()
        results: list[PathResult] = []
        while True:
            plan = model.plan(tally.edges, tally.timers, given_up, avoid)
            for finding in plan.findings:
                findings.setdefault((finding.kind, finding.key), finding)
            before = (len(tally.edges), len(tally.timers), len(given_up))
            for path in plan.paths:
                if any(s.edge is not None and s.edge.key in avoid for s in path.steps):
                    continue  # it would fail where another path did: plan it again next round
                walk = _Walk(self, model, path)
                results.append(walk.run())
                tally.states |= walk.states
                tally.edges |= set(walk.moves)
                tally.timers |= set(walk.fired)
                tally.actions.update(walk.actions)
                self.covered.states |= walk.states
                self.covered.edges |= set(walk.moves)
                self.covered.timers |= set(walk.fired)
                for key, problem in walk.failures:
                    failures.setdefault(key, problem)
                    given_up.add(key[1])  # type: ignore[arg-type]
                    if key[0] == "transition":
                        avoid.add(key[1])  # type: ignore[arg-type]
            if (len(tally.edges), len(tally.timers), len(given_up)) == before:
                break  # nothing planned, or nothing new learned
        return LevelResult(
            model.level,
            Count(len(tally.states & set(model.reachable)), len(model.reachable)),
            Count(len(tally.edges & {e.key for e in model.targets}), len(model.targets)),
            Count(len(tally.timers & set(model.timer_keys)), len(model.timer_keys)),
            dict(sorted(tally.actions.items())),
            tuple(results),
            _problems(model, tally, failures, findings),
        )


class _Walk:
    """One path played on a fresh incident; its effects are read back from the events."""

    def __init__(self, session: _Session, model: LevelModel, path: DrillPath) -> None:
        self.session = session
        self.model = model
        self.path = path
        self.iid = ""
        self.version = 0
        self.state = ""
        self.states: set[str] = set()
        self.moves: list[EdgeKey] = []
        self.fired: list[TimerKey] = []
        self.resolved_at: datetime | None = None
        self.actions: Counter[str] = Counter()
        self.failures: list[tuple[ItemKey, Problem]] = []

    def run(self) -> PathResult:
        """Open the incident, play every step (stopping at the first failure), verify the log."""
        session, engine = self.session, self.session.engine
        incident = Open(
            session.process.name, self.path.level, OPENER, title=self.path.purpose
        ).apply(engine)
        self.iid = incident.id
        self._fold()
        for step in self.path.steps:
            if step.kind == "fire":
                self._fire(step)
            else:
                self._wait(step)
            if self.failures:
                break
        session.paths += 1
        session._verify(self.iid)
        self.actions.update(session.invoked.pop(self.iid, Counter()))
        if self.failures:
            outcome = "refused"
        else:
            outcome = "resolved" if self.resolved_at is not None else "open"
        level = session.process.level(self.path.level)
        calendar = session.process.sla_calendar(self.path.level)
        working = (
            calendar.working_time(incident.opened_at, self.resolved_at)
            if self.resolved_at is not None
            else None
        )
        return PathResult(
            session.paths,
            self.path.level,
            self.path.purpose,
            tuple(s.label() for s in self.path.steps),
            self.iid,
            outcome,
            self.state,
            self.resolved_at - incident.opened_at if self.resolved_at is not None else None,
            level.resolve_within,
            len(self.fired),
            sum(self.actions.values()),
            self.failures[0][1] if self.failures else None,
            calendar.name,
            working,
        )

    def _fold(self) -> None:
        """Read the events written since the last fold."""
        for event in self.session.store.events(self.iid, after=self.version):
            self.version = event.seq
            data = event.data
            if event.kind == "opened":
                self.state = data["state"]
                self.states.add(self.state)
            elif event.kind == "timer_fired":
                self.fired.append((self.state, data["timer"]))
            elif event.kind == "transitioned":
                self.moves.append((data["from"], data["index"]))
                self.state = data["to"]
                self.states.add(self.state)
                if data["terminal"]:
                    self.resolved_at = event.at

    def _fail(
        self, kind: str, key: EdgeKey | TimerKey, item: str, reason: str, detail: str
    ) -> None:
        problem = Problem(self.path.level, kind, item, reason, detail)
        self.failures.append(((kind, key), problem))

    def _fire(self, step: PathStep) -> None:
        edge = step.edge
        assert edge is not None
        engine = self.session.engine
        transition = self.session.process.spec.process.transitions[edge.index]
        person = f"{step.roles[0]}-holder" if step.roles else OPENER
        ops: list[IncidentOperation] = [Assign(r, person, OPENER) for r in step.roles[:1]]
        ops += [CheckItem(item, person) for item in transition.requires]
        ops.append(Fire(edge.name, person))
        try:
            for op in ops:
                op.apply(engine, self.iid)
        except EngineError as exc:
            self._fold()
            refused = refusal(exc)
            detail = str(refused) + (f" ({step.note})" if step.note else "")
            self._fail("transition", edge.key, edge.label(), refused.reason, detail)
            return
        before = len(self.moves)
        self._fold()
        if self.moves[before:] != [edge.key]:
            taken = ", ".join(f"{s} #{i}" for s, i in self.moves[before:]) or "nothing"
            self._fail("transition", edge.key, edge.label(), "diverged", f"the engine took {taken}")

    def _wait(self, step: PathStep) -> None:
        moved, fired = len(self.moves), len(self.fired)
        expected = set(step.timers)

        def waited(written: Sequence[Event]) -> bool:  # moved on, or every expected timer fired
            timers = {e.data["timer"] for e in written if e.kind == "timer_fired"}
            return any(e.kind == "transitioned" for e in written) or expected <= timers

        advance_and_tick(self.session.engine, self.session.clock, done=waited)
        self._fold()
        done = {t for _, t in self.fired[fired:]}
        taken = self.moves[moved:]
        for timer in step.timers:
            if timer not in done:
                why = (
                    f"the incident left '{step.state}' by transition #{taken[0][1]} first"
                    if taken
                    else f"no timer was left running in '{step.state}'"
                )
                key = (step.state, timer)
                self._fail("timer", key, timer_label(key), "preempted" if taken else "stalled", why)
        if step.edge is not None and taken[:1] != [step.edge.key]:
            edge = step.edge
            what = f"transition #{taken[0][1]}" if taken else "nothing"
            self._fail("transition", edge.key, edge.label(), "diverged", f"the timers took {what}")


def _problems(
    model: LevelModel,
    tally: _Tally,
    failures: dict[ItemKey, Problem],
    findings: dict[ItemKey, Finding],
) -> tuple[Problem, ...]:
    """Why each reachable item was not covered, then what was out of reach (not counted)."""
    level = model.level

    def explain(kind: str, key: EdgeKey | TimerKey | str, item: str) -> Problem:
        if (kind, key) in failures:
            return failures[(kind, key)]
        found = findings.get((kind, key))
        if found is not None:
            return Problem(level, kind, item, found.reason, found.detail, found.blocking)
        return Problem(level, kind, item, "blocked", "no drilled path reached it")

    out = []
    for sid in model.reachable:
        if sid not in tally.states:
            ways = [e.label() for e in model.targets if e.target == sid]
            detail = f"every way into it was refused or blocked: {', '.join(ways)}"
            out.append(Problem(level, "state", sid, "blocked", detail))
    out += [
        explain("transition", e.key, e.label()) for e in model.targets if e.key not in tally.edges
    ]
    out += [
        explain("timer", key, timer_label(key))
        for key in model.timer_keys
        if key not in tally.timers
    ]
    out += [explain("transition", e.key, e.label()) for e in model.unreachable]
    return tuple(out)


def drill(process: Process, levels: Sequence[str] | None = None) -> DrillReport:
    """Drill ``process`` at each of ``levels`` (default: every level, most severe first).

    Raises ValueError for a level the process does not have.
    """
    chosen = list(process.level_ids) if levels is None else list(dict.fromkeys(levels))
    unknown = [lv for lv in chosen if lv not in process.level_ids]
    if unknown:
        raise ValueError(
            f"{process.name!r} has no level {unknown[0]!r} (levels: {', '.join(process.level_ids)})"
        )
    session = _Session(process)
    models = [LevelModel(process, lv) for lv in chosen]
    results = tuple(session.level(m) for m in models)
    checks = tuple(
        session.probe(policy, lv)
        for policy in process.spec.policies
        if policy.distinct_holders
        for lv in chosen
    )
    covered = session.covered  # overall figures count distinct items
    states = {s for m in models for s in m.reachable}
    edges = {e.key for m in models for e in m.targets}
    timers = {k for m in models for k in m.timer_keys}
    invoked = {a for lv in results for a in lv.actions}
    declared = sorted(process.spec.actions)
    return DrillReport(
        process.name,
        process.version,
        results,
        Count(len(covered.states & states), len(states)),
        Count(len(covered.edges & edges), len(edges)),
        Count(len(covered.timers & timers), len(timers)),
        Count(len(invoked & set(declared)), len(declared)),
        tuple(a for a in declared if a not in invoked),
        session.incidents,
        tuple(session.audit_failures),
        checks,
    )
