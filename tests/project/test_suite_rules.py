"""The suite's own rules (tests/conftest.py): marked tests skip locally, nothing skips in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SAMPLE = """
import pytest

def test_runs():
    assert True

@pytest.mark.graphviz
def test_needs_graphviz():
    assert True

def test_skips_itself():
    pytest.skip("not here")
"""


def _run_sample(tmp_path: Path, *, ci: bool) -> subprocess.CompletedProcess[str]:
    (tmp_path / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "tests" / "conftest.py")
    (tmp_path / "tests" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "tests" / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nmarkers = ["graphviz: x", "browser: x"]\n', encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = str(Path(sys.executable).parent)  # no `dot` on this PATH
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT / "src")])
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "tests"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_missing_component_skips_locally_with_how_to_install_it(tmp_path: Path) -> None:
    done = _run_sample(tmp_path, ci=False)
    assert done.returncode == 0, done.stdout
    assert "1 passed, 2 skipped" in done.stdout
    assert "apt-get install -y graphviz" in done.stdout


def test_in_ci_a_missing_component_or_any_skip_fails_the_run(tmp_path: Path) -> None:
    done = _run_sample(tmp_path, ci=True)
    assert done.returncode == 1, done.stdout
    assert "skipped" not in done.stdout.splitlines()[-1]
    assert "CI runs every test" in done.stdout
    assert "skipped in CI, where every test must run" in done.stdout
