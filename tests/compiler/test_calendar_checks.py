"""What the calendar checks say (the fixtures pin codes and positions), and what the
compiled Process answers about calendars."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import incidentflow
from incidentflow.calendars import ALWAYS
from tests.conftest import SPECS
from tests.time.common import DESK_TEMPLATE, itil_desk, london

INVALID = SPECS / "invalid"


def messages(path: Path, code: str) -> list[tuple[str, str]]:
    return [(d.message, d.hint) for d in incidentflow.check(path) if d.code == code]


def with_hours(tmp_path: Path, hours: str) -> Path:
    path = tmp_path / "desk.yaml"
    text = DESK_TEMPLATE.format(holidays="").replace('{mon-fri: ["09:00-17:30"]}', hours)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_range_in_the_spring_gap_names_the_date_and_what_it_loses() -> None:
    [(message, _)] = messages(INVALID / "IF145-hours-in-daylight-saving-gap.yaml", "IF145")
    assert re.search(r"gap of Europe/London on \d{4}-03-(2[5-9]|3[01]) \(sun\)", message)
    assert "01:00-02:00 does not exist, so that day it counts 1h" in message


def test_a_range_in_the_autumn_overlap_says_it_counts_more(tmp_path: Path) -> None:
    path = with_hours(tmp_path, '{mon-fri: ["09:00-17:30"], sun: ["01:00-02:00"]}')
    [(message, _)] = messages(path, "IF145")
    # the first change from this year on: the gap in March (nothing left) or October
    assert "counts nothing" in message or "happens twice, so that day it counts 2h" in message


def test_the_business_time_wait_gives_an_example() -> None:
    [(message, hint)] = messages(INVALID / "IF320-business-time-wait.yaml", "IF320")
    assert "a SEV1 that enters it on Friday 18:00 waits until Monday 09:05" in message
    assert "add a transition people may fire from 'queued'" in hint


def test_names_get_did_you_mean() -> None:
    [(_, zone_hint)] = messages(INVALID / "IF140-unknown-time-zone.yaml", "IF140")
    assert zone_hint == "did you mean 'Europe/London'?"
    [(_, name_hint)] = messages(INVALID / "IF146-unknown-calendar.yaml", "IF146")
    assert name_hint.startswith("did you mean 'office'?")


@pytest.mark.parametrize(
    ("hours", "code"),
    [
        ('{"mon-fri": "09:00-17:30"}', None),  # one range without a list
        ('{fri-mon: ["10:00-11:00"]}', None),  # wraps round the weekend
        ('{mon-fri: ["09:00-24:00"]}', None),
        ('{mon-fri: ["09:00-24:30"]}', "IF141"),
        ('{mon-fri: ["9:00-17:30"]}', "IF141"),
        ('{mon-fri: ["17:30-17:30"]}', "IF142"),
        ("{mon-fri: []}", "IF144"),
        ("{}", "IF144"),
    ],
)
def test_hours_as_written(tmp_path: Path, hours: str, code: str | None) -> None:
    found = {d.code for d in incidentflow.check(with_hours(tmp_path, hours)) if d.is_error}
    assert found == ({code} if code else set())


def test_the_process_resolves_calendars_by_name() -> None:
    process = itil_desk()
    assert process.calendar(None) is ALWAYS
    assert process.calendar("always") is ALWAYS
    assert process.calendar("office").zone_name == "Europe/London"
    assert list(process.calendars) == ["office"]
    with pytest.raises(KeyError):
        process.calendar("nope")
    assert process.sla_calendar("P3").name == "office"
    assert process.sla_calendar("P1") is ALWAYS
    assert process.timer_calendar("working", "chase", "P1").name == "office"


def test_the_process_answers_due_times() -> None:
    process = itil_desk()
    friday = london(2026, 3, 20, 16, 0)
    assert process.sla_due("P3", "resolve_within", friday) == london(2026, 3, 23, 15, 30)
    assert process.sla_due("P1", "resolve_within", friday) == friday + timedelta(hours=4)
    assert process.sla_due("P3", "update_every", friday) is None  # not defined
    assert process.timer_due("working", "chase", "P1", friday) == london(2026, 3, 23, 9, 30)
    assert not any(process.pauses_sla(s) for s in process.states)


def test_specs_without_calendars_count_every_minute() -> None:
    process = incidentflow.load(SPECS / "valid" / "minimal.yaml")
    start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert process.sla_due("SEV1", "resolve_within", start) == start + timedelta(hours=4)
    assert process.calendars == {}
