"""Cold start: validating a spec without problems never imports networkx.

networkx is about a third of the import time of ``incidentflow validate``; the checks of a
valid spec need only reachability (``compiler.graph.reachable_from``). networkx is imported
where a path or a component is wanted: a problem's counterexample, handbooks, drills.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "process_specs" / "major-incident.yaml"  # has a must_visit policy, timers, ...

LAZY = ("networkx",)


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has imported after running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=ROOT,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_incidentflow_does_not_import_networkx() -> None:
    loaded = _modules_after("import incidentflow")
    assert "incidentflow" in loaded
    assert not [m for m in loaded if m.split(".")[0] in LAZY]


def test_validating_a_spec_without_problems_does_not_import_networkx() -> None:
    code = (
        "import sys, incidentflow.cli\n"
        f"sys.argv[:] = ['incidentflow', 'validate', {str(SPEC)!r}]\n"
        "try:\n"
        "    status = incidentflow.cli.main()\n"
        "except SystemExit as done:\n"
        "    status = done.code\n"
        "assert not status, status\n"
    )
    loaded = _modules_after(code)
    assert "incidentflow.compiler.graph" in loaded  # the checks ran
    assert not [m for m in loaded if m.split(".")[0] in LAZY]


def test_a_failing_policy_still_gets_its_counterexample_path() -> None:
    # The one place that reaches for networkx on a spec with a problem: the path shown.
    loaded = _modules_after(
        "import incidentflow\n"
        "from incidentflow.compiler.graph import SINK, LevelGroup\n"
        "from incidentflow.compiler.policies import _counterexample\n"
        "view = LevelGroup((), {'a': ('b',), 'b': (SINK,)}, frozenset({'a', 'b'}),"
        " frozenset({'a', 'b'}), 'a')\n"
        "assert _counterexample(view, 'a', frozenset({'c'}), must_visit=True) == ['a', 'b']\n"
        "assert _counterexample(view, 'a', frozenset({'b'}), must_visit=True) is None\n"
        "assert _counterexample(view, 'a', frozenset({'b'}), must_visit=False) == ['a', 'b']\n"
    )
    assert "networkx" in loaded
