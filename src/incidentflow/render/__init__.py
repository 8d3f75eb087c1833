"""Rendering: a neutral diagram model built from a Process, drawn as Mermaid, DOT, SVG or PNG."""

from incidentflow.render.dot import to_dot
from incidentflow.render.graphviz import (
    GraphvizFailedError,
    GraphvizNotFoundError,
    draw,
    render_image,
)
from incidentflow.render.mermaid import to_mermaid
from incidentflow.render.model import (
    Cluster,
    Diagram,
    Edge,
    Node,
    RenderError,
    TimerEdge,
    UnknownLevelError,
    UnknownPhaseError,
    diagram,
)

__all__ = [
    "Cluster",
    "Diagram",
    "Edge",
    "GraphvizFailedError",
    "GraphvizNotFoundError",
    "Node",
    "RenderError",
    "TimerEdge",
    "UnknownLevelError",
    "UnknownPhaseError",
    "diagram",
    "draw",
    "render_image",
    "to_dot",
    "to_mermaid",
]
