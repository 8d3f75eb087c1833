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
from datetime import datetime, timedelta
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from incidentflow.calendars import ALWAYS, ALWAYS_NAME, HORIZON, BeyondHorizon, Calendar
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

__all__ = [
    "CompiledTrigger",
    "Edge",
    "LevelView",
    "Process",
    "delay_at",
    "first_delay_at",
    "period_at",
    "timer_calendar_name",
]


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


def first_delay_at(timer: Timer, level: Level) -> timedelta | None:
    """How long after its state is entered ``timer`` first fires at ``level``: its
    ``after``, or without one its ``every`` (None: it does not run there)."""
    first = timer.after if timer.after is not None else timer.every
    return None if first is None else delay_at(first, level)


def period_at(timer: Timer, level: Level) -> timedelta | None:
    """How often ``timer`` fires again at ``level`` (None: it fires once there)."""
    return None if timer.every is None else delay_at(timer.every, level)


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


def timer_calendar_name(timer: Timer, level: Level) -> str:
    """The calendar a timer's delay counts in at ``level``: its own ``calendar``, else the
    level's when its first delay (``after``, else ``every``) names one of the level's SLAs
    (the SLA counts in it), else
    ``always``."""
    if timer.calendar is not None:
        return timer.calendar
    first = timer.after if timer.after is not None else timer.every
    if isinstance(first, str) and first in SLA_FIELDS and level.calendar:
        return level.calendar
    return ALWAYS_NAME


def due_after(calendar: Calendar, start: datetime, delay: timedelta) -> datetime:
    """When ``delay`` of working time in ``calendar`` has passed since ``start``.

    The compiler refuses a duration that cannot fall due within the arithmetic's horizon
    (IF148); should one get there all the same, it falls due at the horizon rather than
    never, so that the incident is looked at.
    """
    try:
        return calendar.add(start, delay)
    except BeyondHorizon:
        return start + HORIZON


@dataclass(frozen=True, eq=False)
class Process:
    """A checked, immutable process ready to run or render.

    ``graph`` is a networkx ``MultiDiGraph``: nodes are state ids (attribute
    ``state``), edges are keyed by the transition's index in
    ``spec.process.transitions`` (two transitions may share a name) and carry
    ``name``, ``transition`` and ``levels`` (the levels its guard admits). The
    graph is frozen (``networkx.freeze``): changing it raises. Lookups are read-only mappings.
    ``warnings`` holds the diagnostics of severity warning found while compiling;
    ``source_map`` tells where each part of the spec was written; ``text`` is the source
    the process was compiled from (a store keeps it: :mod:`incidentflow.audit.specs`).

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
    text: str = ""  # the spec's source text (what ``digest`` is the digest of)

    # --- identity ------------------------------------------------------------------------

    @cached_property  # asked on every engine call
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
        """How long after its state is entered timer ``timer_id`` of ``state`` first fires
        at ``level`` (None: it does not run at that level)."""
        return first_delay_at(self.timer(state, timer_id), self.level(level))

    def timer_period(self, state: str, timer_id: str, level: str) -> timedelta | None:
        """How often timer ``timer_id`` of ``state`` fires again at ``level`` (None: once)."""
        return period_at(self.timer(state, timer_id), self.level(level))

    def timers_at(self, state: str, level: str) -> tuple[tuple[Timer, timedelta], ...]:
        """The timers of ``state`` that run at ``level``, with their delays, in spec order."""
        return self._timers_at[(state, level)]

    # --- calendars: business time (see docs/time.md) ------------------------------------

    def calendar(self, name: str | None = None) -> Calendar:
        """The calendar called ``name``; None or ``always`` is :data:`ALWAYS` (every minute
        counts). KeyError for a name the process does not define."""
        if name is None or name == ALWAYS_NAME:
            return ALWAYS
        return self._calendars[name]

    @property
    def calendars(self) -> Mapping[str, Calendar]:
        """The calendars the spec defines, by name (``always`` is not among them)."""
        return self._calendars

    def sla_calendar(self, level: str) -> Calendar:
        """The calendar the SLAs of ``level`` count in."""
        return self.calendar(self.level(level).calendar)

    def sla_due(self, level: str, field: str, start: datetime) -> datetime | None:
        """When SLA ``field`` (``acknowledge_within``, ...) of ``level`` falls due for a clock
        started at ``start`` and never stopped (None: the level has no such SLA). A clock
        that pauses resumes with ``sla_calendar(level).add(resumed_at, limit - spent)``,
        where ``spent`` sums ``working_time`` over the stretches it ran."""
        limit: timedelta | None = self.level(level).sla(field)
        if limit is None:
            return None
        return due_after(self.sla_calendar(level), start, limit)

    def timer_calendar(self, state: str, timer_id: str, level: str) -> Calendar:
        """The calendar timer ``timer_id`` of ``state`` counts in at ``level`` (see
        :func:`timer_calendar_name`)."""
        return self._timer_calendars[(state, timer_id, level)]

    def timer_due(
        self, state: str, timer_id: str, level: str, entered: datetime
    ) -> datetime | None:
        """When timer ``timer_id`` of ``state``, entered at ``entered``, falls due at ``level``
        (None: it does not run at that level)."""
        delay = self.timer_delay(state, timer_id, level)
        if delay is None:
            return None
        return due_after(self.timer_calendar(state, timer_id, level), entered, delay)

    def pauses_sla(self, state: str) -> bool:
        """True when SLA clocks stop while an incident is in ``state`` (``sla: paused``)."""
        return self.states[state].sla == "paused"

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
                delays = ((t, first_delay_at(t, level)) for t in state.timers)
                table[(sid, level.id)] = tuple((t, d) for t, d in delays if d is not None)
        return freeze(table)

    @cached_property
    def _calendars(self) -> Mapping[str, Calendar]:
        return freeze(
            {
                name: Calendar.parse(name, c.timezone, c.hours, c.holidays)
                for name, c in self.spec.calendars.items()
            }
        )

    @cached_property
    def _timer_calendars(self) -> Mapping[tuple[str, str, str], Calendar]:
        return freeze(
            {
                (sid, t.id, level.id): self.calendar(timer_calendar_name(t, level))
                for sid, state in self.states.items()
                for t in state.timers
                for level in self.levels
            }
        )

    @cached_property
    def _separating(self) -> Mapping[str, tuple[Policy, ...]]:
        return freeze({level: separating(self.spec, level) for level in self.level_ids})


def freeze(mapping: dict[_K, _V]) -> Mapping[_K, _V]:
    """A read-only view of ``mapping``."""
    return MappingProxyType(mapping)
