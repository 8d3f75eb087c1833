"""Migration mappings: each invalid fixture reports exactly what it expects, the example
mapping plans cleanly, and the plan says where every open state goes and how."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

import incidentflow
from incidentflow.migration.check import open_states, required_on_every_way
from tests.conftest import EXAMPLES, ROOT

MIGRATIONS = ROOT / "tests" / "migrations"
EXPECT = re.compile(r"^# expect: (IF\d{3}) (\d+):(\d+)\s*$", re.MULTILINE)
INVALID = sorted((MIGRATIONS / "invalid").glob("*.yaml"))
GEN_RULES = runpy.run_path(str(ROOT / "docs" / "gen_rules.py"))
V1 = incidentflow.load(EXAMPLES / "major-incident.yaml")
V2 = incidentflow.load(MIGRATIONS / "major-incident-v2.yaml")
EXAMPLE_MAP = MIGRATIONS / "maps" / "major-incident-1-to-2.yaml"


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_mapping_reports_exactly_its_expectations(path: Path) -> None:
    plan = GEN_RULES["migration_plan"](path)
    expected = {(c, int(line), int(col)) for c, line, col in EXPECT.findall(path.read_text())}
    assert expected, f"{path.name} has no '# expect:' line"
    assert {(d.code, d.line, d.column) for d in plan.diagnostics} == expected
    assert path.name[:5] in {code for code, _, _ in expected}
    assert all(d.file == str(path) for d in plan.diagnostics)


def test_the_example_mapping_plans_cleanly_and_says_where_each_open_state_goes() -> None:
    plan = incidentflow.plan_migration(V1, V2, EXAMPLE_MAP)
    assert plan.ok
    assert plan.diagnostics == ()
    assert {s: m.target for s, m in plan.moves.items()} == {
        "detected": "detected",
        "triage": "assessment",
        "stabilising": "stabilising",
        "monitoring": "monitoring",
        "review": "review",
    }
    assert not plan.moves["triage"].by_name
    assert plan.moves["review"].by_name
    assert {(m.checklist, m.timers) for m in plan.moves.values()} == {("keep", "keep")}
    assert dict(plan.levels) == {lv: lv for lv in V1.level_ids}
    assert plan.digest.startswith("sha256:")
    assert len(plan.digest) == 71


def test_a_warning_names_the_items_a_moved_incident_skips_and_leaves_the_plan_usable() -> None:
    rollback = incidentflow.load(MIGRATIONS / "major-incident-v2-rollback.yaml")
    plan = incidentflow.plan_migration(V1, rollback, EXAMPLE_MAP)
    assert plan.ok
    [warning] = plan.diagnostics
    assert (warning.code, warning.is_error) == ("IF910", False)
    assert "'monitoring' to 'monitoring' (kept by name)" in warning.message
    assert warning.message.endswith(": rollback_ready")


def test_per_state_policies_override_the_defaults_and_plain_data_plans_too() -> None:
    plan = incidentflow.plan_migration(
        V1,
        V2,
        {
            "states": {"triage": {"to": "assessment", "checklist": "drop", "timers": "cancel"}},
            "timers": "keep",
        },
    )
    assert plan.ok, plan.diagnostics
    assert (plan.moves["triage"].checklist, plan.moves["triage"].timers) == ("drop", "cancel")
    assert (plan.moves["detected"].checklist, plan.moves["detected"].timers) == ("keep", "keep")
    refused = incidentflow.plan_migration(V1, V2, {"states": {"triage": "nowhere"}})
    assert [(d.code, d.file, d.line) for d in refused.errors] == [("IF906", "<mapping>", 1)]
    assert "did you mean 'assessment'?" not in refused.errors[0].hint  # too far to guess


def test_a_mapping_between_two_processes_is_refused() -> None:
    other = incidentflow.load(EXAMPLES / "service-desk.yaml")
    plan = incidentflow.plan_migration(V1, other, {"states": {}})
    assert "IF904" in {d.code for d in plan.errors}


def test_an_unreadable_mapping_is_a_spec_file_error(tmp_path: Path) -> None:
    with pytest.raises(incidentflow.SpecFileError, match="cannot be read"):
        incidentflow.plan_migration(V1, V2, tmp_path / "missing.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    assert [d.code for d in incidentflow.plan_migration(V1, V2, empty).errors] == ["IF901"]


def test_open_states_and_the_items_every_way_requires() -> None:
    assert open_states(V1) == ["detected", "triage", "stabilising", "monitoring", "review"]
    assert required_on_every_way(V1, "detected") == frozenset()
    assert required_on_every_way(V1, "monitoring") == {
        "impact_confirmed",
        "severity_confirmed",
        "roles_assigned",
        "mitigation_applied",
        "customer_impact_ended",
    }
    # review is reached by stand_down too, which requires only impact_confirmed
    assert required_on_every_way(V1, "review") == {"impact_confirmed"}
    rollback = incidentflow.load(MIGRATIONS / "major-incident-v2-rollback.yaml")
    assert "rollback_ready" in required_on_every_way(rollback, "monitoring")
    assert "rollback_ready" not in required_on_every_way(V2, "monitoring")


def test_every_problem_is_reported_in_one_pass_and_a_malformed_entry_only_once(
    tmp_path: Path,
) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "states:\n  triage: assesment\n  review: {checklist: keep}\ntimers: pause\nlevel: {}\n",
        encoding="utf-8",
    )
    plan = incidentflow.plan_migration(V1, V2, mapping)
    assert [(d.code, d.line, d.column) for d in plan.diagnostics] == [
        ("IF906", 2, 11),  # a name, checked although the file has errors of form
        ("IF903", 3, 11),  # review has no 'to' (and is not reported again as unmapped)
        ("IF903", 4, 9),
        ("IF902", 5, 1),
    ]
