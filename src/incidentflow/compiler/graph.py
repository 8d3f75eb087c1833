"""Graph checks (3xx): every state reachable, and every incident able to finish, at every level.

The process is a directed multigraph: states are nodes, each transition adds an
edge from each of its sources, labelled with the levels its ``when`` guard admits.
"At severity L" means the graph with only the edges that admit L. Termination is
checked per level; levels whose edge sets are identical share one analysis.

A process that cannot finish is reported once per *trap*: a set of states that
an incident can enter and never leave towards a terminal (a sink component of
the doomed states), not once for every state upstream of it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from incidentflow.compiler.context import CheckContext
from incidentflow.compiler.process import Edge
from incidentflow.diagnostics import Note
from incidentflow.spec.models import Spec

if TYPE_CHECKING:
    import networkx as nx

# networkx is imported where a graph is built, not here: validating a spec that has no
# problem needs only reachability (reachable_from), and networkx is about a third of the
# import time of `incidentflow validate` (tests/cli/test_lazy_imports.py keeps it so).

SINK = ("__terminal__",)  # a virtual node every terminal state leads to; never a valid state id


def reachable_from(
    successors: Mapping[object, Collection[object]],
    start: object,
    avoiding: Collection[object] = (),
) -> set[object]:
    """``start`` and every node reachable from it along ``successors``, never entering a
    node of ``avoiding`` (a plain graph search: what the checks of a valid spec need)."""
    seen = {start}
    todo = [start]
    while todo:
        for node in successors.get(todo.pop(), ()):
            if node not in seen and node not in avoiding:
                seen.add(node)
                todo.append(node)
    return seen


def build_edges(spec: Spec) -> list[Edge]:
    """Edges between known states (unknown ones were reported as IF201)."""
    states = spec.process.states
    all_levels = frozenset(lv.id for lv in spec.severity.levels)
    edges: list[Edge] = []
    for i, tr in enumerate(spec.process.transitions):
        # An empty guard is IF307; analysing it as unguarded avoids reporting its consequences.
        guarded = tr.when is not None and bool(tr.when.severity)
        levels = all_levels & frozenset(tr.when.severity) if guarded and tr.when else all_levels
        if tr.to not in states:
            continue
        edges.extend(Edge(s, tr.to, i, tr.name, levels) for s in tr.sources if s in states)
    return edges


def process_graph(spec: Spec) -> nx.MultiDiGraph:
    """The process as a frozen networkx MultiDiGraph: one node per state (attribute
    ``state``), one edge per (transition, source) keyed by the transition's index,
    with ``name``, ``transition`` and ``levels`` (the levels its guard admits)."""
    import networkx as nx  # (see the note at the top)

    transitions = spec.process.transitions
    graph = nx.MultiDiGraph(name=spec.metadata.name)
    graph.add_nodes_from((sid, {"state": st}) for sid, st in spec.process.states.items())
    graph.add_edges_from(
        (
            e.source,
            e.target,
            e.index,
            {"name": e.name, "transition": transitions[e.index], "levels": e.levels},
        )
        for e in build_edges(spec)
    )
    return nx.freeze(graph)


@dataclass(frozen=True)
class LevelGroup:
    """Reachability at one group of levels that share the same usable edges.

    ``successors`` (and ``graph``, the same as a networkx DiGraph, built on first use)
    holds only those edges (one per connected pair of states), plus a virtual sink that
    every terminal state leads to: "can finish" is "reaches the sink".
    """

    levels: tuple[str, ...]
    successors: Mapping[object, tuple[object, ...]]
    reachable: frozenset[str]
    can_finish: frozenset[str]
    initial: str = ""

    @cached_property
    def graph(self) -> nx.DiGraph:
        """``successors`` as a networkx DiGraph (for paths and components)."""
        import networkx as nx  # (see the note at the top)

        graph = nx.DiGraph()
        graph.add_node(self.initial)
        graph.add_node(SINK)  # present even when no state is terminal
        graph.add_edges_from((a, b) for a, after in self.successors.items() for b in after)
        return graph


def _view(
    pairs: Iterable[tuple[str, str]],
    terminals: list[str],
    initial: str,
    levels: tuple[str, ...],
) -> LevelGroup:
    # Only states with edges can be reached or reach a terminal; no need to add the others.
    after: dict[object, list[object]] = defaultdict(list)
    before: dict[object, list[object]] = defaultdict(list)
    for a, b in itertools.chain(pairs, ((t, SINK) for t in terminals)):
        if b not in after[a]:
            after[a].append(b)
            before[b].append(a)
    reachable = frozenset(str(s) for s in reachable_from(after, initial) if s != SINK)
    can_finish = frozenset(str(s) for s in reachable_from(before, SINK) if s != SINK)
    successors = {a: tuple(b) for a, b in after.items()}
    return LevelGroup(levels, successors, reachable, can_finish, initial)


def level_views(spec: Spec, edges: list[Edge], whole: LevelGroup) -> list[LevelGroup]:
    """One view per distinct set of usable edges, covering every level.

    Levels whose guards admit every edge share the unguarded analysis.
    """
    usable: dict[str, list[int]] = {lv.id: [] for lv in spec.severity.levels}
    for i, e in enumerate(edges):
        for level in e.levels:
            usable[level].append(i)
    by_signature: dict[tuple[int, ...], list[str]] = defaultdict(list)
    for level, indexes in usable.items():
        by_signature[tuple(indexes)].append(level)
    process = spec.process
    terminals = [s for s, st in process.states.items() if st.terminal]
    views = []
    for signature, levels in by_signature.items():
        if len(signature) == len(edges):
            views.append(
                LevelGroup(
                    tuple(levels),
                    whole.successors,
                    whole.reachable,
                    whole.can_finish,
                    whole.initial,
                )
            )
        else:
            pairs = [(edges[i].source, edges[i].target) for i in signature]
            views.append(_view(pairs, terminals, process.initial, tuple(levels)))
    return views


@dataclass(frozen=True, slots=True)
class GraphAnalysis:
    """What the graph checks computed, for later checks (policies) and the compiled
    :class:`~incidentflow.compiler.process.Process` to reuse: ``whole`` ignores guards."""

    edges: list[Edge]
    whole: LevelGroup
    views: list[LevelGroup]

    def view_at(self, level: str) -> LevelGroup:
        """The view whose levels include ``level``."""
        return next(v for v in self.views if level in v.levels)


def check_graph(ctx: CheckContext) -> GraphAnalysis | None:
    """Run every graph check (after reference checks; unknown states are skipped).

    Returns the per-level views it built, or None when states could not be resolved.
    """
    process = ctx.spec.process
    empty_guards(ctx)
    ambiguous_transitions(ctx)
    terminal_states_with_exits(ctx)
    if process.initial not in process.states:
        return None
    edges = build_edges(ctx.spec)
    dead_ends(ctx, edges)
    if any(d.code == "IF201" for d in ctx.diagnostics):
        return None  # a misspelt state would make every reachability verdict a consequence of it
    analysis = analyse(ctx.spec, edges)
    whole, views = analysis.whole, analysis.views
    unreachable_states(ctx, whole, views)
    traps(ctx, whole, edges)
    stuck_at_severity(ctx, whole, views, edges)
    stranded_by_severity_change(ctx, whole, views, edges)
    return analysis


def analyse(spec: Spec, edges: list[Edge]) -> GraphAnalysis:
    """Reachability of a spec whose states all resolve, with and without guards, from
    its ``edges`` (:func:`build_edges`)."""
    process = spec.process
    terminals = [s for s, st in process.states.items() if st.terminal]
    pairs = [(e.source, e.target) for e in edges]
    whole = _view(pairs, terminals, process.initial, ())
    return GraphAnalysis(edges, whole, level_views(spec, edges, whole))


def _any_level_path(whole: LevelGroup, edges: list[Edge], initial: str, target: str) -> str:
    """``a -t1-> b -t2 (SEV2)-> c``: a way in, each step at a level that may take it."""
    import networkx as nx  # (see the note at the top)

    nodes: list[str] = nx.shortest_path(whole.graph, initial, target)
    text = nodes[0]
    for a, b in itertools.pairwise(nodes):
        edge = next(e for e in edges if (e.source, e.target) == (a, b) and e.levels)
        text += f" -{edge.name}-> {b}"
    return text


def stranded_by_severity_change(
    ctx: CheckContext, whole: LevelGroup, views: list[LevelGroup], edges: list[Edge]
) -> None:
    """IF313: every state an incident can be in can still finish at every level.

    The severity of an open incident can change in any state, so a state that an
    incident reaches at one level must also lead to a terminal state at every
    other. IF312 covers the states a level reaches by itself; this covers those
    only other levels reach (``park`` and ``unpark`` both guarded to SEV2: at SEV1
    nobody can leave ``parked``).
    """
    usable = frozenset().union(*(v.reachable for v in views)) if views else whole.reachable
    found: dict[tuple[tuple[str, ...], int], list[str]] = defaultdict(list)
    for view in views:
        doomed = (usable - view.can_finish) & whole.can_finish  # the rest is IF302/IF303
        for component in _sink_components(view, doomed):
            if view.reachable & set(component):
                continue  # this level gets there by itself: IF312 says so
            blocked = _blocked_exit(component, view, edges)
            if blocked is None:
                # no guarded way out: the component cannot finish unguarded either, or
                # leads only to states that are errors already (IF301/IF312 report them)
                continue
            found[(tuple(_order(ctx, component)), blocked.index)].extend(view.levels)
    level_order = [lv.id for lv in ctx.spec.severity.levels]
    for (members, index), found_levels in found.items():
        levels = sorted(set(found_levels), key=level_order.index)
        entered_at = [lv for v in views if set(members) & v.reachable for lv in v.levels]
        tr = ctx.spec.process.transitions[index]
        which = "severity " + levels[0] if len(levels) == 1 else "severities " + ", ".join(levels)
        states = ", ".join(f"'{m}'" for m in members)
        entered = (
            f" (entered at {', '.join(sorted(set(entered_at), key=level_order.index))})"
            if entered_at
            else ""
        )
        ctx.report(
            "IF313",
            ("process", "transitions", index, "when", "severity"),
            f"an incident in {states}{entered} whose severity changes to "
            f"{' or '.join(levels)} can never reach a terminal state",
            hint=f"add {' and '.join(levels)} to the guard of '{tr.name}', "
            f"or give {states} another exit that {which} may take",
            notes=[
                Note(
                    f"path: {_any_level_path(whole, edges, ctx.spec.process.initial, members[0])}"
                    f", then the severity becomes {levels[0]}"
                ),
                ctx.note_at(
                    ("process", "transitions", index),
                    f"the way out '{tr.name}' excludes {', '.join(levels)}",
                ),
            ],
        )


def empty_guards(ctx: CheckContext) -> None:
    """IF307: a guard that admits no level makes its transition impossible."""
    for i, tr in enumerate(ctx.spec.process.transitions):
        if tr.when is not None and not tr.when.severity:
            ctx.report(
                "IF307",
                ("process", "transitions", i, "when", "severity"),
                f"transition '{tr.name}' can never fire: its guard admits no severity level",
                hint="list the levels at which it may fire, or drop 'when'",
            )


def ambiguous_transitions(ctx: CheckContext) -> None:
    """IF306: one name leaving one state must pick one transition at every level."""
    all_levels = frozenset(lv.id for lv in ctx.spec.severity.levels)
    rank = {lv.id: i for i, lv in enumerate(ctx.spec.severity.levels)}
    transitions = ctx.spec.process.transitions
    guards = [all_levels if tr.when is None else frozenset(tr.when.severity) for tr in transitions]
    # (source, name) -> level -> the first transition of that name leaving there at that
    # level: each transition is compared with the first one it overlaps, in time linear
    # in the guards' sizes (not in the number of same-named transitions before it).
    first_at: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for i, tr in enumerate(transitions):
        levels = guards[i]
        for source in tr.sources:
            claimed = first_at[(source, tr.name)]
            earlier = [claimed[level] for level in levels if level in claimed]
            if earlier:
                j = min(earlier)
                overlap = levels & guards[j]
                at = ", ".join(sorted(overlap & rank.keys(), key=rank.__getitem__))
                ctx.report(
                    "IF306",
                    ("process", "transitions", i, "name"),
                    f"two transitions named '{tr.name}' leave '{source}' at {at}",
                    hint="rename one, or make their 'when' guards disjoint",
                    notes=[ctx.note_at(("process", "transitions", j), "the other one is here")],
                )
            for level in levels:
                claimed.setdefault(level, i)


def terminal_states_with_exits(ctx: CheckContext) -> None:
    """IF304: nothing leaves a terminal state."""
    states = ctx.spec.process.states
    for i, tr in enumerate(ctx.spec.process.transitions):
        for j, source in enumerate(tr.sources):
            state = states.get(source)
            if state is not None and state.terminal:
                path = ("process", "transitions", i, "from") + (
                    () if isinstance(tr.from_, str) else (j,)
                )
                ctx.report(
                    "IF304",
                    path,
                    f"transition '{tr.name}' leaves the terminal state '{source}'",
                    hint=f"remove the transition, or drop 'terminal: true' from '{source}'",
                )


def dead_ends(ctx: CheckContext, edges: list[Edge]) -> None:
    """IF302: a state that is not terminal has at least one way out."""
    # A transition with a misspelt target still counts as a way out: IF201 reports it.
    has_exit = {e.source for e in edges} | {
        s for tr in ctx.spec.process.transitions for s in tr.sources
    }
    for sid, state in ctx.spec.process.states.items():
        if not state.terminal and sid not in has_exit:
            ctx.report(
                "IF302",
                ("process", "states", sid),
                f"state '{sid}' is not terminal but has no way out",
                hint="add a transition from it, or mark it 'terminal: true'",
                at="key",
            )


def unreachable_states(ctx: CheckContext, whole: LevelGroup, views: list[LevelGroup]) -> None:
    """IF301: every state can be reached from the initial state, at some level."""
    reachable_somewhere = (
        frozenset().union(*(v.reachable for v in views)) if views else whole.reachable
    )
    for sid in ctx.spec.process.states:
        if sid not in whole.reachable:
            ctx.report(
                "IF301",
                ("process", "states", sid),
                f"state '{sid}' cannot be reached from '{ctx.spec.process.initial}'",
                hint="add a transition into it, or remove it",
                at="key",
            )
        elif sid not in reachable_somewhere:
            ctx.report(
                "IF301",
                ("process", "states", sid),
                f"state '{sid}' cannot be reached at any severity level once guards are applied",
                hint="widen the 'when' guards on the way into it",
                at="key",
            )


def _sink_components(view: LevelGroup, doomed: frozenset[str]) -> list[list[str]]:
    """Strongly connected sets of doomed states that no usable edge leaves (the traps)."""
    if not doomed:
        return []  # the usual case: skip building the condensation
    import networkx as nx  # (see the note at the top)

    graph = nx.DiGraph(view.graph.subgraph(doomed))
    graph.add_nodes_from(doomed)  # a state with no usable edge at all is not in view.graph
    dag = nx.condensation(graph)
    return [sorted(dag.nodes[c]["members"]) for c in dag.nodes if dag.out_degree(c) == 0]


def _blocked_exit(component: Iterable[str], view: LevelGroup, edges: list[Edge]) -> Edge | None:
    """The first edge out of ``component`` that ``view``'s levels may not take (its guard)."""
    members = set(component)
    levels = set(view.levels)
    return next(
        (
            e
            for e in edges
            if e.source in members and e.target not in members and not (levels & e.levels)
        ),
        None,
    )


def _order(ctx: CheckContext, states: Iterable[str]) -> list[str]:
    position = {s: i for i, s in enumerate(ctx.spec.process.states)}
    return sorted(states, key=position.__getitem__)


def traps(ctx: CheckContext, whole: LevelGroup, edges: list[Edge]) -> None:
    """IF303: from every reachable state some terminal state can be reached (ignoring guards)."""
    has_exit = {e.source for e in edges}
    doomed = whole.reachable - whole.can_finish
    for component in _sink_components(whole, doomed):
        members = _order(ctx, component)
        if len(members) == 1 and members[0] not in has_exit:
            continue  # a dead end: reported as IF302
        names = ", ".join(f"'{m}'" for m in members)
        ctx.report(
            "IF303",
            ("process", "states", members[0]),
            f"no terminal state can be reached from {names}: every way out leads back in",
            hint="add a transition from one of these states towards a terminal state",
            at="key",
            notes=[
                ctx.note_at(("process", "states", m), f"'{m}' is part of the loop", at="key")
                for m in members[1:]
            ],
        )


def describe_path(nodes: list[str], level: str, edges: list[Edge]) -> str:
    """``a -t1-> b -t2-> c``, naming for each step a transition admissible at ``level``."""
    text = nodes[0]
    for a, b in itertools.pairwise(nodes):
        name = next(e.name for e in edges if (e.source, e.target) == (a, b) and level in e.levels)
        text += f" -{name}-> {b}"
    return text


def _path_text(view: LevelGroup, edges: list[Edge], initial: str, target: str) -> str:
    import networkx as nx  # (see the note at the top)

    nodes: list[str] = nx.shortest_path(view.graph, initial, target)
    return describe_path(nodes, view.levels[0], edges) + " (stuck)"


def stuck_at_severity(
    ctx: CheckContext, whole: LevelGroup, views: list[LevelGroup], edges: list[Edge]
) -> None:
    """IF312: at every severity level, every reachable state can still reach a terminal state."""
    found: dict[tuple[tuple[str, ...], int], list[tuple[str, LevelGroup]]] = defaultdict(list)
    for view in views:
        doomed = (view.reachable - view.can_finish) & whole.can_finish  # the rest is IF302/IF303
        for component in _sink_components(view, doomed):
            members = tuple(_order(ctx, component))
            blocked = _blocked_exit(component, view, edges)
            if (
                blocked is None
            ):  # pragma: no cover - a sink that can finish unguarded has a guarded exit
                continue
            for level in view.levels:
                found[(members, blocked.index)].append((level, view))
    level_order = [lv.id for lv in ctx.spec.severity.levels]
    for (members, index), entries in found.items():
        levels = sorted({lv for lv, _ in entries}, key=level_order.index)
        view = entries[0][1]
        tr = ctx.spec.process.transitions[index]
        which = "severity " + levels[0] if len(levels) == 1 else "severities " + ", ".join(levels)
        states = ", ".join(f"'{m}'" for m in members)
        guard_path = ("process", "transitions", index, "when", "severity")
        ctx.report(
            "IF312",
            guard_path,
            f"at {which} an incident can reach {states} but never a terminal state",
            hint=f"add {' and '.join(levels)} to the guard of '{tr.name}', "
            f"or give {states} another exit that {which} may take",
            notes=[
                Note(f"path: {_path_text(view, edges, ctx.spec.process.initial, members[0])}"),
                ctx.note_at(
                    ("process", "transitions", index),
                    f"the way out '{tr.name}' excludes {', '.join(levels)}",
                ),
            ],
        )
