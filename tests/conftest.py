"""Shared fixtures: paths to the example and fixture specs, and a CLI runner.

Tests that need a component outside Python carry a marker (``browser``: Chromium
and the pinned Mermaid; ``graphviz``: Graphviz's ``dot``; ``postgres``: a PostgreSQL
server, whose URL is in ``INCIDENTFLOW_TEST_DATABASE_URL``). Without the component
they skip with one line saying how to install it, so ``pytest`` works on a plain
machine; in CI (``CI=true``, as ``.ci/run`` runs) every test must run, so a
missing component, or any other skip, fails the run instead.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from incidentflow.cli import run

# The store contract's assertions are tests (tests/audit/test_store_contract.py runs them): have
# pytest rewrite them as it does test modules', so that a failure shows the values compared.
pytest.register_assert_rewrite("incidentflow.testing.store_contract")

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "tests" / "specs"
SCENARIO_FIXTURES = (
    ROOT / "tests" / "scenarios"
)  # scenario files, run against EXAMPLES/major-incident.yaml
EXAMPLES = ROOT / "process_specs"
MINIMAL = SPECS / "valid" / "minimal.yaml"
MERMAID_JS = ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
"""CI must run every test: there a skip is a failure (see the module docstring)."""


def _chromium_and_mermaid() -> bool:
    has_chromium = any(shutil.which(name) for name in ("chromium", "chromium-browser"))
    return has_chromium and MERMAID_JS.is_file()


def _postgres() -> bool:
    if not os.environ.get("INCIDENTFLOW_TEST_DATABASE_URL"):
        return False
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return False
    return True


COMPONENTS: dict[str, tuple[Callable[[], bool], str]] = {
    "browser": (
        _chromium_and_mermaid,
        "needs Chromium and the pinned Mermaid: run `bash .ci/run` as root, or "
        "`apt-get install -y chromium` and `npm ci` in the repository root",
    ),
    "graphviz": (
        lambda: shutil.which("dot") is not None,
        "needs Graphviz's `dot`: run `bash .ci/run` as root, or `apt-get install -y graphviz`",
    ),
    "postgres": (
        _postgres,
        "needs a PostgreSQL server: run the tests under `bash .ci/with-postgres ...`, or set "
        "INCIDENTFLOW_TEST_DATABASE_URL (and pip install 'incidentflow[postgres]')",
    ),
}
"""Marker name: (is the component here?, how to get it)."""


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a marked test whose component is missing (fail instead in CI)."""
    for marker, (present, how) in COMPONENTS.items():
        if item.get_closest_marker(marker) is not None and not present():
            if IN_CI:
                pytest.fail(f"{how} (CI runs every test)", pytrace=False)
            pytest.skip(how)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI, a skipped test is a failed test: nothing may silently not run there."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {report.longrepr}"


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
