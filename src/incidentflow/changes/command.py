"""``incidentflow diff OLD NEW``: the command behind the CLI's ``diff``.

Exit status: 0 when nothing changed (or nothing that ``--fail-on`` counts), 1 when
changes were found (``--fail-on migration``: only changes that need migrating
open incidents; ``--fail-on never``: never), 2 on usage or I/O errors and on
specs with errors (whose diagnostics are printed as ``validate`` prints them).
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from incidentflow.changes.formats import DiffFormat, format_diff

EXIT_OK, EXIT_CHANGED, EXIT_USAGE = 0, 1, 2
FAIL_ON = ("any", "migration", "never")


def diff_command(
    old: str, new: str, fmt: DiffFormat, fail_on: str, stdout: TextIO, stderr: TextIO
) -> int:
    """Compare spec files ``old`` and ``new``, print the diff, return the exit status."""
    from incidentflow.api import check_file
    from incidentflow.changes import diff
    from incidentflow.errors import SpecFileError
    from incidentflow.reporting import format_text

    results = []
    for path in (old, new):
        try:
            results.append(check_file(Path(path)))
        except SpecFileError as exc:
            stderr.write(f"incidentflow: {exc}\n")
            return EXIT_USAGE
    broken = [r for r in results if r.process is None]
    if broken:  # spec problems: shown as validate shows them
        diagnostics = [d for r in broken for d in r.diagnostics]
        stderr.write(format_text(diagnostics, {r.file: r.text for r in broken}))
        stderr.write("incidentflow diff: compares valid specs only; fix the errors above\n")
        return EXIT_USAGE
    before, after = (r.process for r in results)
    assert before is not None
    assert after is not None
    found = diff(before, after, old_file=old, new_file=new)
    stdout.write(format_diff(found, fmt))
    if fail_on == "never" or found.empty:
        return EXIT_OK
    if fail_on == "migration":
        return EXIT_CHANGED if found.needs_migration else EXIT_OK
    return EXIT_CHANGED
