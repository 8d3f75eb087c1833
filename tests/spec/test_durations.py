"""Durations: one parser for every place, ASCII digits only, at most a year (issue 9, item 2).

A spec that validates must never make the engine overflow: every duration is
refused above the ceiling with a diagnostic at the value, never a traceback.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import incidentflow
from incidentflow import Diagnostic, SpecError
from incidentflow.spec.durations import MAX_DURATION, is_duration, parse_duration

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = (ROOT / "tests" / "specs" / "valid" / "minimal.yaml").read_text(encoding="utf-8")
TOO_LONG = [
    "366d",
    "999999999d",
    "1000000000d",
    "99999999999999h",
    "9" * 30 + "s",
    "9" * 5000 + "d",
]
NOT_ASCII = ["\uff15m", "\u0665m", "1\uff10m", "P\uff11D", "PT\u0665M", "5\u00a0m"]


def refused(text: str) -> tuple[Diagnostic, ...]:
    with pytest.raises(SpecError) as info:
        incidentflow.loads(text, "spec.yaml")
    return info.value.diagnostics


def position_of(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first ``needle`` in ``text``."""
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def with_timer(after: str) -> str:
    return MINIMAL.replace(
        "      owner: lead\n",
        f"      owner: lead\n      timers:\n        - {{id: t, after: {after}}}\n",
    )


# --- the parser ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["365d", "8760h", "525600m", "31536000s", "P1Y", "P365D"])
def test_a_year_is_the_longest_duration(text: str) -> None:
    assert parse_duration(text) == MAX_DURATION == timedelta(days=365)


@pytest.mark.parametrize("text", [*TOO_LONG, "P366D", "P999999999D", "PT8761H"])
def test_longer_than_a_year_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match=r"365d|exceed|too large"):
        parse_duration(text)


@pytest.mark.parametrize("text", NOT_ASCII)
def test_digits_that_are_not_ascii_are_not_durations(text: str) -> None:
    assert int("\uff15") == 5  # what Python alone would accept
    assert not is_duration(text)


def test_a_long_number_in_a_message_is_shortened() -> None:
    with pytest.raises(ValueError, match="longer than") as info:
        parse_duration("9" * 5000 + "d")
    assert len(str(info.value)) < 200


# --- every place a spec gives a duration ---------------------------------------------------


@pytest.mark.parametrize("value", TOO_LONG)
def test_level_sla_above_the_ceiling_is_if123_at_the_value(value: str) -> None:
    text = MINIMAL.replace("acknowledge_within: 5m", f"acknowledge_within: {value}")
    diagnostics = refused(text)
    assert [d.code for d in diagnostics] == ["IF123"]
    assert (diagnostics[0].line, diagnostics[0].column) == position_of(text, value)


@pytest.mark.parametrize("value", NOT_ASCII)
def test_level_sla_with_unicode_digits_is_if123(value: str) -> None:
    text = MINIMAL.replace("acknowledge_within: 5m", f'acknowledge_within: "{value}"')
    assert [d.code for d in refused(text)] == ["IF123"]


@pytest.mark.parametrize("value", ["999999999d", "1000000000d", "P400D", "99999999999999h"])
def test_timer_after_above_the_ceiling_is_if123(value: str) -> None:
    text = with_timer(value)
    diagnostics = refused(text)
    assert [d.code for d in diagnostics] == ["IF123"]
    assert (diagnostics[0].line, diagnostics[0].column) == position_of(text, value)
    assert "365d" in diagnostics[0].message


def test_timer_map_above_the_ceiling_is_if123_at_the_value() -> None:
    text = with_timer("{SEV1: 999999999d, default: 5m}")
    diagnostics = refused(text)
    assert [d.code for d in diagnostics] == ["IF123"]
    assert (diagnostics[0].line, diagnostics[0].column) == position_of(text, "999999999d")


def test_timer_naming_no_sla_field_is_still_if208() -> None:
    assert [d.code for d in refused(with_timer("acknowledge_in"))] == ["IF208"]


@pytest.mark.parametrize("value", ["1000000000d", "9" * 30 + "s", "\uff15m", "soon"])
def test_duration_action_parameter_is_checked_by_the_same_parser(value: str) -> None:
    text = MINIMAL.replace(
        "triggers:\n", "actions:\n  wait: {params: {for: duration}}\ntriggers:\n", 1
    ).replace(
        "      owner: lead\n",
        f'      owner: lead\n      on_enter: [{{action: wait, for: "{value}"}}]\n',
    )
    diagnostics = refused(text)
    assert [d.code for d in diagnostics] == ["IF206"]
    assert (diagnostics[0].line, diagnostics[0].column) == position_of(text, f'"{value}"')
    assert "duration" in diagnostics[0].message


def test_validate_never_shows_a_traceback_for_a_duration(tmp_path: Path) -> None:
    from io import StringIO

    from incidentflow.cli import run

    spec = tmp_path / "spec.yaml"
    spec.write_text(with_timer("{SEV1: 999999999999999999999999d}"), encoding="utf-8")
    out, err = StringIO(), StringIO()
    assert run(["validate", str(spec)], out, err) == 1
    assert "IF123" in out.getvalue()
    assert "Traceback" not in out.getvalue() + err.getvalue()


# --- the engine cannot overflow on what the ceiling lets through ---------------------------


def test_engine_runs_timers_of_the_longest_duration() -> None:
    text = with_timer("365d").replace(
        "acknowledge_within: 5m, resolve_within: 4h", "resolve_within: 365d"
    )
    process = incidentflow.loads(text)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    engine = incidentflow.Engine(process, clock=lambda: start)
    incident = engine.open(process.name, severity="SEV1")
    assert engine.get(incident.id).timers["t"] == start + MAX_DURATION
    fired = engine.tick(start + 2 * MAX_DURATION)
    assert [e.kind for e in fired if e.data.get("timer") == "t"]


# --- rehearsals read durations with the same parser, and their clock stays in the calendar ---


def scenario(start: str, advances: list[str]) -> str:
    steps = "".join(f"  - advance: {a}\n" for a in advances)
    return (
        f"scenario: end of time\nprocess: minimal\nstart: {start}\nsteps:\n"
        "  - open: {severity: SEV1}\n" + steps
    )


@pytest.mark.parametrize(
    ("start", "advances", "line"),
    [
        ("9999-12-30T00:00:00Z", ["1m"], 3),  # the start itself
        ("9990-01-01T00:00:00Z", ["365d"] * 20, 15),  # the advance that would cross
        ("2026-01-01T00:00:00Z", ["1000000000d"], 6),  # over the ceiling (BAD_VALUE)
    ],
)
def test_a_scenario_cannot_run_the_clock_past_the_calendar(
    start: str, advances: list[str], line: int
) -> None:
    from incidentflow.drill.scenarios import scenario_from_text

    process = incidentflow.loads(MINIMAL)
    found = scenario_from_text(scenario(start, advances), "s.yaml", process)
    assert isinstance(found, list)
    assert [(d.code, d.line) for d in found] == [("IF804", line)]
