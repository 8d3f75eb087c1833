"""Drills and scenarios run on the simulated clock with calendars: business time holds there."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import incidentflow
from incidentflow.drill.generated.run import drill
from incidentflow.drill.scenarios.run import run_scenarios
from tests.conftest import EXAMPLES
from tests.time.common import itil_desk

FRIDAY_EVENING = """\
scenario: A P3 logged on Friday afternoon waits for Monday
process: itil-desk
start: 2026-03-20T16:00:00Z      # Friday 16:00 in London (GMT)
steps:
  - open: {severity: P3}
  - expect: {state: new, timers: [breach]}
  - advance: 2d23h29m            # Monday 15:29: 7h59m of office hours
  - expect: {actions: [], timers: [breach]}
  - advance: 1m                  # Monday 15:30: eight working hours
  - expect: {actions: [page], timers: []}
"""


def test_a_scenario_waits_over_the_weekend(tmp_path: Path) -> None:
    path = tmp_path / "friday.yaml"
    path.write_text(FRIDAY_EVENING, encoding="utf-8")
    report = run_scenarios(itil_desk(), [path])
    assert report.ok, report.format("text")


def test_with_a_holiday_on_monday_the_same_scenario_fails_where_it_should(tmp_path: Path) -> None:
    path = tmp_path / "friday.yaml"
    path.write_text(FRIDAY_EVENING, encoding="utf-8")
    report = run_scenarios(itil_desk("2026-03-23"), [path])
    assert not report.ok
    assert "expect actions=[page]" in report.format("text")


def test_drills_measure_time_to_resolve_in_the_levels_calendar() -> None:
    process = incidentflow.load(EXAMPLES / "service-desk.yaml")
    drilled = drill(process, ["P5"])
    paths = [p for lv in drilled.levels for p in lv.paths]
    assert {p.calendar for p in paths} == {"office"}
    assert not any(p.overrun for p in paths)  # 14 days elapsed is 85h of office hours
    waited = [p for p in paths if p.time_to_resolve and p.time_to_resolve > timedelta(days=10)]
    assert waited
    assert all(p.working_to_resolve == p.resolve_within for p in waited)
    assert "85h working (resolve_within 85h working in office)" in drilled.format("text")
