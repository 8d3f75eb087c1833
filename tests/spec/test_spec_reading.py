"""Reading a spec is bounded before it starts (issue 9, item 9).

The size is checked on the open file before any byte is read, at most the limit
(plus one byte) is ever read, and anything that is not a regular file (a FIFO, a
device, a directory) is refused without being read. The cases that would hang or
exhaust memory without these bounds run in a child process with a timeout and a
memory cap, so that a regression fails instead of taking the test run down.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

import incidentflow
from incidentflow import Limits, SpecError, SpecFileError
from incidentflow.spec import source

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = (ROOT / "tests" / "specs" / "valid" / "minimal.yaml").read_text(encoding="utf-8")
POSIX = pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev/zero are POSIX")


def check_in_child(path: str) -> subprocess.CompletedProcess[str]:
    """``incidentflow.check(path)`` in a child limited to 30 s and 1 GiB."""
    code = (
        "import resource, sys, incidentflow\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "try:\n"
        "    print([d.code for d in incidentflow.check(sys.argv[1])])\n"
        "except incidentflow.SpecFileError as exc:\n"
        "    print('SpecFileError:', exc.reason)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, path], capture_output=True, text=True, timeout=30, check=False
    )


@POSIX
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    done = check_in_child(str(fifo))  # without the fix: blocks until the 30 s timeout
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "SpecFileError: is a FIFO (named pipe), not a regular file"


@POSIX
def test_dev_zero_is_refused_without_reading(tmp_path: Path) -> None:
    done = check_in_child("/dev/zero")  # without the fix: MemoryError (or the limit) first
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "SpecFileError: is a character device, not a regular file"


@POSIX
def test_validate_names_a_fifo_as_an_io_error(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "incidentflow", "validate", str(fifo)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


@POSIX
def test_a_set_of_specs_skips_a_fifo(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(MINIMAL, encoding="utf-8")
    os.mkfifo(tmp_path / "b.yaml")
    assert incidentflow.check(tmp_path) == []


def test_a_directory_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(SpecFileError, match="is a directory; use load_set"):
        incidentflow.load(tmp_path)


def test_a_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:  # 600 MB, sparse: costs no disk
        handle.truncate(600 * 1024 * 1024)
    tracemalloc.start()
    try:
        diagnostics = incidentflow.check(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [d.code for d in diagnostics] == ["IF110"]
    assert "629,145,600 bytes" in diagnostics[0].message
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_a_file_at_the_limit_is_read_and_one_byte_over_is_not(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    limits = Limits(max_bytes=len(MINIMAL.encode()))
    path.write_text(MINIMAL, encoding="utf-8")
    assert incidentflow.check(path, limits=limits) == []
    path.write_text(MINIMAL + "\n", encoding="utf-8")
    assert [d.code for d in incidentflow.check(path, limits=limits)] == ["IF110"]


def test_no_more_than_the_limit_is_read_when_the_size_lies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file that grows after fstat, or a /proc file that reports size 0, is read only
    # up to the limit plus one byte: enough to tell that it is over.
    path = tmp_path / "spec.yaml"
    path.write_bytes(b"#" * 10_000)
    real_fstat = os.fstat

    def fstat_says_empty(fd: int) -> os.stat_result:
        info = real_fstat(fd)
        return os.stat_result((info.st_mode, *info[1:6], 0, *info[7:]))

    reads: list[int] = []
    real_read = os.read

    def counted_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        reads.append(len(data))
        return data

    monkeypatch.setattr(source.os, "fstat", fstat_says_empty)
    monkeypatch.setattr(source.os, "read", counted_read)
    diagnostics = incidentflow.check(path, limits=Limits(max_bytes=1000))
    assert [d.code for d in diagnostics] == ["IF110"]
    assert "at least 1,001 bytes" in diagnostics[0].message
    assert sum(reads) == 1001


def test_loads_measures_text_without_encoding_all_of_it() -> None:
    limits = Limits(max_bytes=1000)
    with pytest.raises(SpecError) as info:
        incidentflow.loads("x" * 5000, limits=limits)
    assert [d.code for d in info.value.diagnostics] == ["IF110"]
    assert "at least 5,000 bytes" in info.value.diagnostics[0].message
    # 400 characters of 3 bytes each are over 1,000 bytes although under 1,000 characters
    with pytest.raises(SpecError) as info:
        incidentflow.loads("#" + "\u20ac" * 400 + "\n" + MINIMAL[:10], limits=limits)
    assert [d.code for d in info.value.diagnostics] == ["IF110"]


def test_scenario_files_are_read_the_same_way(tmp_path: Path) -> None:
    from incidentflow.drill.scenarios import load_scenario

    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(600 * 1024 * 1024)
    problems = load_scenario(path)
    assert isinstance(problems, list)
    assert [d.code for d in problems] == ["IF110"]
    if os.name == "posix":
        fifo = tmp_path / "fifo.yaml"
        os.mkfifo(fifo)
        problems = load_scenario(fifo)
        assert isinstance(problems, list)
        assert "FIFO" in problems[0].message
