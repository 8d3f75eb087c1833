"""SVG and PNG through the Graphviz ``dot`` program (found on ``PATH``, never via a shell)."""

from __future__ import annotations

import shutil
import subprocess
from typing import Literal

from incidentflow.render.model import RenderError

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
