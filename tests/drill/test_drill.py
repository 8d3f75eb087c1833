"""Generated drills: coverage of the examples, what cannot be exercised, formats, exit codes."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

import incidentflow
from incidentflow.drill.generated.plan import LevelModel
from incidentflow.drill.generated.run import drill
from tests.conftest import EXAMPLES

EXAMPLE_SPECS = sorted(EXAMPLES.glob("*.yaml"))

# 'stuck' has nobody in 'by' and no timer; 'expire' is fired only by a timer that runs at
# SEV1 alone; 'limbo' is reachable only through 'stuck', so it and 'leave' cannot be drilled.
NOBODY = """\
apiVersion: incidentflow/v1
kind: Process
metadata: {name: nobody, version: "1"}
roles:
  responder: {title: Responder, backups: [lead]}
  lead: {title: Lead, backups: [responder]}
severity:
  levels:
    - {id: SEV1, acknowledge_within: 5m, resolve_within: 4h}
    - {id: SEV2, acknowledge_within: 15m, resolve_within: 8h}
process:
  initial: open
  states:
    open:
      owner: lead
      checklist: [{id: fixed, text: The problem is fixed}]
      timers: [{id: ack, after: {SEV1: 5m}, transition: expire}]
    limbo: {owner: lead}
    closed: {terminal: true}
  transitions:
    - {name: close, from: open, to: closed, by: [responder], requires: [fixed]}
    - {name: stuck, from: open, to: limbo}
    - {name: leave, from: limbo, to: closed, by: [lead]}
    - {name: expire, from: open, to: closed}
"""

# 'nag' is due after 'escalate' has moved the incident on: it can never fire.
PREEMPTED = """\
apiVersion: incidentflow/v1
kind: Process
metadata: {name: preempted, version: "1"}
roles:
  responder: {title: Responder, backups: [lead]}
  lead: {title: Lead, backups: [responder]}
severity:
  levels: [{id: SEV1, acknowledge_within: 5m, resolve_within: 4h}]
process:
  initial: open
  states:
    open:
      owner: lead
      timers:
        - {id: escalate_timer, after: 5m, transition: escalate}
        - {id: nag, after: 10m}
    working: {owner: lead}
    closed: {terminal: true}
  transitions:
    - {name: escalate, from: open, to: working, by: [lead]}
    - {name: close, from: [open, working], to: closed, by: [responder]}
"""

# Separation of duties applies at SEV1 only.
SEPARATED = """\
apiVersion: incidentflow/v1
kind: Process
metadata: {name: separated, version: "1"}
roles:
  responder: {title: Responder, backups: [lead]}
  lead: {title: Lead, backups: [responder]}
severity:
  levels:
    - {id: SEV1, resolve_within: 4h}
    - {id: SEV2, resolve_within: 8h}
process:
  initial: open
  states:
    open: {owner: lead}
    closed: {terminal: true}
  transitions:
    - {name: close, from: open, to: closed, by: [responder, lead], when: {severity: [SEV1, SEV2]}}
policies:
  - {id: split, for_severity: [SEV1], distinct_holders: [lead, responder]}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _json(cli, *argv: str) -> tuple[int, dict]:
    result = cli("drill", *argv, "--format", "json")
    return result.code, json.loads(result.out)


# --- the examples ----------------------------------------------------------------------


@pytest.mark.parametrize("spec", EXAMPLE_SPECS, ids=lambda p: p.stem)
def test_examples_are_fully_covered(cli, spec: Path) -> None:
    code, report = _json(cli, str(spec))
    process = incidentflow.load(spec)
    assert code == 0, report["problems"]
    assert report["ok"] is True
    coverage = report["coverage"]
    for kind in ("states", "transitions", "timers"):
        assert coverage[kind]["covered"] == coverage[kind]["total"] > 0
    # every edge of the graph (a transition from each of its sources) was fired at some level
    assert coverage["transitions"]["total"] == process.graph.number_of_edges()
    assert list(coverage["levels"]) == list(process.level_ids)
    for level in coverage["levels"].values():
        assert set(level) == {"states", "transitions", "timers"}
        for kind in ("states", "transitions", "timers"):
            assert set(level[kind]) == {"covered", "total"}
            assert level[kind]["covered"] == level[kind]["total"]
    assert [p for p in report["problems"] if p["blocking"]] == []
    assert report["audit"]["verified"] is True
    paths = [p for lv in report["levels"] for p in lv["paths"]]
    assert all(p["outcome"] == "resolved" for p in paths)
    assert report["audit"]["incidents"] == len(paths) + len(report["policies"])
    assert report["actions"]["never_invoked"] == []
    assert coverage["actions"]["covered"] == len(process.spec.actions)


def test_timers_fire_and_are_counted_with_their_simulated_time(cli) -> None:
    _, report = _json(cli, str(EXAMPLES / "major-incident.yaml"), "--level", "SEV1")
    paths = report["levels"][0]["paths"]
    ack = next(p for p in paths if p["purpose"] == "timers of detected")
    assert ack["steps"][0] == "wait(ack_deadline)->escalate"
    assert ack["timers_fired"] == 1
    assert ack["time_to_resolve"] == 300.0  # SEV1 acknowledge_within: 5m
    stabilising = next(p for p in paths if p["purpose"] == "timers of stabilising")
    # status_update every 30m (8 times in the 4h wait), then resolve_deadline at 4h
    assert stabilising["timers_fired"] == 9
    assert report["coverage"]["timers"] == {"covered": 6, "total": 6}
    # only the waiting takes time: people act at once
    manual = next(p for p in paths if p["purpose"].startswith("transition acknowledge"))
    assert manual["time_to_resolve"] == 0.0
    assert manual["timers_fired"] == 0


def test_overruns_are_flagged(cli) -> None:
    _, report = _json(cli, str(EXAMPLES / "major-incident.yaml"), "--level", "SEV1")
    review = next(p for p in report["levels"][0]["paths"] if p["purpose"] == "timers of review")
    assert review["time_to_resolve"] == 5 * 86400.0  # postmortem_overdue at SEV1: 5d
    assert review["resolve_within"] == 4 * 3600.0
    assert review["overrun"] is True
    assert report["ok"] is True  # an overrun is reported, not a coverage failure


def test_actions_invoked_are_counted() -> None:
    report = drill(incidentflow.load(EXAMPLES / "major-incident.yaml"), ["SEV1"])
    invoked = report.invocations()
    paths = report.levels[0].paths
    assert invoked["create_ticket"] == len(paths)  # on entering 'detected', once per incident
    assert sum(invoked.values()) == sum(p.actions_invoked for p in paths)


def test_unreachable_transitions_are_reported_but_not_counted(cli) -> None:
    code, report = _json(cli, str(EXAMPLES / "security-incident.yaml"), "--level", "SEV3")
    assert code == 0
    [aside] = report["problems"]
    assert aside["blocking"] is False
    assert aside["reason"] == "unreachable"
    assert aside["item"] == "begin_eradication (notification -> eradication)"


# --- what cannot be exercised ----------------------------------------------------------


def test_a_transition_nobody_may_fire_is_reported_with_the_engines_refusal(
    cli, tmp_path: Path
) -> None:
    code, report = _json(cli, str(_write(tmp_path, "nobody", NOBODY)))
    assert code == 1
    assert report["ok"] is False
    problems = {(p["level"], p["kind"], p["item"]): p for p in report["problems"]}
    stuck = problems[("SEV1", "transition", "stuck (open -> limbo)")]
    assert stuck["reason"] == "role"  # the engine's refusal word
    assert "no role (timers only)" in stuck["detail"]
    assert "its 'by' is empty and no timer of 'open' fires it" in stuck["detail"]
    # what only 'stuck' leads to is reachable, but blocked
    assert problems[("SEV1", "state", "limbo")]["reason"] == "blocked"
    leave = problems[("SEV1", "transition", "leave (limbo -> closed)")]
    assert leave["reason"] == "blocked"
    assert "stuck (open -> limbo)" in leave["detail"]
    # 'expire' is fired by its timer at SEV1, and by nobody at SEV2
    assert ("SEV1", "transition", "expire (open -> closed)") not in problems
    expire = problems[("SEV2", "transition", "expire (open -> closed)")]
    assert "only timer 'ack' fires it, and it does not run at SEV2" in expire["detail"]
    levels = report["coverage"]["levels"]
    assert levels["SEV1"]["transitions"] == {"covered": 2, "total": 4}
    assert levels["SEV1"]["timers"] == {"covered": 1, "total": 1}
    assert levels["SEV2"]["transitions"] == {"covered": 1, "total": 4}
    assert levels["SEV2"]["timers"] == {"covered": 0, "total": 0}
    assert report["coverage"]["states"] == {"covered": 2, "total": 3}
    assert report["audit"]["verified"] is True


def test_a_timer_that_can_never_fire_is_reported(cli, tmp_path: Path) -> None:
    code, report = _json(cli, str(_write(tmp_path, "preempted", PREEMPTED)))
    assert code == 1
    [problem] = report["problems"]
    assert (problem["kind"], problem["item"], problem["reason"]) == (
        "timer",
        "nag in open",
        "preempted",
    )
    assert "'escalate_timer'" in problem["detail"]
    assert report["coverage"]["timers"] == {"covered": 1, "total": 2}
    assert report["coverage"]["transitions"] == {"covered": 3, "total": 3}


def test_routes_avoid_what_the_engine_refused() -> None:
    model = LevelModel(incidentflow.loads(PREEMPTED), "SEV1")
    escalate = next(e for e in model.targets if e.name == "escalate")
    plan = model.plan(covered=(), fired=(), given_up={escalate.key}, avoid={escalate.key})
    assert plan.paths
    for path in plan.paths:
        assert all(step.label() != "escalate" for step in path.steps)
    # 'working' is still reached, through the timer that takes the same transition
    assert any(s.label() == "wait(escalate_timer)->escalate" for p in plan.paths for s in p.steps)


def test_separation_of_duties_is_probed_where_it_applies(tmp_path: Path) -> None:
    report = drill(incidentflow.loads(SEPARATED))
    checks = {c.level: c for c in report.policies}
    assert checks["SEV1"].required is True
    assert checks["SEV1"].enforced is True
    assert "policy 'split'" in checks["SEV1"].detail
    assert checks["SEV2"].required is False
    assert checks["SEV2"].ok is True
    assert report.ok


# --- formats, determinism, exit codes --------------------------------------------------


def test_text_format(cli) -> None:
    result = cli("drill", str(EXAMPLES / "service-desk.yaml"))
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == "drill of service-desk 1.0.0: 5 level(s), 47 path(s)"
    assert any(line.startswith("overall ") and "10/10 (100%)" in line for line in lines)
    assert "audit: " in result.out
    assert lines[-1] == "result: every reachable state, transition and timer was exercised"


def test_markdown_format(cli) -> None:
    result = cli("drill", str(EXAMPLES / "major-incident.yaml"), "--format", "markdown")
    assert result.code == 0
    out = result.out
    assert out.startswith("# Drill: major-incident 1.0.0\n")
    assert "**Result: PASS**" in out
    assert "| Level | States | Transitions | Timers | Paths | Resolved | Overruns |" in out
    assert "| **overall** | 7/7 (100%) | 11/11 (100%) | 6/6 (100%) |" in out
    for section in ("## Coverage", "## Paths", "## Actions invoked", "## Separation of duties"):
        assert section in out


def test_markdown_lists_what_could_not_be_exercised(cli, tmp_path: Path) -> None:
    result = cli("drill", str(_write(tmp_path, "nobody", NOBODY)), "--format", "markdown")
    assert result.code == 1
    assert "**Result: FAIL**" in result.out
    assert "## Could not be exercised" in result.out
    assert "| SEV1 | transition | `stuck (open -> limbo)` | role |" in result.out


def test_two_drills_give_identical_json(cli) -> None:
    spec = str(EXAMPLES / "security-incident.yaml")
    first = cli("drill", spec, "--format", "json")
    second = cli("drill", spec, "--format", "json")
    assert first.out == second.out


def test_level_option_restricts_the_drill(cli) -> None:
    code, report = _json(cli, str(EXAMPLES / "service-desk.yaml"), "--level", "P2", "--level", "P1")
    assert code == 0
    assert list(report["coverage"]["levels"]) == ["P2", "P1"]


def test_unknown_level_is_a_usage_error(cli) -> None:
    result = cli("drill", str(EXAMPLES / "service-desk.yaml"), "--level", "SEV1")
    assert result.code == 2
    assert "has no level 'SEV1'" in result.err
    assert result.out == ""


def test_missing_file_is_a_usage_error(cli, tmp_path: Path) -> None:
    result = cli("drill", str(tmp_path / "absent.yaml"))
    assert result.code == 2
    assert "no such file" in result.err


def test_unknown_format_is_a_usage_error(cli) -> None:
    assert cli("drill", str(EXAMPLES / "service-desk.yaml"), "--format", "html").code == 2


def test_spec_errors_print_diagnostics_and_exit_1(cli, tmp_path: Path) -> None:
    broken = _write(tmp_path, "broken", NOBODY.replace("by: [lead]", "by: [leed]"))
    result = cli("drill", str(broken))
    assert result.code == 1
    assert "error IF203" in result.err
    assert " | " in result.err  # the source line, as validate shows it
    assert result.out == ""


def test_scenarios_are_run_by_the_scenario_module(cli, monkeypatch) -> None:
    calls = []

    class Report:
        ok = False

        def format(self, fmt: str) -> str:
            return f"scenario report as {fmt}\n"

    def run_scenarios(process, paths):
        calls.append((process.name, paths))
        return Report()

    fake = types.ModuleType("incidentflow.drill.scenarios.run")
    fake.run_scenarios = run_scenarios  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "incidentflow.drill.scenarios.run", fake)
    spec = str(EXAMPLES / "major-incident.yaml")
    result = cli("drill", spec, "--scenario", "a.yaml", "b.yaml", "--format", "markdown")
    assert result.code == 1
    assert result.out == "scenario report as markdown\n"
    assert calls == [("major-incident", [Path("a.yaml"), Path("b.yaml")])]
    usage = cli("drill", spec, "--scenario", "a.yaml", "--level", "SEV1")
    assert usage.code == 2


def test_drill_refuses_unknown_levels() -> None:
    with pytest.raises(ValueError, match="no level 'SEV9'"):
        drill(incidentflow.loads(PREEMPTED), ["SEV9"])
