"""The example specs compile cleanly and the CLI agrees."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import incidentflow
from incidentflow.cli import run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "process_specs").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_spec_compiles_without_any_diagnostic(path: Path) -> None:
    process = incidentflow.load(path)
    assert process.warnings == ()
    assert process.name == path.stem


def test_examples_pass_validate_strict() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run(["validate", "--strict", str(ROOT / "process_specs")], out, err) == 0
    assert "3 files checked: no problems found" in out.getvalue()
