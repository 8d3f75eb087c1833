"""Shared fixtures: paths to the example and fixture specs, and a CLI runner."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from incidentflow.cli import run

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "tests" / "specs"
EXAMPLES = ROOT / "process_specs"
MINIMAL = SPECS / "valid" / "minimal.yaml"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Make "no tests collected" (exit 5) an explicit failure message, never a silent pass."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("ERROR: no tests were collected; the suite must never be empty")


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    """Run the command line with its own streams: ``cli("validate", path)``."""

    def invoke(*argv: str) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        code = run(list(argv), out, err)
        return CliResult(code, out.getvalue(), err.getvalue())

    return invoke


@pytest.fixture
def minimal_text() -> str:
    """The text of the smallest valid spec."""
    return MINIMAL.read_text(encoding="utf-8")
