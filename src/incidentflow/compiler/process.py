"""The compiled process: an immutable graph plus lookup tables that the engine and renderers read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from incidentflow.compiler.predicates import Predicate
from incidentflow.diagnostics import Diagnostic
from incidentflow.spec.models import Level, Spec, State, Transition
from incidentflow.spec.yamlread import SourceMap

if TYPE_CHECKING:
    import networkx as nx


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

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """The process as a frozen networkx MultiDiGraph (built on first use)."""
        from incidentflow.compiler.graph import process_graph

        return process_graph(self.spec)

    @property
    def name(self) -> str:
        """The process name (``metadata.name``)."""
        return self.spec.metadata.name

    @property
    def version(self) -> str:
        """The spec version (``metadata.version``)."""
        return self.spec.metadata.version

    @property
    def initial(self) -> str:
        """The initial state id."""
        return self.spec.process.initial

    @property
    def level_ids(self) -> tuple[str, ...]:
        """Level ids, most severe first."""
        return tuple(lv.id for lv in self.levels)

    def rank(self, level: str) -> int:
        """0 for the most severe level, growing as levels get milder."""
        return self.level_ids.index(level)

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

    def is_terminal(self, state: str) -> bool:
        """True for terminal states."""
        return self.states[state].terminal


def freeze(mapping: dict[str, Any]) -> Mapping[str, Any]:
    """A read-only view of ``mapping``."""
    return MappingProxyType(mapping)
