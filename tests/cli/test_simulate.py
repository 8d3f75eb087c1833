"""``incidentflow simulate``: the timeline of an incident left alone, in business time."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, CliResult
from tests.time.common import DESK_TEMPLATE

Cli = Callable[..., CliResult]


def desk(tmp_path: Path, holidays: str = "") -> str:
    path = tmp_path / "itil-desk.yaml"
    path.write_text(DESK_TEMPLATE.format(holidays=holidays), encoding="utf-8")
    return str(path)


def test_a_p3_opened_friday_1600_is_due_monday_1530(cli: Cli, tmp_path: Path) -> None:
    result = cli(
        "simulate", desk(tmp_path), "--severity", "P3", "--at", "2026-03-20T16:00",
        "--tz", "Europe/London",
    )  # fmt: skip
    assert result.code == 0, result.err
    rows = {line.split("  ")[-1].split(" (")[0]: line for line in result.out.splitlines()}
    assert rows["SLA resolve_within"].startswith("Mon 2026-03-23 15:30 GMT")
    assert rows["SLA acknowledge_within"].startswith("Mon 2026-03-23 11:30 GMT")
    # elapsed 2d23h30m, of which 8h working time
    assert re.search(r"15:30 GMT\s+2d23h30m\s+8h\s+SLA resolve_within", result.out)
    assert "timer 'breach' of 'new' fires; asks for page(role=manager)" in result.out


def test_a_holiday_on_monday_moves_it_to_tuesday_in_json(cli: Cli, tmp_path: Path) -> None:
    result = cli(
        "simulate", desk(tmp_path, "2026-03-23"), "--severity", "P3",
        "--at", "2026-03-20T16:00", "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["time_zone"] == "Europe/London"  # the level's calendar's zone by default
    assert data["calendar"]["holidays"] == ["2026-03-23"]
    due = {m["name"]: m for m in data["timeline"] if m["kind"] == "sla"}
    assert due["resolve_within"]["local"] == "2026-03-24T15:30:00+00:00"
    assert due["resolve_within"]["working_seconds"] == 8 * 3600


def test_timer_transitions_are_followed(cli: Cli) -> None:
    result = cli(
        "simulate", str(EXAMPLES / "major-incident.yaml"), "--severity", "SEV2",
        "--at", "2026-03-27T16:00Z", "--for", "1d", "--format", "json",
    )  # fmt: skip
    data = json.loads(result.out)
    moves = [m for m in data["timeline"] if m["kind"] == "transition"]
    assert moves
    assert moves[0]["name"] == "escalate"
    assert data["final_state"] == moves[-1]["state"]
    assert data["time_zone"] == "UTC"


def test_the_cli_guide_shows_what_the_command_prints(cli: Cli) -> None:
    result = cli(
        "simulate", str(EXAMPLES / "service-desk.yaml"), "--severity", "P3",
        "--at", "2026-03-27T16:00",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "Wed 2026-04-01 16:00 BST" in result.out  # after the clocks went forward
    assert result.out in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--severity", "P9", "--at", "2026-03-20T16:00"], "no level 'P9'; levels are: P1, P3"),
        (["--severity", "P3", "--at", "2026-03-29T01:30"], "does not exist in Europe/London"),
        (["--severity", "P3", "--at", "Friday"], "is not an ISO 8601 time"),
        (["--severity", "P3", "--at", "2026-03-20T16:00", "--tz", "Mars/Base"], "time zone"),
        (["--severity", "P3", "--at", "2026-03-20T16:00", "--for", "400d"], "longest duration"),
    ],
)
def test_bad_arguments_are_usage_errors(
    cli: Cli, tmp_path: Path, args: list[str], message: str
) -> None:
    result = cli("simulate", desk(tmp_path), *args)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


def test_a_spec_with_errors_shows_them(cli: Cli) -> None:
    spec = ROOT / "tests" / "specs" / "invalid" / "IF146-unknown-calendar.yaml"
    result = cli("simulate", str(spec), "--severity", "SEV1", "--at", "2026-03-20T16:00")
    assert result.code == 1
    assert "IF146" in result.err


ON_HOLD = ROOT / "scenarios" / "service-desk-p3-on-hold.yaml"


def test_with_a_scenario_people_act_as_scripted_and_each_sla_says_met_or_breached(
    cli: Cli,
) -> None:
    """The on-hold scenario opened on the Friday before the clocks change: three days on
    hold (SLA clocks paused) and both P3 SLAs met; the times shown in the level's zone."""
    result = cli(
        "simulate", str(EXAMPLES / "service-desk.yaml"), "--scenario", str(ON_HOLD),
        "--at", "2026-03-27T16:00", "--tz", "Europe/London", "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["scenario"] == "Slow CRM, on hold for the supplier, closed automatically"
    assert data["opened_at"] == "2026-03-27T16:00:00+00:00"
    texts = [m["text"] for m in data["timeline"]]
    assert "rob: 'hold' moves it to 'on_hold' (SLA clocks paused)" in texts
    assert "rob: 'resume' moves it to 'in_progress' (SLA clocks run again)" in texts
    assert "SLA acknowledge_within (4h in 'office'): met" in texts
    assert "SLA resolve_within (25h30m in 'office'): met" in texts
    resume = next(m for m in data["timeline"] if "'resume'" in m["text"])
    assert resume["local"].endswith("+01:00")  # after the clocks went forward
    assert data["final_state"] == "closed"


def test_with_a_scenario_a_late_resolution_is_a_breach(cli: Cli, tmp_path: Path) -> None:
    # the same scenario on the spec with the pause taken out: the days on hold count
    spec = (EXAMPLES / "service-desk.yaml").read_text(encoding="utf-8")
    assert "sla: paused" in spec
    unpaused = tmp_path / "service-desk.yaml"
    unpaused.write_text(spec.replace("sla: paused", "sla: running"), encoding="utf-8")
    result = cli("simulate", str(unpaused), "--scenario", str(ON_HOLD))
    assert result.code == 0, result.err
    assert "SLA resolve_within (25h30m in 'office'): breached" in result.out
    assert "(Europe/London)" in result.out  # shown in the zone of the level's calendar


def test_a_scenario_with_severity_or_problems_is_refused(cli: Cli, tmp_path: Path) -> None:
    desk_spec = str(EXAMPLES / "service-desk.yaml")
    both = cli("simulate", desk_spec, "--scenario", str(ON_HOLD), "--severity", "P3")
    assert both.code == 2
    assert "no --severity" in both.err
    neither = cli("simulate", desk_spec)
    assert neither.code == 2
    assert "--severity and --at" in neither.err
    broken = tmp_path / "broken.yaml"
    broken.write_text("scenario: x\nprocess: service-desk\nsteps: nope\n", encoding="utf-8")
    bad = cli("simulate", desk_spec, "--scenario", str(broken))
    assert bad.code == 1
    assert "Traceback" not in bad.err
    assert "broken.yaml" in bad.err
