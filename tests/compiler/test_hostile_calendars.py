"""Calendars no spec can turn against the checker or the engine: bounded work, clear ends."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import incidentflow
from incidentflow.spec.limits import MAX_DIAGNOSTICS
from tests.time.common import DESK_TEMPLATE


def checked(tmp_path: Path, text: str) -> Counter[str]:
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return Counter(d.code for d in incidentflow.check(path))


def test_thousands_of_overlapping_ranges_stop_at_the_cap(tmp_path: Path) -> None:
    ranges = ", ".join(['"09:00-17:30"'] * 3000)
    text = DESK_TEMPLATE.format(holidays="").replace(
        'hours: {mon-fri: ["09:00-17:30"]}', f"hours: {{mon: [{ranges}]}}"
    )
    codes = checked(tmp_path, text)
    assert codes["IF143"] == MAX_DIAGNOSTICS
    assert codes["IF115"] == 1


def test_thousands_of_holidays_keep_the_arithmetic_exact(tmp_path: Path) -> None:
    first = date(2026, 1, 5)
    holidays = [first + timedelta(days=7 * i) for i in range(3000)]  # every Monday
    text = DESK_TEMPLATE.format(holidays=", ".join(d.isoformat() for d in holidays))
    process = incidentflow.loads(
        text.replace("resolve_within: 8h, cal", "resolve_within: 365d, cal")
    )
    calendar = process.calendar("office")
    start = datetime(2026, 1, 2, 16, 0, tzinfo=UTC)
    due = process.sla_due("P3", "resolve_within", start)
    assert due is not None
    assert calendar.working_time(start, due) == timedelta(days=365)
    assert not calendar.is_working(datetime(2026, 1, 12, 10, 0, tzinfo=UTC))  # a Monday


def test_a_duration_too_long_for_its_calendar_is_refused_not_searched(tmp_path: Path) -> None:
    text = DESK_TEMPLATE.format(holidays="").replace(
        'hours: {mon-fri: ["09:00-17:30"]}', 'hours: {sun: ["03:00-03:01"]}'
    )
    text = text.replace("resolve_within: 8h, cal", "resolve_within: 365d, cal")
    text = text.replace("after: 2h, calendar: office", "after: 365d, calendar: office")
    codes = checked(tmp_path, text)
    assert codes["IF148"] == 2  # the level's SLA and the timer
    assert codes["IF320"] == 0  # 'working' may be left by people
