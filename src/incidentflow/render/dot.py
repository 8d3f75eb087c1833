"""Graphviz DOT text of a :class:`~incidentflow.render.model.Diagram`.

Top to bottom, states clustered by group, transitions as labelled edges and
timers as dashed edges. The initial state is a bold rounded box and terminal
states are grey boxes with a double border, so both stay apparent in greyscale.
"""

from __future__ import annotations

from collections.abc import Iterable

from incidentflow.render.model import Diagram, Node

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


def _node(node: Node) -> str:
    return f"{quote(node.id)} [label={label(node.lines)}, {_NODE_STYLE[node.kind]}];"


def to_dot(diagram: Diagram) -> str:
    """The diagram as a DOT digraph, ending with a newline."""
    out = [
        f"digraph {quote(diagram.title)} {{",
        f"    graph [rankdir=TB, label={quote(diagram.title)}, labelloc=t, fontname={quote(FONT)},"
        " fontsize=16, nodesep=0.6, ranksep=0.7];",
        f'    node [fontname={quote(FONT)}, fontsize=11, margin="0.15,0.08"];',
        f"    edge [fontname={quote(FONT)}, fontsize=9];",
    ]
    by_id = {n.id: n for n in diagram.nodes}
    clustered = {nid for c in diagram.clusters for nid in c.node_ids}
    for i, cluster in enumerate(diagram.clusters):
        out.append(f"    subgraph cluster_{i} {{")
        out.append(
            f'        graph [label={quote(cluster.group)}, style="rounded,dashed", '
            'color="#555555", fontsize=12];'
        )
        out.extend(f"        {_node(by_id[nid])}" for nid in cluster.node_ids)
        out.append("    }")
    out.extend(f"    {_node(n)}" for n in diagram.nodes if n.id not in clustered)
    for edge in diagram.edges:
        out.append(f"    {quote(edge.source)} -> {quote(edge.target)} [label={label(edge.lines)}];")
    for timer in diagram.timer_edges:
        out.append(
            f"    {quote(timer.source)} -> {quote(timer.target)} "
            f'[label={label(timer.lines)}, style=dashed, color="#555555", fontcolor="#333333"];'
        )
    out.append("}")
    return "\n".join(out) + "\n"
