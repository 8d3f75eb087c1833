"""The command line: exit codes, output formats, and no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from incidentflow import __version__
from tests.conftest import EXAMPLES, MINIMAL

BROKEN = """\
apiVersion: incidentflow/v1
kind: Process
metadata: {name: broken, version: "1"}
roles:
  commander: {title: Commander, backups: [responder]}
  responder: {title: Responder, backups: [commander]}
severity:
  levels: [{id: SEV1}]
triggers:
  - {id: t, when: {field: x, eq: 1}, severity: SEV1}
process:
  initial: open
  states:
    open: {owner: commander}
    closed: {terminal: true}
  transitions:
    - {name: close, from: open, to: closed, by: [comander]}
"""


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def test_clean_spec_exits_0_with_summary(cli) -> None:
    result = cli("validate", str(MINIMAL))
    assert result.code == 0
    assert result.out.strip() == "1 file checked: no problems found"


def test_error_exits_1_and_shows_location_source_caret_and_hint(cli, broken: Path) -> None:
    result = cli("validate", str(broken))
    assert result.code == 1
    lines = result.out.splitlines()
    assert (
        lines[0]
        == f"{broken}:17:50: error IF203 transition 'close' names an unknown role 'comander'"
    )
    assert lines[2] == "17 |     - {name: close, from: open, to: closed, by: [comander]}"
    assert lines[3] == "   | " + " " * 49 + "^" * len("comander")
    assert lines[4].startswith("    = hint: did you mean 'commander'?")
    assert "1 error, 0 warnings" in lines[-1]


def test_json_has_exactly_the_contract_keys(cli, broken: Path) -> None:
    result = cli("validate", "--format", "json", str(broken))
    assert result.code == 1
    data = json.loads(result.out)
    assert len(data) == 1
    assert set(data[0]) == {"file", "line", "column", "code", "severity", "message", "hint"}
    assert (data[0]["line"], data[0]["column"], data[0]["code"]) == (17, 50, "IF203")


def test_github_format_is_a_workflow_annotation(cli, broken: Path) -> None:
    result = cli("validate", "--format", "github", str(broken))
    assert result.code == 1
    line = result.out.strip()
    assert line.startswith(f"::error file={broken},line=17,col=50,title=IF203::")
    assert "%0Adid you mean 'commander'?" in line


def test_warnings_pass_unless_strict(cli, tmp_path: Path) -> None:
    spec = tmp_path / "warn.yaml"
    spec.write_text(BROKEN.replace("comander", "commander").replace(", backups: [commander]", ""))
    plain = cli("validate", str(spec))
    strict = cli("validate", "--strict", str(spec))
    assert plain.code == 0
    assert "IF502" in plain.out
    assert strict.code == 1


def test_missing_path_is_a_usage_error_without_traceback(cli, tmp_path: Path) -> None:
    result = cli("validate", str(tmp_path / "nope.yaml"))
    assert result.code == 2
    assert "no such file" in result.err
    assert "Traceback" not in result.err


def test_exit_codes_are_ored_across_paths(cli, broken: Path, tmp_path: Path) -> None:
    result = cli("validate", str(broken), str(tmp_path / "missing.yaml"))
    assert result.code == 3


def test_directory_without_specs_is_a_usage_error(cli, tmp_path: Path) -> None:
    result = cli("validate", str(tmp_path))
    assert result.code == 2
    assert "no *.yaml or *.yml files" in result.err


def test_directory_is_a_set_with_unique_names(cli, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(MINIMAL.read_text())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yml").write_text(MINIMAL.read_text())
    result = cli("validate", "--format", "json", str(tmp_path))
    assert result.code == 1
    [diag] = json.loads(result.out)
    assert diag["code"] == "IF130"
    assert diag["file"].endswith("b.yml")
    assert (diag["line"], diag["column"]) == (5, 9)


def test_unknown_command_and_option_are_usage_errors(cli) -> None:
    assert cli("frobnicate").code == 2
    assert cli("validate", "--format", "xml", str(MINIMAL)).code == 2
    assert cli().code == 2


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "incidentflow", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"incidentflow {__version__}"


def test_schema_is_valid_and_accepts_every_example(cli) -> None:
    result = cli("schema")
    assert result.code == 0
    schema = json.loads(result.out)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    yaml = YAML(typ="safe", pure=True)
    for path in [*sorted(EXAMPLES.glob("*.yaml")), MINIMAL]:
        data = json.loads(json.dumps(yaml.load(path.read_text())))
        errors = list(validator.iter_errors(data))
        assert errors == [], f"{path.name}: {errors[0].message if errors else ''}"


def test_schema_rejects_an_unknown_key(cli) -> None:
    schema = json.loads(cli("schema").out)
    data = json.loads(json.dumps(YAML(typ="safe", pure=True).load(MINIMAL.read_text())))
    data["roles"]["lead"]["backup"] = ["responder"]
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data))


def test_console_script_runs_as_a_new_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "incidentflow", "validate", "--strict", str(EXAMPLES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 files checked: no problems found" in done.stdout
