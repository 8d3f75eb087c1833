"""Generate docs/rules.md from the rules table and the example fixtures.

Each code's entry shows its summary, a file that triggers it, what incidentflow
prints for it, and the usual fix. For spec codes the file is a spec
(``tests/specs/invalid/IFxxx-*.yaml``) and the output is ``incidentflow validate``'s;
for scenario codes (8xx) it is a scenario (``tests/scenarios/invalid/IF8xx-*.yaml``)
run against ``process_specs/major-incident.yaml`` by ``incidentflow drill --scenario``;
for migration mapping codes (901-929) it is a mapping (``tests/migrations/invalid/``)
checked by ``incidentflow migrate plan`` from ``process_specs/major-incident.yaml`` to
``tests/migrations/major-incident-v2.yaml`` (or the version its ``# against:`` line names).
Run ``python docs/gen_rules.py`` after changing a rule; ``tests/project/test_docs.py`` fails
while docs/rules.md is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

import incidentflow
from incidentflow.api import check_file, check_set
from incidentflow.diagnostics import Diagnostic
from incidentflow.drill.scenarios import run_scenarios
from incidentflow.reporting import format_text
from incidentflow.rules import RULES

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "specs" / "invalid"
SCENARIO_FIXTURES = ROOT / "tests" / "scenarios" / "invalid"
SCENARIO_PROCESS = ROOT / "process_specs" / "major-incident.yaml"
"""The process every scenario fixture runs against."""
MIGRATIONS = ROOT / "tests" / "migrations"
MIGRATION_FIXTURES = MIGRATIONS / "invalid"
OUTPUT = ROOT / "docs" / "rules.md"

FAMILIES = {
    "1": "Format (1xx)",
    "2": "References (2xx)",
    "3": "The process graph (3xx)",
    "4": "Triggers and severity (4xx)",
    "5": "Roles (5xx)",
    "6": "Timers (6xx)",
    "7": "Policies (7xx)",
    "8": "Scenario files (8xx)",
    "9": "Migration mappings (901-929)",
}


def fixture_for(code: str) -> Path | None:
    """The example fixture of ``code`` (a file, or a directory for set-level codes)."""
    found = sorted(
        [
            *FIXTURES.glob(f"{code}-*"),
            *SCENARIO_FIXTURES.glob(f"{code}-*"),
            *MIGRATION_FIXTURES.glob(f"{code}-*"),
        ]
    )
    return found[0] if found else None


def migration_against(fixture: Path) -> Path:
    """The new version a mapping fixture is checked against: ``# against: FILE`` (in
    tests/migrations/), or major-incident-v2.yaml."""
    for line in fixture.read_text(encoding="utf-8").splitlines():
        if line.startswith("# against: "):
            return MIGRATIONS / line.removeprefix("# against: ").strip()
    return MIGRATIONS / "major-incident-v2.yaml"


def migration_plan(fixture: Path) -> incidentflow.MigrationPlan:
    """What ``incidentflow migrate plan`` finds in a mapping fixture."""
    old = incidentflow.load(SCENARIO_PROCESS)
    return incidentflow.plan_migration(old, incidentflow.load(migration_against(fixture)), fixture)


def _reported(fixture: Path) -> tuple[list[Path], list[Diagnostic], dict[str, str | None], str]:
    """The files of ``fixture``, what incidentflow reports for them, their texts, and the
    command that reports it."""
    if fixture.is_relative_to(MIGRATION_FIXTURES):
        plan = migration_plan(fixture)
        new = migration_against(fixture).relative_to(ROOT)
        command = f"incidentflow migrate plan {SCENARIO_PROCESS.relative_to(ROOT)} {new} --map FILE"
        return [fixture], list(plan.diagnostics), {plan.file: plan.text}, command
    if fixture.is_relative_to(SCENARIO_FIXTURES):
        report = run_scenarios(incidentflow.load(SCENARIO_PROCESS), [fixture])
        command = f"incidentflow drill {SCENARIO_PROCESS.relative_to(ROOT)} --scenario FILE"
        return [fixture], report.diagnostics, dict(report.sources), command
    if fixture.is_dir():
        files = sorted(fixture.glob("*.yaml"))
        results = check_set(fixture)
    else:
        files = [fixture]
        results = [check_file(fixture)]
    diagnostics = [d for r in results for d in r.diagnostics]
    return files, diagnostics, {r.file: r.text for r in results}, "incidentflow validate"


def _example(code: str, fixture: Path) -> list[str]:
    files, reported, sources, command = _reported(fixture)
    lines: list[str] = []
    for path in files:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "backslashreplace")
        shown = text  # verbatim, so the line numbers in the report below match
        rel = path.relative_to(ROOT).as_posix()
        lines += [f"`{rel}`:", "", "```yaml", shown.rstrip() or "# (empty)", "```", ""]
    diagnostics = [d for d in reported if d.code == code]
    output = format_text(diagnostics, sources).replace(str(ROOT) + "/", "")
    lines += [f"`{command}` reports:", "", "```text", output.rstrip(), "```", ""]
    return lines


def render() -> str:
    """The whole rules reference as Markdown."""
    out = [
        "# Rules reference",
        "",
        "<!-- Generated by docs/gen_rules.py from src/incidentflow/rules.py, "
        "tests/specs/invalid/ and tests/scenarios/invalid/; do not edit by hand. -->",
        "",
        "Every diagnostic has a stable code. Errors make a spec unusable; warnings",
        "do not, unless `incidentflow validate --strict` is used (as in CI). The 8xx",
        "codes are about [scenario files](scenarios.md): checked like specs, then run;",
        "IF901-IF929 are about [migration mappings](changing-a-process.md).",
        "",
        "A warning that is there by design can be turned off where it is:",
        "`# incidentflow: disable=IF502` on its line (or alone on the line above),",
        "`# incidentflow: disable-file=IF502` for a whole file, or",
        "`incidentflow validate --disable IF502` for a run. Errors cannot be turned off,",
        "and suppressions are checked (IF131-IF134); see",
        "[suppressing a warning](ci.md#suppressing-a-warning).",
        "",
        "| code | severity | what it means |",
        "|---|---|---|",
    ]
    out += [
        f"| [{r.code}](#{r.code.lower()}) | {r.severity.value} | {r.summary} |"
        for r in RULES.values()
    ]
    family = ""
    for rule in RULES.values():
        if rule.code[2] != family:
            family = rule.code[2]
            out += ["", f"## {FAMILIES[family]}"]
        out += ["", f"### {rule.code}", "", f"**{rule.severity.value}**: {rule.summary}", ""]
        fixture = fixture_for(rule.code)
        if fixture is not None:
            out += _example(rule.code, fixture)
        else:
            out += [
                "This check guards against input that cannot be shown as a small example "
                "(see its test).",
                "",
            ]
        out += [f"**How to fix:** {rule.fix}"]
    return "\n".join(out) + "\n"


def main() -> int:
    """Write docs/rules.md; with --check, exit 1 if it is out of date instead."""
    text = render()
    if "--check" in sys.argv[1:]:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print("docs/rules.md is out of date: run python docs/gen_rules.py")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
