"""Timers fire exactly once at their time, and the queue orders incidents by severity and deadline.

Every refusal is checked to have written nothing (tests.engine.common.writes_nothing).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from incidentflow import (
    ActionRequest,
    Engine,
)
from tests.engine.common import (
    DESK,
    MAJOR,
    T0,
    desk_in_progress,
    in_triage,
    kinds,
)

# --- tick ---------------------------------------------------------------------------------


def test_tick_fires_a_due_timer_exactly_once(now: list[datetime]) -> None:
    pages: list[ActionRequest] = []
    eng = Engine(MAJOR, clock=lambda: now[0], handlers={"page": pages.append})
    iid = eng.open("major-incident", severity="SEV1").id
    eng.assign(iid, "deputy", "dave", actor="system")
    eng.assign(iid, "secondary", "sid", actor="system")
    eng.assign(iid, "commander", "carol", actor="system")
    pages.clear()
    assert eng.next_deadline() == T0 + timedelta(minutes=5)
    now[0] = T0 + timedelta(minutes=4, seconds=59)
    assert eng.tick() == []
    now[0] = T0 + timedelta(minutes=5)
    written = eng.tick()
    assert [e.kind for e in written][:2] == ["timer_fired", "transitioned"]
    assert {e.kind for e in written[2:]} <= {"action_started", "action_succeeded", "action_failed"}
    fired, moved = written[:2]
    assert (fired.actor, fired.data["timer"]) == ("timer", "ack_deadline")
    assert (moved.actor, moved.data["transition"], moved.data["to"]) == (
        "timer",
        "escalate",
        "triage",
    )
    incident = eng.get(iid)
    assert incident.state == "triage"
    assert incident.state_entered_at == now[0]
    assert incident.timers == {"exec_heads_up": now[0] + timedelta(minutes=15)}
    # its actions ran: the timer's pages, then triage's on_enter page of the commander
    assert [(p.params["role"], p.origin) for p in pages] == [
        ("deputy", "timer:ack_deadline"),
        ("secondary", "timer:ack_deadline"),
        ("commander", "enter:triage"),
    ]
    # called again, at the same time and later, it fires nothing more
    length = len(eng.history(iid))
    assert eng.tick() == []
    assert eng.tick(now[0]) == []
    assert len(eng.history(iid)) == length
    assert kinds(eng, iid).count("timer_fired") == 1
    assert eng.next_deadline() == now[0] + timedelta(minutes=15)


def test_tick_returns_every_event_it_wrote(engine: Engine, now: list[datetime]) -> None:
    iid = engine.open("major-incident", severity="SEV1").id
    before = len(engine.history(iid))
    now[0] = T0 + timedelta(hours=1)
    written = engine.tick()
    assert written == engine.history(iid)[before:]


def test_tick_fires_several_due_timers_once_each(now: list[datetime]) -> None:
    eng = Engine(MAJOR, clock=lambda: now[0])
    iid = in_triage(eng, "SEV1")
    for item in ("impact_confirmed", "severity_confirmed", "roles_assigned"):
        eng.check(iid, item, actor="carol")
    eng.fire(iid, "start_mitigation", actor="carol")
    now[0] = T0 + timedelta(hours=5)  # status_update (30m), resolve_deadline (4h)
    for _ in range(3):
        eng.tick()
    firings = [e.data for e in eng.history(iid) if e.kind == "timer_fired"]
    assert sorted(f["timer"] for f in firings) == ["resolve_deadline", "status_update"]
    assert firings[0]["timer"] == "status_update"  # the earlier due first
    # status_update recurs every 30m: five hours late, it fires once for the ten instants
    # that passed (nine skipped) and is next due at the first instant after now
    assert (firings[0]["count"], firings[0]["skipped"]) == (10, 9)
    next_update = T0 + timedelta(hours=5, minutes=30)
    assert eng.get(iid).timers == {"status_update": next_update}
    assert eng.get(iid).state == "stabilising"  # these timers do not transition
    assert eng.next_deadline() == next_update


def test_tick_at_an_explicit_time_and_the_timer_transition_ends_the_incident(
    now: list[datetime],
) -> None:
    eng = Engine(DESK, clock=lambda: now[0])
    iid = desk_in_progress(eng, "P4")
    eng.check(iid, "resolution_documented", actor="rita")
    eng.check(iid, "service_restored", actor="rita")
    eng.fire(iid, "resolve", actor="rita")
    assert eng.get(iid).timers == {"auto_close": T0 + timedelta(days=5)}
    assert eng.tick(T0 + timedelta(days=4)) == []
    written = eng.tick(T0 + timedelta(days=5))
    assert [e.kind for e in written][:2] == ["timer_fired", "transitioned"]
    assert [e.kind for e in written].count("timer_fired") == 1
    assert written[1].data["transition"] == "close"
    incident = eng.get(iid)
    assert incident.closed
    assert incident.state == "closed"
    assert eng.next_deadline() is None
    assert eng.queue() == []


def test_next_deadline_without_incidents(engine: Engine) -> None:
    assert engine.next_deadline() is None
    assert engine.tick() == []


# --- queue --------------------------------------------------------------------------------


def test_queue_most_severe_first_then_nearest_deadline(engine: Engine, now: list[datetime]) -> None:
    a = engine.open("major-incident", severity="SEV2", title="a").id  # detected: ack at +15m
    engine.assign(a, "responder", "alice", actor="system")
    engine.fire(a, "acknowledge", actor="alice")  # triage: exec_heads_up at +30m
    now[0] = T0 + timedelta(minutes=1)
    b = engine.open("major-incident", severity="SEV2", title="b").id  # ack at +16m
    now[0] = T0 + timedelta(minutes=2)
    c = engine.open("major-incident", severity="SEV3", title="c").id  # ack at +1h2m
    now[0] = T0 + timedelta(minutes=3)
    d = engine.open("major-incident", severity="SEV1", title="d").id  # ack at +8m
    now[0] = T0 + timedelta(minutes=4)
    e = engine.open("major-incident", severity="SEV4", title="e").id
    engine.assign(e, "commander", "carol", actor="system")
    engine.fire(e, "cancel", actor="carol")  # closed: not in the queue
    assert [i.id for i in engine.queue()] == [d, b, a, c]
    assert all(not i.closed for i in engine.queue())


def test_queue_follows_every_change_to_a_queued_incident(
    engine: Engine, now: list[datetime]
) -> None:
    # queue() remembers each incident's place and snapshot per version (watchlist.py): a
    # change of level, of deadline or of any other kind must show in the next queue.
    a = engine.open("major-incident", severity="SEV2", title="a").id
    now[0] = T0 + timedelta(minutes=1)
    b = engine.open("major-incident", severity="SEV2", title="b").id
    assert [i.id for i in engine.queue()] == [a, b]
    engine.set_severity(b, "SEV1", actor="system")
    assert [(i.id, i.severity) for i in engine.queue()] == [(b, "SEV1"), (a, "SEV2")]
    engine.assign(a, "responder", "alice", actor="system")
    queued = {i.id: i for i in engine.queue()}
    assert queued[a].assignments == {"responder": frozenset({"alice"})}
    assert queued[a].version == engine.get(a).version
    engine.set_severity(a, "SEV1", actor="system")  # both SEV1: a, opened first, is due first
    assert [i.id for i in engine.queue()] == [a, b]
    other = Engine(MAJOR, engine.store, clock=lambda: now[0])  # another writer, same store
    other.set_severity(b, "SEV3", actor="system")
    assert [(i.id, i.severity) for i in engine.queue()] == [(a, "SEV1"), (b, "SEV3")]
