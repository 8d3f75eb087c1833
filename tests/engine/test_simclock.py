"""One simulated clock and one way to let time pass, shared by drills, scenarios, demo and kit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import incidentflow
import incidentflow.testing
from incidentflow import Engine
from incidentflow.engine.simclock import START, SimulatedClock, advance_and_tick
from tests.conftest import EXAMPLES

MAJOR = incidentflow.load(EXAMPLES / "major-incident.yaml")
# At SEV1 the ack deadline (5m) escalates detected -> triage; triage's exec heads-up acts
# 15m after that (at +20m) and moves nothing. No other timer runs in triage.
ACK, HEADS_UP = START + timedelta(minutes=5), START + timedelta(minutes=20)


def _sev1() -> tuple[Engine, SimulatedClock, str]:
    clock = SimulatedClock()
    engine = Engine(MAJOR, clock=clock)
    return engine, clock, engine.open("major-incident", severity="SEV1").id


def _fired(events: list[incidentflow.Event]) -> list[tuple[str, datetime]]:
    return [(e.data["timer"], e.at) for e in events if e.kind == "timer_fired"]


def test_every_timer_fires_at_its_own_instant_on_the_way_to_until() -> None:
    engine, clock, iid = _sev1()
    written = advance_and_tick(engine, clock, until=START + timedelta(hours=1))
    assert _fired(written) == [("ack_deadline", ACK), ("exec_heads_up", HEADS_UP)]
    assert clock.now == START + timedelta(hours=1)
    incident = engine.get(iid)
    assert incident.state == "triage"
    assert incident.state_entered_at == ACK  # not the end of the hour: it fired when due
    assert written == engine.history(iid)[-len(written) :]


def test_deadlines_after_until_keep_running() -> None:
    engine, clock, iid = _sev1()
    assert advance_and_tick(engine, clock, until=START + timedelta(minutes=4)) == []
    assert clock.now == START + timedelta(minutes=4)
    assert engine.get(iid).timers == {"ack_deadline": ACK}


def test_without_until_time_runs_until_no_deadline_is_left() -> None:
    engine, clock, _ = _sev1()
    written = advance_and_tick(engine, clock)
    assert _fired(written) == [("ack_deadline", ACK), ("exec_heads_up", HEADS_UP)]
    assert clock.now == HEADS_UP
    assert engine.next_deadline() is None


def test_done_ends_it_before_the_next_deadline() -> None:
    engine, clock, iid = _sev1()
    written = advance_and_tick(engine, clock, done=lambda events: bool(_fired(list(events))))
    assert _fired(written) == [("ack_deadline", ACK)]
    assert clock.now == ACK
    assert engine.get(iid).timers == {"exec_heads_up": HEADS_UP}


def test_an_overdue_deadline_fires_now_and_the_clock_never_goes_back() -> None:
    clock = SimulatedClock()
    engine = Engine(MAJOR, clock=clock)
    iid = engine.open("major-incident", severity="SEV3", actor="alice").id
    clock.advance(timedelta(minutes=10))  # SEV3 acknowledges within 30m: nothing is due yet
    engine.set_severity(iid, "SEV1", actor="alice")  # now the 5m deadline is 5m overdue
    written = advance_and_tick(engine, clock, until=clock.now)
    assert _fired(written) == [("ack_deadline", START + timedelta(minutes=10))]
    assert clock.now == START + timedelta(minutes=10)


def test_advance_to_a_past_time_leaves_the_clock_where_it_is() -> None:
    clock = SimulatedClock(datetime(2030, 1, 2, tzinfo=UTC))
    assert clock.advance_to(datetime(2030, 1, 1, tzinfo=UTC)) == datetime(2030, 1, 2, tzinfo=UTC)
    assert repr(clock) == "SimulatedClock(2030-01-02T00:00:00+00:00)"


def test_set_is_deprecated_and_still_refuses_to_go_back() -> None:
    clock = SimulatedClock()
    with pytest.warns(DeprecationWarning, match="advance_to"):
        assert clock.set(START + timedelta(hours=1)) == START + timedelta(hours=1)
    with (
        pytest.warns(DeprecationWarning, match="set"),
        pytest.raises(ValueError, match="never goes back"),
    ):
        clock.set(START)


def test_one_start_for_all_simulated_time() -> None:
    assert incidentflow.testing.START is START
    assert incidentflow.testing.make_engine(MAJOR).clock.now == START
    assert SimulatedClock().now == START
    assert START.weekday() == 0  # a Monday: business hours will start from a working day
