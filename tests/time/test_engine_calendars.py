"""The engine plans timers and SLA deadlines in business time, and lists them."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from incidentflow import Deadline, Engine
from incidentflow.engine.simclock import SimulatedClock, advance_and_tick
from tests.time.common import itil_desk, london

FRIDAY_1600 = london(2026, 3, 20, 16, 0)  # an ordinary Friday (no change of clocks)


def test_a_p3_opened_friday_1600_is_due_monday_1530() -> None:
    process = itil_desk()
    engine = Engine(process, clock=SimulatedClock(FRIDAY_1600.astimezone(UTC)))
    iid = engine.open("itil-desk", severity="P3").id
    assert engine.get(iid).timers == {"breach": london(2026, 3, 23, 15, 30)}
    assert engine.deadlines(iid) == (
        Deadline("sla", "acknowledge_within", london(2026, 3, 23, 11, 30), "office"),
        Deadline("sla", "resolve_within", london(2026, 3, 23, 15, 30), "office"),
        Deadline("timer", "breach", london(2026, 3, 23, 15, 30), "office", state="new"),
    )
    assert all(d.due.tzinfo is UTC for d in engine.deadlines(iid))


def test_a_holiday_on_monday_moves_it_to_tuesday() -> None:
    engine = Engine(itil_desk("2026-03-23"), clock=SimulatedClock(FRIDAY_1600.astimezone(UTC)))
    iid = engine.open("itil-desk", severity="P3").id
    assert engine.get(iid).timers == {"breach": london(2026, 3, 24, 15, 30)}


def test_elapsed_levels_are_unchanged() -> None:
    engine = Engine(itil_desk(), clock=SimulatedClock(FRIDAY_1600.astimezone(UTC)))
    iid = engine.open("itil-desk", severity="P1").id
    assert engine.get(iid).timers == {"breach": FRIDAY_1600 + timedelta(hours=4)}
    assert {d.name: d.calendar for d in engine.deadlines(iid)} == {
        "acknowledge_within": "always",
        "breach": "always",
        "resolve_within": "always",
    }


def test_the_timer_fires_at_its_business_minute_on_the_simulated_clock() -> None:
    clock = SimulatedClock(FRIDAY_1600.astimezone(UTC))
    engine = Engine(itil_desk(), clock=clock)
    iid = engine.open("itil-desk", severity="P3").id
    events = advance_and_tick(engine, clock, until=london(2026, 3, 30, 0, 0))
    fired = [e for e in events if e.kind == "timer_fired"]
    assert [(e.data["timer"], e.at) for e in fired] == [("breach", london(2026, 3, 23, 15, 30))]
    assert engine.get(iid).state == "new"


def test_milestones_stop_their_clocks_and_a_timer_counts_its_own_calendar() -> None:
    clock = SimulatedClock(FRIDAY_1600.astimezone(UTC))
    engine = Engine(itil_desk(), clock=clock)
    iid = engine.open("itil-desk", severity="P1").id  # P1 counts always, the timer office
    engine.assign(iid, "agent", "ann", actor="system")
    clock.advance(timedelta(hours=1))
    engine.fire(iid, "take", actor="ann")  # acknowledged at 17:00 on Friday
    names = [(d.kind, d.name) for d in engine.deadlines(iid)]
    assert names == [("sla", "resolve_within"), ("timer", "chase")]
    chase = engine.deadlines(iid)[1]
    # 30 minutes on Friday (17:00-17:30), then 1h30 on Monday
    assert (chase.due, chase.calendar) == (london(2026, 3, 23, 10, 30), "office")
    engine.fire(iid, "close", actor="ann")
    assert engine.deadlines(iid) == ()


def test_deadlines_of_an_unknown_incident_is_the_usual_error() -> None:
    from incidentflow import UnknownIncident

    engine = Engine(itil_desk())
    with pytest.raises(UnknownIncident):
        engine.deadlines("nope")


def test_a_deadline_reads_as_json() -> None:
    deadline = Deadline("timer", "chase", london(2026, 3, 23, 10, 30).astimezone(UTC), "office")
    assert deadline.as_dict()["due"] == "2026-03-23T10:30:00+00:00"
    assert deadline.as_dict()["paused"] is False


def test_a_paused_sla_clock_stands_still_and_its_deadline_moves_by_the_working_time_on_hold() -> (
    None
):
    """service-desk: P3 in office hours; on hold (sla: paused) from Monday 10:00 to
    Tuesday 10:00 is 8h30m of office time, by which resolve_within moves."""
    import incidentflow
    from tests.conftest import EXAMPLES

    desk = incidentflow.load(EXAMPLES / "service-desk.yaml")
    clock = SimulatedClock(london(2026, 3, 23, 9, 0).astimezone(UTC))  # a Monday
    engine = Engine(desk, clock=clock)
    iid = engine.open("service-desk", severity="P3").id
    engine.assign(iid, "service_desk_agent", "sam", actor="system")
    engine.assign(iid, "resolver", "rita", actor="system")
    engine.check(iid, "categorised", actor="sam")
    engine.check(iid, "prioritised", actor="sam")
    engine.fire(iid, "assign", actor="sam")

    def resolve_due() -> Deadline:
        (due,) = [d for d in engine.deadlines(iid) if d.name == "resolve_within"]
        return due

    before = resolve_due()
    assert not before.paused
    clock.advance(timedelta(hours=1))
    engine.fire(iid, "hold", actor="rita")  # Monday 10:00
    clock.advance(timedelta(hours=24))  # Tuesday 10:00, still on hold
    on_hold = resolve_due()
    assert on_hold.paused
    # were the pause to end now, the clock would have stood still for 8h30m of office time
    assert on_hold.due == desk.sla_calendar("P3").add(before.due, timedelta(hours=8, minutes=30))
    engine.fire(iid, "resume", actor="rita")
    after = resolve_due()
    assert not after.paused
    assert after.due == on_hold.due
