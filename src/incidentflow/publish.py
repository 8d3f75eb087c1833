"""Handbooks written to files: what ``incidentflow docs`` and the documentation site publish.

The renderers (:mod:`incidentflow.render`) only return text; this module checks
the specs, and writes one Markdown handbook
(:func:`~incidentflow.render.handbook.handbook`) per process into a directory.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from incidentflow.render.handbook import handbook

if TYPE_CHECKING:
    from incidentflow.api import CheckResult

__all__ = ["handbook_results", "write_handbooks", "write_results"]


def handbook_results(path: str | os.PathLike[str]) -> list[CheckResult]:
    """Check a spec file, or every spec of a directory (a set); raises SpecFileError on I/O."""
    from incidentflow.api import check_file, check_set

    return check_set(path) if Path(path).is_dir() else [check_file(path)]


def write_results(results: Sequence[CheckResult], out_dir: Path) -> list[Path]:
    """Write ``out_dir/<name>.md`` for each compiled result; raises OSError on I/O."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for result in results:
        if result.process is None:
            continue
        target = out_dir / f"{result.process.name}.md"
        target.write_text(handbook(result.process), encoding="utf-8")
        written.append(target)
    return written


def write_handbooks(path: Path, out_dir: Path) -> list[Path]:
    """Write one handbook per process of ``path`` (a spec file or a directory) into ``out_dir``.

    Returns the files written. Raises :class:`~incidentflow.errors.SpecError` when a
    spec has errors (nothing is written then), SpecFileError or OSError on I/O problems.
    """
    from incidentflow.errors import SpecError

    results = handbook_results(path)
    if any(r.process is None for r in results):
        raise SpecError([d for r in results for d in r.diagnostics])
    return write_results(results, out_dir)
