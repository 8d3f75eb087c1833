"""The compiled process: an immutable graph plus lookup tables that the engine and renderers read.

Everything outside the compiler learns about a process from here: the engine,
the renderers and the drills ask a :class:`Process` (its edges, a timer's delay at
a level, what an incident at a level can reach, which roles a policy keeps apart),
never a check module, so that the checks and the runtime cannot drift apart.
Answers that the engine needs on every call are tables built once per process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from incidentflow.compiler.predicates import Predicate
from incidentflow.compiler.separation import kept_apart, separating
from incidentflow.compiler.triggers import example_signal
from incidentflow.diagnostics import Diagnostic
from incidentflow.spec.conditions import Condition
from incidentflow.spec.durations import parse_duration
from incidentflow.spec.models import SLA_FIELDS, Level, Policy, Spec, State, Timer, Transition
from incidentflow.spec.yamlread import SourceMap

if TYPE_CHECKING:
    import networkx as nx

_K = TypeVar("_K")
_V = TypeVar("_V")

__all__ = ["CompiledTrigger", "Edge", "LevelView", "Process", "delay_at"]


@dataclass(frozen=True, slots=True)
class Edge:
    """One transition's move from one of its source states, with the levels its guard admits.

    A transition with two sources is two edges; ``index`` is its position in
    ``spec.process.transitions`` (two transitions may share a name).
    """

    source: str
    target: str
    index: int
    name: str
    levels: frozenset[str]

    @property
    def key(self) -> tuple[str, int]:
        """(source, transition index): unique within a process."""
        return (self.source, self.index)

    def label(self) -> str:
        """``name (source -> target)``."""
        return f"{self.name} ({self.source} -> {self.target})"


@dataclass(frozen=True, slots=True)
class CompiledTrigger:
    """A trigger with its condition compiled to a predicate and its level resolved."""

    id: str
    title: str
    level: str
    rank: int
    predicate: Predicate
    dedupe_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LevelView:
    """What an incident at one level can go through, with guards applied.

    ``edges``: the edges whose guard admits ``level``, in spec order (transitions in
    file order, each from its sources in order); ``reachable``: the states an incident
    at the level can reach from the initial state (the initial state included);
    ``can_finish``: the states from which it can still reach a terminal state.
    """

    level: str
    edges: tuple[Edge, ...]
    reachable: frozenset[str]
    can_finish: frozenset[str]


def delay_at(after: str | Mapping[str, timedelta], level: Level) -> timedelta | None:
    """How long a timer waiting ``after`` waits at ``level`` (None: it does not run there).

    ``after`` is an SLA field (the level's, if it defines one), a duration, or a map
    from level ids (or ``default``) to durations.
    """
    if not isinstance(after, str):
        return after.get(level.id, after.get("default"))
    if after in SLA_FIELDS:
        delay: timedelta | None = level.sla(after)
        return delay
    return parse_duration(after)


@dataclass(frozen=True, eq=False)
class Process:
    """A checked, immutable process ready to run or render.

    ``graph`` is a networkx ``MultiDiGraph``: nodes are state ids (attribute
    ``state``), edges are keyed by the transition's index in
    ``spec.process.transitions`` (two transitions may share a name) and carry
    ``name``, ``transition`` and ``levels`` (the levels its guard admits). The
    graph is frozen (``networkx.freeze``): changing it raises. Lookups are read-only mappings.
    ``warnings`` holds the diagnostics of severity warning found while compiling;
    ``source_map`` tells where each part of the spec was written.

    The methods answer what the engine, the renderers and the drills ask: the
    :attr:`edges` and the :meth:`view_at` a level, a :meth:`timer`, its
    :meth:`timer_delay` and the :meth:`timers_at` a state and level, the policies
    :meth:`separating` roles, an :meth:`example_signal` for a trigger. Each table
    behind them is built once, on first use.
    """

    spec: Spec
    source: str
    digest: str
    states: Mapping[str, State]
    transitions_from: Mapping[str, tuple[Transition, ...]]
    levels: tuple[Level, ...]
    triggers: tuple[CompiledTrigger, ...]
    warnings: tuple[Diagnostic, ...]
    source_map: SourceMap

    # --- identity ------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The process name (``metadata.name``)."""
        return self.spec.metadata.name

    @property
    def version(self) -> str:
        """The spec version (``metadata.version``)."""
        return self.spec.metadata.version

    @cached_property
    def identity(self) -> tuple[str, str, str]:
        """(name, version, digest): what every event records of the spec that made it."""
        return (self.name, self.version, self.digest)

    @property
    def initial(self) -> str:
        """The initial state id."""
        return self.spec.process.initial

    # --- severity levels and triggers ----------------------------------------------------

    @cached_property
    def level_ids(self) -> tuple[str, ...]:
        """Level ids, most severe first."""
        return tuple(lv.id for lv in self.levels)

    def rank(self, level: str) -> int:
        """0 for the most severe level, growing as levels get milder."""
        return self.level_ids.index(level)

    def level(self, level_id: str) -> Level:
        """The level called ``level_id`` (KeyError if the process has none)."""
        return self._levels_by_id[level_id]

    def level_for(self, impact: str, urgency: str) -> str:
        """The level the matrix gives for ``impact`` x ``urgency`` (KeyError if off the axes)."""
        matrix = self.spec.severity.matrix
        if matrix is None:
            raise KeyError("this process has no impact x urgency matrix")
        return matrix[impact][urgency]

    def match(self, fields: Mapping[str, Any]) -> CompiledTrigger | None:
        """The trigger a signal fires: the most severe match, then the earliest in the file."""
        best: CompiledTrigger | None = None
        for trig in self.triggers:
            if (best is None or trig.rank < best.rank) and trig.predicate(fields):
                best = trig
        return best

    def example_signal(self, trigger: str) -> dict[str, Any] | None:
        """A signal that trigger ``trigger`` accepts, or None when none was found (which
        proves nothing: see :func:`~incidentflow.compiler.triggers.example_signal`); KeyError for an
        unknown trigger."""
        return example_signal(self._conditions[trigger])

    # --- states and the moves between them -----------------------------------------------

    def is_terminal(self, state: str) -> bool:
        """True for terminal states."""
        return self.states[state].terminal

    @cached_property
    def edges(self) -> tuple[Edge, ...]:
        """Every transition's move from each of its sources, in spec order."""
        from incidentflow.compiler.graph import build_edges

        return tuple(build_edges(self.spec))

    def view_at(self, level: str) -> LevelView:
        """What an incident at ``level`` can go through (KeyError for an unknown level)."""
        return self._views[level]

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """The process as a frozen networkx MultiDiGraph (built on first use)."""
        from incidentflow.compiler.graph import process_graph

        return process_graph(self.spec)

    # --- timers --------------------------------------------------------------------------

    def timer(self, state: str, timer_id: str) -> Timer:
        """The timer ``timer_id`` of ``state`` (KeyError if it has none of that id)."""
        return self._timers[(state, timer_id)]

    def timer_delay(self, state: str, timer_id: str, level: str) -> timedelta | None:
        """How long timer ``timer_id`` of ``state`` waits at ``level`` (None: it does not
        run at that level)."""
        return delay_at(self.timer(state, timer_id).after, self.level(level))

    def timers_at(self, state: str, level: str) -> tuple[tuple[Timer, timedelta], ...]:
        """The timers of ``state`` that run at ``level``, with their delays, in spec order."""
        return self._timers_at[(state, level)]

    # --- separation of duties ------------------------------------------------------------

    def separating(self, level: str) -> tuple[Policy, ...]:
        """The ``distinct_holders`` policies in force at ``level`` that keep roles apart
        (see :mod:`~incidentflow.compiler.separation`)."""
        return self._separating[level]

    def kept_apart(self, first: str, second: str, level: str) -> Policy | None:
        """The first policy that keeps roles ``first`` and ``second`` apart at ``level``."""
        return kept_apart(self.spec, first, second, level)

    # --- the tables behind the answers, built once -----------------------------------------

    @cached_property
    def _levels_by_id(self) -> Mapping[str, Level]:
        return freeze({lv.id: lv for lv in self.levels})

    @cached_property
    def _conditions(self) -> Mapping[str, Condition]:
        return freeze({t.id: t.when for t in self.spec.triggers})

    @cached_property
    def _views(self) -> Mapping[str, LevelView]:
        # The graph checks' own analysis: the runtime sees what the compiler proved.
        from incidentflow.compiler.graph import analyse

        analysis = analyse(self.spec, list(self.edges))
        views = {}
        for level in self.level_ids:
            group = analysis.view_at(level)
            edges = tuple(e for e in self.edges if level in e.levels)
            views[level] = LevelView(level, edges, group.reachable, group.can_finish)
        return freeze(views)

    @cached_property
    def _timers(self) -> Mapping[tuple[str, str], Timer]:
        return freeze({(sid, t.id): t for sid, st in self.states.items() for t in st.timers})

    @cached_property
    def _timers_at(self) -> Mapping[tuple[str, str], tuple[tuple[Timer, timedelta], ...]]:
        # Planned on every transition: one lookup rather than resolving durations each time.
        table = {}
        for sid, state in self.states.items():
            for level in self.levels:
                delays = ((t, delay_at(t.after, level)) for t in state.timers)
                table[(sid, level.id)] = tuple((t, d) for t, d in delays if d is not None)
        return freeze(table)

    @cached_property
    def _separating(self) -> Mapping[str, tuple[Policy, ...]]:
        return freeze({level: separating(self.spec, level) for level in self.level_ids})


def freeze(mapping: dict[_K, _V]) -> Mapping[_K, _V]:
    """A read-only view of ``mapping``."""
    return MappingProxyType(mapping)
