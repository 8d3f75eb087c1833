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
