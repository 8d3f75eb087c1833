"""tick(), queue(), next_deadline() and signal() read only open incidents.

Closing is final, so an engine forgets closed incidents: with a long history the
periodic calls cost one small query (``opened_since``) plus one read per open
incident. Counted, not timed: a store wrapper records which incidents are read.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import incidentflow
from incidentflow import (
    ConcurrencyError,
    Engine,
    LatestStore,
    MemoryStore,
    SQLiteStore,
    StoreError,
)
from incidentflow.audit.events import Event
from incidentflow.audit.store import Store
from tests.conftest import EXAMPLES
from tests.helpers.stores import DelegatingStore

MAJOR = incidentflow.load(EXAMPLES / "major-incident.yaml")
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CLOSED, OPEN = 30, 3


class CountingStore(DelegatingStore):
    """Counts ``events()`` reads per incident; hides ``opened_since`` when ``indexed`` is
    false (a store written before it existed)."""

    def __init__(self, inner: Store, *, indexed: bool = True) -> None:
        super().__init__(inner)
        self.reads: Counter[str] = Counter()
        if indexed:
            self.opened_since = inner.opened_since  # type: ignore[attr-defined]

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        self.reads[incident_id] += 1
        return self.inner.events(incident_id, after)


def _history(engine: Engine) -> tuple[list[str], list[str]]:
    """CLOSED cancelled incidents, then OPEN ones at SEV1 (each with a running ack timer)."""
    closed = []
    for _ in range(CLOSED):
        iid = engine.open("major-incident", severity="SEV4", actor="alice").id
        engine.assign(iid, "responder", "alice", actor="alice")
        engine.fire(iid, "cancel", actor="alice")
        closed.append(iid)
    opened = [engine.open("major-incident", severity="SEV1", actor="alice").id for _ in range(OPEN)]
    return closed, opened


@pytest.fixture(params=["memory", "sqlite"])
def inner(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    store: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "x.db")
    yield store
    store.close()


@pytest.mark.parametrize("indexed", [True, False], ids=["opened_since", "incident_ids"])
def test_after_the_first_look_only_open_incidents_are_read(inner: Store, indexed: bool) -> None:
    now = [T0]
    writer = Engine(MAJOR, store=inner, clock=lambda: now[0])
    closed, opened = _history(writer)
    store = CountingStore(inner, indexed=indexed)
    host = Engine(MAJOR, store=store, clock=lambda: now[0])  # a host restarted on the history

    assert host.tick() == []
    assert set(store.reads) == set(closed) | set(opened)  # the first look reads each once
    store.reads.clear()

    assert [i.id for i in host.queue()] == opened
    assert host.next_deadline() == T0 + timedelta(minutes=5)  # SEV1 acknowledge_within
    assert host.tick() == []
    assert set(store.reads) == set(opened)  # closed incidents are never read again

    # an incident another writer opens is found, and its timer fires here
    late = writer.open("major-incident", severity="SEV1", actor="bob").id
    now[0] = T0 + timedelta(minutes=6)
    fired = host.tick()
    assert {e.incident_id for e in fired if e.kind == "timer_fired"} == {*opened, late}

    # one closed by another writer after the host saw it open is dropped at the next look
    minor = writer.open("major-incident", severity="SEV4", actor="bob").id
    assert minor in {i.id for i in host.queue()}
    writer.assign(minor, "responder", "bob", actor="bob")
    writer.fire(minor, "cancel", actor="bob")
    assert minor not in {i.id for i in host.queue()}
    store.reads.clear()
    host.tick()
    assert minor not in store.reads
    assert host.get(minor).closed  # still readable on demand


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_opened_since_lists_each_incident_once_in_opening_order(kind: str, tmp_path: Path) -> None:
    store: Store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "x.db")
    engine = Engine(MAJOR, store=store, clock=lambda: T0)
    first = [engine.open("major-incident", severity="SEV2").id for _ in range(3)]
    ids, position = store.opened_since(0)  # type: ignore[attr-defined]
    assert ids == first
    assert store.opened_since(position) == ([], position)  # type: ignore[attr-defined]
    later = engine.open("major-incident", severity="SEV2").id
    assert store.opened_since(position)[0] == [later]  # type: ignore[attr-defined]
    store.close()


class FlakyStore(DelegatingStore):
    """``events()`` fails once for ``fail_for`` (as SQLite does when the file stays locked
    past the busy timeout)."""

    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.opened_since = inner.opened_since  # type: ignore[attr-defined]
        self.fail_for: str | None = None

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        if incident_id == self.fail_for:
            self.fail_for = None
            raise sqlite3.OperationalError("database is locked")
        return self.inner.events(incident_id, after)


def test_a_failed_read_loses_no_incident(inner: Store) -> None:
    now = [T0]
    writer = Engine(MAJOR, store=inner, clock=lambda: now[0])
    store = FlakyStore(inner)
    host = Engine(MAJOR, store=store, clock=lambda: now[0])
    assert host.tick() == []
    first = writer.open("major-incident", severity="SEV1").id
    second = writer.open("major-incident", severity="SEV1").id
    store.fail_for = first
    skipped = host.tick().problems  # reported, not raised: the other incidents go on
    assert [p.incident_id for p in skipped] == [first]
    assert isinstance(skipped[0].exception, StoreError)
    assert isinstance(skipped[0].exception.__cause__, sqlite3.OperationalError)
    now[0] = T0 + timedelta(minutes=6)
    ticked = host.tick()
    fired = {e.incident_id for e in ticked if e.kind == "timer_fired"}
    assert fired == {first, second}  # the skipped one is read again once its wait is over
    assert ticked.problems == ()
    assert [i.id for i in host.queue()] == [first, second]


def test_an_incident_the_store_forgets_is_forgotten_and_tick_does_not_spin() -> None:
    """The drills' LatestStore holds only the newest incident: an older one left open must
    not stay in the queue, nor make tick() retry its stale timer."""
    now = [T0]
    store = LatestStore()
    appends = Counter[str]()
    append = store.append

    def counted(incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        appends[incident_id] += 1
        append(incident_id, expected_version, events)

    store.append = counted  # type: ignore[method-assign]
    engine = Engine(MAJOR, store=store, clock=lambda: now[0])
    older = engine.open("major-incident", severity="SEV1").id
    assert engine.tick() == []  # the engine now knows `older` as open
    newer = engine.open("major-incident", severity="SEV4").id  # the store forgets `older`
    assert [i.id for i in engine.queue()] == [newer]
    now[0] = T0 + timedelta(minutes=6)  # older's SEV1 acknowledgement timer would be due
    appends.clear()
    assert engine.tick() == []
    assert appends[older] == 0
    assert engine.next_deadline() == T0 + timedelta(hours=4)  # newer's SEV4 timer only


class RefusingStore(DelegatingStore):
    """Refuses (ConcurrencyError, nothing newer to catch up on) every append whose first
    event is of kind ``refuse``: a broken or forgetful store. Counts the attempts."""

    def __init__(self, inner: Store, refuse: str) -> None:
        super().__init__(inner)
        self.opened_since = inner.opened_since  # type: ignore[attr-defined]
        self.refuse = refuse
        self.refused = 0

    def append(self, incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        if events and events[0].kind == self.refuse:
            self.refused += 1
            if self.refused > 50:  # fail, rather than hang, if the engine retries forever
                raise AssertionError(f"{self.refused} attempts: the engine is spinning")
            raise ConcurrencyError(incident_id, expected_version, expected_version)
        self.inner.append(incident_id, expected_version, events)


def test_a_timer_whose_write_is_refused_without_news_is_left_for_the_next_tick() -> None:
    now = [T0]
    store = RefusingStore(MemoryStore(), "timer_fired")
    engine = Engine(MAJOR, store=store, clock=lambda: now[0])
    engine.open("major-incident", severity="SEV1", actor="alice")
    now[0] = T0 + timedelta(minutes=6)
    assert engine.tick() == []
    assert store.refused == 1  # not the 1,000 retries of a loop that waits for news


def test_an_action_whose_start_is_refused_without_news_stays_planned() -> None:
    now = [T0]
    store = RefusingStore(MemoryStore(), "action_started")
    engine = Engine(MAJOR, store=store, clock=lambda: now[0], handlers={"page": lambda r: None})
    incident = engine.open("major-incident", severity="SEV1", actor="alice")  # committed
    pages = [a for a in incident.actions if a.action == "page"]
    assert pages
    assert {a.status for a in incident.actions} == {"planned"}  # left for the next tick
    assert store.refused == 1  # the first refusal stops the run: the store is not hammered
    assert engine.next_deadline() == T0  # the next tick is due at once
    skipped = engine.tick().problems  # it tries once more, and reports the incident
    assert [p.incident_id for p in skipped] == [incident.id]
    assert isinstance(skipped[0].exception, ConcurrencyError)
    assert store.refused == 2
    assert engine.tick().problems == skipped  # not again until its wait is over
    assert store.refused == 2
    assert engine.next_deadline() == skipped[0].retry_at > T0


def test_an_outcome_refused_without_news_is_left_for_tick_not_retried_forever() -> None:
    now = [T0]
    store = RefusingStore(MemoryStore(), "action_succeeded")
    engine = Engine(MAJOR, store=store, clock=lambda: now[0], handlers={"page": lambda r: None})
    incident = engine.open("major-incident", severity="SEV1", actor="alice")  # committed
    assert store.refused == 1
    assert next(a.status for a in incident.actions) == "started"  # it ran; its outcome is kept
    assert [p.incident_id for p in engine.tick().problems] == [incident.id]
    assert store.refused == 2  # one more attempt, at the tick
    engine.tick()
    assert store.refused == 2


class ForgettingStore(DelegatingStore):
    """Lists incidents through opened_since() but has lost the events of those in ``lost``."""

    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.opened_since = inner.opened_since  # type: ignore[attr-defined]
        self.lost: set[str] = set()

    def events(self, incident_id: str, after: int = 0) -> list[Event]:
        return [] if incident_id in self.lost else self.inner.events(incident_id, after)


def test_an_indexed_incident_whose_events_are_gone_is_dropped_not_raised() -> None:
    store = ForgettingStore(MemoryStore())
    engine = Engine(MAJOR, store=store, clock=lambda: T0)
    kept = engine.open("major-incident", severity="SEV2", actor="alice").id
    writer = Engine(MAJOR, store=store.inner, clock=lambda: T0)
    gone = writer.open("major-incident", severity="SEV2", actor="alice").id
    store.lost.add(gone)
    assert [i.id for i in engine.queue()] == [kept]
    assert engine.tick() == []
