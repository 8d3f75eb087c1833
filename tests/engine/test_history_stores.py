"""History, verification and replay, and what SQLite keeps for a fresh engine.

Every refusal is checked to have written nothing (tests.engine.common.writes_nothing).
"""

from __future__ import annotations

import itertools
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from incidentflow import (
    Engine,
    SQLiteStore,
    TransitionNotAllowed,
    UnknownIncident,
)
from incidentflow.audit.events import KINDS
from incidentflow.engine.state import replay
from tests.engine.common import (
    DESK,
    MAJOR,
    T0,
    in_triage,
    kinds,
    same_incident,
    writes_nothing,
)

# --- get / history / verify ---------------------------------------------------------------


def test_unknown_incident(engine: Engine) -> None:
    for call in (
        lambda: engine.get("nope"),
        lambda: engine.history("nope"),
        lambda: engine.allowed("nope", "x"),
        lambda: engine.fire("nope", "acknowledge", actor="x"),
        lambda: engine.assign("nope", "responder", "x", actor="system"),
        lambda: engine.note("nope", "x", actor="system"),
    ):
        with pytest.raises(UnknownIncident) as info:
            call()
        assert info.value.incident_id == "nope"
    assert engine.store.incident_ids() == []


def test_history_is_a_hash_chain_and_verifies(engine: Engine) -> None:
    iid = in_triage(engine)
    engine.note(iid, "hello", actor="carol")
    events = engine.history(iid)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == "0" * 64
    for earlier, later in itertools.pairwise(events):
        assert later.prev_hash == earlier.hash
    assert all(e.kind in KINDS for e in events)
    assert all(e.incident_id == iid for e in events)
    assert engine.get(iid).version == len(events)
    report = engine.verify(iid)
    assert report.ok
    assert report.checked == 1
    other = engine.open("major-incident", severity="SEV4").id
    assert other != iid
    assert engine.verify().checked == 2
    assert engine.verify().ok


def test_verify_detects_tampering(tmp_path: Path, now: list[datetime]) -> None:
    path = tmp_path / "x.db"
    eng = Engine(MAJOR, store=SQLiteStore(path), clock=lambda: now[0])
    iid = in_triage(eng)
    eng.note(iid, "one", actor="carol")
    eng.note(iid, "two", actor="carol")
    assert eng.verify().ok
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE events SET actor = 'mallory' WHERE incident_id = ? AND seq = 3", (iid,)
        )
    report = eng.verify()
    assert not report.ok
    assert [(p.incident_id, p.seq, p.problem) for p in report.problems] == [(iid, 3, "modified")]
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM events WHERE incident_id = ? AND seq = 3", (iid,))
    problem = eng.verify(iid).problems[0]
    assert (problem.seq, problem.problem) == (3, "missing")


def test_replay_equals_live_state(engine: Engine) -> None:
    iid = in_triage(engine)
    engine.check(iid, "impact_confirmed", actor="carol")
    engine.set_severity(iid, "SEV2", actor="carol")
    same_incident(replay(iid, engine.store.events(iid)).snapshot(), engine.get(iid))


# --- SQLite -------------------------------------------------------------------------------


def test_sqlite_store_keeps_everything_for_a_fresh_engine(
    tmp_path: Path, now: list[datetime]
) -> None:
    path = tmp_path / "x.db"
    eng = Engine([MAJOR, DESK], store=SQLiteStore(path), clock=lambda: now[0])
    iid = in_triage(eng)
    eng.check(iid, "impact_confirmed", actor="carol")
    desk = eng.signal({"channel": "phone", "caller": "pat"})
    assert desk is not None
    now[0] = T0 + timedelta(minutes=20)
    eng.tick()
    fresh = Engine([MAJOR, DESK], store=SQLiteStore(path), clock=lambda: now[0])
    assert fresh.store.incident_ids() == [iid, desk.id]
    for incident_id in (iid, desk.id):
        same_incident(fresh.get(incident_id), eng.get(incident_id))
        assert fresh.history(incident_id) == eng.history(incident_id)
    assert fresh.verify().ok
    assert fresh.tick() == []  # the timer already fired is not fired again
    # refusals write nothing to the file either
    with writes_nothing(fresh, iid), pytest.raises(TransitionNotAllowed):
        fresh.fire(iid, "start_mitigation", actor="carol")
    fresh.fire(iid, "stand_down", actor="carol")
    assert eng.get(iid).state == "review"  # the first engine sees the other's write


def test_sqlite_two_engines_do_not_fire_a_timer_twice(tmp_path: Path, now: list[datetime]) -> None:
    path = tmp_path / "x.db"
    one = Engine(MAJOR, store=SQLiteStore(path), clock=lambda: now[0])
    two = Engine(MAJOR, store=SQLiteStore(path), clock=lambda: now[0])
    iid = one.open("major-incident", severity="SEV1").id
    two.get(iid)  # warm the second engine's cache
    now[0] = T0 + timedelta(minutes=6)
    first = one.tick()
    second = two.tick()
    assert [e.kind for e in first][:2] == ["timer_fired", "transitioned"]
    assert second == []
    assert kinds(one, iid).count("timer_fired") == 1
