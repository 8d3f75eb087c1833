"""Graphviz DOT text of a :class:`~incidentflow.render.model.Diagram`.

Top to bottom, states clustered by group, transitions as labelled edges and
timers as dashed edges. The initial state is a bold rounded box and terminal
states are grey boxes with a double border, so both stay apparent in greyscale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from incidentflow.render.model import Detail, Diagram, Node
from incidentflow.render.titles import TitlePlace

FONT = "Helvetica"
_NODE_STYLE = {
    "initial": 'shape=box, style="rounded,filled,bold", penwidth=3, fillcolor="#dbe9f6"',
    "normal": 'shape=box, style="rounded,filled", fillcolor="#ffffff"',
    # A double-bordered box: as distinct as a double circle, even in greyscale, but sized
    # to its label (a circle grows with the longest line: "False positive" became huge).
    "terminal": 'shape=box, style="rounded,filled", peripheries=2, fillcolor="#d9d9d9"',
}


def quote(text: str) -> str:
    """A DOT double-quoted string (backslashes and quotes escaped, newlines as spaces)."""
    text = " ".join(text.split())
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def label(lines: Iterable[str]) -> str:
    """Lines as one quoted DOT label, centred line breaks between them."""
    return "\\n".join(quote(line)[1:-1] for line in lines).join('""')


# (nodesep, ranksep) in inches: less detail, smaller labels, so the layout can be tighter
_SPACING: dict[Detail, tuple[float, float]] = {
    "full": (0.6, 0.7),
    "brief": (0.5, 0.55),
    "outline": (0.4, 0.45),
}


# A neighbour of the phase in focus: dotted (clusters are dashed) and grey, so it reads
# as "elsewhere"; a terminal neighbour keeps its double border.
_CONTEXT_STYLE = (
    'shape=box, style="rounded,dotted", penwidth=1.5, color="#777777", fontcolor="#444444"'
)


def _node(node: Node, lines: tuple[str, ...]) -> str:
    style = _NODE_STYLE[node.kind]
    if node.context:
        style = _CONTEXT_STYLE + (", peripheries=2" if node.kind == "terminal" else "")
    return f"{quote(node.id)} [label={label(lines)}, {style}];"


def _edge_label(lines: tuple[str, ...]) -> str:
    return f"label={label(lines)}" if lines else ""


def to_dot(diagram: Diagram, *, title_places: Mapping[int, TitlePlace] | None = None) -> str:
    """The diagram as a DOT digraph, ending with a newline.

    Clusters are the subgraphs ``cluster_<n>``, ``n`` their index in ``diagram.clusters``;
    ``title_places`` moves the titles of some of them (see :mod:`~incidentflow.render.titles`).
    """
    places = title_places or {}
    nodesep, ranksep = _SPACING[diagram.detail]
    out = [
        f"digraph {quote(diagram.title)} {{",
        f"    graph [rankdir=TB, label={quote(diagram.title)}, labelloc=t, fontname={quote(FONT)},"
        f" fontsize=16, nodesep={nodesep}, ranksep={ranksep}];",
        f'    node [fontname={quote(FONT)}, fontsize=11, margin="0.15,0.08"];',
        f"    edge [fontname={quote(FONT)}, fontsize=9];",
    ]
    by_id = {n.id: n for n in diagram.nodes}
    clustered = {nid for c in diagram.clusters for nid in c.node_ids}
    for i, cluster in enumerate(diagram.clusters):
        out.append(f"    subgraph cluster_{i} {{")
        loc, just = places.get(i, ("t", "c"))
        placed = "" if (loc, just) == ("t", "c") else f", labelloc={loc}, labeljust={just}"
        out.append(
            f'        graph [label={quote(cluster.group)}, style="rounded,dashed", '
            f'color="#555555", fontsize=12{placed}];'
        )
        out.extend(
            f"        {_node(by_id[nid], diagram.label_of(by_id[nid]))}" for nid in cluster.node_ids
        )
        out.append("    }")
    out.extend(
        f"    {_node(n, diagram.label_of(n))}" for n in diagram.nodes if n.id not in clustered
    )
    for edge in diagram.edges:
        attrs = _edge_label(diagram.label_of(edge))
        out.append(
            f"    {quote(edge.source)} -> {quote(edge.target)}{f' [{attrs}]' if attrs else ''};"
        )
    for timer in diagram.timer_edges:
        attrs = ", ".join(a for a in (_edge_label(diagram.label_of(timer)), "style=dashed") if a)
        out.append(
            f"    {quote(timer.source)} -> {quote(timer.target)} "
            f'[{attrs}, color="#555555", fontcolor="#333333"];'
        )
    out.append("}")
    return "\n".join(out) + "\n"
