"""One Engine shared by threads: calls are serialised, so nothing is lost or corrupted,
and action handlers run outside the engine's turn, so hosts cannot deadlock on it.

Before the engine took a lock, eight threads writing notes through one engine
raised hundreds of ConcurrencyErrors at one another (the engine racing itself)
and, on a MemoryStore, wrote a log whose hash chain did not verify.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
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


def _within(seconds: float, body: Callable[[], None]) -> None:
    """Run ``body`` in a thread and fail (rather than hang the suite) if it deadlocks."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            body()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"deadlocked: still running after {seconds}s"
    assert failures == []


def test_a_handler_may_call_back_into_the_engine_from_its_thread() -> None:
    engine = Engine(MAJOR)
    seen: list[int] = []

    def page(request: ActionRequest) -> None:
        seen.append(engine.get(request.incident.id).version)

    engine.register_action("page", page)

    def body() -> None:
        incident = engine.open("major-incident", severity="SEV1", actor="alice")
        assert seen, "opening a SEV1 incident pages someone"
        assert engine.get(incident.id).version > max(seen)

    _within(10, body)


def test_a_handler_may_hand_engine_work_to_another_thread_and_wait() -> None:
    """Handlers run outside the engine's turn: waiting for a worker thread that calls the
    same engine completes (holding the turn would deadlock, or time out the handler)."""
    engine = Engine(MAJOR)
    pool = ThreadPoolExecutor(max_workers=1)

    def page(request: ActionRequest) -> None:
        if request.params.get("role") == "responder":
            pool.submit(engine.note, request.incident.id, "paged", actor="alice").result(timeout=5)

    engine.register_action("page", page)

    def body() -> None:
        incident = engine.open("major-incident", severity="SEV1", actor="alice")
        history = engine.history(incident.id)
        assert "noted" in [e.kind for e in history]
        pages = [a for a in engine.get(incident.id).actions if a.action == "page"]
        assert pages
        assert all(a.status == "succeeded" for a in pages)

    try:
        _within(20, body)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def test_two_engines_whose_handlers_call_each_other_do_not_deadlock() -> None:
    store = MemoryStore()
    first, second = Engine(MAJOR, store=store), Engine(MAJOR, store=store)
    start = threading.Barrier(2)
    both_in_handlers = threading.Barrier(2, timeout=5)

    def calls(other: Engine) -> Callable[[ActionRequest], None]:
        def page(request: ActionRequest) -> None:
            if request.params.get("role") == "responder":
                both_in_handlers.wait()  # each engine is inside a handler: now call across
                other.note(request.incident.id, "seen by the other engine", actor="alice")

        return page

    first.register_action("page", calls(second))
    second.register_action("page", calls(first))

    def body() -> None:
        def open_on(engine: Engine) -> None:
            start.wait()
            engine.open("major-incident", severity="SEV1", actor="alice")

        threads = [threading.Thread(target=open_on, args=(e,)) for e in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    _within(20, body)
    assert first.verify().ok
    opened = store.incident_ids()
    assert len(opened) == 2
    assert all("noted" in [e.kind for e in store.events(iid)] for iid in opened)


def test_every_public_call_takes_the_engines_turn() -> None:
    public = [
        name
        for name, member in vars(Engine).items()
        if callable(member) and not name.startswith("_")
    ]
    assert len(public) >= 17
    # verify() and anchor() read only the store, never the engine's cached state: they run
    # unserialised; run_worker() is a loop of calls that each take the turn; now() reads
    # only the clock (batch() takes the turn for its whole block)
    unserialised = [n for n in public if not _body_takes_the_turn(getattr(Engine, n))]
    assert unserialised == ["verify", "anchor", "run_worker", "now"]


def _body_takes_the_turn(method: object) -> bool:
    """Whether ``method``'s whole body (after its docstring) is one ``with self._turns:``."""
    function = getattr(method, "__wrapped__", method)  # (batch: its contextmanager's)
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))  # type: ignore[arg-type]
    body = tree.body[0].body  # type: ignore[attr-defined]
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return (
        len(body) == 1
        and isinstance(body[0], ast.With)
        and ast.unparse(body[0].items[0].context_expr) == "self._turns"
    )


def test_the_turn_check_tells_a_body_that_takes_it_from_one_that_does_not() -> None:
    class Sample:
        _turns = threading.RLock()

        def takes(self) -> int:
            """Docstring."""
            with self._turns:
                return 1

        def partly(self) -> int:
            x = 1
            with self._turns:
                return x

        def other_lock(self) -> int:
            with threading.Lock():
                return 1

    assert _body_takes_the_turn(Sample.takes)
    assert not _body_takes_the_turn(Sample.partly)
    assert not _body_takes_the_turn(Sample.other_lock)


def test_a_call_returns_only_the_events_it_wrote() -> None:
    """tick() lists what it wrote, not what another thread's call wrote meanwhile."""
    now = [datetime(2026, 3, 1, 9, 0, tzinfo=UTC)]
    engine = Engine(MAJOR, clock=lambda: now[0])
    pool = ThreadPoolExecutor(max_workers=1)

    def notify(request: ActionRequest) -> None:
        pool.submit(engine.note, request.incident.id, "meanwhile", actor="alice").result(timeout=5)

    engine.register_action("notify_executives", notify)
    iid = engine.open("major-incident", severity="SEV1", actor="alice").id
    engine.assign(iid, "responder", "alice", actor="alice")
    engine.fire(iid, "acknowledge", actor="alice")  # triage: its timers include the exec heads-up
    now[0] += timedelta(hours=1)

    def body() -> None:
        written = engine.tick()
        assert written, "an hour in triage fires a timer"
        assert "noted" not in [e.kind for e in written]
        assert "noted" in [e.kind for e in engine.history(iid)]

    try:
        _within(20, body)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def test_verify_does_not_wait_for_the_engines_turn() -> None:
    engine = Engine(MAJOR)
    engine.open("major-incident", severity="SEV2", actor="alice")
    results: list[bool] = []
    with engine._turns:  # as if a long call were in progress on this thread
        thread = threading.Thread(target=lambda: results.append(engine.verify().ok), daemon=True)
        thread.start()
        thread.join(5)
    assert results == [True]
