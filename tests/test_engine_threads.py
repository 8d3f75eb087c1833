"""One Engine shared by threads: calls are serialised, so nothing is lost or corrupted.

Before the engine took a lock, eight threads writing notes through one engine
raised hundreds of ConcurrencyErrors at one another (the engine racing itself)
and, on a MemoryStore, wrote a log whose hash chain did not verify.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import incidentflow
from incidentflow import ActionRequest, Engine, MemoryStore, SQLiteStore
from incidentflow.audit.store import Store
from incidentflow.engine.state import replay
from tests.conftest import EXAMPLES

MAJOR = incidentflow.load(EXAMPLES / "major-incident.yaml")
THREADS, CALLS, INCIDENTS = 8, 150, 4


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    chosen: Store = (
        MemoryStore()
        if request.param == "memory"
        else SQLiteStore(tmp_path / "x.db", durable=False)
    )
    yield chosen
    chosen.close()


def test_threads_sharing_one_engine_lose_nothing_and_keep_the_chain(store: Store) -> None:
    engine = Engine(MAJOR, store=store)
    ids = [
        engine.open("major-incident", severity="SEV2", actor="alice").id for _ in range(INCIDENTS)
    ]
    for iid in ids:
        engine.assign(iid, "responder", "alice", actor="alice")
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(thread: int) -> None:
        try:
            start.wait()
            for call in range(CALLS):
                engine.note(ids[call % INCIDENTS], f"{thread}.{call}", actor="alice")
                engine.queue()
                engine.tick()
        except BaseException as exc:  # every failure reaches the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == []
    notes = [e.data["text"] for iid in ids for e in store.events(iid) if e.kind == "noted"]
    assert sorted(notes) == sorted(f"{k}.{c}" for k in range(THREADS) for c in range(CALLS))
    assert engine.verify().ok
    for iid in ids:
        assert engine.get(iid) == replay(iid, store.events(iid)).snapshot()


def test_a_handler_may_call_back_into_the_engine_from_its_thread() -> None:
    engine = Engine(MAJOR)
    seen: list[int] = []

    def page(request: ActionRequest) -> None:
        # re-entrant: the same thread already holds the engine's turn
        seen.append(engine.get(request.incident.id).version)

    engine.register_action("page", page)
    incident = engine.open("major-incident", severity="SEV1", actor="alice")
    assert seen, "opening a SEV1 incident pages someone"
    assert engine.get(incident.id).version > max(seen)
