"""Recurring timers (``every``, ``max``): each instant of the schedule fires exactly once,
a late tick fires once for the instants it missed, and a severity change re-plans them.

Two OS processes ticking one SQLite store: tests/audit/test_durability.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

import incidentflow
from incidentflow import Engine
from incidentflow.audit.timeline import describe
from incidentflow.engine.state import replay
from tests.engine.common import T0

SPEC = """\
apiVersion: incidentflow/v1
kind: Process
metadata: {{name: reminders, version: "1"}}
roles:
  responder: {{title: Responder, backups: [lead]}}
  lead: {{title: Lead, backups: [responder]}}
severity:
  levels:
    - {{id: SEV1, title: Critical, update_every: 30m}}
    - {{id: SEV2, title: Major, update_every: 1h}}
    - {{id: SEV3, title: Minor}}
actions:
  remind: {{description: Remind the lead}}
process:
  initial: open
  states:
    open:
      title: Open
      owner: lead
      timers:
        - {{id: remind, {timer}, actions: [{{action: remind}}]}}
    waiting: {{title: Waiting, owner: lead}}
    closed: {{title: Closed, terminal: true}}
  transitions:
    - {{name: close, from: [open, waiting], to: closed, by: [responder]}}
    - {{name: wait, from: open, to: waiting, by: [responder]}}
    - {{name: resume, from: waiting, to: open, by: [lead]}}
"""


def engine_with(timer: str, now: list[datetime]) -> Engine:
    # the timer's own keys, e.g. "every: 30m" (IF406 warns that SEV3 is unused: not here)
    return Engine(incidentflow.loads(SPEC.format(timer=timer)), clock=lambda: now[0])


def firings(engine: Engine, incident_id: str) -> list[dict[str, object]]:
    return [dict(e.data) for e in engine.history(incident_id) if e.kind == "timer_fired"]


def tick_every_minute(engine: Engine, now: list[datetime], until: datetime) -> None:
    while now[0] < until:
        now[0] += timedelta(minutes=1)
        engine.tick()


def test_a_reminder_every_30m_fires_48_times_in_24_hours(now: list[datetime]) -> None:
    engine = engine_with("every: 30m", now)
    iid = engine.open("reminders", severity="SEV1").id
    tick_every_minute(engine, now, T0 + timedelta(hours=24))
    fired = firings(engine, iid)
    assert len(fired) == 48
    # each at its own instant, once: 30m, 1h, ..., 24h after the state was entered
    assert [f["due"] for f in fired] == [
        (T0 + timedelta(minutes=30 * k)).isoformat() for k in range(1, 49)
    ]
    assert [f["count"] for f in fired] == list(range(1, 49))
    assert {f["skipped"] for f in fired} == {0}
    assert [e.at for e in engine.history(iid) if e.kind == "timer_fired"] == [
        T0 + timedelta(minutes=30 * k) for k in range(1, 49)
    ]
    reminders = [a for a in engine.get(iid).actions if a.action == "remind"]
    assert len(reminders) == 48
    assert engine.get(iid).timers == {"remind": T0 + timedelta(hours=24, minutes=30)}


def test_after_sets_the_first_firing_and_every_the_ones_after(now: list[datetime]) -> None:
    engine = engine_with("after: 5m, every: 30m", now)
    iid = engine.open("reminders", severity="SEV1").id
    tick_every_minute(engine, now, T0 + timedelta(hours=2))
    assert [f["due"] for f in firings(engine, iid)] == [
        (T0 + timedelta(minutes=m)).isoformat() for m in (5, 35, 65, 95)
    ]


def test_max_bounds_the_firings(now: list[datetime]) -> None:
    engine = engine_with("every: 10m, max: 3", now)
    iid = engine.open("reminders", severity="SEV1").id
    tick_every_minute(engine, now, T0 + timedelta(hours=2))
    fired = firings(engine, iid)
    assert [f["count"] for f in fired] == [1, 2, 3]
    assert "next" not in fired[-1]
    assert engine.get(iid).timers == {}
    assert engine.next_deadline() is None


def test_a_late_tick_fires_once_and_records_what_it_skipped(now: list[datetime]) -> None:
    engine = engine_with("every: 30m", now)
    iid = engine.open("reminders", severity="SEV1").id
    now[0] = T0 + timedelta(days=30, minutes=10)  # a month-long outage of every worker
    written = engine.tick()
    assert [e.kind for e in written].count("timer_fired") == 1
    (fired,) = firings(engine, iid)
    assert fired["due"] == (T0 + timedelta(minutes=30)).isoformat()
    assert fired["count"] == 30 * 48
    assert fired["skipped"] == 30 * 48 - 1
    assert fired["next"] == (T0 + timedelta(days=30, minutes=30)).isoformat()
    assert describe(written[0]) == "timer remind fired (once for 1440 missed instants)"
    assert engine.tick() == []


def test_a_late_tick_stops_at_max(now: list[datetime]) -> None:
    engine = engine_with("every: 30m, max: 4", now)
    iid = engine.open("reminders", severity="SEV1").id
    now[0] = T0 + timedelta(minutes=65)  # instants 30m and 60m passed
    engine.tick()
    now[0] = T0 + timedelta(days=1)
    engine.tick()
    fired = firings(engine, iid)
    assert [(f["count"], f["skipped"]) for f in fired] == [(2, 1), (4, 1)]
    assert engine.get(iid).timers == {}


def test_every_may_name_an_sla_field_and_a_severity_change_replans(
    now: list[datetime],
) -> None:
    engine = engine_with("every: update_every", now)
    iid = engine.open("reminders", severity="SEV1").id
    engine.assign(iid, "lead", "lee", actor="system")
    tick_every_minute(engine, now, T0 + timedelta(minutes=70))  # fired at 30m and 1h
    assert len(firings(engine, iid)) == 2
    engine.set_severity(iid, "SEV2", actor="lee")
    # one new period (SEV2: 1h) after the instant it last fired for
    assert engine.get(iid).timers == {"remind": T0 + timedelta(hours=2)}
    tick_every_minute(engine, now, T0 + timedelta(hours=3))
    assert [f["count"] for f in firings(engine, iid)] == [1, 2, 3, 4]
    engine.set_severity(iid, "SEV3", actor="lee")  # SEV3 has no update_every: it stops
    assert engine.get(iid).timers == {}


def test_a_new_visit_starts_the_schedule_again(now: list[datetime]) -> None:
    engine = engine_with("every: 30m, max: 2", now)
    iid = engine.open("reminders", severity="SEV1").id
    engine.assign(iid, "responder", "rae", actor="system")
    engine.assign(iid, "lead", "lee", actor="system")
    tick_every_minute(engine, now, T0 + timedelta(hours=2))
    engine.fire(iid, "wait", actor="rae")
    engine.fire(iid, "resume", actor="lee")
    reopened = now[0]
    tick_every_minute(engine, now, reopened + timedelta(hours=2))
    assert [f["count"] for f in firings(engine, iid)] == [1, 2, 1, 2]
    assert firings(engine, iid)[2]["due"] == (reopened + timedelta(minutes=30)).isoformat()


def test_replaying_the_log_gives_the_same_timers(now: list[datetime]) -> None:
    engine = engine_with("every: 30m, max: 5", now)
    iid = engine.open("reminders", severity="SEV1").id
    tick_every_minute(engine, now, T0 + timedelta(minutes=95))
    state = replay(iid, engine.history(iid))
    assert state.timers == {"remind": T0 + timedelta(hours=2)}
    assert state.timer_counts == {"remind": 3}


@pytest.mark.parametrize(
    ("timer", "code"),
    [
        ("every: 30s", "IF150"),
        ("every: {SEV1: 5m, default: 20s}", "IF150"),
        ("after: 5m, max: 2", "IF151"),
        ("every: 5m, max: 0", "IF151"),
        ("transition: close", "IF121"),
        ("every: update_evry", "IF208"),
    ],
)
def test_malformed_recurring_timers_are_refused(timer: str, code: str) -> None:
    with pytest.raises(incidentflow.SpecError) as refused:
        incidentflow.loads(SPEC.format(timer=timer))
    assert code in {d.code for d in refused.value.errors}, refused.value.diagnostics
