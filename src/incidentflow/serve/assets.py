"""Where the web page's Mermaid comes from: always this machine, never a CDN.

The page draws the flowchart with ``mermaid.min.js`` served by the service itself at
``/static/mermaid.min.js``. :func:`find_mermaid` looks, in order, at:

1. the file named by ``--mermaid FILE`` (or ``INCIDENTFLOW_MERMAID_JS``);
2. ``incidentflow/serve/static/mermaid.min.js`` inside the installed package: the
   wheel carries the pinned Mermaid (``pyproject.toml`` force-includes
   ``node_modules/mermaid/dist/mermaid.min.js``, so ``npm ci`` runs before building);
3. ``node_modules/mermaid/dist/mermaid.min.js`` of the source checkout the package is
   imported from (a development install), as the docs site and browser tests use.

When none exists the page still works: it shows the flowchart's Mermaid text instead
of the drawing, and the service says so when it starts.
"""

from __future__ import annotations

import os
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates"
ENVIRONMENT = "INCIDENTFLOW_MERMAID_JS"
_PACKAGED = STATIC / "mermaid.min.js"
_CHECKOUT = (
    Path(__file__).resolve().parents[3] / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
)


def find_mermaid(given: str | os.PathLike[str] | None = None) -> Path | None:
    """The ``mermaid.min.js`` to serve, or None (see the module notes for the order).
    A file given explicitly (argument or environment) must exist: FileNotFoundError."""
    chosen = given if given is not None else os.environ.get(ENVIRONMENT) or None
    if chosen is not None:
        path = Path(chosen)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file (the Mermaid to serve)")
        return path
    for candidate in (_PACKAGED, _CHECKOUT):
        if candidate.is_file():
            return candidate
    return None
