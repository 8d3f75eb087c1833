"""The periodic calls read what changed and fire what is due, not every open incident
(engine/tracking.py), and still see every other writer's changes."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from incidentflow import Engine, MemoryStore, SQLiteStore, StoreError
from incidentflow.audit.events import Event
from incidentflow.engine.tracking import DueTimes
from tests.engine.common import MAJOR, T0
from tests.helpers.stores import DelegatingStore


class CountingStore(MemoryStore):
    """A MemoryStore (a ChangeFeed) that counts the reads of each incident."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: Counter[str] = Counter()

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        self.reads[incident_id] += 1
        return super().events(incident_id, after)


def _open(engine: Engine, n: int) -> list[str]:
    return [engine.open("major-incident", severity="SEV3", actor="alice").id for _ in range(n)]


def test_a_tick_with_nothing_due_reads_no_incident() -> None:
    store = CountingStore()
    engine = Engine(MAJOR, store, clock=lambda: T0)
    ids = _open(engine, 20)
    engine.tick(T0)  # the first look
    store.reads.clear()
    for _ in range(3):
        assert engine.tick(T0 + timedelta(seconds=1)) == []
        engine.queue()
        engine.next_deadline()
    assert store.reads == Counter()
    engine.note(ids[3], "looking", actor="alice")
    store.reads.clear()
    engine.tick(T0 + timedelta(seconds=2))
    assert set(store.reads) == {ids[3]}  # the one that changed, read again once


def test_a_tick_reads_and_fires_only_the_due_incidents() -> None:
    store = CountingStore()
    now = [T0]
    engine = Engine(MAJOR, store, clock=lambda: now[0])
    early = _open(engine, 1)[0]
    now[0] = T0 + timedelta(hours=1)
    later = _open(engine, 5)
    due = engine.get(early).timers["ack_deadline"]
    engine.tick(T0 + timedelta(minutes=1))
    store.reads.clear()
    fired = engine.tick(due)
    assert {e.incident_id for e in fired} == {early}
    assert "ack_deadline" not in engine.get(early).timers
    assert not set(store.reads) & set(later)
    assert engine.next_deadline() == min(engine.get(i).timers["ack_deadline"] for i in later)


@pytest.mark.parametrize("kind", ["memory", "sqlite", "no feed"])
def test_another_writer_s_changes_are_seen(kind: str, tmp_path: Path) -> None:
    if kind == "sqlite":  # two store objects, two connections: the data_version path
        first, second = SQLiteStore(tmp_path / "a.db"), SQLiteStore(tmp_path / "a.db")
    elif kind == "memory":
        first = second = MemoryStore()
    else:
        shared = MemoryStore()
        first, second = DelegatingStore(shared), shared  # type: ignore[assignment]
    ours = Engine(MAJOR, first, clock=lambda: T0)
    theirs = Engine(MAJOR, second, clock=lambda: T0)
    ids = _open(ours, 3)
    assert [i.id for i in ours.queue()] == ids
    ours.tick(T0)
    theirs.set_severity(ids[2], "SEV1", actor="alice")
    assert [i.id for i in ours.queue()] == [ids[2], ids[0], ids[1]]
    opened = theirs.open("major-incident", severity="SEV2", actor="alice").id
    assert [i.id for i in ours.queue()] == [ids[2], opened, ids[0], ids[1]]
    dues = [theirs.get(i).timers["ack_deadline"] for i in [*ids, opened]]
    assert ours.next_deadline() == min(dues)
    theirs.assign(ids[0], "responder", "alice", actor="alice")  # she opened it
    theirs.fire(ids[0], "acknowledge", actor="alice")  # its ack timer gone, another started
    fired = ours.tick(T0 + timedelta(days=1))
    timers = {(e.incident_id, e.data["timer"]) for e in fired if e.kind == "timer_fired"}
    assert timers == {
        (ids[0], "exec_heads_up"),
        (ids[1], "ack_deadline"),
        (ids[2], "ack_deadline"),
        (opened, "ack_deadline"),
    }


def test_queue_is_remembered_until_something_changes() -> None:
    engine = Engine(MAJOR, MemoryStore(), clock=lambda: T0)
    ids = _open(engine, 3)
    first = engine.queue()
    first.clear()  # the caller's list: the next call is not affected
    assert [i.id for i in engine.queue()] == ids
    engine.set_severity(ids[1], "SEV1", actor="alice")
    assert [i.id for i in engine.queue()] == [ids[1], ids[0], ids[2]]
    assert engine.queue()[0].severity == "SEV1"


class FlakyIndex(MemoryStore):
    """Fails to list new incidents once, on demand."""

    fail = False

    def opened_since(self, position: int) -> tuple[list[str], int]:
        if self.fail:
            self.fail = False
            raise OSError("connection reset")
        return super().opened_since(position)


def test_a_failed_look_loses_no_change() -> None:
    store = FlakyIndex()
    ours = Engine(MAJOR, store, clock=lambda: T0)
    theirs = Engine(MAJOR, store, clock=lambda: T0)
    ids = _open(ours, 2)
    ours.queue()
    theirs.set_severity(ids[1], "SEV1", actor="alice")
    store.fail = True  # the look that would read the change fails after the feed answered
    with pytest.raises(StoreError, match="connection reset"):
        ours.queue()
    assert [i.id for i in ours.queue()] == [ids[1], ids[0]]


def test_due_times_keep_the_latest_time_of_each_incident() -> None:
    dues = DueTimes()
    dues.set("a", 30.0)
    dues.set("b", 10.0)
    dues.set("a", 5.0)  # moved sooner
    dues.set("b", 50.0)  # moved later
    dues.set("c", 20.0)
    dues.set("c", None)  # nothing due any more
    assert dues.soonest() == 5.0
    assert dues.take_due(20.0) == ["a"]
    assert dues.soonest() == 50.0
    assert dues.take_due(49.0) == []
    assert dues.take_due(50.0) == ["b"]
    assert dues.soonest() is None
    for n in range(1000):  # replaced entries do not pile up
        dues.set("d", float(n))
    assert len(dues._heap) < 200


def test_a_due_timer_fires_once_whatever_the_ticks(now: list[datetime]) -> None:
    engine = Engine(MAJOR, MemoryStore(), clock=lambda: now[0])
    ids = _open(engine, 2)
    due = engine.get(ids[0]).timers["ack_deadline"]
    fired = engine.tick(due)
    assert {e.incident_id for e in fired} == set(ids)
    assert engine.tick(due) == []  # fired once


def test_a_change_log_keeps_the_latest_notes_and_says_when_it_lost_some() -> None:
    from incidentflow.audit.change_log import ChangeLog

    log = ChangeLog(keep=3)
    start = log.position
    log.note(["a", "b"])
    assert log.since(start) == {"a", "b"}
    middle = log.position
    log.note(["c"])
    assert log.since(middle) == {"c"}
    assert log.since(log.position) == frozenset()
    log.note(["d"])  # "a" falls off: a reader from the start cannot be told everything
    assert log.since(start) is None
    assert log.since(middle) == {"c", "d"}
