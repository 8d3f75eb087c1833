"""Scripted tabletop scenarios: the format is checked like a spec, runs are exact and repeatable."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

import incidentflow
from incidentflow.compiler.process import Process
from incidentflow.diagnostics import Diagnostic
from incidentflow.drill.scenarios import (
    SCENARIO_CODES,
    Scenario,
    ScenarioReport,
    load_scenario,
    run_scenarios,
    scenario_from_text,
)
from incidentflow.drill.scenarios import load as scenario_load
from incidentflow.drill.scenarios import model as scenario_model
from incidentflow.drill.scenarios import run as scenario_run
from incidentflow.engine.simclock import START
from tests.conftest import EXAMPLES, ROOT

SCENARIOS = ROOT / "scenarios"
EXAMPLE_SCENARIOS = sorted(SCENARIOS.glob("*.yaml"))


@pytest.fixture(scope="module")
def major() -> Process:
    return incidentflow.load(EXAMPLES / "major-incident.yaml")


def _process_of(path: Path) -> Process:
    loaded = load_scenario(path)
    assert isinstance(loaded, Scenario), loaded
    assert loaded.process is not None, "example scenarios name their process"
    return incidentflow.load(EXAMPLES / f"{loaded.process}.yaml")


def _write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def _run(process: Process, tmp_path: Path, text: str) -> ScenarioReport:
    return run_scenarios(process, [_write(tmp_path, text)])


def _codes(diagnostics: list[Diagnostic]) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.column) for d in diagnostics]


# A short SEV1 opening used by the runtime tests (line numbers matter below).
OPENING = """
scenario: test
steps:
  - signal: {service: api, availability: 0.5}
  - assign: {role: responder, person: rita}
  - assign: {role: commander, person: carol}
"""


# --- the example scenarios ---------------------------------------------------------------


def test_there_is_a_scenario_for_every_example_spec() -> None:
    written_for = {_process_of(p).name for p in EXAMPLE_SCENARIOS}
    specs = {incidentflow.load(p).name for p in EXAMPLES.glob("*.yaml")}
    assert specs <= written_for


@pytest.mark.parametrize("path", EXAMPLE_SCENARIOS, ids=lambda p: p.name)
def test_example_scenario_passes(path: Path) -> None:
    report = run_scenarios(_process_of(path), [path])
    assert report.diagnostics == [], report.format("text")
    assert report.ok
    (result,) = report.results
    assert result.passed
    assert result.audit_verified is True
    assert all(s.status in ("ok", "refused") for s in result.steps)
    kinds = {s.kind for s in result.steps}
    assert {"expect", "advance", "fire"} <= kinds
    assert any(s.status == "refused" for s in result.steps), "rehearse at least one refusal"


def test_major_incident_scenario_walks_to_closed_through_review(major: Process) -> None:
    report = run_scenarios(major, [SCENARIOS / "major-incident-sev1-api-outage.yaml"])
    (result,) = report.results
    assert (result.state, result.severity, result.closed) == ("closed", "SEV1", True)
    fired = [s.text for s in result.steps if s.kind == "fire" and s.status == "ok"]
    assert fired == [
        "fire acknowledge as rita",
        "fire start_mitigation as carol",
        "fire hand_over as rita",
        "fire start_review as carol",
        "fire close as carol",
    ]
    refusals = [s.outcome.split(")")[0] for s in result.steps if s.status == "refused"]
    assert refusals == [
        "refused (policy",
        "refused (role",
        "refused (checklist",
        "refused (guard",
        "refused (terminal",
    ]


def test_a_directory_runs_the_scenarios_of_its_process_only() -> None:
    for spec in sorted(EXAMPLES.glob("*.yaml")):
        process = incidentflow.load(spec)
        report = run_scenarios(process, [SCENARIOS])
        assert report.ok, report.format("text")
        ran = {Path(r.file).name for r in report.results}
        assert ran
        assert all(name.startswith(process.name) for name in ran)
        assert len(ran) + len(report.skipped) == len(EXAMPLE_SCENARIOS)


# --- checking scenario files ---------------------------------------------------------------

BROKEN = [
    # (text, code, line, column)
    ("scenario: x\nsteps:\n  - fire: acknowledge\n    as: rita\n", "IF802", 3, 5),
    ("scenario: x\nstep:\n  - advance: 5m\n", "IF801", 2, 1),
    ("scenario: x\nsteps:\n  - advance: 5m\n    ass: rita\n", "IF801", 4, 5),
    ("scenario: x\nsteps:\n  - advance: 20\n", "IF804", 3, 14),
    ("scenario: x\nsteps:\n  - advance: 20 minutes\n", "IF804", 3, 14),
    ("scenario: x\nstart: monday\nsteps:\n  - advance: 5m\n", "IF804", 2, 8),
    ("scenario: x\nsteps: []\n", "IF804", 2, 8),
    ("steps:\n  - advance: 5m\n", "IF805", 1, 1),
    ("scenario: x\nsteps:\n  - advance: 5m\n    note: hi\n", "IF802", 3, 5),
    ("scenario: x\nsteps:\n  - advance 5m\n", "IF802", 3, 5),
    ("scenario: x\nsteps:\n  - {}\n", "IF802", 3, 5),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - fire: acknowlege\n    as: r\n",
        "IF803",
        4,
        11,
    ),
    ("scenario: x\nsteps:\n  - open: {severity: SEV9}\n", "IF803", 3, 22),
    ("scenario: x\nsteps:\n  - open: {impact: huge, urgency: low}\n", "IF803", 3, 20),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1, impact: minor, urgency: low}\n",
        "IF804",
        3,
        11,
    ),
    ("scenario: x\nsteps:\n  - open: {urgency: low}\n", "IF805", 3, 11),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - open: {severity: SEV2}\n",
        "IF802",
        4,
        5,
    ),
    ("scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - fire: acknowledge\n", "IF805", 4, 5),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - assign: {role: comander, person: c}\n",
        "IF803",
        4,
        20,
    ),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - assign: {role: commander}\n",
        "IF805",
        4,
        13,
    ),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - check: [impact_confirmd]\n",
        "IF803",
        4,
        13,
    ),
    ("scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - check: []\n", "IF804", 4, 12),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - expect: {state: triag}\n",
        "IF803",
        4,
        21,
    ),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - expect: {phase: nope}\n",
        "IF803",
        4,
        21,
    ),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - expect: {actions: [pag]}\n",
        "IF803",
        4,
        24,
    ),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - expect: {timers: [ack]}\n",
        "IF803",
        4,
        23,
    ),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - expect: {breached: [update_every]}\n",
        "IF803",
        4,
        25,
    ),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - expect: {closed: maybe}\n",
        "IF804",
        4,
        22,
    ),
    ("scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - expect: {}\n", "IF804", 4, 13),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - expect: {refused: role}\n",
        "IF801",
        4,
        14,
    ),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - fire: close\n    as: c\n    expect_refusal: roles\n",
        "IF804",
        6,
        21,
    ),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - expect: {state: triage}\n    expect_refusal: role\n",
        "IF802",
        5,
        5,
    ),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - advance: 1m\n    as: carol\n",
        "IF802",
        5,
        5,
    ),
    (
        "scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - note: hi\n    reason: why\n",
        "IF802",
        5,
        5,
    ),
    ("scenario: x\nsteps:\n  - open: {severity: SEV1}\n  - severity: SEV7\n", "IF803", 4, 15),
    ("scenario: x\nprocess: service-desk\nsteps:\n  - advance: 5m\n", "IF803", 2, 10),
    ("[1, 2]\n", "IF806", 1, 1),
    ("", "IF806", 1, 1),
    ("scenario: x\nsteps:\n  - fire: [\n", "IF102", 4, 1),
    ("scenario: x\nscenario: y\nsteps:\n  - advance: 5m\n", "IF108", 2, 1),
]


@pytest.mark.parametrize(("text", "code", "line", "column"), BROKEN)
def test_a_broken_scenario_reports_code_line_and_column(
    major: Process, tmp_path: Path, text: str, code: str, line: int, column: int
) -> None:
    path = _write(tmp_path, text)
    loaded = load_scenario(path, major)
    assert isinstance(loaded, list)
    assert (code, line, column) in _codes(loaded), loaded
    report = run_scenarios(major, [path])
    assert not report.ok
    assert report.results[0].status == "invalid"
    assert report.results[0].steps == ()
    assert all(d.file == str(path) for d in report.diagnostics)


def test_every_problem_of_a_file_is_reported_at_once(major: Process) -> None:
    text = textwrap.dedent(
        """\
        scenario: several
        steps:
          - signal: {service: api, availability: 0.4}
          - fire: acknowlege
            as: rita
          - check: impact_confirmd
          - expect: {state: triag}
        """
    )
    problems = scenario_from_text(text, "s.yaml", major)
    assert isinstance(problems, list)
    assert _codes(problems) == [("IF803", 4, 11), ("IF803", 6, 12), ("IF803", 7, 21)]
    assert "did you mean 'acknowledge'?" in problems[0].hint
    assert "did you mean 'impact_confirmed'?" in problems[1].hint
    assert "did you mean 'triage'?" in problems[2].hint


def test_unknown_keys_get_a_did_you_mean(major: Process) -> None:
    problems = scenario_from_text(
        "scenario: x\nsteps:\n  - advance: 1m\n  - open: {severity: SEV1}\n    expect_refusel: role\n",
        "s.yaml",
        major,
    )
    assert isinstance(problems, list)
    (problem,) = problems
    assert (problem.code, problem.line, problem.column) == ("IF801", 5, 5)
    assert "did you mean 'expect_refusal'?" in problem.hint


def test_without_a_process_only_the_format_is_checked() -> None:
    text = "scenario: x\nsteps:\n  - open: {severity: SEV9}\n  - fire: nowhere\n    as: a\n"
    loaded = scenario_from_text(text, "s.yaml")
    assert isinstance(loaded, Scenario)
    assert [s.kind for s in loaded.steps] == ["open", "fire"]
    assert loaded.start == START


def test_start_accepts_offsets_and_naive_times_as_utc(major: Process) -> None:
    base = "scenario: x\nstart: {}\nsteps:\n  - advance: 1m\n"
    offset = scenario_from_text(base.format("2026-02-02T08:30:00+01:00"), "s.yaml")
    naive = scenario_from_text(base.format("2026-02-02T07:30:00"), "s.yaml")
    assert isinstance(offset, Scenario)
    assert isinstance(naive, Scenario)
    assert offset.start == naive.start
    assert offset.start.utcoffset() is not None


def test_unreadable_paths_are_reported_not_raised(major: Process, tmp_path: Path) -> None:
    report = run_scenarios(major, [tmp_path / "missing.yaml"])
    assert _codes(report.diagnostics) == [("IF806", 0, 0)]
    empty = tmp_path / "empty"
    empty.mkdir()
    report = run_scenarios(major, [empty])
    assert not report.ok
    assert [d.code for d in report.diagnostics] == ["IF806"]
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"scenario: \x00")
    assert [d.code for d in run_scenarios(major, [binary]).diagnostics] == ["IF101"]


def test_an_explicit_file_for_another_process_is_an_error(major: Process) -> None:
    path = SCENARIOS / "service-desk-p1-erp-down.yaml"
    report = run_scenarios(major, [path])
    assert next(d.code for d in report.diagnostics) == "IF803"
    assert "written for process 'service-desk'" in report.diagnostics[0].message


# --- running: expectations, refusals --------------------------------------------------------


def test_a_failed_expectation_reports_the_step_and_what_actually_happened(
    major: Process, tmp_path: Path
) -> None:
    report = _run(
        major,
        tmp_path,
        OPENING
        + """\
  - advance: 2m
  - expect: {state: triage, severity: SEV2, breached: [acknowledge_within]}
  - fire: acknowledge
    as: rita
  - expect: {state: triage}
""",
    )
    assert not report.ok
    (problem,) = report.diagnostics
    assert (problem.code, problem.line, problem.column) == ("IF810", 7, 5)
    assert problem.message == (
        "expectation failed: state is 'detected', expected 'triage'; "
        "severity is 'SEV1', expected 'SEV2'; "
        "breached breached: none (missing acknowledge_within)"
    )
    assert "at +0h02m the incident is open in 'detected' (identification) at SEV1" in problem.hint
    assert [n.line for n in problem.notes] == [7, 7, 7]
    # a failed expectation changes nothing: the run goes on and the next one holds
    (result,) = report.results
    assert [s.status for s in result.steps][-3:] == ["failed", "ok", "ok"]
    assert result.status == "failed"


def test_actions_are_those_invoked_since_the_previous_expect(
    major: Process, tmp_path: Path
) -> None:
    report = _run(
        major,
        tmp_path,
        OPENING
        + """\
  - expect: {actions: [create_ticket]}
  - fire: acknowledge
    as: rita
  - expect: {actions: [page, open_channel, page_if_severe]}
  - expect: {actions: []}
""",
    )
    (problem,) = report.diagnostics
    assert (problem.code, problem.line) == ("IF810", 6)
    assert problem.message == (
        "expectation failed: actions invoked since the start: page, create_ticket "
        "(not expected page)"
    )
    assert [s.status for s in report.results[0].steps][-3:] == ["ok", "ok", "ok"]


def test_a_refused_step_stops_the_run_and_says_why(major: Process, tmp_path: Path) -> None:
    report = _run(
        major,
        tmp_path,
        OPENING
        + """\
  - fire: acknowledge
    as: rita
  - fire: start_mitigation
    as: carol
  - expect: {state: stabilising}
""",
    )
    (problem,) = report.diagnostics
    assert (problem.code, problem.line, problem.column) == ("IF811", 8, 5)
    assert problem.message == (
        "fire 'start_mitigation' as carol was refused (checklist): "
        "checklist items not done: impact_confirmed, severity_confirmed, roles_assigned"
    )
    assert "in 'triage' (triage) at SEV1" in problem.hint
    assert "add 'expect_refusal: checklist'" in problem.hint
    steps = report.results[0].steps
    assert [s.status for s in steps][-2:] == ["failed", "skipped"]
    assert report.results[0].state == "triage"


def test_expected_refusals(major: Process, tmp_path: Path) -> None:
    report = _run(
        major,
        tmp_path,
        OPENING
        + """\
  - fire: acknowledge
    as: mallory
    expect_refusal: role
  - fire: regress
    as: rita
    expect_refusal: state
  - assign: {role: responder, person: carol}
    expect_refusal: policy
  - check: metrics_nominal
    expect_refusal: invalid
  - expect: {state: detected, checklist: []}
""",
    )
    assert report.ok, report.format("text")
    statuses = [s.status for s in report.results[0].steps]
    assert statuses[-5:] == ["refused", "refused", "refused", "refused", "ok"]


def test_a_refusal_for_another_reason_fails_but_the_run_goes_on(
    major: Process, tmp_path: Path
) -> None:
    report = _run(
        major,
        tmp_path,
        OPENING
        + """\
  - fire: start_mitigation
    as: carol
    expect_refusal: checklist
  - expect: {state: detected}
""",
    )
    (problem,) = report.diagnostics
    assert (problem.code, problem.line, problem.column) == ("IF812", 6, 5)
    assert problem.message == (
        "expected a refusal for 'checklist', but fire 'start_mitigation' as carol was "
        "refused (state): 'start_mitigation' does not leave 'detected'"
    )
    assert [s.status for s in report.results[0].steps][-2:] == ["failed", "ok"]


def test_an_expected_refusal_that_does_not_happen_stops_the_run(
    major: Process, tmp_path: Path
) -> None:
    report = _run(
        major,
        tmp_path,
        OPENING
        + """\
  - fire: acknowledge
    as: rita
    expect_refusal: role
  - expect: {state: detected}
""",
    )
    (problem,) = report.diagnostics
    assert (problem.code, problem.line, problem.column) == ("IF812", 6, 5)
    assert problem.message.startswith(
        "expected this step to be refused (role), but it succeeded: detected -> triage"
    )
    assert [s.status for s in report.results[0].steps][-2:] == ["failed", "skipped"]


def test_invalid_steps(major: Process, tmp_path: Path) -> None:
    report = _run(
        major,
        tmp_path,
        """\
        scenario: no trigger
        steps:
          - signal: {service: mainframe}
          - expect: {state: detected}
        """,
    )
    (problem,) = report.diagnostics
    assert (problem.code, problem.line, problem.column) == ("IF813", 3, 5)
    assert "no trigger of the process matches this signal" in problem.message
    assert report.results[0].incident is None

    report = _run(
        major,
        tmp_path,
        OPENING
        + """\
  - check: metrics_nominal
""",
    )
    (problem,) = report.diagnostics
    assert (problem.code, problem.line) == ("IF813", 6)
    assert "state 'detected' has no checklist item 'metrics_nominal'" in problem.message


def test_a_second_signal_must_join_the_incident(major: Process, tmp_path: Path) -> None:
    report = _run(
        major,
        tmp_path,
        OPENING
        + """\
  - signal: {service: api, availability: 0.3}
  - signal: {service: checkout, availability: 0.3}
""",
    )
    (problem,) = report.diagnostics
    assert (problem.code, problem.line) == ("IF813", 7)
    assert "opened a second incident" in problem.message
    assert report.results[0].steps[-2].outcome.startswith("deduplicated into tabletop-1")


# --- the simulated clock ----------------------------------------------------------------------


def test_timers_fire_at_their_due_instants_while_time_advances(
    major: Process, tmp_path: Path
) -> None:
    report = _run(
        major,
        tmp_path,
        """\
        scenario: nobody acknowledges
        start: 2026-05-01T10:00:00Z
        steps:
          - signal: {service: api, availability: 0.5}
          - advance: 1h
          - expect:
              state: triage
              breached: [acknowledge_within]  # a timer's escalation is no acknowledgement
              actions:
                [page, create_ticket, post_status, page_if_severe, open_channel, notify_executives]
              timers: []
        """,
    )
    assert report.ok, report.format("text")
    advance = report.results[0].steps[1]
    # SEV1: the ack deadline (5m) escalates to triage; triage's exec heads-up follows at 15m
    assert advance.outcome.startswith(
        "now +1h00m; timer ack_deadline fired at +0h05m; escalate: detected -> triage; "
        "timer exec_heads_up fired at +0h20m"
    )


def test_an_overdue_timer_fires_right_after_a_severity_change(
    major: Process, tmp_path: Path
) -> None:
    report = _run(
        major,
        tmp_path,
        """\
        scenario: raised late
        steps:
          - open: {impact: moderate, urgency: high}
          - advance: 10m
          - expect: {state: detected, severity: SEV3}
          - severity: SEV1
            reason: worse than it looked
          - expect: {state: triage, severity: SEV1, breached: [acknowledge_within]}
        """,
    )
    assert report.ok, report.format("text")
    severity_step = report.results[0].steps[3]
    assert severity_step.outcome.startswith("SEV3 -> SEV1; then timer ack_deadline fired at +0h10m")


def test_runs_are_deterministic(tmp_path: Path) -> None:
    for path in EXAMPLE_SCENARIOS:
        process = _process_of(path)
        first = run_scenarios(process, [path])
        second = run_scenarios(process, [path])
        for fmt in ("text", "json", "markdown"):
            assert first.format(fmt) == second.format(fmt)
    failing = _write(tmp_path, OPENING + "  - expect: {state: review}\n")
    major = _process_of(SCENARIOS / "major-incident-sev1-api-outage.yaml")
    assert run_scenarios(major, [failing]).format("json") == run_scenarios(major, [failing]).format(
        "json"
    )


# --- reports ----------------------------------------------------------------------------------


def test_report_formats(major: Process, tmp_path: Path) -> None:
    good = SCENARIOS / "major-incident-sev1-api-outage.yaml"
    bad = _write(tmp_path, OPENING + "  - expect: {state: review}\n", "bad.yaml")
    report = run_scenarios(major, [good, bad])
    assert not report.ok

    text = report.format("text")
    assert text.startswith(f"PASSED {good}")
    assert f"FAILED {bad}" in text
    assert (
        f"{bad}:6:5: error IF810 expectation failed: state is 'detected', expected 'review'" in text
    )
    assert "6 |   - expect: {state: review}\n  |     ^^^^^^" in text
    assert text.rstrip().endswith("2 scenarios on major-incident: 1 passed, 1 failed")

    data = json.loads(report.format("json"))
    assert data["ok"] is False
    assert data["summary"] == {"scenarios": 2, "passed": 1, "failed": 1, "invalid": 0}
    first, second = data["scenarios"]
    assert first["status"] == "passed"
    assert second["status"] == "failed"
    assert first["final"] == {"state": "closed", "severity": "SEV1", "closed": True}
    assert first["audit_verified"] is True
    assert set(first["steps"][0]) == {
        "index",
        "line",
        "column",
        "action",
        "step",
        "status",
        "outcome",
        "at_seconds",
    }
    assert data["diagnostics"] == second["diagnostics"]
    assert data["diagnostics"][0]["code"] == "IF810"

    markdown = report.format("markdown")
    assert markdown.startswith("# Tabletop scenarios: major-incident\n")
    assert "| Line | Time | Step | Result | Outcome |" in markdown
    assert f"- `{bad}:6:5` IF810 expectation failed" in markdown

    with pytest.raises(ValueError, match="unknown format"):
        report.format("yaml")


def test_markdown_escapes_table_cells(major: Process, tmp_path: Path) -> None:
    report = _run(major, tmp_path, OPENING + "  - note: a | b\n")
    assert "note 'a \\| b'" in report.format("markdown")


# --- the codes --------------------------------------------------------------------------------


def test_scenario_codes_are_the_8xx_family_of_the_rules_catalogue() -> None:
    from incidentflow.rules import RULES

    assert all(re.fullmatch(r"IF8\d\d", code) for code in SCENARIO_CODES)
    assert dict(SCENARIO_CODES) == {c: r.summary for c, r in RULES.items() if c.startswith("IF8")}
    docs = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    documented = dict(
        re.findall(r"^\| \[(IF8\d\d)\]\(rules\.md#if8\d\d\) \| (.+) \|$", docs, flags=re.M)
    )
    assert documented == dict(SCENARIO_CODES)


def test_every_code_a_scenario_reports_is_in_the_table() -> None:
    used = set()
    for module in (scenario_model, scenario_load, scenario_run):
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str) and value.startswith("IF8"):
                used.add(value)
    assert used == set(SCENARIO_CODES)
