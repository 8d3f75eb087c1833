"""Fixture specs: valid ones compile cleanly; each invalid one reports exactly what it expects.

An invalid fixture starts with ``# expect: CODE LINE:COLUMN`` lines; the
diagnostics reported for it must be exactly those (code and position). Invalid
scenario fixtures (``tests/scenarios/invalid``, the 8xx codes) do the same when run
against ``process_specs/major-incident.yaml``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import incidentflow
from incidentflow.api import check_file, check_set
from incidentflow.drill.scenarios import run_scenarios
from tests.conftest import EXAMPLES, SCENARIO_FIXTURES, SPECS

EXPECT = re.compile(rb"^# expect: (IF\d{3}) (\d+):(\d+)\s*$", re.MULTILINE)
INVALID = sorted((SPECS / "invalid").iterdir())
VALID = sorted((SPECS / "valid").glob("*.yaml"))
INVALID_SCENARIOS = sorted((SCENARIO_FIXTURES / "invalid").iterdir())


def _expected(path: Path) -> set[tuple[str, int, int]]:
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    found = {
        (m[1].decode(), int(m[2]), int(m[3]))
        for f in files
        for m in EXPECT.finditer(f.read_bytes())
    }
    assert found, f"{path.name} has no '# expect:' line"
    return found


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_fixture_has_no_diagnostics(path: Path) -> None:
    assert check_file(path).diagnostics == ()


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_fixture_reports_exactly_its_expectations(path: Path) -> None:
    results = check_set(path) if path.is_dir() else [check_file(path)]
    reported = {(d.code, d.line, d.column) for r in results for d in r.diagnostics}
    assert reported == _expected(path)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_fixture_is_named_after_its_code(path: Path) -> None:
    assert path.name[:5] in {code for code, _, _ in _expected(path)}


@pytest.mark.parametrize("path", INVALID_SCENARIOS, ids=lambda p: p.name)
def test_invalid_scenario_reports_exactly_its_expectations(path: Path) -> None:
    report = run_scenarios(incidentflow.load(EXAMPLES / "major-incident.yaml"), [path])
    assert {(d.code, d.line, d.column) for d in report.diagnostics} == _expected(path)
    assert path.name[:5] in {code for code, _, _ in _expected(path)}
