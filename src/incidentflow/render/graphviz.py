"""SVG and PNG through the Graphviz ``dot`` program (found on ``PATH``, never via a shell)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any, Literal

from incidentflow.render.dot import to_dot
from incidentflow.render.model import Diagram, RenderError
from incidentflow.render.titles import DEFAULT_BUDGET, TitlePlace, place_titles

ImageFormat = Literal["svg", "png"]
INSTALL_HINT = (
    "install Graphviz: 'apt-get install graphviz' (Debian/Ubuntu) "
    "or 'brew install graphviz' (macOS)"
)


class GraphvizNotFoundError(RenderError):
    """The Graphviz ``dot`` program is not installed (or not on ``PATH``)."""

    def __init__(self) -> None:
        super().__init__(f"the Graphviz 'dot' program was not found on PATH; {INSTALL_HINT}")


class GraphvizFailedError(RenderError):
    """``dot`` ran but failed or took too long."""


def find_dot() -> str:
    """The path of ``dot``; raises :class:`GraphvizNotFoundError` when it is missing."""
    path = shutil.which("dot")
    if path is None:
        raise GraphvizNotFoundError()
    return path


def render_image(dot_text: str, fmt: ImageFormat, *, timeout: float = 60.0) -> bytes:
    """Run ``dot -T<fmt>`` on ``dot_text`` and return the image bytes."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"unsupported image format {fmt!r}")
    return _run_dot(dot_text, fmt, timeout)


def draw(
    diagram: Diagram,
    fmt: ImageFormat,
    *,
    timeout: float = 60.0,
    title_budget: int = DEFAULT_BUDGET,
) -> bytes:
    """The diagram as an image, cluster titles moved off the edges that cross them.

    Lays the diagram out up to ``title_budget`` times (``dot -Tjson``) to place
    the titles (see :mod:`~incidentflow.render.titles`), then draws it; ``0``
    keeps every title at the top centre and runs ``dot`` once. ``timeout`` applies
    to each ``dot`` run. Placing titles is an improvement, not a requirement: if a
    layout fails or cannot be read (a Graphviz without the JSON output, say), the
    titles stay where Graphviz puts them and the image is still drawn.
    """
    if fmt not in ("svg", "png"):
        raise ValueError(f"unsupported image format {fmt!r}")
    places: dict[int, TitlePlace] = {}
    if diagram.clusters and title_budget > 0:

        def layout(trial: Mapping[int, TitlePlace]) -> Mapping[str, Any]:
            laid_out: Mapping[str, Any] = json.loads(
                _run_dot(to_dot(diagram, title_places=trial), "json", timeout)
            )
            return laid_out

        try:
            places = place_titles(layout, budget=title_budget)
        except (GraphvizFailedError, ValueError, KeyError, TypeError, IndexError):
            places = {}
    return _run_dot(to_dot(diagram, title_places=places), fmt, timeout)


def _run_dot(dot_text: str, fmt: str, timeout: float) -> bytes:
    dot = find_dot()
    try:
        done = subprocess.run(
            [dot, f"-T{fmt}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GraphvizFailedError(f"'dot -T{fmt}' took longer than {timeout:g}s") from None
    except OSError as exc:
        raise GraphvizFailedError(f"cannot run '{dot}': {exc}") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip()
        raise GraphvizFailedError(f"'dot -T{fmt}' failed ({done.returncode}): {detail}")
    return done.stdout
