"""Cold start: what ``incidentflow validate`` (and ``import incidentflow``) do not import.

``incidentflow validate`` should cost little more than parsing YAML and building the spec
models (benchmarks/cold.py compares it with check-jsonschema). These tests pin what it
leaves out, so that a new eager import cannot slow it down unnoticed:

- networkx (about a third of the import time once): the checks of a valid spec need only
  reachability (``compiler.graph.reachable_from``). networkx is imported where a path or
  a component is wanted: a problem's counterexample, handbooks, drills;
- pydantic's plugin loader, which imports importlib.metadata (and email, zipfile, csv,
  socket) to scan entry points: the command line stands in for it in commands that run
  no user code (:mod:`incidentflow.startup`);
- the modules of the other commands: cli.py imports a command's module when it runs.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from incidentflow.cli import run

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "process_specs" / "major-incident.yaml"  # has a must_visit policy, timers, ...
INVALID = ROOT / "tests" / "specs" / "invalid"

LAZY = ("networkx",)
NOT_FOR_VALIDATE = (
    "networkx",
    "importlib.metadata",  # pydantic's plugin scan
    "email",
    "zipfile",
    "csv",
    "incidentflow.migration.check",  # other commands
    "incidentflow.migration.mapping",
    "incidentflow.drill.simulate",
    "incidentflow.engine",
    "incidentflow.audit",
    "incidentflow.render",
    "incidentflow.changes",
    "sqlite3",
)


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


def _cli_code(*argv: str) -> str:
    """Code that runs the command line's entry point as the console script does."""
    return (
        "import sys, incidentflow.cli\n"
        f"sys.argv[:] = ['incidentflow', *{list(argv)!r}]\n"
        "try:\n"
        "    incidentflow.cli.main()\n"
        "except SystemExit as done:\n"
        "    print('exit', done.code)\n"
    )


def _loaded_under(loaded: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded for n in names if m == n or m.startswith(n + "."))


def test_validate_leaves_out_the_plugin_scan_and_the_other_commands() -> None:
    code = _cli_code("validate", str(SPEC))
    code += "loader = sys.modules['pydantic.plugin._loader']\n"
    code += "assert type(loader).__name__ == '_NoPlugins', loader  # pydantic asked the stand-in\n"
    loaded = _modules_after(code)
    assert {"incidentflow.compiler.graph", "pydantic", "ruamel.yaml"} <= loaded  # checks ran
    assert _loaded_under(loaded, NOT_FOR_VALIDATE) == []


def test_help_lists_every_command_without_loading_the_models() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _cli_code("--help") + "print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=ROOT,
    ).stdout
    usage = out.splitlines()[0]  # usage: incidentflow [-h] [--version] COMMAND ...
    assert usage.startswith("usage: incidentflow")
    from incidentflow.cli import _parser

    subparsers = _parser(io.StringIO())._subparsers
    assert subparsers is not None
    commands = subparsers._group_actions[0].choices  # every registered command
    assert commands is not None
    assert {"validate", "migrate", "serve"} <= set(commands)
    listed = [name for name in commands if f"\n    {name} " in out]
    assert listed == list(commands)
    loaded = out.splitlines()[-1]
    assert "'pydantic'" not in loaded
    assert "'incidentflow.compiler'" not in loaded


def test_diagnostics_are_the_same_with_the_stand_in_loader() -> None:
    # main() in a fresh process (stand-in loader) against run() in this one (pydantic's own).
    argv = ["validate", "--format", "json", str(INVALID)]
    out, err = io.StringIO(), io.StringIO()
    code = run(argv, out, err)
    fresh = subprocess.run(
        [sys.executable, "-m", "incidentflow", *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=ROOT,
    )
    assert code == fresh.returncode == 1
    assert json.loads(fresh.stdout) == json.loads(out.getvalue())
    assert json.loads(fresh.stdout)  # something to compare
    assert fresh.stderr == err.getvalue()


def test_commands_that_run_user_code_keep_pydantics_plugin_loader() -> None:
    # worker and serve import the user's handlers: their pydantic plugins stay on.
    check = (
        "from incidentflow.startup import prepare\n"
        "prepare(sys.argv[1:])\n"
        "import pydantic\n"
        "class M(pydantic.BaseModel):\n"
        "    x: int\n"
        "assert type(sys.modules['pydantic.plugin._loader']).__name__ == 'module'\n"
    )
    for argv in (["worker", "specs", "--store", "x.db"], ["serve", "specs", "--store", "x.db"]):
        loaded = _modules_after(f"import sys\nsys.argv[:] = ['incidentflow', *{argv!r}]\n{check}")
        assert "importlib.metadata" in loaded


def test_a_host_importing_incidentflow_keeps_pydantics_plugin_loader() -> None:
    code = (
        "import incidentflow, sys\n"
        f"incidentflow.load({str(SPEC)!r})\n"
        "assert type(sys.modules['pydantic.plugin._loader']).__name__ == 'module'\n"
    )
    assert "importlib.metadata" in _modules_after(code)


def test_the_stand_in_hands_anything_else_over_to_pydantics_loader() -> None:
    code = (
        "import sys\n"
        "from incidentflow.startup import prepare\n"
        "prepare(['validate'])\n"
        "import pydantic.plugin._loader as stand_in\n"
        "assert list(stand_in.get_plugins()) == []\n"
        "assert 'importlib.metadata' not in sys.modules\n"
        "assert stand_in.PYDANTIC_ENTRY_POINT_GROUP == 'pydantic'  # from the real one\n"
        "assert type(sys.modules['pydantic.plugin._loader']).__name__ == 'module'\n"
    )
    assert "importlib.metadata" in _modules_after(code)
