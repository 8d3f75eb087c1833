"""SQLiteStore skips what its connection already knows, and only that: on its write path,
and in the read before each engine call.

(incidentflow.audit.sqlite_known: versions and due rows remembered while no other
connection commits. The store contract checks the same from outside; these tests pin
the statements saved and the cases where knowledge must be dropped.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from incidentflow import SQLiteStore
from incidentflow.audit.sqlite_known import KnownRows
from incidentflow.audit.store import Append
from incidentflow.errors import ConcurrencyError
from incidentflow.testing.store_contract import SPEC, continue_log

PROCESS = SPEC[0]
SOON = datetime(2030, 1, 1, tzinfo=UTC)
LATER = datetime(2031, 1, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    made = SQLiteStore(tmp_path / "events.db", durable=False)
    yield made
    made.close()


def append(store: SQLiteStore, incident_id: str, due: datetime | str | None) -> None:
    log = store.events(incident_id)
    refused = store.append_many(
        [Append(incident_id, len(log), continue_log(log, incident_id), due)]
    )
    assert refused == []


def statements(store: SQLiteStore, run: object) -> list[str]:
    """The SQL statements ``run()`` executes on this thread's connection."""
    seen: list[str] = []
    conn = store._connect()
    conn.set_trace_callback(seen.append)
    try:
        run()  # type: ignore[operator]
    finally:
        conn.set_trace_callback(None)
    return [s.split(" (")[0].split(" VALUES")[0] for s in seen]


def test_an_incident_this_connection_wrote_is_neither_queried_nor_its_due_row_rewritten(
    store: SQLiteStore,
) -> None:
    append(store, "inc-1", SOON)
    ran = statements(store, lambda: append(store, "inc-1", SOON))
    writes = [s for s in ran if not s.startswith("SELECT")]  # (append() reads the log first)
    assert writes == [
        "BEGIN IMMEDIATE",
        "PRAGMA data_version",
        "INSERT INTO events",
        "COMMIT",
    ]
    moved = statements(store, lambda: append(store, "inc-1", LATER))
    assert any(s.startswith("INSERT INTO due") for s in moved)
    assert store.next_due([PROCESS]) == LATER


def test_a_due_row_another_store_changed_is_written_again(
    store: SQLiteStore, tmp_path: Path
) -> None:
    append(store, "inc-1", SOON)
    other = SQLiteStore(store.path, durable=False)
    try:
        with other.claim_due([PROCESS], 10, LATER) as claim:
            assert claim.incident_ids == ["inc-1"]
            claim.set_due("inc-1", LATER)
    finally:
        other.close()
    assert store.next_due([PROCESS]) == LATER
    append(store, "inc-1", SOON)  # what this connection wrote last, but no longer stored
    assert store.next_due([PROCESS]) == SOON


def test_another_thread_of_the_same_store_is_another_writer(store: SQLiteStore) -> None:
    append(store, "inc-1", SOON)
    thread = threading.Thread(target=append, args=(store, "inc-1", None))
    thread.start()
    thread.join(timeout=60)
    assert len(store.events("inc-1")) == 2
    assert store.next_due([PROCESS]) is None
    with pytest.raises(ConcurrencyError) as refused:
        store.append("inc-1", 1, continue_log(store.events("inc-1")[:1], "inc-1"))
    assert refused.value.actual == 2
    append(store, "inc-1", SOON)
    assert store.next_due([PROCESS]) == SOON


def test_what_a_connection_remembers_is_bounded(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(KnownRows, "LIMIT", 4)
    for n in range(10):
        append(store, f"inc-{n}", SOON)
    known: KnownRows = store._local.known
    assert len(known.versions) + len(known.due) <= 4 + 2
    for n in range(10):
        append(store, f"inc-{n}", None)
    assert [len(store.events(f"inc-{n}")) for n in range(10)] == [2] * 10
    assert store.next_due([PROCESS]) is None


def test_the_read_before_a_call_is_answered_from_what_the_connection_wrote(
    store: SQLiteStore,
) -> None:
    append(store, "inc-1", SOON)
    append(store, "inc-1", SOON)
    ran = statements(store, lambda: store.events("inc-1", after=2))
    assert ran == ["PRAGMA data_version"]  # no query of the events table
    assert store.events("inc-1", after=2) == []
    assert [e.seq for e in store.events("inc-1", after=1)] == [2]  # not known: queried


def test_the_read_before_a_call_sees_what_another_connection_appended(
    store: SQLiteStore,
) -> None:
    append(store, "inc-1", SOON)
    other = SQLiteStore(store.path, durable=False)
    try:
        append(other, "inc-1", SOON)
    finally:
        other.close()
    assert [e.seq for e in store.events("inc-1", after=1)] == [2]
    with pytest.raises(ConcurrencyError) as refused:  # what this connection knew is stale
        store.append("inc-1", 1, continue_log(store.events("inc-1")[:1], "inc-1"))
    assert refused.value.actual == 2
    assert store.events("inc-1", after=2) == []
    append(store, "inc-1", SOON)
    assert [e.seq for e in store.events("inc-1", after=2)] == [3]


def test_the_read_inside_a_claim_sees_the_claims_own_writes(store: SQLiteStore) -> None:
    append(store, "inc-1", SOON)
    with store.claim_due([PROCESS], 10, LATER) as claim:
        assert claim.incident_ids == ["inc-1"]
        log = store.events("inc-1")
        assert claim.append_many([Append("inc-1", 1, continue_log(log, "inc-1"))]) == []
        assert [e.seq for e in store.events("inc-1", after=1)] == [2]
        assert store.events("inc-1", after=2) == []
    assert [e.seq for e in store.events("inc-1")] == [1, 2]


def test_a_batch_given_as_a_generator_is_written_whole(store: SQLiteStore) -> None:
    ids = ["gen-1", "gen-2", "gen-3"]
    refused = store.append_many(
        Append(iid, 0, continue_log([], iid), None)  # type: ignore[arg-type]
        for iid in ids
    )
    assert refused == []
    assert [len(store.events(iid)) for iid in ids] == [1, 1, 1]
    changed, _ = store.changes_since(None)
    assert changed is None or set(ids) <= changed
