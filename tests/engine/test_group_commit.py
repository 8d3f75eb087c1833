"""Group commit and the due-work index, through the engine.

- ``tick()`` writes a round's timers in one batched append; ``Engine.batch()`` writes
  a host's calls in one, and an incident another writer changed meanwhile is refused
  alone (the others are kept, its actions never run);
- workers on a store with a due-work index read only due incidents, and a worker
  killed (SIGKILL) in the middle of its claim leaves nothing half-written: the
  incidents stay due and the next worker fires each timer once;
- an SQLite file of schema version 1 gets its index on opening.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from incidentflow import (
    ActionRequest,
    Append,
    ConcurrencyError,
    Engine,
    InvalidOperation,
    MemoryStore,
    SQLiteStore,
    Worker,
    loads,
)
from incidentflow.audit.sqlite import SCHEMA_VERSION as SQLITE_SCHEMA_VERSION
from incidentflow.audit.store import DueIndexStore
from tests.conftest import ROOT
from tests.engine.common import MAJOR, T0, in_triage
from tests.helpers import claim_child


class CountingStore(MemoryStore):
    """A MemoryStore that counts its writes (single appends and batches)."""

    def __init__(self) -> None:
        super().__init__()
        self.appends = 0
        self.batches: list[int] = []

    def append(self, incident_id: str, expected_version: int, events: Any) -> None:
        self.appends += 1
        super().append(incident_id, expected_version, events)

    def append_many(self, appends: Sequence[Append]) -> list[ConcurrencyError]:
        self.batches.append(len(appends))
        return super().append_many(appends)


def test_tick_fires_many_incidents_timers_in_one_batched_append() -> None:
    now = [T0]
    store = CountingStore()
    engine = Engine(MAJOR, store=store, clock=lambda: now[0])
    ids = [engine.open("major-incident", severity="SEV3", actor="svc").id for _ in range(20)]
    store.appends = 0
    now[0] = T0 + timedelta(hours=2)
    written = engine.tick()
    fired = Counter(e.incident_id for e in written if e.kind == "timer_fired")
    assert set(fired) == set(ids)
    assert store.batches == [20]  # every incident's timers: one write
    assert store.appends == sum(1 for e in written if e.kind.startswith("action_"))
    assert engine.verify().ok


def test_a_batch_of_calls_is_one_write_and_a_stale_incident_is_refused_alone() -> None:
    now = [T0]
    store = CountingStore()
    ran: list[str] = []
    handlers = {"page": lambda r: ran.append(r.incident.id)}
    engine = Engine(MAJOR, store=store, clock=lambda: now[0], handlers=handlers)
    other = Engine(MAJOR, store=store, clock=lambda: now[0])
    one, two = in_triage(engine), in_triage(engine)
    before = {iid: len(engine.history(iid)) for iid in (one, two)}
    ran.clear()
    with engine.batch() as batch:
        engine.note(one, "kept", actor="alice")
        noted = engine.note(two, "refused", actor="alice")
        assert noted.version == before[two] + 1  # as it will be
        engine.note(two, "refused too", actor="alice")
        other.note(two, "first", actor="alice")  # another writer gets there first
    assert [(e.incident_id, e.expected) for e in batch.refused] == [(two, before[two])]
    assert [e.data["text"] for e in batch.events] == ["kept"]
    texts = [e.data["text"] for e in engine.history(two) if e.kind == "noted"]
    assert texts == ["first"]
    assert engine.get(two).version == before[two] + 1  # read again: the store's
    assert [e.data["text"] for e in engine.history(one) if e.kind == "noted"] == ["kept"]
    assert store.batches[-1] == 2
    engine.note(two, "retried", actor="alice")
    assert engine.verify().ok


def test_a_batch_whose_block_raises_writes_nothing_and_runs_no_action() -> None:
    ran: list[ActionRequest] = []
    engine = Engine(MAJOR, clock=lambda: T0, handlers={"page": ran.append})

    def failing_host() -> None:
        with engine.batch():
            engine.open("major-incident", severity="SEV1", actor="svc")
            raise RuntimeError("host failed")

    with pytest.raises(RuntimeError, match="host failed"):
        failing_host()
    assert engine.store.incident_ids() == []
    assert ran == []
    with engine.batch() as batch:
        opened = engine.open("major-incident", severity="SEV1", actor="svc")
        assert ran == []  # actions wait for the commit
    assert batch.refused == []
    assert [e.seq for e in batch.events] == [1]
    assert [r.incident.id for r in ran] == [opened.id]  # after the commit
    later = [e.kind for e in engine.history(opened.id)[1:]]
    assert later[:2] == ["action_started", "action_succeeded"]
    assert all(kind.startswith("action_") for kind in later)
    assert engine.verify().ok


def test_batches_do_not_nest() -> None:
    engine = Engine(MAJOR, clock=lambda: T0)
    with engine.batch(), pytest.raises(InvalidOperation, match="already open"):  # noqa: SIM117
        with engine.batch():
            pass


# --- the due-work index, with real processes ---------------------------------------------


def _open_timers(where: str, n: int) -> list[str]:
    eng = claim_child.engine(where, claim_child.T0)
    with eng.batch():
        ids = [eng.open("timers", severity="SEV1", actor="svc").id for _ in range(n)]
    eng.store.close()
    return ids


@contextlib.contextmanager
def _shared(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield str(tmp_path / "due.db")
        return
    from tests.helpers.postgres import database_url, fresh_schema

    with fresh_schema() as schema:
        url = database_url()
        yield f"{url}{'&' if '?' in url else '?'}schema={schema}"


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_worker_killed_mid_claim_leaves_the_index_and_the_log_whole(
    kind: str, tmp_path: Path
) -> None:
    with _shared(kind, tmp_path) as where:
        ids = _open_timers(where, 30)
        ready = tmp_path / "ready"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.claim_child", where, str(ready)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while not ready.exists():
                assert child.poll() is None, child.communicate()[1]
                assert time.monotonic() < deadline, "the child never reached its claim"
                time.sleep(0.05)
            assert int(ready.read_text()) == 60  # written, not committed: 30 x 2 events
            os.kill(child.pid, signal.SIGKILL)
            assert child.wait(timeout=60) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
            child.communicate()

        eng = claim_child.engine(where, claim_child.T0 + timedelta(hours=1))
        store = eng.store
        assert isinstance(store, DueIndexStore)
        assert all(len(eng.history(iid)) == 1 for iid in ids), "a claim was half-written"
        assert store.next_due(["timers"]) is not None  # still due: nothing was lost
        worker = Worker(eng, worker_id="after-the-crash")
        while worker.run_once():
            pass
        fired = Counter(e.incident_id for e in store.all_events() if e.kind == "timer_fired")
        assert fired == dict.fromkeys(ids, 1)
        assert store.next_due(["timers"]) is None  # closed: nothing left due
        assert eng.verify().ok
        store.close()


def test_an_sqlite_file_of_schema_version_1_gets_its_due_index(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    ids = _open_timers(str(db), 3)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DROP TABLE due")  # as version 1 left it
        conn.execute("PRAGMA user_version=1")
    eng = claim_child.engine(str(db), claim_child.T0 + timedelta(hours=1))
    written = Worker(eng).run_once()
    assert sorted({e.incident_id for e in written if e.kind == "timer_fired"}) == sorted(ids)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SQLITE_SCHEMA_VERSION
    eng.store.close()


def test_a_worker_reads_only_due_incidents(tmp_path: Path) -> None:
    """Thousands of open incidents, one due: a round reads one incident's log."""
    store = SQLiteStore(tmp_path / "many.db", durable=False)
    eng = Engine(
        loads(claim_child.SPEC),
        store,
        clock=lambda: claim_child.T0,
    )
    with eng.batch():
        for _ in range(300):
            eng.open("timers", severity="SEV1", actor="svc")
    Worker(eng).run_once()  # looks at each new incident once: records its due time
    reads: list[str] = []
    events = store.events

    def counting(incident_id: str, after: int = 0) -> Any:
        reads.append(incident_id)
        return events(incident_id, after)

    store.events = counting  # type: ignore[method-assign]
    later = datetime.fromisoformat("2024-05-01T12:04:00+00:00")
    late = Engine(eng.processes["timers"], store, clock=lambda: later)
    assert Worker(late).run_once() == []
    assert reads == []
    store.close()
