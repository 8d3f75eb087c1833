"""Handbooks show calendars, and SLAs and timers in business time as working time."""

from __future__ import annotations

import incidentflow
from incidentflow.render.handbook import handbook
from tests.conftest import EXAMPLES, MINIMAL
from tests.time.common import itil_desk


def test_levels_say_which_calendar_their_slas_count_in() -> None:
    text = handbook(itil_desk("2026-12-25"))
    assert (
        "| Level | Title | Description | Acknowledge within | Update every | Resolve within "
        in text
    )
    assert "| `P3` | — | — | 4h working | — | 8h working | `office` |" in text
    assert "| `P1` | — | — | 15m | — | 4h | `always` |" in text


def test_the_calendars_section_lists_hours_and_holidays() -> None:
    text = handbook(itil_desk("2026-12-25, 2026-12-28"))
    assert "## Calendars" in text
    assert "| `office` | Europe/London | mon-fri 09:00-17:30 | 2026-12-25, 2026-12-28 |" in text


def test_timers_in_business_time_name_their_calendar() -> None:
    text = handbook(itil_desk())
    assert "- `breach` (resolve_within): after P1 4h, P3 8h working (`office`)" in text
    assert "- `chase` (2h): after P1 2h working (`office`), P3 2h working (`office`)" in text


def test_a_process_without_calendars_reads_as_before() -> None:
    text = handbook(incidentflow.load(MINIMAL))
    assert "Calendars" not in text
    assert "working" not in text
    assert "SLAs count in" not in text


def test_the_service_desk_handbook_shows_office_hours() -> None:
    text = handbook(incidentflow.load(EXAMPLES / "service-desk.yaml"))
    assert (
        "| `P3` | Medium | Service degraded for some users; workaround exists | 4h working |"
        in text
    )
    assert "Europe/London | mon-fri 09:00-17:30" in text


def test_the_flowchart_says_which_calendar_a_timer_counts_in() -> None:
    assert "timer chase (after 2h in office)" in handbook(itil_desk())
