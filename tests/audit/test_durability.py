"""Durability of the engine on SQLite, with real OS processes.

Several processes share one database file: no update is lost, no timer fires
twice, a process killed with SIGKILL mid-write loses nothing it reported as
committed and leaves the file usable, a stale writer writes nothing, and raw
edits of the file are caught by ``verify`` at the right incident and seq.

The concurrent parts run ``tests/helpers/durability_worker.py`` in subprocesses.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from incidentflow import ConcurrencyError, Engine, Event, SQLiteStore, load
from incidentflow.audit.events import GENESIS, encode_data, seal
from tests.conftest import EXAMPLES, ROOT
from tests.helpers.audit_files import rehash
from tests.helpers.stores import DelegatingStore

SPEC = EXAMPLES / "major-incident.yaml"
OPENER = "svc"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
WORKER = [sys.executable, "-m", "tests.helpers.durability_worker"]
TIMEOUT = 40.0  # seconds any one subprocess phase may take before the test fails

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX processes and SIGKILL"),
]


# --- helpers -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def process() -> Any:
    return load(SPEC)


@contextlib.contextmanager
def engine_on(
    db: Path, process: Any, clock: datetime | None = None, timeout: float = 30.0
) -> Iterator[Engine]:
    store = SQLiteStore(db, timeout=timeout)
    try:
        yield Engine(process, store, clock=(lambda: clock) if clock is not None else None)
    finally:
        store.close()


@contextlib.contextmanager
def raw(db: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection in autocommit mode (the attacker's, or the auditor's)."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=10)
    try:
        yield conn
    finally:
        conn.close()


def row_count(db: Path) -> int:
    with raw(db) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM events").fetchone()
    return int(count)


def run_together(argvs: Sequence[Sequence[str]], tmp_path: Path, name: str) -> list[str]:
    """Start one worker per argv, release them at once, and return each one's stdout.

    Each worker gets two extra arguments, READY and GO: it touches READY once it has
    loaded everything, then spins until GO exists, so the racing part starts together.
    """
    procs = []
    go = tmp_path / f"{name}.go"
    readies = []
    try:
        for i, argv in enumerate(argvs):
            ready = tmp_path / f"{name}.{i}.ready"
            readies.append(ready)
            procs.append(
                subprocess.Popen(
                    [*WORKER, *argv, str(ready), str(go)],
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        deadline = time.monotonic() + TIMEOUT
        while not all(r.exists() for r in readies):
            for p in procs:
                if p.poll() is not None:
                    out, err = p.communicate()
                    pytest.fail(f"worker exited before the start signal: {p.returncode}\n{err}")
            if time.monotonic() > deadline:
                pytest.fail("workers did not get ready in time")
            time.sleep(0.005)
        go.touch()
        outputs = []
        for p in procs:
            out, err = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
            assert p.returncode == 0, f"worker failed ({p.returncode}):\n{err}"
            outputs.append(out)
        return outputs
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            for stream in (p.stdout, p.stderr):
                if stream is not None:
                    stream.close()


def run_worker(*argv: str) -> str:
    done = subprocess.run(
        [*WORKER, *argv], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_contiguous(events: Sequence[Event]) -> None:
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


# --- 1. two processes, one incident: no lost update ---------------------------------------

NOTES_PER_PROCESS = 200
JITTER = 0.002  # max pause between a worker's notes, so that both hold the lock in turn


def test_two_processes_noting_one_incident_lose_no_update(process: Any, tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    with engine_on(db, process) as engine:
        incident = engine.open("major-incident", severity="SEV2", actor=OPENER)
        setup = engine.get(incident.id).version
    n = str(NOTES_PER_PROCESS)
    outputs = run_together(
        [["notes", str(db), incident.id, n, tag, str(JITTER)] for tag in "AB"],
        tmp_path,
        "notes",
    )
    reports = [json.loads(out) for out in outputs]

    with engine_on(db, process) as engine:
        events = engine.history(incident.id)
        report = engine.verify()
    assert report.ok, report.problems
    assert report.checked == 1
    assert_contiguous(events)
    assert len(events) == setup + 2 * NOTES_PER_PROCESS
    noted = [e for e in events if e.kind == "noted"]
    assert len(noted) == 2 * NOTES_PER_PROCESS
    assert all(e.seq > setup for e in noted)
    texts = [e.data["text"] for e in noted]
    assert Counter(texts) == Counter(f"{tag}-{i}" for tag in "AB" for i in range(NOTES_PER_PROCESS))
    for tag, worker in zip("AB", reports, strict=True):
        # each process's notes are in the log in the order it wrote them, at the
        # versions its calls returned
        mine = [e for e in noted if e.data["text"].startswith(f"{tag}-")]
        assert [e.data["text"] for e in mine] == [f"{tag}-{i}" for i in range(NOTES_PER_PROCESS)]
        assert [e.seq for e in mine] == worker["versions"]
    # the two versions lists are disjoint: no two calls claim the same seq
    assert not set(reports[0]["versions"]) & set(reports[1]["versions"])
    # and the processes really did run at the same time (else this test proves nothing)
    a_seqs = set(reports[0]["versions"])
    switches = sum(
        (x in a_seqs) != (y in a_seqs)
        for x, y in itertools.pairwise(sorted(a_seqs | set(reports[1]["versions"])))
    )
    assert switches >= 10, f"the two writers barely interleaved ({switches} switches)"


# --- 2. two processes tick the same timers: each fires once --------------------------------

INCIDENTS = 30


def test_two_processes_ticking_fire_each_timer_once(process: Any, tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    with engine_on(db, process, clock=T0) as engine:
        ids = [
            engine.open("major-incident", severity="SEV1", actor=OPENER).id
            for _ in range(INCIDENTS)
        ]
        assert all(engine.get(i).timers["ack_deadline"] == T0 + timedelta(minutes=5) for i in ids)
    now = (T0 + timedelta(minutes=10)).isoformat()
    outputs = run_together(
        [["tick", str(db), now], ["tick", str(db), now]],
        tmp_path,
        "tick",
    )
    results = [json.loads(out) for out in outputs]
    written = [[tuple(w) for w in r["written"]] for r in results]
    conflicts = [r["conflicts"] for r in results]

    with engine_on(db, process) as engine:
        report = engine.verify()
        assert report.ok, report.problems
        assert report.checked == INCIDENTS
        for iid in ids:
            events = engine.history(iid)
            assert_contiguous(events)
            fired = [
                e for e in events if e.kind == "timer_fired" and e.data["timer"] == "ack_deadline"
            ]
            escalated = [
                e for e in events if e.kind == "transitioned" and e.data["transition"] == "escalate"
            ]
            assert len(fired) == 1, f"{iid}: ack_deadline fired {len(fired)} times"
            assert len(escalated) == 1, f"{iid}: escalated {len(escalated)} times"
            assert escalated[0].seq == fired[0].seq + 1
            assert engine.get(iid).state == "triage"
            # the timer's and the transition's actions were each started once
            started = Counter(e.data["action_id"] for e in events if e.kind == "action_started")
            assert all(count == 1 for count in started.values()), (iid, started)
    # what the two tick() calls returned adds up to exactly one firing per incident
    claimed = Counter((iid, kind) for out in written for iid, _seq, kind in out)
    for iid in ids:
        assert claimed[(iid, "timer_fired")] == 1
        assert claimed[(iid, "transitioned")] == 1
    seqs = [(iid, seq) for out in written for iid, seq, _kind in out]
    assert len(seqs) == len(set(seqs)), "two processes report writing the same event"
    # the race was real: at least one process decided to fire a timer the other had
    # already fired, and the store refused it
    assert sum(conflicts) >= 1, f"no tick ever collided ({conflicts}); the race did not happen"


REMINDED = 10  # incidents in 'stabilising', whose status_update recurs every 30m at SEV1


def test_two_processes_ticking_fire_a_recurring_timer_once_per_instant(
    process: Any, tmp_path: Path
) -> None:
    db = tmp_path / "audit.db"
    with engine_on(db, process, clock=T0) as engine:
        ids = [_stabilising(engine) for _ in range(REMINDED)]
        assert all(engine.get(i).timers["status_update"] == T0 + timedelta(minutes=30) for i in ids)
    # both tick at every 30-minute instant of 24 hours, in step: each instant is raced for
    argv = ["ticks", str(db), T0.isoformat(), "30", "48"]
    outputs = run_together([[*argv, "0"], [*argv, "1"]], tmp_path, "ticks")
    results = [json.loads(out) for out in outputs]

    with engine_on(db, process) as engine:
        report = engine.verify()
        assert report.ok, report.problems
        for iid in ids:
            reminders = [
                e.data
                for e in engine.history(iid)
                if e.kind == "timer_fired" and e.data["timer"] == "status_update"
            ]
            assert [r["count"] for r in reminders] == list(range(1, 49)), iid
            assert {r["skipped"] for r in reminders} == {0}
            assert engine.get(iid).timers["status_update"] == T0 + timedelta(hours=24, minutes=30)
    claimed = Counter(
        iid for r in results for iid, _seq, kind in r["written"] if kind == "timer_fired"
    )
    # 48 reminders and the 4-hour resolve_deadline, each written by one process only
    assert claimed == dict.fromkeys(ids, 49)
    assert sum(r["conflicts"] for r in results) >= 1, "no tick ever collided"


def _stabilising(engine: Engine) -> str:
    """A SEV1 major incident in 'stabilising' since T0."""
    iid = engine.open("major-incident", severity="SEV1", actor=OPENER).id
    for role, person in (("responder", "rita"), ("commander", "carol")):
        engine.assign(iid, role, person, actor=OPENER)
    engine.fire(iid, "acknowledge", actor="rita")
    for item in ("impact_confirmed", "severity_confirmed", "roles_assigned"):
        engine.check(iid, item, actor="carol")
    engine.fire(iid, "start_mitigation", actor="carol")
    return iid


# --- 3. SIGKILL in the middle of a write loop ----------------------------------------------

COMMITS_BEFORE_KILL = 50
KILL_ROUNDS = 3


def _kill_mid_loop(db: Path, tmp_path: Path, incident: str | None) -> tuple[str, list[int]]:
    """Run a writeloop child, SIGKILL it after enough commits; return (id, reported seqs)."""
    argv = [*WORKER, "writeloop", str(db)] + ([incident] if incident else [])
    with (tmp_path / "writeloop.err").open("a") as err:
        child = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True)
    lines: queue.Queue[str | None] = queue.Queue()
    assert child.stdout is not None
    stdout = child.stdout

    def pump() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    reported: list[int] = []
    got_id = incident
    try:
        deadline = time.monotonic() + TIMEOUT
        while len(reported) < COMMITS_BEFORE_KILL:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                pytest.fail(f"writer exited early:\n{(tmp_path / 'writeloop.err').read_text()}")
            if line.startswith("ID "):
                got_id = line.split()[1]
            elif line.endswith("\n"):
                reported.append(int(line))
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=TIMEOUT) == -signal.SIGKILL
        reader.join(timeout=TIMEOUT)
        while True:  # lines the child printed before it died are commits too
            line = lines.get_nowait()
            if line is None:
                break
            if line.endswith("\n") and not line.startswith("ID "):
                reported.append(int(line))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        stdout.close()
    assert got_id is not None
    return got_id, reported


def test_sigkill_mid_write_loses_no_committed_event(process: Any, tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    incident = None
    reported: list[int] = []
    for _ in range(KILL_ROUNDS):
        incident, seqs = _kill_mid_loop(db, tmp_path, incident)
        assert seqs == sorted(seqs)
        assert len(seqs) >= COMMITS_BEFORE_KILL
        reported += seqs
    assert incident is not None

    with raw(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # a short busy timeout: a lock left behind by the killed writer would show up here
    with engine_on(db, process, timeout=2.0) as engine:
        events = engine.history(incident)
        assert_contiguous(events)
        stored = {e.seq for e in events}
        missing = sorted(set(reported) - stored)
        assert not missing, f"committed seqs lost after SIGKILL: {missing}"
        assert all(e.kind == "noted" for e in events if e.seq in set(reported))
        report = engine.verify()
        assert report.ok, report.problems
        after = engine.note(incident, "after the crash", actor=OPENER)
        assert after.version == len(events) + 1
    with engine_on(db, process, timeout=2.0) as engine:
        assert engine.history(incident)[-1].data == {"text": "after the crash"}
        assert engine.verify().ok


# --- 4. tampering with the file is caught at the right incident and seq --------------------


@pytest.fixture
def audit_db(process: Any, tmp_path: Path) -> tuple[Path, str, str]:
    """A database with two incidents; the first (the victim) has notes at seq 6..15."""
    db = tmp_path / "audit.db"
    with engine_on(db, process, clock=T0) as engine:
        victim = engine.open("major-incident", severity="SEV1", actor=OPENER).id
        bystander = engine.open("major-incident", severity="SEV2", actor=OPENER).id
        for i in range(10):
            engine.note(victim, f"note {i}", actor=OPENER)
            engine.note(bystander, f"note {i}", actor=OPENER)
        assert [e.kind for e in engine.history(victim)][5:] == ["noted"] * 10
        assert engine.verify().ok
    return db, victim, bystander


def stored(conn: sqlite3.Connection, incident: str, seq: int) -> dict[str, Any]:
    conn.row_factory = sqlite3.Row
    row = conn.execute(
        "SELECT * FROM events WHERE incident_id = ? AND seq = ?", (incident, seq)
    ).fetchone()
    conn.row_factory = None
    assert row is not None
    return dict(row)


def assert_verify_points_at(
    db: Path, process: Any, incident: str, bystander: str, seq: int, problems: set[str]
) -> None:
    with engine_on(db, process) as engine:
        report = engine.verify()
        assert report.checked == 2
        assert len(report.problems) == 1, report.problems
        (problem,) = report.problems
        assert problem.incident_id == incident
        assert problem.seq == seq, problem
        assert problem.problem in problems, problem
        assert engine.verify(bystander).ok
        assert engine.verify(incident).problems == (problem,)


def test_tamper_modified_data_is_reported_at_that_seq(
    process: Any, audit_db: tuple[Path, str, str]
) -> None:
    db, victim, bystander = audit_db
    with raw(db) as conn:
        conn.execute(
            "UPDATE events SET data = ? WHERE incident_id = ? AND seq = ?",
            (json.dumps({"text": "nothing to see here"}), victim, 9),
        )
    assert_verify_points_at(db, process, victim, bystander, 9, {"modified"})


@pytest.mark.parametrize("column", ["time", "actor", "kind"])
def test_tamper_modified_column_is_reported_at_that_seq(
    process: Any, audit_db: tuple[Path, str, str], column: str
) -> None:
    db, victim, bystander = audit_db
    value = {"time": (T0 - timedelta(hours=1)).isoformat(), "actor": "mallory", "kind": "checked"}[
        column
    ]
    with raw(db) as conn:
        conn.execute(
            f"UPDATE events SET {column} = ? WHERE incident_id = ? AND seq = ?", (value, victim, 7)
        )
    assert_verify_points_at(db, process, victim, bystander, 7, {"modified"})


@pytest.mark.parametrize("seq", [1, 8, 14])
def test_tamper_deleted_event_is_reported_missing(
    process: Any, audit_db: tuple[Path, str, str], seq: int
) -> None:
    db, victim, bystander = audit_db
    with raw(db) as conn:
        conn.execute("DELETE FROM events WHERE incident_id = ? AND seq = ?", (victim, seq))
    assert_verify_points_at(db, process, victim, bystander, seq, {"missing"})


def _insert(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    marks = ", ".join("?" * len(row))
    conn.execute(f"INSERT INTO events ({columns}) VALUES ({marks})", tuple(row.values()))


def _forged_after(conn: sqlite3.Connection, incident: str, last: int) -> dict[str, Any]:
    row = stored(conn, incident, last)
    row.update(seq=last + 1, data=encode_data({"text": "forged"}), actor="mallory")
    return row


def test_tamper_forged_event_with_wrong_prev_hash_is_reported_inserted(
    process: Any, audit_db: tuple[Path, str, str]
) -> None:
    db, victim, bystander = audit_db
    with raw(db) as conn:
        row = _forged_after(conn, victim, 15)
        row["prev_hash"] = "ab" * 32  # not event 15's hash
        row["hash"] = rehash(row)  # but internally consistent
        _insert(conn, row)
    assert_verify_points_at(db, process, victim, bystander, 16, {"inserted"})


def test_tamper_forged_event_with_unmatched_hash_is_reported_modified(
    process: Any, audit_db: tuple[Path, str, str]
) -> None:
    db, victim, bystander = audit_db
    with raw(db) as conn:
        row = _forged_after(conn, victim, 15)
        row["prev_hash"] = stored(conn, victim, 15)["hash"]  # chains on correctly...
        row["hash"] = hashlib.sha256(b"looks like a hash").hexdigest()  # ...but is not sealed
        _insert(conn, row)
    assert_verify_points_at(db, process, victim, bystander, 16, {"modified"})


def test_tamper_forged_event_inserted_mid_log_is_caught(
    process: Any, audit_db: tuple[Path, str, str]
) -> None:
    """Shift events 10.. up by one and seal a forged event 10 onto event 9's hash."""
    db, victim, bystander = audit_db
    with raw(db) as conn:
        forged = stored(conn, victim, 10)
        conn.execute("BEGIN")
        conn.execute(
            "UPDATE events SET seq = -(seq + 1) WHERE incident_id = ? AND seq >= 10", (victim,)
        )
        conn.execute("UPDATE events SET seq = -seq WHERE incident_id = ? AND seq < 0", (victim,))
        forged.update(data=encode_data({"text": "forged"}), actor="mallory")
        forged["hash"] = rehash(forged)
        _insert(conn, forged)
        conn.execute("COMMIT")
    # event 10 is now a perfect forgery; the old event 10, now at 11, no longer fits
    assert_verify_points_at(db, process, victim, bystander, 11, {"modified"})


def test_tamper_swapped_data_is_caught_at_the_earlier_seq(
    process: Any, audit_db: tuple[Path, str, str]
) -> None:
    db, victim, bystander = audit_db
    with raw(db) as conn:
        a, b = stored(conn, victim, 8)["data"], stored(conn, victim, 12)["data"]
        conn.execute("BEGIN")
        conn.execute("UPDATE events SET data = ? WHERE incident_id = ? AND seq = ?", (b, victim, 8))
        conn.execute(
            "UPDATE events SET data = ? WHERE incident_id = ? AND seq = ?", (a, victim, 12)
        )
        conn.execute("COMMIT")
    assert_verify_points_at(db, process, victim, bystander, 8, {"modified", "reordered"})


def test_tamper_swapped_rows_are_caught_at_the_earlier_seq(
    process: Any, audit_db: tuple[Path, str, str]
) -> None:
    """Reorder whole events: each row keeps its own content and hash, only seq moves."""
    db, victim, bystander = audit_db
    with raw(db) as conn:
        conn.execute("BEGIN")
        conn.execute("UPDATE events SET seq = -1 WHERE incident_id = ? AND seq = 8", (victim,))
        conn.execute("UPDATE events SET seq = 8 WHERE incident_id = ? AND seq = 12", (victim,))
        conn.execute("UPDATE events SET seq = 12 WHERE incident_id = ? AND seq = -1", (victim,))
        conn.execute("COMMIT")
    assert_verify_points_at(db, process, victim, bystander, 8, {"modified", "reordered"})


@pytest.mark.parametrize("seq", [6, 11, 14])
def test_tamper_rehashed_modification_is_caught_by_the_next_event(
    process: Any, audit_db: tuple[Path, str, str], seq: int
) -> None:
    """An attacker who reseals the event they changed still breaks the next link."""
    db, victim, bystander = audit_db
    with raw(db) as conn:
        row = stored(conn, victim, seq)
        # a careful forger stores the canonical encoding (any other bytes fail at this event)
        row["data"] = encode_data({"text": "rewritten history"})
        new_hash = rehash(row)
        conn.execute(
            "UPDATE events SET data = ?, hash = ? WHERE incident_id = ? AND seq = ?",
            (row["data"], new_hash, victim, seq),
        )
    with engine_on(db, process) as engine:
        # the resealed event itself verifies...
        resealed = engine.history(victim)[seq - 1]
        assert resealed.hash == new_hash
        assert resealed.data == {"text": "rewritten history"}
    # ...but event seq + 1 was chained onto the original hash
    assert_verify_points_at(db, process, victim, bystander, seq + 1, {"inserted", "modified"})


# --- 5. a stale write writes nothing ---------------------------------------------------------

Op = Callable[[Engine, str, int], object]

STALE_OPS: dict[str, Op] = {
    "note": lambda e, i, v: e.note(i, "stale", actor=OPENER, expected_version=v),
    "assign": lambda e, i, v: e.assign(i, "scribe", "sam", actor=OPENER, expected_version=v),
    "check": lambda e, i, v: e.check(i, "roles_assigned", actor=OPENER, expected_version=v),
    "fire": lambda e, i, v: e.fire(i, "stand_down", actor="cmd", expected_version=v),
    "set_severity": lambda e, i, v: e.set_severity(i, "SEV2", actor=OPENER, expected_version=v),
}


@pytest.fixture
def triage_db(process: Any, tmp_path: Path) -> tuple[Path, str]:
    """An incident in triage, commander 'cmd', all but one checklist item done."""
    db = tmp_path / "audit.db"
    with engine_on(db, process) as engine:
        iid = engine.open("major-incident", severity="SEV1", actor=OPENER).id
        engine.assign(iid, "responder", "rita", actor=OPENER)
        engine.assign(iid, "commander", "cmd", actor=OPENER)
        engine.fire(iid, "acknowledge", actor="rita")
        for item in ("impact_confirmed", "severity_confirmed"):
            engine.check(iid, item, actor="cmd")
        assert engine.get(iid).state == "triage"
    return db, iid


@pytest.mark.parametrize("op", sorted(STALE_OPS))
def test_stale_expected_version_writes_nothing(
    process: Any, triage_db: tuple[Path, str], op: str
) -> None:
    db, iid = triage_db
    with engine_on(db, process) as a:
        old = a.get(iid).version
        # B, another process, writes first
        assert int(run_worker("note", str(db), iid, "B was here")) == old + 1
        before = row_count(db)
        with pytest.raises(ConcurrencyError) as caught:
            STALE_OPS[op](a, iid, old)
        assert (caught.value.incident_id, caught.value.expected, caught.value.actual) == (
            iid,
            old,
            old + 1,
        )
        assert row_count(db) == before
        assert a.get(iid).version == old + 1
        assert a.history(iid)[-1].data == {"text": "B was here"}
        assert a.verify().ok
        # with the current version the same operation goes through
        STALE_OPS[op](a, iid, old + 1)
        assert row_count(db) > before
        assert a.verify().ok


def test_stale_store_append_writes_nothing(process: Any, triage_db: tuple[Path, str]) -> None:
    """The store itself refuses an append based on an old version, atomically."""
    db, iid = triage_db
    with engine_on(db, process) as a:
        last = a.history(iid)[-1]
        old = last.seq
        run_worker("note", str(db), iid, "B was here")
        before = row_count(db)
        spec = (last.spec_name, last.spec_version, last.spec_digest)
        first = seal(iid, old + 1, T0.isoformat(), OPENER, "noted", {"text": "A1"}, spec, last.hash)
        second = seal(
            iid, old + 2, T0.isoformat(), OPENER, "noted", {"text": "A2"}, spec, first.hash
        )
        with pytest.raises(ConcurrencyError):
            a.store.append(iid, old, [first, second])
        assert row_count(db) == before
        # and a version from the future is refused as well
        future = seal(iid, old + 6, T0.isoformat(), OPENER, "noted", {"text": "A6"}, spec, GENESIS)
        with pytest.raises(ConcurrencyError):
            a.store.append(iid, old + 5, [future])
        assert row_count(db) == before
        assert a.verify().ok


class RacingStore(DelegatingStore):
    """Delegates to an SQLiteStore, but lets another process write just before the
    first append: the engine decided on a version that is stale by the time it writes."""

    def __init__(self, inner: SQLiteStore, race: Callable[[], None]) -> None:
        super().__init__(inner)
        self.race: Callable[[], None] | None = race

    def append(self, incident_id: str, expected_version: int, events: Sequence[Event]) -> None:
        if self.race is not None:
            race, self.race = self.race, None
            race()
        self.inner.append(incident_id, expected_version, events)


def test_write_raced_between_decision_and_append_writes_nothing(
    process: Any, triage_db: tuple[Path, str]
) -> None:
    db, iid = triage_db
    inner = SQLiteStore(db)
    store = RacingStore(inner, lambda: run_worker("note", str(db), iid, "B got in between"))
    try:
        a = Engine(process, store)
        old = a.get(iid).version
        before = row_count(db)
        with pytest.raises(ConcurrencyError):
            a.fire(iid, "stand_down", actor="cmd")
        # only B's note was written; A caught up and its retry lands on top of it
        assert row_count(db) == before + 1
        assert a.get(iid).version == old + 1
        assert a.get(iid).state == "triage"
        a.fire(iid, "stand_down", actor="cmd")
        events = a.history(iid)
        assert events[old].data == {"text": "B got in between"}
        assert events[old + 1].kind == "transitioned"
        assert_contiguous(events)
        assert a.verify().ok
    finally:
        store.close()


def test_tamper_with_non_canonical_bytes_is_caught_at_that_event(
    process: Any, audit_db: tuple[Path, str, str]
) -> None:
    """The stored bytes are what is hashed: re-encoding the same data differently is tampering."""
    db, victim, bystander = audit_db
    with raw(db) as conn:
        row = stored(conn, victim, 6)
        same_data_other_bytes = json.dumps(json.loads(row["data"]), indent=1)
        conn.execute(
            "UPDATE events SET data = ? WHERE incident_id = ? AND seq = ?",
            (same_data_other_bytes, victim, 6),
        )
    assert_verify_points_at(db, process, victim, bystander, 6, {"modified"})
