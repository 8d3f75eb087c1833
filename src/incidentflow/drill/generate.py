"""Drill paths: walks from the initial state that together cover a level, shortest first.

For one severity level, :class:`LevelModel` reads the level's view of the
process graph (the edges whose guard admits the level) and works out how each
edge can be taken: ``fire`` (someone holds one of its ``by`` roles; preferred,
as people act before deadlines) or ``wait`` (only a timer fires it, and that
timer is the first of its state to move the incident). :meth:`LevelModel.plan`
then builds, as model-based testing tools do, one path per item not yet
covered: the shortest route from the initial state to the item, the item, and
the shortest continuation to a terminal state (networkx breadth-first paths).
Items are taken nearest first; an item a planned path already passes is skipped.

Items are *edges* (a transition leaving one of its source states: a transition
with two sources is two edges) and *timers* (a timer of a state, at a level
where it runs). A timer is exercised by a ``wait`` step: the incident stays in
the state until the timer fires. Timers of one state fire in order of delay
(ties by id) until one moves the incident: those after it can never fire there,
and are reported as such. Planning is pure; :mod:`incidentflow.drill.runner`
runs the paths and plans again around what the engine refused.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import networkx as nx

from incidentflow.audit.timeline import duration
from incidentflow.compiler.process import Process
from incidentflow.engine.authz import fire_roles

StepKind = Literal["fire", "wait"]
ItemKind = Literal["state", "transition", "timer"]
EdgeKey = tuple[str, int]
"""An edge's identity: (source state, index of the transition in ``process.transitions``)."""
TimerKey = tuple[str, str]
"""A timer's identity: (state, timer id)."""

_SINK = ("__terminal__",)  # a virtual node after every terminal state; never a state id


@dataclass(frozen=True, slots=True)
class Edge:
    """One transition leaving one of its source states."""

    source: str
    index: int
    name: str
    target: str

    @property
    def key(self) -> EdgeKey:
        """(source, transition index): unique within a process."""
        return (self.source, self.index)

    def label(self) -> str:
        """``name (source -> target)``."""
        return f"{self.name} ({self.source} -> {self.target})"


@dataclass(frozen=True, slots=True)
class TimerAt:
    """A timer of a state as it runs at one level: its delay, and the edge it takes, if any."""

    state: str
    id: str
    delay: timedelta
    edge: Edge | None  # None: it moves nothing (no transition, or one not admitted at the level)

    @property
    def key(self) -> TimerKey:
        """(state, timer id)."""
        return (self.state, self.id)


def timer_label(key: TimerKey) -> str:
    """``timer in state``."""
    return f"{key[1]} in {key[0]}"


@dataclass(frozen=True, slots=True)
class Step:
    """One move of a path, from ``state``.

    ``fire``: a holder of ``roles[0]`` (or the opener, when ``roles`` is empty and
    nobody may fire it: the engine's refusal is then the finding) checks the
    transition's required items and fires ``edge``. ``wait``: the clock advances
    until ``timers`` have fired in order; the last one takes ``edge``, if given.
    ``note`` says why a step is expected to be refused.
    """

    kind: StepKind
    state: str
    edge: Edge | None = None
    roles: tuple[str, ...] = ()
    timers: tuple[str, ...] = ()
    note: str = ""

    def label(self) -> str:
        """``acknowledge`` for a fire step, ``wait(ack_deadline)->escalate`` for a wait."""
        if self.kind == "fire":
            assert self.edge is not None
            return self.edge.name
        moved = f"->{self.edge.name}" if self.edge is not None else ""
        return f"wait({','.join(self.timers)}){moved}"


@dataclass(frozen=True, slots=True)
class DrillPath:
    """A walk to run on a fresh incident: opened at ``level``, then ``steps`` in order."""

    level: str
    purpose: str
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    """Something the planner knows cannot be exercised (or is out of reach) at a level.

    ``blocking`` is False for items that are not reachable at the level at all
    (admitted by their guard, but unreachable): they are reported, not counted.
    """

    kind: ItemKind
    key: EdgeKey | TimerKey | str
    item: str
    reason: str
    detail: str
    blocking: bool = True


@dataclass(frozen=True, slots=True)
class Plan:
    """Paths to run, and what the planner found it cannot cover."""

    paths: tuple[DrillPath, ...]
    findings: tuple[Finding, ...]


class LevelModel:
    """The static facts of one level that drills are planned from.

    ``edges``: the edges admitted at the level; ``reachable``: states reachable
    from the initial state through them; ``targets``: admitted edges leaving a
    reachable state (the transitions to cover); ``unreachable``: admitted edges
    leaving an unreachable state; ``timers``: for each reachable state, its timers
    that run at the level, in firing order; ``timer_keys``: the timers to cover.
    """

    def __init__(self, process: Process, level: str) -> None:
        self.process = process
        self.level = level
        self._order = {sid: i for i, sid in enumerate(process.states)}
        edges = [
            Edge(u, k, data["name"], v)
            for u, v, k, data in process.graph.edges(keys=True, data=True)
            if level in data["levels"]
        ]
        self.edges: tuple[Edge, ...] = tuple(
            sorted(edges, key=lambda e: (e.index, self._order[e.source]))
        )
        found = process.view_at(level).reachable
        self.reachable: tuple[str, ...] = tuple(s for s in process.states if s in found)
        self.targets = tuple(e for e in self.edges if e.source in found)
        self.unreachable = tuple(e for e in self.edges if e.source not in found)
        self.timers = {sid: self._timers_of(sid) for sid in self.reachable}
        self.timer_keys = tuple(t.key for ts in self.timers.values() for t in ts)
        self._modes = {e.key: self._mode(e) for e in self.targets}

    # --- static facts -----------------------------------------------------------------

    def _timers_of(self, sid: str) -> tuple[TimerAt, ...]:
        out = []
        for timer in self.process.states[sid].timers:
            delay = self.process.timer_delay(sid, timer.id, self.level)
            if delay is None:
                continue
            edge = (
                next(
                    (e for e in self.edges if e.source == sid and e.name == timer.transition), None
                )
                if timer.transition is not None
                else None
            )
            out.append(TimerAt(sid, timer.id, delay, edge))
        return tuple(sorted(out, key=lambda t: (t.delay, t.id)))

    def firing(self, sid: str) -> tuple[tuple[TimerAt, ...], tuple[TimerAt, ...]]:
        """The timers of ``sid`` that fire when the incident waits there (up to the first
        that moves it), and those that never can (due after that one)."""
        timers = self.timers.get(sid, ())
        for i, timer in enumerate(timers):
            if timer.edge is not None:
                return timers[: i + 1], timers[i + 1 :]
        return timers, ()

    def _mode(self, edge: Edge) -> tuple[StepKind | None, str]:
        """How the drill takes ``edge`` (None: nobody can), and why not, if not."""
        tr = self.process.spec.process.transitions[edge.index]
        if fire_roles(self.process, tr, self.level):
            return "fire", ""
        fires, never = self.firing(edge.source)
        if fires and fires[-1].edge == edge:
            return "wait", ""
        named = [t for t in self.process.states[edge.source].timers if t.transition == edge.name]
        if not named:
            return None, f"its 'by' is empty and no timer of '{edge.source}' fires it"
        blocked = next((t for t in never if t.edge == edge), None)
        if blocked is not None:
            first = fires[-1]
            target = first.edge.target if first.edge else edge.source
            return None, (
                f"only timer '{blocked.id}' fires it, and '{first.id}' "
                f"(after {duration(first.delay)}) moves the incident to '{target}' first"
            )
        return None, f"only timer '{named[0].id}' fires it, and it does not run at {self.level}"

    def mode(self, edge: Edge) -> StepKind | None:
        """``fire``, ``wait`` or None (nobody can take ``edge`` at this level)."""
        return self._modes[edge.key][0]

    def step(self, edge: Edge) -> Step:
        """The step that takes ``edge`` (a fire step by nobody when nobody can)."""
        kind, note = self._modes[edge.key]
        if kind == "wait":
            fires, _ = self.firing(edge.source)
            return Step("wait", edge.source, edge, timers=tuple(t.id for t in fires))
        tr = self.process.spec.process.transitions[edge.index]
        return Step("fire", edge.source, edge, roles=tr.by if kind else (), note=note)

    # --- planning ---------------------------------------------------------------------

    def plan(
        self,
        covered: Collection[EdgeKey],
        fired: Collection[TimerKey],
        given_up: Collection[EdgeKey | TimerKey],
        avoid: Collection[EdgeKey],
    ) -> Plan:
        """Paths for every target edge and timer not in ``covered``, ``fired`` or ``given_up``,
        routed only through edges someone can take and that are not in ``avoid``."""
        routes = _Routes(self, avoid)
        findings: list[Finding] = [
            Finding(
                "transition",
                e.key,
                e.label(),
                "unreachable",
                f"admitted at {self.level}, but '{e.source}' cannot be reached at {self.level}",
                blocking=False,
            )
            for e in self.unreachable
        ]
        done_edges = set(covered)
        done_timers = set(fired)
        paths: list[DrillPath] = []
        for edge in sorted(self.targets, key=lambda e: (routes.distance(e.source), e.index)):
            if edge.key in done_edges or edge.key in given_up:
                continue
            steps = routes.to(edge.source)
            if steps is None:
                findings.append(
                    Finding("transition", edge.key, edge.label(), "blocked", routes.blocked())
                )
                continue
            steps += [self.step(edge), *routes.finish(edge.target)]
            paths.append(DrillPath(self.level, f"transition {edge.label()}", tuple(steps)))
            _mark(steps, done_edges, done_timers)
        for sid in sorted(self.timers, key=lambda s: (routes.distance(s), self._order[s])):
            fires, never = self.firing(sid)
            findings.extend(_preempted(fires, never))
            if all(t.key in done_timers or t.key in given_up for t in fires):
                continue
            steps = routes.to(sid)
            if steps is None:
                findings.extend(
                    Finding("timer", t.key, timer_label(t.key), "blocked", routes.blocked())
                    for t in fires
                )
                continue
            mover = fires[-1].edge
            wait = Step("wait", sid, mover, timers=tuple(t.id for t in fires))
            steps += [wait, *routes.finish(mover.target if mover else sid)]
            paths.append(DrillPath(self.level, f"timers of {sid}", tuple(steps)))
            _mark(steps, done_edges, done_timers)
        return Plan(tuple(paths), tuple(findings))


def _preempted(fires: tuple[TimerAt, ...], never: tuple[TimerAt, ...]) -> list[Finding]:
    if not never:
        return []
    first = fires[-1]
    target = first.edge.target if first.edge else first.state
    return [
        Finding(
            "timer",
            t.key,
            timer_label(t.key),
            "preempted",
            f"due after {duration(t.delay)}, but '{first.id}' (after {duration(first.delay)}) "
            "moves the incident "
            f"to '{target}' first",
        )
        for t in never
    ]


def _mark(steps: Iterable[Step], edges: set[EdgeKey], timers: set[TimerKey]) -> None:
    for step in steps:
        if step.edge is not None:
            edges.add(step.edge.key)
        timers.update((step.state, t) for t in step.timers)


class _Routes:
    """Shortest routes over the edges someone can take: from the initial state, and to a
    terminal state (breadth-first, so the fewest steps; ties go to the spec's order)."""

    def __init__(self, model: LevelModel, avoid: Collection[EdgeKey]) -> None:
        self._model = model
        self._avoid = avoid
        best: dict[tuple[str, str], Edge] = {}
        for edge in model.targets:  # fire steps before waits, then the spec's order
            kind = model.mode(edge)
            if kind is None or edge.key in avoid:
                continue
            pair = (edge.source, edge.target)
            if pair not in best or (kind == "fire" and model.mode(best[pair]) == "wait"):
                best[pair] = edge
        self._best = best
        graph = nx.DiGraph()
        graph.add_nodes_from(model.reachable)
        graph.add_edges_from(best)
        initial = model.process.initial
        self._from: dict[str, list[str]] = nx.single_source_shortest_path(graph, initial)
        back = graph.reverse(copy=True)
        back.add_edges_from((_SINK, s) for s in model.reachable if model.process.is_terminal(s))
        self._home: dict[object, list[object]] = nx.single_source_shortest_path(back, _SINK)

    def distance(self, state: str) -> int:
        """Steps from the initial state (a large number when no route exists)."""
        route = self._from.get(state)
        return len(route) - 1 if route is not None else 1 << 30

    def _steps(self, nodes: list[str]) -> list[Step]:
        return [self._model.step(self._best[(a, b)]) for a, b in itertools.pairwise(nodes)]

    def to(self, state: str) -> list[Step] | None:
        """The steps from the initial state to ``state``, or None if there is no route."""
        route = self._from.get(state)
        return None if route is None else self._steps(route)

    def finish(self, state: str) -> list[Step]:
        """The steps from ``state`` to the nearest terminal state (none if there is no way)."""
        route = self._home.get(state)
        if route is None:
            return []
        return self._steps([str(n) for n in reversed(route[1:])])

    def blocked(self) -> str:
        """Why a reachable item has no route: the edges that cannot be taken from where
        routes go to where they do not."""
        routed = self._from.keys()
        stuck = [
            e.label()
            for e in self._model.targets
            if (e.key in self._avoid or self._model.mode(e) is None)
            and e.source in routed
            and e.target not in routed
        ]
        shown = ", ".join(stuck[:5]) + (f" and {len(stuck) - 5} more" if len(stuck) > 5 else "")
        level = self._model.level
        return f"every way to it at {level} needs a transition that cannot be taken: {shown}"
