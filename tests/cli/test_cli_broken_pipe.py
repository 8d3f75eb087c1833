"""``incidentflow ... | head``: a reader that leaves early ends the command quietly (issue 9, item 12).

Every command writes through ``main()``, which treats a closed standard output as
Python's documentation advises (signal module, "Note on SIGPIPE") and exits with
141, the status a shell shows for a program stopped by SIGPIPE. The read end of
the pipe is closed before the command starts, so its first write always fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from incidentflow.cli import EXIT_BROKEN_PIPE

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "process_specs" / "major-incident.yaml"


def run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess[bytes]:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "incidentflow", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)


@pytest.mark.skipif(os.name != "posix", reason="pipes closed under a running process")
@pytest.mark.parametrize(
    "args",
    [
        ["validate", str(ROOT / "tests" / "specs" / "invalid")],
        ["validate", "--format", "json", str(ROOT / "tests" / "specs" / "invalid")],
        ["schema"],
        ["render", str(SPEC)],
        ["drill", str(SPEC)],
    ],
    ids=lambda a: " ".join(a[:3]).replace(str(ROOT) + "/", ""),
)
def test_a_closed_pipe_ends_the_command_quietly(args: list[str]) -> None:
    done = run_into_closed_pipe(*args)
    assert done.stderr.decode() == ""
    assert done.returncode == EXIT_BROKEN_PIPE == 141
