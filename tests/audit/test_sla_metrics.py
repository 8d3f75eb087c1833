"""SLA clocks that pause (``sla: paused``), metrics a spec defines (``metrics:``), and the
report's ``--now`` and ``--since``.

The service-desk example puts P3 incidents ``on_hold`` with ``sla: paused`` and counts
them resolved on entering ``resolved``; the major-incident example has no ``metrics``
section, so the default rules apply there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import incidentflow
from incidentflow import Engine, Event, SQLiteStore
from incidentflow.audit.metrics import incident_metrics, metrics_by_incident
from incidentflow.audit.sla import WALL_CLOCK, sla_due, sla_elapsed, sla_pauses
from incidentflow.audit.timeline import timeline
from tests.conftest import CliResult
from tests.engine.common import DESK, MAJOR, T0, desk_in_progress, in_triage

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
P3_RESOLVE = DESK.level("P3").resolve_within  # service-desk P3 (counted here in wall time)
assert P3_RESOLVE is not None


# --- the one computation of SLA time -------------------------------------------------


def test_sla_time_leaves_out_the_pauses_inside_the_span() -> None:
    pauses = [(T0 + HOUR, T0 + 3 * HOUR), (T0 + 2 * HOUR, T0 + 4 * HOUR), (T0 - DAY, T0)]
    # overlapping pauses count once; a pause before the span not at all
    assert sla_elapsed(T0, T0 + 10 * HOUR, pauses) == 7 * HOUR
    # a pause still running lasts until the end of the span
    assert sla_elapsed(T0, T0 + 10 * HOUR, [(T0 + 8 * HOUR, None)]) == 8 * HOUR
    assert sla_elapsed(T0, T0 + 2 * HOUR, [(T0 + HOUR, T0 + 5 * HOUR)]) == HOUR
    assert sla_elapsed(T0, T0 - HOUR, pauses) == timedelta(0)


def test_the_due_time_moves_by_the_pauses_before_it() -> None:
    assert sla_due(T0, 8 * HOUR) == T0 + 8 * HOUR
    assert sla_due(T0, 8 * HOUR, [(T0 + HOUR, T0 + DAY + HOUR)]) == T0 + DAY + 8 * HOUR
    # a pause after the due time changes nothing; an open one before it stops the clock
    assert sla_due(T0, 8 * HOUR, [(T0 + 9 * HOUR, T0 + DAY)]) == T0 + 8 * HOUR
    assert sla_due(T0, 8 * HOUR, [(T0 + HOUR, None)]) is None
    assert sla_due(T0, 8 * HOUR, [(T0 + 9 * HOUR, None)]) == T0 + 8 * HOUR


@dataclass(frozen=True)
class HalfTime:
    """A stand-in for a business calendar: half of every span counts."""

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        return max(end - start, timedelta(0)) / 2

    def add(self, start: datetime, working: timedelta) -> datetime:
        return start + 2 * working


def test_a_calendar_decides_what_counts_and_the_pauses_still_apply() -> None:
    pauses = [(T0 + 2 * HOUR, T0 + 4 * HOUR)]
    assert sla_elapsed(T0, T0 + 10 * HOUR, pauses, HalfTime()) == 4 * HOUR
    assert sla_due(T0, 4 * HOUR, pauses, HalfTime()) == T0 + 10 * HOUR
    for limit in (HOUR, 3 * HOUR, 7 * HOUR):  # sla_due is sla_elapsed's inverse
        due = sla_due(T0, limit, pauses, HalfTime())
        assert due is not None
        assert sla_elapsed(T0, due, pauses, HalfTime()) == limit


# --- sla: paused in the engine and the metrics -----------------------------------------


def _on_hold_for(held: timedelta, then_work: timedelta, now: list[datetime]) -> tuple[Engine, str]:
    """A P3 desk incident assigned at T0, on hold for ``held``, resolved ``then_work`` later."""
    engine = Engine(DESK, clock=lambda: now[0])
    iid = desk_in_progress(engine, "P3")
    engine.fire(iid, "hold", actor="rita")
    now[0] += held
    engine.fire(iid, "resume", actor="rita")
    now[0] += then_work
    engine.check(iid, "resolution_documented", actor="rita")
    engine.check(iid, "service_restored", actor="rita")
    engine.fire(iid, "resolve", actor="rita")
    return engine, iid


def test_the_pause_is_in_the_log() -> None:
    now = [T0]
    engine, iid = _on_hold_for(DAY, HOUR, now)
    moves = {e.data["to"]: e.data for e in engine.history(iid) if e.kind == "transitioned"}
    assert moves["on_hold"].get("sla_paused") is True
    assert moves["in_progress"].get("sla_resumed") is True  # the move out of on_hold
    assert "sla_paused" not in moves["resolved"]
    assert "sla_resumed" not in moves["resolved"]
    opened = engine.history(iid)[0].data
    assert opened["metrics"] == {
        "acknowledged": {"enter": [], "transitions": ["assign"]},
        "resolved": {"enter": ["resolved"], "transitions": []},
    }


@pytest.mark.parametrize(
    ("held", "breached"),
    [
        (timedelta(0), ["resolve_within"]),  # the whole SLA and an hour of work: late
        (DAY, []),  # the same work around a day on hold: the deadline moved by that day
    ],
)
def test_a_day_on_hold_moves_the_resolve_deadline_by_that_day(
    held: timedelta, breached: list[str]
) -> None:
    now = [T0]
    engine, iid = _on_hold_for(held, P3_RESOLVE + HOUR - held, now)
    # without the hold, 3 days and an hour of work; with it, a day less of work
    metrics = incident_metrics(engine.history(iid), now[0] + DAY)
    assert list(metrics.breached) == breached
    assert metrics.time_paused == held


def test_the_deadline_moves_by_exactly_the_time_on_hold() -> None:
    now = [T0]
    engine, iid = _on_hold_for(DAY + 2 * HOUR, HOUR, now)
    events = engine.history(iid)
    entered = {e.data["to"]: e.at for e in events if e.kind == "transitioned"}
    pauses = [(entered["on_hold"], entered["in_progress"])]
    assert sla_due(events[0].at, P3_RESOLVE, pauses) == events[0].at + P3_RESOLVE + DAY + 2 * HOUR
    # resolved a minute before and a minute after the moved deadline
    for late, breached in ((-1, False), (1, True)):
        now = [T0]
        engine, iid = _on_hold_for(DAY + 2 * HOUR, P3_RESOLVE + timedelta(minutes=late), now)
        measured = incident_metrics(engine.history(iid), now[0])
        assert ("resolve_within" in measured.breached) is breached


def test_an_incident_on_hold_now_is_not_breaching_while_it_waits() -> None:
    now = [T0]
    engine = Engine(DESK, clock=lambda: now[0])
    iid = desk_in_progress(engine, "P3")
    engine.fire(iid, "hold", actor="rita")
    later = T0 + 10 * DAY
    metrics = incident_metrics(engine.history(iid), later)
    assert metrics.breached == ()
    assert metrics.time_paused == 10 * DAY
    assert metrics.time_in_state["on_hold"] == 10 * DAY


def test_the_clock_parameter_counts_sla_time() -> None:
    now = [T0]
    work = P3_RESOLVE * 3 // 2
    engine, iid = _on_hold_for(timedelta(0), work, now)
    events = engine.history(iid)
    assert incident_metrics(events, now[0], WALL_CLOCK).breached == ("resolve_within",)
    # a clock that counts half of every span: 1.5 times the SLA is 0.75 times its SLA time
    halved = incident_metrics(events, now[0], HalfTime())
    assert halved.breached == ()
    assert halved.time_to_resolve == work  # times to a milestone stay wall-clock times


# --- what counts as acknowledged, mitigated, resolved ----------------------------------


def test_the_spec_s_metrics_decide_when_a_desk_incident_is_resolved() -> None:
    now = [T0]
    engine, iid = _on_hold_for(timedelta(0), 4 * HOUR, now)
    resolved_at = now[0]
    now[0] += 5 * DAY  # the caller never confirms: auto_close
    engine.tick()
    assert engine.get(iid).state == "closed"
    metrics = incident_metrics(engine.history(iid), now[0])
    opened_at = engine.history(iid)[0].at
    assert metrics.time_to_resolve == resolved_at - opened_at  # not at closure
    assert metrics.time_to_acknowledge == timedelta(0)  # 'assign', made at T0
    # mitigated is not in the desk's metrics: the default (phase resolution) applies
    assert metrics.time_to_mitigate == resolved_at - opened_at
    assert metrics.breached == ()


def test_by_default_a_postmortem_after_the_fix_does_not_count_as_time_to_resolve() -> None:
    now = [T0]
    engine = Engine(MAJOR, clock=lambda: now[0])
    iid = in_triage(engine, "SEV1")
    for item in ("impact_confirmed", "severity_confirmed", "roles_assigned"):
        engine.check(iid, item, actor="carol")
    engine.fire(iid, "start_mitigation", actor="carol")
    now[0] += HOUR
    for item in ("mitigation_applied", "customer_impact_ended"):
        engine.check(iid, item, actor="carol")
    engine.fire(iid, "hand_over", actor="carol")
    now[0] += HOUR
    engine.check(iid, "metrics_nominal", actor="carol")
    engine.fire(iid, "start_review", actor="carol")  # resolved: review is phase postmortem
    now[0] += 2 * DAY  # the postmortem takes two days
    for item in ("timeline_complete", "postmortem_published", "action_items_filed"):
        engine.check(iid, item, actor="carol")
    engine.fire(iid, "close", actor="carol")
    metrics = incident_metrics(engine.history(iid), now[0])
    assert metrics.time_to_resolve == 2 * HOUR
    assert metrics.time_to_mitigate == timedelta(0)  # entered stabilising (phase resolution)
    assert metrics.breached == ()  # SEV1 resolve_within 4h


def test_a_closed_incident_that_never_reached_resolved_stops_its_clocks_at_closure() -> None:
    now = [T0]
    engine = Engine(DESK, clock=lambda: now[0])
    iid = desk_in_progress(engine, "P3")
    now[0] += HOUR
    engine.fire(iid, "cancel", actor="sam")  # closed as a duplicate: never 'resolved'
    metrics = incident_metrics(engine.history(iid), T0 + 30 * DAY)
    assert metrics.time_to_resolve is None
    assert metrics.breached == ()


def test_metrics_naming_an_unknown_transition_are_refused() -> None:
    text = (
        Path(incidentflow.__file__).parents[2] / "process_specs" / "service-desk.yaml"
    ).read_text()
    text = text.replace(
        "acknowledged: {transitions: [assign]}", "acknowledged: {transitions: [asign]}"
    )
    with pytest.raises(incidentflow.SpecError) as refused:
        incidentflow.loads(text)
    [error] = refused.value.errors
    assert error.code == "IF215"
    assert "unknown transition 'asign'" in error.message
    assert "did you mean 'assign'?" in error.hint


# --- the report: --now, --since, pauses -----------------------------------------------


@pytest.fixture
def desk_store(tmp_path: Path) -> Path:
    """Two P3 desk incidents: one opened at T0 and held for a day, one opened a week later."""
    db = tmp_path / "desk.db"
    now = [T0]
    store = SQLiteStore(db)
    try:
        engine = Engine(DESK, store, clock=lambda: now[0])
        iid = desk_in_progress(engine, "P3")
        engine.fire(iid, "hold", actor="rita")
        now[0] += DAY
        engine.fire(iid, "resume", actor="rita")
        now[0] = T0 + 7 * DAY
        desk_in_progress(engine, "P3")
    finally:
        store.close()
    return db


def test_the_report_measures_up_to_now_and_from_since(
    cli: Callable[..., CliResult], desk_store: Path
) -> None:
    def report(*options: str) -> dict[str, object]:
        result = cli("report", "--format", "json", *options, str(desk_store))
        assert result.code == 0, result.err
        return json.loads(result.out)

    at = (T0 + 7 * DAY + HOUR).isoformat()
    data = report("--now", at)
    first, second = data["incidents"]
    assert first["time_paused"] == DAY.total_seconds()
    # open for 7 days with 1 on hold: 6 days of SLA time, past the P3 3 days
    assert first["breached"] == ["resolve_within"]
    assert second["breached"] == []
    [level] = data["levels"]
    assert (level["paused"], level["median_time_paused"]) == (1, DAY.total_seconds())
    # an hour after T0 + 1 day (the day on hold), the first incident is not late at all
    early = report("--now", (T0 + DAY + HOUR).isoformat(), "--since", T0.date().isoformat())
    assert [i["breached"] for i in early["incidents"]] == [[], []]
    since = report("--now", at, "--since", (T0 + DAY).isoformat())
    assert len(since["incidents"]) == 1
    text = cli("report", "--now", at, str(desk_store))
    assert "paused" in text.out
    row = next(line for line in text.out.splitlines() if line.startswith("service-desk"))
    assert row.split()[6:8] == ["1", "1d00h00m"]


def test_the_report_counts_sla_time_in_the_calendar_of_the_stored_version(
    cli: Callable[..., CliResult], desk_store: Path
) -> None:
    """service-desk P3 counts office hours (Europe/London, 09:00-17:30 on weekdays). The
    first incident opened Wednesday 10:00 BST and was on hold until Thursday 10:00: by
    Saturday 10:00 that is 2 days of wall-clock SLA time, past 25h30m, but only 16h of
    office time (Thursday 10:00-17:30, Friday 09:00-17:30)."""
    at = T0 + 3 * DAY
    result = cli("report", "--format", "json", "--now", at.isoformat(), str(desk_store))
    assert result.code == 0, result.err
    first = json.loads(result.out)["incidents"][0]
    assert first["breached"] == []
    store = SQLiteStore(desk_store)
    try:
        walled = metrics_by_incident(store.all_events(), at)  # no calendars: wall-clock time
    finally:
        store.close()
    assert walled[0].breached == ("resolve_within",)


def test_the_report_refuses_a_time_it_cannot_read(
    cli: Callable[..., CliResult], desk_store: Path
) -> None:
    result = cli("report", "--since", "last tuesday", str(desk_store))
    assert result.code == 2
    assert "--since: 'last tuesday' is not an ISO 8601 date or time" in result.err
    assert "Traceback" not in result.err


def test_metrics_by_incident_takes_a_clock_per_process_and_level(desk_store: Path) -> None:
    store = SQLiteStore(desk_store)
    try:
        events = list(store.all_events())
    finally:
        store.close()
    asked: list[tuple[str, str]] = []

    def clock_for(opened: Event) -> HalfTime:
        asked.append((opened.data["process"], opened.data["severity"]))
        return HalfTime()

    at = T0 + 3 * DAY  # the first incident: 3 days open, 1 on hold
    walled = sorted(metrics_by_incident(events, at), key=lambda m: m.opened_at)
    assert [m.breached for m in walled] == [("resolve_within",), ()]
    halved = metrics_by_incident(events, at, clock_for=clock_for)
    assert asked == [("service-desk", "P3"), ("service-desk", "P3")]
    assert [m.breached for m in halved] == [(), ()]  # 2 days of SLA time count as 1


def test_the_timeline_says_when_the_clocks_stop_and_start_again() -> None:
    now = [T0]
    engine, iid = _on_hold_for(DAY, HOUR, now)
    lines = timeline(engine.history(iid))
    assert any(line.endswith("hold: in_progress -> on_hold (SLA clocks paused)") for line in lines)
    assert any(
        line.endswith("resume: on_hold -> in_progress (SLA clocks resumed)") for line in lines
    )


def test_the_pauses_are_read_from_the_log() -> None:
    now = [T0]
    engine = Engine(DESK, clock=lambda: now[0])
    iid = desk_in_progress(engine, "P3")
    for _ in range(2):
        now[0] += HOUR
        engine.fire(iid, "hold", actor="rita")
        now[0] += DAY
        engine.fire(iid, "resume", actor="rita")
    now[0] += HOUR
    engine.fire(iid, "hold", actor="rita")
    held = [e.at for e in engine.history(iid) if e.kind == "transitioned"][1:]
    assert sla_pauses(engine.history(iid)) == [
        (held[0], held[1]),
        (held[2], held[3]),
        (held[4], None),  # on hold now
    ]
    opened = engine.history(iid)[0].at
    assert sla_due(opened, P3_RESOLVE, sla_pauses(engine.history(iid))) is None
