"""PostgresStore on a real PostgreSQL server: the store's promises, concurrency, faults.

Every test works in a schema of its own (tests/helpers/postgres.py). Run them with
``bash .ci/with-postgres env PYTHONPATH=$PWD/src python -m pytest tests/audit/test_postgres_store.py``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from incidentflow import (
    ConcurrencyError,
    Engine,
    PostgresStore,
    StoreError,
    StoreSchemaError,
    load,
)
from incidentflow.audit.events import GENESIS, seal
from incidentflow.audit.postgres import SCHEMA_VERSION
from incidentflow.audit.sqlite import COLUMNS, event_row
from incidentflow.audit.store import Append
from incidentflow.audit.verify import verify_store
from tests.conftest import EXAMPLES, ROOT
from tests.helpers.postgres import (
    can_restart_server,
    database_url,
    fresh_schema,
    raw,
    restart_server,
)

pytestmark = pytest.mark.postgres

SPEC = EXAMPLES / "major-incident.yaml"
SPEC_ID = ("major-incident", "1", "0" * 64)
T0 = "2024-05-01T12:00:00+00:00"
TIMEOUT = 60.0


@pytest.fixture(scope="module")
def process() -> Any:
    return load(SPEC)


@pytest.fixture
def schema() -> Iterator[str]:
    with fresh_schema() as name:
        yield name


@contextlib.contextmanager
def store_in(schema: str, **options: Any) -> Iterator[PostgresStore]:
    store = PostgresStore(database_url(), schema=schema, **options)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def store(schema: str) -> Iterator[PostgresStore]:
    with store_in(schema) as opened:
        yield opened


def chain(iid: str, count: int, *, start: int = 1, prev: str = GENESIS, tag: str = "") -> list:
    """``count`` sealed events of ``iid`` from seq ``start``, chained on ``prev``."""
    events = []
    for seq in range(start, start + count):
        kind = "opened" if seq == 1 else "noted"
        data = {"process": "major-incident"} if seq == 1 else {"text": f"{tag}{seq} é ✓"}
        event = seal(iid, seq, T0, "svc", kind, data, SPEC_ID, prev)
        events.append(event)
        prev = event.hash
    return events


def count_rows(schema: str, table: str = "events") -> int:
    with raw() as conn:
        return int(conn.execute(f'SELECT count(*) FROM "{schema}".{table}').fetchone()[0])


# --- the schema: explicit, versioned ------------------------------------------------------


def test_a_database_without_the_schema_is_refused_and_nothing_is_created() -> None:
    with fresh_schema(migrate=False) as name, store_in(name) as store:
        with pytest.raises(StoreSchemaError, match="incidentflow store init") as caught:
            store.append("INC-1", 0, chain("INC-1", 1))
        assert caught.value.found is None
        with pytest.raises(StoreSchemaError):
            store.events("INC-1")
        with raw() as conn:
            found = conn.execute(
                "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (name,)
            ).fetchone()[0]
        assert found == 0  # reads and writes never create the schema
        assert store.schema_version() is None
        assert store.migrate() == SCHEMA_VERSION
        assert store.migrate() == SCHEMA_VERSION  # idempotent
        store.append("INC-1", 0, chain("INC-1", 1))
        assert [e.seq for e in store.events("INC-1")] == [1]


def test_a_newer_schema_is_refused_with_upgrade_advice(schema: str) -> None:
    with raw() as conn:
        conn.execute(f'INSERT INTO "{schema}".incidentflow_schema (version) VALUES (%s)', (99,))
    with store_in(schema) as store:
        with pytest.raises(StoreSchemaError, match="upgrade incidentflow") as caught:
            store.incident_ids()
        assert caught.value.found == 99
        with pytest.raises(StoreSchemaError):
            store.migrate()


# --- the store contract -----------------------------------------------------------------


def test_events_round_trip_exactly_and_verify(store: PostgresStore, process: Any) -> None:
    engine = Engine(process, store)
    incident = engine.open("major-incident", severity="SEV2", title="Ünïcode ✓ title", actor="svc")
    engine.note(incident.id, "a note with 'quotes' and \\ backslash", actor="svc")
    written = engine.history(incident.id)
    again = PostgresStore(database_url(), schema=store.schema)
    try:
        read = again.events(incident.id)
        assert read == written
        assert [e.data_json for e in read] == [e.data_json for e in written]
        assert again.events(incident.id, after=1) == written[1:]
        assert list(again.all_events()) == written
        assert again.incident_ids() == [incident.id]
        assert again.opened_since(0) == ([incident.id], 1)
        assert again.opened_since(1) == ([], 1)
        assert again.incident_index() == ([(1, incident.id)], 1)
        assert verify_store(again).ok
    finally:
        again.close()


def test_a_stale_or_early_append_writes_nothing(store: PostgresStore) -> None:
    first = chain("INC-1", 3)
    store.append("INC-1", 0, first[:2])
    with pytest.raises(ConcurrencyError) as stale:
        store.append("INC-1", 1, chain("INC-1", 1, start=2, prev=first[0].hash, tag="x"))
    assert (stale.value.expected, stale.value.actual) == (1, 2)
    with pytest.raises(ConcurrencyError) as early:  # a gap would follow: refused too
        store.append("INC-1", 5, chain("INC-1", 1, start=6, prev=first[1].hash))
    assert (early.value.expected, early.value.actual) == (5, 2)
    with pytest.raises(ConcurrencyError) as reopened:
        store.append("INC-1", 0, chain("INC-1", 1, tag="again"))
    assert (reopened.value.expected, reopened.value.actual) == (0, 2)
    assert store.events("INC-1") == first[:2]
    assert store.incident_index() == ([(1, "INC-1")], 1)  # no position was used up
    store.append("INC-1", 2, first[2:])
    assert store.events("INC-1") == first


def test_concurrent_appenders_to_one_incident_lose_nothing(schema: str, process: Any) -> None:
    with store_in(schema) as store:
        opened = Engine(process, store).open("major-incident", severity="SEV2", actor="svc")
    failures: list[BaseException] = []

    def writer(tag: str) -> None:
        with store_in(schema, max_connections=1) as own:
            engine = Engine(process, own)
            try:
                for i in range(15):
                    while True:
                        try:
                            engine.note(opened.id, f"{tag}-{i}", actor="svc")
                            break
                        except ConcurrencyError:
                            continue
            except BaseException as exc:
                failures.append(exc)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not failures
    with store_in(schema) as store:
        notes = [e.data["text"] for e in store.events(opened.id) if e.kind == "noted"]
        assert sorted(notes) == sorted(f"w{n}-{i}" for n in range(4) for i in range(15))
        assert verify_store(store).ok


def test_opened_since_never_passes_over_an_incident_that_commits_late(schema: str) -> None:
    """Openers in 4 threads while a reader follows opened_since(): it sees each id once,
    and positions stay dense (1..N) however the commits interleave."""
    per_writer, writers = 30, 4
    done = threading.Event()
    seen: list[str] = []
    failures: list[BaseException] = []

    def opener(n: int) -> None:
        with store_in(schema, max_connections=1) as own:
            try:
                for i in range(per_writer):
                    iid = f"INC-{n}-{i}"
                    own.append(iid, 0, chain(iid, 2))
            except BaseException as exc:
                failures.append(exc)

    def reader() -> None:
        with store_in(schema, max_connections=1) as own:
            position = 0
            while True:
                finished = done.is_set()
                new, position = own.opened_since(position)
                for iid in new:
                    assert own.events(iid), f"{iid} listed before its events were readable"
                seen.extend(new)
                if finished:
                    return

    follow = threading.Thread(target=reader)
    follow.start()
    threads = [threading.Thread(target=opener, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    done.set()
    follow.join(TIMEOUT)
    assert not failures
    expected = {f"INC-{n}-{i}" for n in range(writers) for i in range(per_writer)}
    assert sorted(seen) == sorted(expected)  # each once: none passed over, none twice
    with store_in(schema) as store:
        rows, high = store.incident_index()
    assert [p for p, _ in rows] == list(range(1, len(expected) + 1))
    assert high == len(expected)
    assert [iid for _, iid in rows] == seen  # the reader saw them in position order


def _opening(iid: str, timer_due: datetime) -> list:
    data = {"process": "major-incident", "timers": {"ack": timer_due.isoformat()}}
    return [seal(iid, 1, T0, "svc", "opened", data, SPEC_ID, GENESIS)]


def test_a_commit_that_plans_a_timer_due_soon_notifies_listeners(schema: str) -> None:
    with store_in(schema) as listener, store_in(schema) as writer:
        listener.wait_for_change(0)  # starts listening (True: it may have missed changes)
        assert listener.wait_for_change(0.05) is False  # nothing happened
        soon = writer.now() + timedelta(seconds=1)
        writer.append("INC-1", 0, _opening("INC-1", soon))
        assert listener.wait_for_change(10) is True
        with pytest.raises(ConcurrencyError):  # a refused append commits nothing: no notice
            writer.append("INC-1", 0, _opening("INC-1", soon))
        assert listener.wait_for_change(0.05) is False
        # Nothing due soon: a polling worker sees it in time, and NOTIFY (a database-wide
        # lock at COMMIT) is spared.
        writer.append("INC-2", 0, chain("INC-2", 2))
        writer.append("INC-3", 0, _opening("INC-3", writer.now() + timedelta(minutes=5)))
        assert listener.wait_for_change(0.2) is False
        assert (
            writer.append_many([Append("INC-4", 0, _opening("INC-4", writer.now()), "look")]) == []
        )
        assert listener.wait_for_change(10) is True


def test_now_is_the_database_clock_in_utc(store: PostgresStore) -> None:
    first = store.now()
    with raw() as conn:
        between = conn.execute("SELECT statement_timestamp()").fetchone()[0]
    second = store.now()
    assert first.tzinfo == UTC
    assert second.tzinfo == UTC
    assert first <= between <= second


# --- faults -----------------------------------------------------------------------------


def test_a_connection_killed_mid_append_leaves_nothing_and_the_next_call_works(
    store: PostgresStore, schema: str
) -> None:
    # A trigger that ends its own session inside the append's transaction, after the
    # first rows were inserted: the write dies half done.
    with raw() as conn:
        conn.execute(
            f'CREATE FUNCTION "{schema}".die() RETURNS trigger LANGUAGE plpgsql AS $$ '
            "BEGIN IF NEW.data LIKE '%die%' THEN PERFORM pg_terminate_backend(pg_backend_pid()); "
            "END IF; RETURN NEW; END $$"
        )
        conn.execute(
            f'CREATE TRIGGER die AFTER INSERT ON "{schema}".events FOR EACH ROW '
            f'EXECUTE FUNCTION "{schema}".die()'
        )
    ok = chain("INC-1", 3)
    store.append("INC-1", 0, ok[:1])
    doomed = chain("INC-1", 2, start=2, prev=ok[0].hash, tag="die ")
    with pytest.raises(StoreError, match="append"):
        store.append("INC-1", 1, doomed)
    assert store.events("INC-1") == ok[:1]  # nothing of the doomed batch is visible
    store.append("INC-1", 1, ok[1:])  # the pool replaced the dead connection
    assert store.events("INC-1") == ok


def test_connections_terminated_between_calls_are_replaced(store: PostgresStore) -> None:
    events = chain("INC-1", 2)
    store.append("INC-1", 0, events[:1])
    with raw() as conn:
        ended = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        ).fetchone()[0]
    assert ended >= 1
    store.append("INC-1", 1, events[1:])
    assert store.events("INC-1") == events


class LostReply:
    """A store whose first append of a note commits and then reports the connection lost,
    as when the server goes away during COMMIT: the writer cannot know the outcome."""

    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        self.lost = 0

    def append(self, incident_id: str, expected_version: int, events: Any) -> None:
        self._store.append(incident_id, expected_version, events)
        if self.lost == 0 and any(e.kind == "noted" for e in events):
            self.lost += 1
            raise StoreError("append", incident_id, ConnectionError("server closed the connection"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_retrying_after_an_unknown_commit_outcome_duplicates_nothing(
    store: PostgresStore, process: Any
) -> None:
    lossy = LostReply(store)
    engine = Engine(process, lossy)
    incident = engine.open("major-incident", severity="SEV2", actor="svc")
    version = engine.get(incident.id).version
    with pytest.raises(StoreError):
        engine.note(incident.id, "once", actor="svc", expected_version=version)
    assert lossy.lost == 1
    # The host retries the same request: the engine re-reads the incident first.
    with pytest.raises(ConcurrencyError) as caught:
        engine.note(incident.id, "once", actor="svc", expected_version=version)
    assert caught.value.actual == version + 1  # the first attempt had landed
    notes = [e for e in store.events(incident.id) if e.kind == "noted"]
    assert [e.data["text"] for e in notes] == ["once"]
    assert verify_store(store).ok


def _spawn(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.pg_worker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_a_writer_killed_mid_batch_loses_nothing_committed_and_shows_nothing_half_written(
    schema: str,
) -> None:
    size = 400  # events per append: the kill lands inside a batch most of the time
    kills = []
    for _ in range(3):
        writer = _spawn("batches", database_url(), schema, str(size))
        assert writer.stdout is not None
        committed = [writer.stdout.readline().split()[0] for _ in range(3)]
        time.sleep(0.01)
        writer.send_signal(signal.SIGKILL)
        rest, err = writer.communicate(timeout=TIMEOUT)
        assert writer.returncode == -signal.SIGKILL, err
        kills.append(committed + [line.split()[0] for line in rest.splitlines()])
    with store_in(schema) as store:
        ids = store.incident_ids()
        for committed in kills:
            assert set(committed) <= set(ids)  # every reported commit is there
        for iid in ids:
            assert len(store.events(iid)) == size  # all of a batch, or none of it
        assert count_rows(schema) == size * len(ids)
        report = verify_store(store)
        assert report.ok, report.problems


@pytest.mark.slow
def test_clients_survive_a_server_restart_without_loss_or_duplicates(
    schema: str, process: Any
) -> None:
    if not can_restart_server():
        pytest.skip("restarts the server: run under `bash .ci/with-postgres ...`")
    with store_in(schema) as store:
        incident = Engine(process, store).open("major-incident", severity="SEV2", actor="svc")
    count = 60
    writer = _spawn("notes", database_url(), schema, incident.id, str(count))
    assert writer.stdout is not None
    for _ in range(10):
        assert writer.stdout.readline().startswith("committed")
    restart_server()
    out, err = writer.communicate(timeout=TIMEOUT)
    assert writer.returncode == 0, err
    assert out.splitlines()[-1].startswith("done")
    with store_in(schema) as store:
        notes = [e.data["text"] for e in store.events(incident.id) if e.kind == "noted"]
        assert notes == [f"note-{i}" for i in range(count)]  # each once, in order
        assert verify_store(store).ok


# --- the append's one round trip: the version check in the due row's lock ---------------


def test_an_early_append_to_an_unknown_incident_leaves_no_due_row(store: PostgresStore) -> None:
    # The version check is the due row's upsert: refused, it must not leave that row.
    with pytest.raises(ConcurrencyError) as early:
        store.append("INC-9", 3, chain("INC-9", 1, start=4))
    assert (early.value.expected, early.value.actual) == (3, 0)
    assert count_rows(store.schema, "due") == 0
    assert store.incident_ids() == []


@pytest.mark.parametrize("version", [0, 1])
def test_of_two_appends_racing_at_one_version_exactly_one_wins(schema: str, version: int) -> None:
    first = chain("INC-1", 1)
    if version:
        with store_in(schema) as store:
            store.append("INC-1", 0, first)
    outcomes: list[str] = []
    ready = threading.Barrier(3)

    def writer(tag: str) -> None:
        prev = first[0].hash if version else GENESIS
        events = chain("INC-1", 1, start=version + 1, prev=prev, tag=tag)
        with store_in(schema, max_connections=1) as own:
            ready.wait(TIMEOUT)
            try:
                own.append("INC-1", version, events)
                outcomes.append(f"won {events[0].hash}")
            except ConcurrencyError as refused:
                outcomes.append(f"refused at {refused.actual}")

    threads = [threading.Thread(target=writer, args=(tag,)) for tag in ("a", "b")]
    # An append in progress (an opening, for version 0): both writers queue behind it.
    table = "due" if version else "incident_counter"
    with raw() as holder, holder.transaction():
        holder.execute(f'SELECT * FROM "{schema}".{table} FOR UPDATE')
        for t in threads:
            t.start()
        ready.wait(TIMEOUT)
        time.sleep(0.2)  # both reach the lock (if one is late it fails all the same)
    for t in threads:
        t.join(TIMEOUT)
    assert sorted(o.split()[0] for o in outcomes) == ["refused", "won"]
    assert f"refused at {version + 1}" in outcomes
    winner = next(o.split()[1] for o in outcomes if o.startswith("won"))
    with store_in(schema) as store:
        assert [e.hash for e in store.events("INC-1")][version:] == [winner]
        # the loser's statements before its failing one were rolled back with it
        assert store.incident_index() == ([(1, "INC-1")], 1)
        assert count_rows(schema, "due") == 1
        assert verify_store(store).ok


def test_an_append_whose_reply_was_lost_is_retried_and_recognised(
    store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    events = chain("INC-1", 2)
    store.append("INC-1", 0, events[:1])
    real = store._append_once
    lost = []

    def commits_then_loses_the_reply(batch: Any) -> None:
        real(batch)
        if not lost:
            lost.append(batch)
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(store, "_append_once", commits_then_loses_the_reply)
    store.append("INC-1", 1, events[1:])  # tried again: finds its own events, done
    assert lost
    assert store.events("INC-1") == events
    with pytest.raises(ConcurrencyError):  # someone else's events at those positions
        store.append("INC-1", 1, chain("INC-1", 1, start=2, prev=events[0].hash, tag="other"))


class _Free(Exception):
    """Raised to roll back a probe that found a position free."""


def _position_is_free(schema: str, event: Any) -> bool:
    """Whether ``event``'s row could be inserted now (without waiting for another
    transaction's row at that position); nothing is kept."""
    import psycopg

    insert = f'INSERT INTO "{schema}".events ({COLUMNS}) VALUES ({", ".join(["%s"] * 11)})'
    try:
        with raw() as probe, probe.transaction():
            probe.execute("SET LOCAL lock_timeout = '2s'")
            probe.execute(insert, event_row(event))
            raise _Free  # roll it back
    except _Free:
        return True
    except psycopg.errors.LockNotAvailable:
        return False


def _wait_until_a_backend_waits_for_a_lock(schema: str) -> None:
    """Return once another session of the test database waits for a row lock."""
    deadline = time.monotonic() + TIMEOUT
    with raw() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE %s",
                (f'%"{schema}".due%',),
            ).fetchone()[0]
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError("no append ever waited for the claimed incident")


def test_an_append_waiting_for_a_claimed_incident_holds_nothing_the_worker_needs(
    schema: str,
) -> None:
    # A worker's claim locks the due row and then writes the incident's next event. An
    # append to that incident must wait at the due row *before* inserting its events:
    # had it inserted first, the worker would wait for its event row (the primary key)
    # while it waits for the worker's due row, and PostgreSQL would break the deadlock
    # by failing one of them (the worker's whole claim, perhaps).
    first = chain("INC-1", 1)
    ours = chain("INC-1", 1, start=2, prev=first[0].hash, tag="ours")
    workers = chain("INC-1", 1, start=2, prev=first[0].hash, tag="worker")
    outcomes: list[str] = []

    def appender() -> None:
        with store_in(schema, max_connections=1) as own:
            try:
                own.append("INC-1", 1, ours)
                outcomes.append("won")
            except ConcurrencyError as refused:
                outcomes.append(f"refused at {refused.actual}")
            except StoreError as failed:
                outcomes.append(f"failed: {failed}")

    with store_in(schema) as store:
        store.append("INC-1", 0, first)
        thread = threading.Thread(target=appender)
        with store.claim_due(["major-incident"], 10) as claim:
            assert claim.incident_ids == ["INC-1"]
            thread.start()
            _wait_until_a_backend_waits_for_a_lock(schema)
            # Nothing of the waiting append is in the events table. (A deadlock would be
            # broken after a second and the append retried: the outcome would hide it.)
            assert _position_is_free(schema, workers[0])
            assert claim.append_many([Append("INC-1", 1, workers)]) == []
        thread.join(TIMEOUT)
        assert outcomes == ["refused at 2"]
        assert store.events("INC-1") == first + workers
        assert verify_store(store).ok


def test_a_pool_without_prepared_statements_serves_the_store(schema: str) -> None:
    # Behind a pooler in transaction mode (PgBouncer before 1.21) statements cannot stay
    # prepared: a pool of connections with prepare_threshold=None keeps the store working.
    from psycopg_pool import ConnectionPool

    events = chain("INC-1", 3)
    with ConnectionPool(
        database_url(),
        min_size=1,
        max_size=2,
        kwargs={"autocommit": True, "prepare_threshold": None},
        open=True,
    ) as pool:
        with store_in(schema, pool=pool) as store:
            store.append("INC-1", 0, events[:1])
            store.append("INC-1", 1, events[1:])
            with pytest.raises(ConcurrencyError):
                store.append("INC-1", 1, events[1:])
            assert store.events("INC-1") == events
        with pool.connection() as conn:
            prepared = conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0]
    assert prepared == 0


def test_a_batch_that_fails_halfway_leaves_its_connection_usable(
    schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A batch is a pipeline of prepared statements: one that aborts halfway, after the
    # statements were used often enough to be prepared, must leave psycopg's list of
    # prepared statements as the server has it, or every later batch on the connection
    # fails ("prepared statement ... does not exist").
    import incidentflow.audit.postgres as pg

    due = datetime(2030, 1, 1, tzinfo=UTC)

    def opening(n: int) -> Append:
        return Append(f"INC-{n}", 0, chain(f"INC-{n}", 1), due)

    with store_in(schema, max_connections=1) as store:
        for n in range(5):
            assert store.append_many([opening(n)]) == []
        real = pg.insert_events

        def failing_first(cur: Any, q: Any, events: Any) -> None:
            cur.execute("SELECT 1/0", prepare=False)  # the pipeline aborts here
            real(cur, q, events)

        monkeypatch.setattr(pg, "insert_events", failing_first)
        with pytest.raises(StoreError):
            store.append_many([opening(5)])
        monkeypatch.undo()
        for n in range(5, 8):
            assert store.append_many([opening(n)]) == []
        assert store.incident_ids() == [f"INC-{n}" for n in range(8)]
        assert count_rows(schema, "due") == 8
