"""Workers as real OS processes sharing one database.

- four processes, each an engine with a worker thread, race random calls against
  each other's timers over 200 incidents: no update is lost, every timer's effect is
  in the log exactly once per visit of its state, every action was started by one
  worker at a time and delivered, every chain verifies;
- ``incidentflow worker`` killed with SIGKILL in the middle of a handler: its lease is
  renewed while it hangs, and once it is dead another worker takes the action over
  after the lease and completes it once, with the same idempotency key;
- two workers whose own clocks are 10 minutes apart fire a timer once, at the
  database's time.

The children are ``tests/helpers/worker_child.py`` and ``python -m incidentflow
worker`` with ``tests/helpers/worker_actions.py``; every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from incidentflow import Engine, SQLiteStore, load
from tests.conftest import EXAMPLES, ROOT
from tests.helpers.worker_child import T0

SPEC = EXAMPLES / "major-incident.yaml"
CHILD = [sys.executable, "-m", "tests.helpers.worker_child"]
WORKER_CLI = [sys.executable, "-m", "incidentflow", "worker"]
TIMEOUT = 60.0  # seconds any one phase may take before the test fails
OPENER = "svc"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX processes and SIGKILL"),
]


@pytest.fixture(scope="module")
def process() -> Any:
    return load(SPEC)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def finish(procs: Sequence[subprocess.Popen[str]]) -> list[str]:
    """Each child's stdout, once it has exited 0 (killed if it takes too long)."""
    outputs = []
    deadline = time.monotonic() + TIMEOUT
    try:
        for p in procs:
            out, err = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
            assert p.returncode == 0, f"child failed ({p.returncode}):\n{err}"
            outputs.append(out)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            # communicate() also closes the pipes: a timed-out child must not leak them into
            # whichever later test happens to collect the garbage
            p.communicate()
    return outputs


def spawn(argv: Sequence[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        list(argv),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def visits(events: Sequence[Any]) -> Counter[tuple[str, int, int]]:
    """How often each timer fired in each visit of its state: (timer, seq of the entry,
    instant of its schedule: 1 for a timer that fires once, ``count`` for a recurring one)."""
    fired: Counter[tuple[str, int, int]] = Counter()
    entered = 0
    for event in events:
        if event.kind in ("opened", "transitioned"):
            entered = event.seq
        elif event.kind == "timer_fired":
            fired[(event.data["timer"], entered, event.data.get("count", 1))] += 1
    return fired


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    """The URL of a fresh, migrated schema on the test server (dropped afterwards)."""
    from tests.helpers.postgres import database_url, fresh_schema

    with fresh_schema() as schema:
        url = database_url()
        yield f"{url}{'&' if '?' in url else '?'}schema={schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where the processes meet: an SQLite file, or a PostgreSQL schema (by URL)."""
    if request.param == "sqlite":
        db = tmp_path / "audit.db"
        SQLiteStore(db).close()  # the schema, before four processes race to create it
        yield str(db)
    else:
        with postgres_url() as url:
            yield url


def open_shared(where: str) -> Any:
    from incidentflow.audit.urls import open_store

    return open_store(where)


# --- 1. four processes, 200 incidents, random calls racing the workers ------------------

PROCESSES = 4
INCIDENTS_EACH = 50


def test_four_processes_with_workers_lose_nothing_and_fire_each_timer_once(
    process: Any, tmp_path: Path, shared: str
) -> None:
    go = tmp_path / "go"
    readies = [tmp_path / f"ready.{i}" for i in range(PROCESSES)]
    procs = [
        spawn([*CHILD, "race", shared, str(i), str(INCIDENTS_EACH), str(i), str(r), str(go)])
        for i, r in enumerate(readies)
    ]
    try:
        wait_until(lambda: all(r.exists() for r in readies), "the children to load")
    except BaseException:
        for p in procs:
            p.kill()
            p.communicate()
        raise
    go.write_text(str(time.time() + 0.3))
    reports = [json.loads(out) for out in finish(procs)]

    store = open_shared(shared)
    engine = Engine(process, store)
    report = engine.verify()
    assert report.ok, report.problems
    assert report.checked == PROCESSES * INCIDENTS_EACH
    final = min(datetime.fromisoformat(r["final"]) for r in reports)
    logs = {iid: engine.history(iid) for iid in store.incident_ids()}

    # no lost update: every call that returned is in the log, at the version it returned
    for r in reports:
        for iid, text, version in r["notes"]:
            event = logs[iid][version - 1]
            assert (event.kind, event.data["text"]) == ("noted", text)
        for iid, person, version in r["assigns"]:
            event = logs[iid][version - 1]
            assert (event.kind, event.data["person"]) == ("assigned", person)
    texts = Counter(e.data["text"] for log in logs.values() for e in log if e.kind == "noted")
    assert sum(len(r["notes"]) for r in reports) == len(texts)
    assert set(texts.values()) == {1}
    # the race was real: every process made calls, and acknowledgements raced the timers
    assert all(r["calls"] > 0 for r in reports)

    fired_total = 0
    for iid, log in logs.items():
        # every timer's effect exactly once per visit of its state ...
        counts = visits(log)
        assert set(counts.values()) <= {1}, (iid, counts)
        fired_total += len(counts)
        for i, event in enumerate(log):
            if event.kind == "timer_fired" and event.data["timer"] == "ack_deadline":
                after = log[i + 1]  # ... with its transition in the same append
                assert (after.kind, after.actor, after.data["transition"]) == (
                    "transitioned",
                    "timer",
                    "escalate",
                )
        # ... and no timer due by the last round was left unfired
        state = engine.get(iid)
        assert all(due > final for due in state.timers.values()), (iid, state.timers)
        acknowledged = [e for e in log if e.kind == "transitioned" and e.data["to"] == "triage"]
        assert len(acknowledged) == 1  # by a person or by the timer, never both
    assert fired_total >= PROCESSES * INCIDENTS_EACH  # at least exec_heads_up everywhere

    # every action: started by one worker at a time, delivered once per start, succeeded
    delivered = Counter((key, attempt) for r in reports for key, attempt in r["deliveries"])
    for iid, log in logs.items():
        state = engine.get(iid)
        started = Counter(e.data["action_id"] for e in log if e.kind == "action_started")
        for action in state.actions:
            assert action.status == "succeeded", (iid, action)
            assert started[action.id] == action.attempts
            for attempt in range(1, action.attempts + 1):
                assert delivered[(action.idempotency_key, attempt)] == 1
    assert sum(delivered.values()) == sum(
        1 for log in logs.values() for e in log if e.kind == "action_started"
    )
    store.close()


# --- 2. SIGKILL in the middle of an action -----------------------------------------------

LEASE = 6.0  # seconds; a heartbeat every 3 s: slack for a loaded machine


def test_a_worker_killed_mid_action_is_taken_over_after_its_lease(
    process: Any, tmp_path: Path
) -> None:
    db = tmp_path / "audit.db"
    deliveries = tmp_path / "deliveries"
    deliveries.touch()
    past = datetime.now(UTC) - timedelta(minutes=10)  # its ack timer is long due
    with_store = SQLiteStore(db)
    opener = Engine(process, with_store, clock=lambda: past, handlers=_noop(process))
    incident = opener.open("major-incident", severity="SEV1", actor=OPENER).id
    with_store.close()

    def worker(name: str, hang: str = "") -> subprocess.Popen[str]:
        argv = [*WORKER_CLI, "--store", str(db), str(SPEC), "--lease", str(LEASE)]
        argv += [
            "--poll",
            "0.2",
            "--id",
            name,
            "--actions",
            "tests.helpers.worker_actions:handlers",
        ]
        env = {"INCIDENTFLOW_TEST_DELIVERIES": str(deliveries), "INCIDENTFLOW_TEST_HANG": hang}
        return spawn(argv, env)

    def lines() -> list[list[str]]:
        return [line.split() for line in deliveries.read_text().splitlines()]

    def events_of(action_id: str, kind: str) -> list[Any]:
        store = SQLiteStore(db)
        try:
            events = store.events(incident)
        finally:
            store.close()
        return [e for e in events if e.kind == kind and e.data.get("action_id") == action_id]

    first = worker("A", hang="deputy")
    second = None
    try:
        wait_until(lambda: any(line[4] == "deputy" for line in lines()), "A to page the deputy")
        (hung,) = [line for line in lines() if line[4] == "deputy"]
        action_id = hung_id(db, incident, hung[1])
        second = worker("B")
        # A hangs but lives: its heartbeats hold the lease, and B does not start the page
        wait_until(
            lambda: len(events_of(action_id, "action_heartbeat")) >= 3, "three heartbeats of A"
        )
        assert [line for line in lines() if line[4] == "deputy"] == [hung]
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(timeout=TIMEOUT) == -signal.SIGKILL
        wait_until(
            lambda: len([line for line in lines() if line[4] == "deputy"]) == 2,
            "B to take the page over",
        )
        wait_until(lambda: bool(events_of(action_id, "action_succeeded")), "the page to succeed")
        second.send_signal(signal.SIGTERM)  # a graceful stop
        (out,) = finish([second])
        assert "B: stopped" in out
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
            if p is not None:
                for stream in (p.stdout, p.stderr):
                    if stream is not None:
                        stream.close()

    starts = events_of(action_id, "action_started")
    assert [(e.data["attempt"], e.data["holder"]) for e in starts] == [(1, "A"), (2, "B")]
    beats = events_of(action_id, "action_heartbeat")
    assert {e.data["attempt"] for e in beats} == {1}  # B's attempt was quick: none
    last_lease = max(datetime.fromisoformat(e.data["lease_until"]) for e in [starts[0], *beats])
    assert starts[1].at >= last_lease  # taken over only once the lease had run out
    assert len(events_of(action_id, "action_succeeded")) == 1  # completed once
    deputy = [line for line in lines() if line[4] == "deputy"]
    assert [(line[1], line[2]) for line in deputy] == [(hung[1], "1"), (hung[1], "2")]
    assert deputy[0][0] != deputy[1][0]  # two processes, one idempotency key
    check = SQLiteStore(db)
    assert Engine(process, check).verify().ok
    check.close()


def hung_id(db: Path, incident: str, key: str) -> str:
    store = SQLiteStore(db)
    try:
        engine = Engine(load(SPEC), store)
        return next(a.id for a in engine.get(incident).actions if a.idempotency_key == key)
    finally:
        store.close()


def _noop(process: Any) -> dict[str, Callable[[Any], None]]:
    return dict.fromkeys(process.spec.actions, lambda request: None)


# --- 3. clock skew -----------------------------------------------------------------------

SKEW = 300.0  # seconds each way: the two workers' clocks are 10 minutes apart
ROUNDS = 20


def test_workers_with_skewed_clocks_fire_a_timer_once_at_the_databases_time(
    process: Any, tmp_path: Path
) -> None:
    db = tmp_path / "audit.db"
    timefile = tmp_path / "database-time"
    store = SQLiteStore(db)
    incident = Engine(process, store, clock=lambda: T0, handlers=_noop(process)).open(
        "major-incident", severity="SEV1", actor=OPENER
    )
    store.close()
    due = incident.timers["ack_deadline"]
    assert due == T0 + timedelta(minutes=5)

    def both_workers(database_time: datetime) -> list[list[Any]]:
        timefile.write_text(database_time.isoformat())
        procs = [
            spawn([*CHILD, "skew", str(db), str(timefile), str(offset), str(ROUNDS)])
            for offset in (SKEW, -SKEW)
        ]
        return [fired for out in finish(procs) for fired in json.loads(out)["fired"]]

    # a minute before it is due at the database: the fast clock says it is 4 minutes late
    assert both_workers(due - timedelta(minutes=1)) == []
    # a minute after: it fires once, at the database's time (not either worker's)
    fired = both_workers(due + timedelta(minutes=1))
    assert len(fired) == 1
    assert datetime.fromisoformat(fired[0][2]) == due + timedelta(minutes=1)
    store = SQLiteStore(db)
    engine = Engine(process, store)
    assert sum(visits(engine.history(incident.id)).values()) == 1
    assert engine.verify().ok
    store.close()


@pytest.mark.postgres
def test_workers_with_skewed_clocks_fire_once_at_postgresqls_time(process: Any) -> None:
    with postgres_url() as url:
        _skew_on_postgres(process, url)


def _skew_on_postgres(process: Any, url: str) -> None:
    """Two incidents: one due a minute ago by the server's clock, one due in four
    minutes. The worker 5 minutes fast would fire the second; the one 5 minutes slow
    would not fire the first. Both must fire the first once, at the server's time."""
    store = open_shared(url)
    before = store.now()
    late = Engine(process, store, clock=lambda: before - timedelta(minutes=6))
    early = Engine(process, store, clock=lambda: before - timedelta(minutes=1))
    due = late.open("major-incident", severity="SEV1", actor=OPENER)
    not_yet = early.open("major-incident", severity="SEV1", actor=OPENER)
    procs = [spawn([*CHILD, "skewpg", url, str(offset), str(ROUNDS)]) for offset in (SKEW, -SKEW)]
    fired = [f for out in finish(procs) for f in json.loads(out)["fired"]]
    after = store.now()
    assert [f[0] for f in fired] == [due.id]
    assert before <= datetime.fromisoformat(fired[0][2]) <= after  # the server's time
    engine = Engine(process, store)
    assert sum(visits(engine.history(due.id)).values()) == 1
    assert sum(visits(engine.history(not_yet.id)).values()) == 0
    assert engine.verify().ok
    store.close()
