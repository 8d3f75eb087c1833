"""Cluster titles placed where no edge crosses them.

Graphviz puts a cluster's title at the top centre, which is where edges from
the states above enter the cluster, so a line often runs through the title
(``dot`` does not route around titles). Before drawing an image,
:func:`place_titles` lays the graph out (``dot -Tjson``), finds the titles an
edge or an edge label crosses, and tries the other corners and sides
(top-left, top-right, bottom-centre, ...) for those clusters, keeping a move
only when it leaves fewer crossings. It stops after ``budget`` layouts, so a
large graph costs a bounded number of extra ``dot`` runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

TitlePlace = tuple[Literal["t", "b"], Literal["l", "c", "r"]]
"""Graphviz ``labelloc`` and ``labeljust`` of a cluster title."""
PLACES: tuple[TitlePlace, ...] = (
    ("t", "c"),  # Graphviz's default, tried first
    ("t", "l"),
    ("t", "r"),
    ("b", "c"),
    ("b", "l"),
    ("b", "r"),
)
DEFAULT_BUDGET = 12
_SAMPLES_PER_SEGMENT = 24

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points


@dataclass(frozen=True, slots=True)
class Crossing:
    """Edge ``edge`` (its index in the layout) crosses the title of cluster ``cluster``."""

    cluster: int
    edge: int


def text_boxes(ops: list[dict[str, Any]]) -> Iterator[Box]:
    """Bounding boxes of the text in xdot drawing ops (a ``_ldraw_`` list of ``dot -Tjson``)."""
    size = 14.0
    for op in ops:
        if op.get("op") == "F":
            size = float(op["size"])
        elif op.get("op") == "T":
            x, y = (float(v) for v in op["pt"])
            width = float(op["width"])
            left = {"l": x, "r": x - width}.get(op.get("align", "c"), x - width / 2)
            # y is the baseline: descenders go a quarter of the size below it
            yield (left, y - 0.25 * size, left + width, y + 0.8 * size)


def spline_points(pos: str) -> Iterator[tuple[float, float]]:
    """Points along an edge's B-spline (its ``pos`` attribute), sampled on every segment."""
    points = []
    for token in pos.split():
        if token.startswith(("e,", "s,")):
            continue  # arrowhead end points, not spline control points
        x, _, y = token.partition(",")
        points.append((float(x), float(y)))
    for i in range(0, len(points) - 3, 3):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points[i : i + 4]
        for k in range(_SAMPLES_PER_SEGMENT + 1):
            t = k / _SAMPLES_PER_SEGMENT
            u = 1 - t
            a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
            yield (a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def crossings(layout: Mapping[str, Any]) -> set[Crossing]:
    """Where an edge's line or label crosses a cluster title, in ``dot -Tjson`` output.

    Clusters are those named ``cluster_<n>`` (as :func:`~incidentflow.render.dot.to_dot`
    names them); ``n`` is the cluster's index in the diagram.
    """
    titles: dict[int, list[Box]] = {}
    for obj in layout.get("objects", ()):
        name = str(obj.get("name", ""))
        if name.startswith("cluster_") and name[8:].isdigit():
            titles[int(name[8:])] = list(text_boxes(obj.get("_ldraw_", [])))
    found: set[Crossing] = set()
    for index, edge in enumerate(layout.get("edges", ())):
        labels = list(text_boxes(edge.get("_ldraw_", [])))
        points = list(spline_points(str(edge.get("pos", ""))))
        for cluster, boxes in titles.items():
            for box in boxes:
                hit = any(_overlap(label, box) for label in labels) or any(
                    box[0] <= x <= box[2] and box[1] <= y <= box[3] for x, y in points
                )
                if hit:
                    found.add(Crossing(cluster, index))
                    break
    return found


Layout = Callable[[Mapping[int, TitlePlace]], Mapping[str, Any]]
"""Lays the diagram out with the given title places and returns ``dot -Tjson`` output."""


def place_titles(layout: Layout, *, budget: int = DEFAULT_BUDGET) -> dict[int, TitlePlace]:
    """Title places that leave as few crossings as ``budget`` layouts can find.

    Greedy: for each crossed title in turn, the first other place that lowers the
    total number of crossings is kept. Returns only the clusters that moved; an
    empty mapping means every title stays at the top centre.
    """
    chosen: dict[int, TitlePlace] = {}
    current = crossings(layout(chosen))
    runs = 1
    while current and runs < budget:
        improved = False
        for cluster in sorted({c.cluster for c in current}):
            here = chosen.get(cluster, PLACES[0])
            for place in PLACES:
                if place == here or runs >= budget:
                    continue
                trial = {**chosen, cluster: place}
                found = crossings(layout(trial))
                runs += 1
                if len(found) < len(current):
                    chosen, current, improved = trial, found, True
                    break
            if improved:
                break  # re-read which titles are crossed: a move changes the layout
        if not improved:
            break
    return chosen
