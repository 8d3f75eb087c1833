"""Business-time arithmetic against the brute-force oracle, and the cases people ask about.

The generated calendars live in the zones whose daylight-saving weekends catch schedules
out: Europe/London, America/New_York, and Australia/Lord_Howe (a 30-minute shift); the
instants cluster round those weekends.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentflow.calendars import ALWAYS, HORIZON, BeyondHorizon, Calendar, WeekHours
from incidentflow.calendars.hours import merge
from tests.time.oracle import oracle_add, oracle_working_time

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")

# The daylight-saving weekends of 2026 in each zone (local dates of the change).
CHANGES = {
    "Europe/London": [date(2026, 3, 29), date(2026, 10, 25)],
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1)],
    "Australia/Lord_Howe": [date(2026, 4, 5), date(2026, 10, 4)],
    "UTC": [date(2026, 6, 1)],
}

OFFICE = Calendar.parse("office", "Europe/London", {"mon-fri": ["09:00-17:30"]})


@st.composite
def day_hours(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    """0 to 3 ranges on whole minutes (some of them on the small hours the clocks change)."""
    ranges = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(0, 1439))
        end = draw(st.integers(start + 1, 1440))
        ranges.append((start, end))
    return merge(ranges)


@st.composite
def calendars(draw: st.DrawFn) -> tuple[str, WeekHours, frozenset[date]]:
    zone = draw(st.sampled_from(sorted(CHANGES)))
    hours = tuple(draw(day_hours()) for _ in range(7))
    if not any(hours):
        hours = (((draw(st.integers(0, 60)) * 20, 1440),), *hours[1:])
    change = draw(st.sampled_from(CHANGES[zone]))
    holidays = frozenset(
        change + timedelta(days=d) for d in draw(st.lists(st.integers(-3, 10), max_size=3))
    )
    return zone, hours, holidays


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """A whole minute within four days of one of the zone's changes."""
    change = draw(st.sampled_from(CHANGES[zone]))
    base = datetime(change.year, change.month, change.day, tzinfo=UTC) - timedelta(days=3)
    return base + timedelta(minutes=draw(st.integers(0, 6 * 1440)))


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_add_agrees_with_stepping_minute_by_minute(data: st.DataObject) -> None:
    zone, hours, holidays = data.draw(calendars())
    calendar = Calendar("generated", zone, hours, holidays)
    start = data.draw(instants(zone))
    weekly = calendar.weekly // timedelta(minutes=1)
    working = timedelta(minutes=data.draw(st.integers(0, min(weekly, 3 * 1440))))
    expected = oracle_add(start, working, ZoneInfo(zone), hours, holidays)
    assert expected is not None  # within the oracle's 60 days: the week has working time
    due = calendar.add(start, working)
    assert due == expected
    assert calendar.working_time(start, due) == working


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_working_time_agrees_with_stepping_minute_by_minute(data: st.DataObject) -> None:
    zone, hours, holidays = data.draw(calendars())
    calendar = Calendar("generated", zone, hours, holidays)
    start = data.draw(instants(zone))
    end = start + timedelta(minutes=data.draw(st.integers(-60, 4 * 1440)))
    expected = oracle_working_time(start, end, ZoneInfo(zone), hours, holidays)
    assert calendar.working_time(start, end) == expected


def test_an_itil_p3_opened_friday_1600_is_due_the_next_working_day_at_the_right_minute() -> None:
    opened = datetime(2026, 3, 20, 16, 0, tzinfo=LONDON)  # a Friday, clocks not changing
    due = OFFICE.add(opened, timedelta(hours=8))
    # 1h30 on Friday (16:00-17:30), then 6h30 on Monday from 09:00
    assert due.astimezone(LONDON) == datetime(2026, 3, 23, 15, 30, tzinfo=LONDON)


def test_a_holiday_on_monday_moves_it_to_tuesday() -> None:
    office = Calendar.parse(
        "office", "Europe/London", {"mon-fri": ["09:00-17:30"]}, [date(2026, 3, 23)]
    )
    due = office.add(datetime(2026, 3, 20, 16, 0, tzinfo=LONDON), timedelta(hours=8))
    assert due.astimezone(LONDON) == datetime(2026, 3, 24, 15, 30, tzinfo=LONDON)


def test_office_hours_stay_on_the_wall_clock_across_the_spring_change() -> None:
    # Friday 27 March 2026: the clocks go forward on Sunday 29th; Monday opens at 09:00
    # BST, which is 08:00 UTC (the Friday before, 09:00 was 09:00 UTC).
    due = OFFICE.add(datetime(2026, 3, 27, 16, 0, tzinfo=LONDON), timedelta(hours=8))
    assert due == datetime(2026, 3, 30, 14, 30, tzinfo=UTC)
    assert due.astimezone(LONDON).strftime("%a %H:%M") == "Mon 15:30"


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (LONDON, date(2026, 3, 29), 23),
        (LONDON, date(2026, 10, 25), 25),
        (NEW_YORK, date(2026, 3, 8), 23),
        (NEW_YORK, date(2026, 11, 1), 25),
        (LORD_HOWE, date(2026, 10, 4), 23.5),
        (LORD_HOWE, date(2026, 4, 5), 24.5),
    ],
)
def test_a_whole_day_counts_the_time_that_really_passes(
    zone: ZoneInfo, day: date, hours: float
) -> None:
    # a holiday far away, so that the walk runs (not the shortcut for every minute)
    calendar = Calendar.parse("all_day", zone.key, {"mon-sun": ["00:00-24:00"]}, [date(2030, 1, 1)])
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    next_midnight = datetime.combine(day + timedelta(days=1), midnight.time(), tzinfo=zone)
    assert calendar.working_time(midnight, next_midnight) == timedelta(hours=hours)


def test_always_counts_elapsed_time_and_keeps_the_time_zone() -> None:
    start = datetime(2026, 3, 28, 23, 0, tzinfo=LONDON)  # five hours span the spring change
    due = ALWAYS.add(start, timedelta(hours=5))
    assert due == datetime(2026, 3, 29, 4, 0, tzinfo=UTC)  # not 04:00 on London's clock
    assert due.tzinfo is LONDON
    end = datetime(2026, 3, 31, 23, 0, tzinfo=LONDON)
    assert ALWAYS.working_time(start, end) == timedelta(days=3, hours=-1)


def test_the_search_is_bounded_for_a_calendar_that_barely_works() -> None:
    # One minute a week: 365 days of working time would take 10,000 years.
    sparse = Calendar.parse("sparse", "UTC", {"sun": ["03:00-03:01"]})
    with pytest.raises(BeyondHorizon, match="does not fit"):
        sparse.add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(days=365))
    with pytest.raises(BeyondHorizon):
        sparse.working_time(datetime(2026, 1, 1, tzinfo=UTC), datetime(2070, 1, 1, tzinfo=UTC))
    nothing = Calendar("nothing", "UTC", ((),) * 7)
    with pytest.raises(BeyondHorizon):
        nothing.add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=1))
    assert HORIZON.days > 365 * 4


def test_a_long_duration_skips_whole_weeks_and_still_agrees_with_working_time() -> None:
    holidays = [date(2026, 12, 25), date(2027, 1, 1), date(2028, 5, 1)]
    office = Calendar.parse("office", "Europe/London", {"mon-fri": ["09:00-17:30"]}, holidays)
    start = datetime(2026, 3, 27, 16, 0, tzinfo=LONDON)
    due = office.add(start, timedelta(days=365))
    assert office.working_time(start, due) == timedelta(days=365)
    assert office.is_working(due - timedelta(minutes=1))


@pytest.mark.parametrize(
    "bad",
    [datetime(2026, 1, 1), "2026-01-01"],
)
def test_a_naive_or_wrong_start_is_refused_clearly(bad: object) -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        OFFICE.add(bad, timedelta(hours=1))  # type: ignore[arg-type]


def test_an_unknown_zone_names_the_nearest() -> None:
    with pytest.raises(ValueError, match="did you mean 'Europe/London'"):
        Calendar.parse("office", "Europe/Londn", {"mon": ["09:00-10:00"]})
    with pytest.raises(ValueError, match="not a known IANA time zone"):
        Calendar.parse("office", "../../etc/passwd", {"mon": ["09:00-10:00"]})
