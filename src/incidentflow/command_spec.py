"""What a command that works on one spec file does first: compile it, or say why not.

``render``, ``drill`` and ``simulate`` share it, so that a file that cannot be read
and a spec with errors read the same in every command (as ``validate`` shows them).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from incidentflow.compiler.process import Process

EXIT_SPEC_ERRORS, EXIT_USAGE = 1, 2


def process_or_exit(spec: str, stderr: TextIO) -> Process | int:
    """The process compiled from the file ``spec``; else, after writing why to ``stderr``,
    the exit code: 2 for a file that cannot be read, 1 for a spec with errors."""
    from incidentflow.api import check_file
    from incidentflow.errors import SpecFileError
    from incidentflow.reporting import format_text

    try:
        result = check_file(Path(spec))
    except SpecFileError as exc:
        stderr.write(f"incidentflow: {exc}\n")
        return EXIT_USAGE
    if result.process is None:  # spec problems: shown as validate shows them
        stderr.write(format_text(result.diagnostics, {result.file: result.text}))
        return EXIT_SPEC_ERRORS
    return result.process
