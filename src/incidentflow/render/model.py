"""A neutral diagram model built from a :class:`~incidentflow.compiler.process.Process`.

Renderers (Mermaid, DOT) draw this model and nothing else, so they are tested by
building a :class:`Diagram` by hand. Everything here is immutable, and ordering
is deterministic: states in spec order, edges in spec order (one per transition
and source state), clusters in order of first appearance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from incidentflow._deprecated import forward
from incidentflow.errors import IncidentflowError
from incidentflow.spec.durations import format_duration

if TYPE_CHECKING:
    from incidentflow.compiler.process import Process
    from incidentflow.spec.models import Timer, Transition

NodeKind = Literal["initial", "normal", "terminal"]
GroupBy = Literal["phase", "owner", "none"]
GROUP_BY: tuple[GroupBy, ...] = ("phase", "owner", "none")
Detail = Literal["full", "brief", "outline"]
"""How much a label says: ``full`` everything; ``brief`` state titles and transition and
timer names; ``outline`` state titles only, edges unlabelled (the overview of a large process)."""
DETAIL: tuple[Detail, ...] = ("full", "brief", "outline")


class RenderError(IncidentflowError):
    """A diagram could not be built or drawn."""


class UnknownPhaseError(RenderError, ValueError):
    """``phase`` names a phase no state of the process has."""

    def __init__(self, phase: str, known: Iterable[str]) -> None:
        self.phase = phase
        self.known = tuple(known)
        listed = ", ".join(self.known) if self.known else "none: no state has a phase"
        super().__init__(f"unknown phase '{phase}' (known: {listed})")


class UnknownLevelError(RenderError, ValueError):
    """``severity`` names a level the process does not have."""

    def __init__(self, level: str, known: Iterable[str]) -> None:
        self.level = level
        self.known = tuple(known)
        super().__init__(f"unknown severity level '{level}' (known: {', '.join(self.known)})")


@dataclass(frozen=True, slots=True)
class Node:
    """A state. ``label`` is its title (or id); ``timers`` lists timers that fire no transition."""

    id: str
    label: str
    kind: NodeKind = "normal"
    owner: str | None = None
    group: str | None = None
    timers: tuple[str, ...] = ()
    context: bool = False
    """Drawn only as a neighbour of the phase in focus (``diagram(..., phase=...)``)."""

    @property
    def lines(self) -> tuple[str, ...]:
        """The label as lines: title, owner, timers that only act."""
        lines = [self.label]
        if self.owner:
            lines.append(f"owner: {self.owner}")
        if self.timers:
            lines.append(f"timers: {', '.join(self.timers)}")
        return tuple(lines)


@dataclass(frozen=True, slots=True)
class TransitionEdge:
    """A transition's move from one source state, as drawn: its label's name, roles,
    required items and severity guard."""

    source: str
    target: str
    name: str
    roles: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    guard: tuple[str, ...] = ()

    @property
    def lines(self) -> tuple[str, ...]:
        """The label as lines: name, roles allowed, checklist items required, severity guard."""
        lines = [self.name]
        if self.roles:
            lines.append(f"by: {', '.join(self.roles)}")
        if self.requires:
            lines.append(f"requires: {', '.join(self.requires)}")
        if self.guard:
            lines.append(f"only {', '.join(self.guard)}")
        return tuple(lines)


@dataclass(frozen=True, slots=True)
class TimerEdge:
    """A timer that fires a transition: drawn dashed from its state to the transition's target."""

    source: str
    target: str
    timer: str
    transition: str
    after: str

    @property
    def lines(self) -> tuple[str, ...]:
        """The label as lines: timer and when it fires, then the transition it fires."""
        return (f"timer {self.timer} ({self.after})", f"fires {self.transition}")


@dataclass(frozen=True, slots=True)
class Cluster:
    """States drawn together: one phase or one owner."""

    group: str
    node_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Diagram:
    """What a renderer draws. ``severity`` is the level the view is restricted to, if any."""

    title: str
    nodes: tuple[Node, ...]
    edges: tuple[TransitionEdge, ...] = ()
    timer_edges: tuple[TimerEdge, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    severity: str | None = None
    detail: Detail = "full"

    def label_of(self, item: Node | TransitionEdge | TimerEdge) -> tuple[str, ...]:
        """The lines to write on ``item`` at this diagram's detail; ``()`` means no label."""
        if isinstance(item, Node) and item.context:
            return (item.label,)  # a neighbour: its title says where the edge goes
        if self.detail == "full":
            return item.lines
        if isinstance(item, Node):
            return (item.label,)
        if self.detail == "outline":
            return ()
        return (item.name,) if isinstance(item, TransitionEdge) else (f"timer {item.timer}",)


def schedule_text(timer: Timer) -> str:
    """When a timer fires, as written: ``after 5m``, ``every update_every (at most 3)``,
    ``after SEV1 5m, default 1h, then every 30m``, ``after 2h in office``."""
    text = ", then ".join(f"{key} {_delay_text(delay)}" for key, delay in timer.delays)
    if timer.calendar not in (None, "always"):
        # a timer with its own calendar says so: "after 2h in office" is working time
        text += f" in {timer.calendar}"
    if timer.every is not None and timer.max is not None:
        text += f" (at most {timer.max})"
    return text


def _delay_text(delay: str | Mapping[str, timedelta]) -> str:
    if isinstance(delay, str):
        return delay
    return ", ".join(
        f"{level} {format_duration(d) if isinstance(d, timedelta) else d}"
        for level, d in delay.items()
    )


def clusters_of(nodes: Iterable[Node]) -> tuple[Cluster, ...]:
    """Group nodes by ``group`` in order of first appearance; ungrouped nodes stay outside."""
    groups: dict[str, list[str]] = {}
    for node in nodes:
        if node.group is not None:
            groups.setdefault(node.group, []).append(node.id)
    return tuple(Cluster(g, tuple(ids)) for g, ids in groups.items())


def diagram(
    process: Process,
    *,
    group_by: GroupBy = "phase",
    severity: str | None = None,
    detail: Detail = "full",
    phase: str | None = None,
) -> Diagram:
    """The diagram of ``process``, states grouped by ``group_by``, labelled at ``detail``.

    With ``severity``, only the edges whose guard admits that level are drawn, and
    only the states an incident at that level can reach from the initial state.
    With ``phase``, only that phase's states are drawn in full, with the edges into
    and out of them; the states at the other end of those edges appear as
    ``context`` nodes (title only, outside any cluster), so a large process can be
    read one phase at a time. Raises :class:`UnknownLevelError` for a level the
    process does not have and :class:`UnknownPhaseError` for a phase no state has.
    """
    if group_by not in GROUP_BY:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_BY)}, not {group_by!r}")
    if detail not in DETAIL:
        raise ValueError(f"detail must be one of {', '.join(DETAIL)}, not {detail!r}")
    if severity is not None and severity not in process.level_ids:
        raise UnknownLevelError(severity, process.level_ids)
    spec = process.spec
    states = spec.process.states
    phases = tuple(dict.fromkeys(st.phase for st in states.values() if st.phase is not None))
    if phase is not None and phase not in phases:
        raise UnknownPhaseError(phase, phases)
    transitions = spec.process.transitions
    if severity is None:
        moves, shown = list(process.edges), set(states)
    else:
        view = process.view_at(severity)
        moves, shown = list(view.edges), set(view.reachable)
    context: set[str] = set()
    if phase is not None:
        inside = {sid for sid in shown if states[sid].phase == phase}
        moves = [
            m
            for m in moves
            if m.source in shown
            and m.target in shown
            and (m.source in inside or m.target in inside)
        ]
        context = {sid for m in moves for sid in (m.source, m.target)} - inside
        shown = inside | context

    nodes: list[Node] = []
    timer_edges: list[TimerEdge] = []
    for sid, state in states.items():
        if sid not in shown:
            continue
        kind: NodeKind = (
            "initial" if sid == process.initial else "terminal" if state.terminal else "normal"
        )
        group = None if group_by == "none" else state.phase if group_by == "phase" else state.owner
        if sid in context:
            nodes.append(Node(sid, state.title or sid, kind, state.owner, None, (), context=True))
            continue
        notes: list[str] = []
        for timer in state.timers:
            move = next((m for m in moves if m.source == sid and m.name == timer.transition), None)
            if timer.transition is None:
                # a recurring timer is marked with its period: "status_update every 30m"
                notes.append(
                    timer.id if timer.every is None else f"{timer.id} {schedule_text(timer)}"
                )
            elif move is not None:
                timer_edges.append(
                    TimerEdge(sid, move.target, timer.id, timer.transition, schedule_text(timer))
                )
        nodes.append(Node(sid, state.title or sid, kind, state.owner, group, tuple(notes)))

    edges = tuple(
        _edge(m.source, m.target, transitions[m.index]) for m in moves if m.source in shown
    )
    title = spec.metadata.title or spec.metadata.name
    if phase is not None:
        title = f"{title}: phase {phase}"
    if severity is not None:
        title = f"{title} at {severity}"
    return Diagram(
        title, tuple(nodes), edges, tuple(timer_edges), clusters_of(nodes), severity, detail
    )


def _edge(source: str, target: str, tr: Transition) -> TransitionEdge:
    guard = tr.when.severity if tr.when is not None else ()
    return TransitionEdge(source, target, tr.name, tr.by, tr.requires, guard)


# Old names: they warn (DeprecationWarning) and give the new object; see CHANGELOG.md.
__getattr__ = forward(__name__, {"Edge": (__name__, "TransitionEdge")})
