"""Workers in one process: leases on actions, takeover, heartbeats, the store's clock,
wake-ups, back-off on a failing store, and the ``worker`` command's errors.

The same guarantees with real OS processes are in tests/engine/test_workers_processes.py.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from incidentflow import (
    ActionRequest,
    ClockedStore,
    Engine,
    InvalidArgument,
    MemoryStore,
    NotifyingStore,
    StoreError,
    Worker,
    load,
)
from incidentflow.audit.store import Store
from incidentflow.engine import retries
from incidentflow.engine import worker as worker_module
from incidentflow.engine.state import replay
from tests.conftest import EXAMPLES
from tests.helpers.stores import DelegatingStore

SPEC = EXAMPLES / "major-incident.yaml"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
OPENER = "svc"
WAIT = 20.0  # seconds a test waits for another thread before it fails


@pytest.fixture(scope="module")
def process() -> Any:
    return load(SPEC)


class Clock:
    """A simulated clock the test moves by hand."""

    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class Died(BaseException):
    """Stands for the runner's death in the middle of a handler (nothing is recorded)."""


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def started_events(engine: Engine, incident: str, action_id: str) -> list[Any]:
    return [
        e
        for e in engine.history(incident)
        if e.kind == "action_started" and e.data["action_id"] == action_id
    ]


def open_with_dead_runner(process: Any, store: Store, clock: Clock) -> tuple[str, str, str]:
    """Open an incident whose first action's runner dies mid-handler; return the incident,
    the action id and the idempotency key the dead runner was given."""
    seen: list[ActionRequest] = []

    def dies(request: ActionRequest) -> None:
        seen.append(request)
        raise Died

    first = Engine(process, store, clock=clock, handlers={"page": dies})
    with pytest.raises(Died):
        first.open("major-incident", severity="SEV1", actor=OPENER)
    (request,) = seen
    return request.incident.id, request.action_id, request.idempotency_key


# --- leases ------------------------------------------------------------------------------


def test_starting_an_action_records_its_holder_and_lease(process: Any) -> None:
    clock = Clock()
    engine = Engine(process, MemoryStore(), clock=clock)
    Worker(engine, lease=90, worker_id="w-1")
    incident = engine.open("major-incident", severity="SEV1", actor=OPENER)
    started = [e for e in engine.history(incident.id) if e.kind == "action_started"]
    assert started
    for event in started:
        assert event.data["holder"] == "w-1"
        assert event.data["lease_until"] == (T0 + timedelta(seconds=90)).isoformat()


def test_an_action_whose_runner_died_is_taken_over_after_its_lease(process: Any) -> None:
    store, clock = MemoryStore(), Clock()
    incident, action_id, key = open_with_dead_runner(process, store, clock)
    requests: list[ActionRequest] = []
    other = Engine(process, store, clock=clock, handlers={"page": requests.append})
    Worker(other, lease=60, worker_id="w-2")
    (first,) = started_events(other, incident, action_id)
    lease_until = datetime.fromisoformat(first.data["lease_until"])

    clock.at = lease_until - timedelta(seconds=1)  # still held: nobody else starts it
    assert not [e for e in other.tick() if e.kind == "action_started"]
    assert other.next_deadline() == lease_until  # the worker wakes when the lease ends

    clock.at = lease_until
    other.tick()
    attempts = started_events(other, incident, action_id)
    assert [e.data["attempt"] for e in attempts] == [1, 2]  # the log shows both attempts
    assert attempts[1].data["holder"] == "w-2"
    assert [r.action_id for r in requests] == [action_id]
    assert requests[0].idempotency_key == key  # the same key: effectively once
    assert requests[0].attempt == 2
    assert other.get(incident).actions[0].status == "succeeded"
    assert not [e for e in other.tick() if e.kind == "action_started"]  # and only once


def test_an_action_that_kills_every_runner_is_not_taken_over_forever(process: Any) -> None:
    store, clock = MemoryStore(), Clock()
    incident, action_id, _ = open_with_dead_runner(process, store, clock)

    def dies(request: ActionRequest) -> None:
        if request.action_id == action_id:  # this one action kills whoever runs it
            raise Died

    for _ in range(retries.MAX_ATTEMPTS - 1):
        clock.at += timedelta(hours=1)
        with pytest.raises(Died):
            Engine(process, store, clock=clock, handlers={"page": dies}).tick()
    survivor = Engine(process, store, clock=clock)
    assert len(started_events(survivor, incident, action_id)) == retries.MAX_ATTEMPTS
    clock.at += timedelta(hours=1)
    survivor.tick()
    assert len(started_events(survivor, incident, action_id)) == retries.MAX_ATTEMPTS
    action = next(a for a in survivor.get(incident).actions if a.id == action_id)
    assert action.status == "started"  # left to retry_actions(), as a log before leases
    assert retries.next_run(action, clock.at, eager=False) is None


def test_a_log_written_before_leases_is_not_taken_over(process: Any) -> None:
    store, clock = MemoryStore(), Clock()
    incident, action_id, _ = open_with_dead_runner(process, store, clock)
    events = store.events(incident)
    state = replay(incident, events)
    before = state.actions[action_id]
    assert before.lease_until is not None
    old = [
        e for e in events if not (e.kind == "action_started" and e.data["action_id"] == action_id)
    ]
    # the same action, started by a release without leases: no lease, no takeover
    state = replay(incident, old)
    state.actions[action_id] = type(before)(
        before.id, before.action, before.params, before.origin, "started", attempts=1
    )
    assert (
        retries.next_run(state.actions[action_id], clock.at + timedelta(days=0.5), eager=False)
        is None
    )


def test_a_running_handler_keeps_its_lease_with_heartbeats(process: Any) -> None:
    store, clock = MemoryStore(), Clock()
    beat = threading.Event()
    lease = timedelta(seconds=0.2)  # a heartbeat every 0.1 s of real time

    def slow(request: ActionRequest) -> None:
        if request.params.get("role") != "responder":
            return
        clock.at = T0 + timedelta(seconds=30)  # far past the first lease
        wait_until(lambda: heartbeats(request.incident.id), "a heartbeat")
        # another worker looks now: the lease was renewed, so it does not start the action
        rival = Engine(process, store, clock=clock, handlers={"page": lambda r: None})
        taken = [e for e in rival.tick() if e.kind == "action_started"]
        if not [e for e in taken if e.data["action_id"] == request.action_id]:
            beat.set()

    def heartbeats(incident: str) -> list[Any]:
        return [e for e in store.events(incident) if e.kind == "action_heartbeat"]

    engine = Engine(
        process, store, clock=clock, handlers={"page": slow, "create_ticket": lambda r: None}
    )
    Worker(engine, lease=lease, worker_id="slow")
    incident = engine.open("major-incident", severity="SEV1", actor=OPENER)
    assert beat.is_set()
    beats = heartbeats(incident.id)
    assert beats
    assert all(e.data["attempt"] == 1 for e in beats)
    assert datetime.fromisoformat(beats[-1].data["lease_until"]) == clock.at + lease
    page = incident.actions[0]
    assert page.status == "succeeded"
    assert page.attempts == 1
    assert engine.verify().ok


def test_a_heartbeat_of_an_attempt_taken_over_moves_no_lease(process: Any) -> None:
    store, clock = MemoryStore(), Clock()
    incident, action_id, _ = open_with_dead_runner(process, store, clock)
    engine = Engine(process, store, clock=clock, handlers={"page": lambda r: None})
    Worker(engine, lease=60)
    assert engine._renew_lease(incident, action_id, 1)  # the running attempt: renewed
    renewed = engine.get(incident).actions[0].lease_until
    assert not engine._renew_lease(incident, action_id, 2)  # not the running attempt
    assert engine.get(incident).actions[0].lease_until == renewed


# --- the worker loop ---------------------------------------------------------------------


class ClockedMemoryStore(DelegatingStore):
    """A memory store with a clock of its own: the database's time."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(MemoryStore())
        self.clock = clock
        self.opened_since = self.inner.opened_since  # type: ignore[attr-defined]

    def now(self) -> datetime:
        return self.clock()


def test_a_worker_compares_deadlines_with_the_stores_clock(process: Any) -> None:
    database = Clock()
    store = ClockedMemoryStore(database)
    assert isinstance(store, ClockedStore)
    fast = Engine(process, store, clock=lambda: database() + timedelta(minutes=10))
    incident = Engine(process, store, clock=database).open(
        "major-incident", severity="SEV1", actor=OPENER
    )
    due = incident.timers["ack_deadline"]
    worker = Worker(fast, lease=30)

    database.at = due - timedelta(seconds=1)  # the fast host's clock says it is long due
    assert not worker.run_once()
    assert "ack_deadline" in fast.get(incident.id).timers
    database.at = due + timedelta(seconds=3)
    fired = [e for e in worker.run_once() if e.kind == "timer_fired"]
    assert [e.at for e in fired] == [database.at]  # at the database's time
    started = [e for e in fast.history(incident.id) if e.kind == "action_started"]
    assert started[-1].data["lease_until"] == (database.at + timedelta(seconds=30)).isoformat()


def test_run_stops_on_an_event_and_on_a_function(process: Any) -> None:
    clock = Clock()
    engine = Engine(process, MemoryStore(), clock=clock)
    incident = engine.open("major-incident", severity="SEV1", actor=OPENER)
    clock.at += timedelta(minutes=6)
    stop = threading.Event()
    thread = threading.Thread(target=engine.run_worker, args=(stop,), kwargs={"poll": 0.05})
    thread.start()
    wait_until(lambda: "ack_deadline" not in engine.get(incident.id).timers, "the timer")
    stop.set()
    thread.join(WAIT)
    assert not thread.is_alive()
    assert engine.get(incident.id).state == "triage"
    rounds = []
    Worker(engine, poll=0.01).run(lambda: rounds.append(1) or len(rounds) > 3)
    assert len(rounds) == 4


class NotifyingMemoryStore(DelegatingStore):
    """A memory store that wakes waiting workers on every append."""

    def __init__(self) -> None:
        super().__init__(MemoryStore())
        self.opened_since = self.inner.opened_since  # type: ignore[attr-defined]
        self.changed = threading.Condition()
        self.version = 0

    def append(self, incident_id: str, expected_version: int, events: Any) -> None:
        super().append(incident_id, expected_version, events)
        with self.changed:
            self.version += 1
            self.changed.notify_all()

    def wait_for_change(self, timeout: float) -> bool:
        with self.changed:
            seen = self.version
            return self.changed.wait_for(lambda: self.version != seen, timeout)


def test_a_notifying_store_wakes_a_sleeping_worker(process: Any) -> None:
    store = NotifyingMemoryStore()
    assert isinstance(store, NotifyingStore)
    clock = Clock()
    engine = Engine(process, store, clock=clock)
    rounds: list[int] = []

    class Counting(Worker):
        def run_once(self) -> Any:
            rounds.append(1)
            return super().run_once()

    worker = Counting(engine, poll=3600)  # without a wake-up it would sleep an hour
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        wait_until(lambda: len(rounds) == 1, "the first round")
        Engine(process, store, clock=clock).open("major-incident", severity="SEV1", actor=OPENER)
        wait_until(lambda: len(rounds) >= 2, "a round after the append")
    finally:
        stop.set()
        thread.join(WAIT)
    assert not thread.is_alive()


class FlakyStore(DelegatingStore):
    """A store that fails every call while ``down``."""

    def __init__(self) -> None:
        super().__init__(MemoryStore())
        self.down = False
        self.opened_since = self._opened_since  # type: ignore[attr-defined]

    def _opened_since(self, position: int) -> tuple[list[str], int]:
        if self.down:
            raise OSError("connection refused")
        return self.inner.opened_since(position)  # type: ignore[attr-defined]


@pytest.fixture
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module, "FIRST_BACKOFF", 0.01)
    monkeypatch.setattr(worker_module, "LONGEST_BACKOFF", 0.02)


def test_a_worker_backs_off_while_the_store_is_down_and_carries_on(
    process: Any, quick_backoff: None, caplog: pytest.LogCaptureFixture
) -> None:
    store, clock = FlakyStore(), Clock()
    engine = Engine(process, store, clock=clock)
    incident = engine.open("major-incident", severity="SEV1", actor=OPENER)
    clock.at += timedelta(minutes=6)
    store.down = True
    failures = []

    def stop() -> bool:
        failures.append(sum("round failed" in r.message for r in caplog.records))
        if failures[-1] >= 3:
            store.down = False  # the database is back
        return "ack_deadline" not in engine.get(incident.id).timers

    with caplog.at_level(logging.WARNING, logger="incidentflow.engine"):
        Worker(engine, poll=0.01).run(stop)
    assert failures[-1] >= 3
    assert engine.get(incident.id).state == "triage"


def test_a_worker_gives_up_on_a_store_down_too_long(process: Any, quick_backoff: None) -> None:
    store = FlakyStore()
    engine = Engine(process, store)
    store.down = True
    with pytest.raises(StoreError):
        Worker(engine, give_up_after=0.05).run(lambda: False)


@pytest.mark.parametrize(
    ("option", "value"),
    [("lease", 0), ("lease", -1), ("poll", float("nan")), ("poll", "5"), ("worker_id", " w ")],
)
def test_bad_worker_options_are_refused(process: Any, option: str, value: object) -> None:
    with pytest.raises(InvalidArgument, match=option):
        Worker(Engine(process), **{option: value})  # type: ignore[arg-type]


# --- the command's errors (a running worker is in test_workers_processes.py) -------------


@pytest.fixture
def chdir_tmp(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ("nomodule_xyz:H", "cannot import nomodule_xyz"),
        ("no_colon", "expected MODULE:OBJECT"),
        ("handlers_mod:MISSING", "has no MISSING"),
        ("handlers_mod:NOT_A_MAPPING", "expected a mapping"),
    ],
)
def test_worker_command_reports_bad_actions(
    cli: Any, chdir_tmp: Any, actions: str, message: str
) -> None:
    (chdir_tmp / "handlers_mod.py").write_text("NOT_A_MAPPING = 3\n")
    result = cli("worker", "--store", str(chdir_tmp / "a.db"), str(SPEC), "--actions", actions)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


def test_worker_command_reports_spec_errors_and_bad_stores(cli: Any, tmp_path: Any) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: incidentflow/v1\nkind: Process\n")
    result = cli("worker", "--store", str(tmp_path / "a.db"), str(bad))
    assert result.code == 1
    assert "bad.yaml" in result.err
    result = cli("worker", "--store", "mysql://db/x", str(SPEC))
    assert result.code == 2
    assert "mysql://db/x" in result.err
    result = cli("worker", "--store", str(tmp_path / "a.db"), str(SPEC), "--lease", "0")
    assert result.code == 2
    assert "lease" in result.err


class DeafStore(NotifyingMemoryStore):
    """A notifying store whose listener is down: every wait fails."""

    def wait_for_change(self, timeout: float) -> bool:
        raise StoreError("wait for a change", None, OSError("connection refused"))


def test_a_listener_that_fails_never_stops_the_worker(
    process: Any, caplog: pytest.LogCaptureFixture
) -> None:
    engine = Engine(process, DeafStore())
    rounds: list[int] = []

    class Counting(Worker):
        def run_once(self) -> Any:
            rounds.append(1)
            return super().run_once()

    with caplog.at_level(logging.WARNING, logger="incidentflow.engine"):
        Counting(engine, poll=0.01).run(lambda: len(rounds) >= 3)
    assert len(rounds) == 3  # it slept by the clock instead, and went on
    assert any("cannot wait for changes" in r.message for r in caplog.records)
