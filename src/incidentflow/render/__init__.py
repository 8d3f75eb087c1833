"""Rendering: a neutral diagram model built from a Process, drawn as Mermaid, DOT, SVG or PNG."""

from incidentflow._deprecated import forward
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
    Node,
    RenderError,
    TimerEdge,
    TransitionEdge,
    UnknownLevelError,
    UnknownPhaseError,
    diagram,
)

__all__ = [
    "Cluster",
    "Diagram",
    "GraphvizFailedError",
    "GraphvizNotFoundError",
    "Node",
    "RenderError",
    "TimerEdge",
    "TransitionEdge",
    "UnknownLevelError",
    "UnknownPhaseError",
    "diagram",
    "draw",
    "render_image",
    "to_dot",
    "to_mermaid",
]

# Old names: they warn (DeprecationWarning) and give the new object; see CHANGELOG.md.
__getattr__ = forward(__name__, {"Edge": ("incidentflow.render.model", "TransitionEdge")})
