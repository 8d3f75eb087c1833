"""Mermaid flowcharts (``flowchart TD``) of a :class:`~incidentflow.render.model.Diagram`.

Node ids are made safe (Mermaid reserves words such as ``end``), labels are
quoted with Mermaid's entity codes for characters that would break them, and
initial and terminal states differ in shape as well as colour, so they stay
apparent in greyscale.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from incidentflow.render.model import Diagram, Node

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
}
_SHAPES = {"initial": ('(["', '"])'), "normal": ('["', '"]'), "terminal": ('((("', '")))')}
CLASS_DEFS = (
    "classDef initial fill:#dbe9f6,stroke:#08306b,stroke-width:3px,color:#000000",
    "classDef terminal fill:#d9d9d9,stroke:#000000,stroke-width:2px,color:#000000",
)
# neighbours of the phase in focus (render --phase): dotted and grey
CONTEXT_CLASS_DEF = (
    "classDef context fill:#ffffff,stroke:#777777,stroke-dasharray:2 2,color:#444444"
)


def escape(text: str) -> str:
    """Text safe inside a quoted Mermaid label (newlines become spaces)."""
    text = " ".join(text.split())
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def label(lines: Iterable[str]) -> str:
    """Lines joined with Mermaid line breaks, each escaped."""
    return "<br/>".join(escape(line) for line in lines)


class _Ids:
    """Stable, unique, Mermaid-safe ids: a prefix keeps reserved words like ``end`` out."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.given: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        if name not in self.given:
            base = self.prefix + _UNSAFE.sub("_", name)
            safe, n = base, 1
            while safe in self.given.values():
                n += 1
                safe = f"{base}_{n}"
            self.given[name] = safe
        return self.given[name]


def _node(node: Node, lines: tuple[str, ...], ids: _Ids) -> str:
    opening, closing = _SHAPES[node.kind]
    return f"{ids(node.id)}{opening}{label(lines)}{closing}"


def _arrow(arrow: str, lines: tuple[str, ...]) -> str:
    return f'{arrow}|"{label(lines)}"|' if lines else arrow


CURRENT_CLASS_DEF = "classDef current fill:#ffc857,stroke:#c2410c,stroke-width:4px,color:#000000"
"""How ``to_mermaid(..., current=STATE)`` marks an incident's current state."""


def to_mermaid(diagram: Diagram, *, current: str | None = None) -> str:
    """The diagram as Mermaid flowchart text, ending with a newline. ``current``: a
    state to mark (class ``current``: a thick orange border on an amber fill), e.g.
    where an incident is now; a state the diagram does not draw marks nothing."""
    ids, cluster_ids = _Ids("s_"), _Ids("c_")
    out = ["---", f"title: {json.dumps(diagram.title)}", "---", "flowchart TD"]
    by_id = {n.id: n for n in diagram.nodes}
    clustered = {nid for c in diagram.clusters for nid in c.node_ids}
    for cluster in diagram.clusters:
        out.append(f'    subgraph {cluster_ids(cluster.group)}["{escape(cluster.group)}"]')
        for nid in cluster.node_ids:
            out.append(f"        {_node(by_id[nid], diagram.label_of(by_id[nid]), ids)}")
        out.append("    end")
    out.extend(
        f"    {_node(n, diagram.label_of(n), ids)}" for n in diagram.nodes if n.id not in clustered
    )
    for edge in diagram.edges:
        arrow = _arrow("-->", diagram.label_of(edge))
        out.append(f"    {ids(edge.source)} {arrow} {ids(edge.target)}")
    for timer in diagram.timer_edges:
        arrow = _arrow("-.->", diagram.label_of(timer))
        out.append(f"    {ids(timer.source)} {arrow} {ids(timer.target)}")
    out.extend(f"    {c}" for c in CLASS_DEFS)
    for kind in ("initial", "terminal"):
        members = [ids(n.id) for n in diagram.nodes if n.kind == kind and not n.context]
        if members:
            out.append(f"    class {','.join(members)} {kind}")
    context = [ids(n.id) for n in diagram.nodes if n.context]
    if context:
        out.append(f"    {CONTEXT_CLASS_DEF}")
        out.append(f"    class {','.join(context)} context")
    if current is not None and current in by_id:
        out.append(f"    {CURRENT_CLASS_DEF}")
        out.append(f"    class {ids(current)} current")
    return "\n".join(out) + "\n"
