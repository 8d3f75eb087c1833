"""`audit verify` and Engine.verify(): a store is read without being changed, a file that is
not an incidentflow store is refused, and deleted events, incidents and tables are reported.

Each tampering below used to verify as "all hash chains verify" (exit 0), or made
Engine.verify() raise; the file was opened for writing (tables created, WAL switched on).
"""

from __future__ import annotations

import io
import json
import os
import pwd
import shutil
import sqlite3
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

# Loaded now: a child process that has dropped its privileges may not read the sources.
import incidentflow.audit.anchor
import incidentflow.audit.sqlite_readonly
import incidentflow.audit.verify  # noqa: F401
from incidentflow import Engine, Event, MemoryStore, SQLiteStore, UnknownIncident, load
from incidentflow.audit.events import GENESIS, seal
from incidentflow.audit.sqlite import APPLICATION_ID, SCHEMA_VERSION
from incidentflow.audit.sqlite_readonly import ReadOnlySQLiteStore, read_store
from incidentflow.cli import run
from tests.conftest import MINIMAL, CliResult
from tests.helpers.audit_files import (
    ACTOR,
    build_store,
    engine_on,
    execute,
    journal_mode,
    on_disk,
)

Cli = Callable[..., CliResult]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A closed store with inc-1, inc-2 and inc-3, five events each."""
    path = tmp_path / "incidents.db"
    assert build_store(path) == ["inc-1", "inc-2", "inc-3"]
    return path


def _problems(report_problems: tuple[object, ...]) -> list[tuple[str, int, str]]:
    return [(p.incident_id, p.seq, p.problem) for p in report_problems]  # type: ignore[attr-defined]


# --- the file is read, never changed -------------------------------------------------------


def test_verify_changes_nothing_in_a_closed_store(cli: Cli, db: Path) -> None:
    before = on_disk(db)
    assert list(before) == ["incidents.db"]  # closed: no -wal, no -shm
    result = cli("audit", "verify", str(db))
    assert (result.code, result.err) == (0, "")
    assert result.out == "3 incident(s), 15 event(s): everything verifies\n"
    assert on_disk(db) == before  # same bytes, and no -wal or -shm created
    assert journal_mode(db) == "wal"


def test_verify_keeps_the_journal_mode_of_a_store_of_an_earlier_release(cli: Cli, db: Path) -> None:
    # A file of an earlier release: no identity, and here in rollback-journal mode.
    execute(db, "PRAGMA journal_mode=DELETE", "PRAGMA application_id=0", "PRAGMA user_version=0")
    before = on_disk(db)
    assert journal_mode(db) == "rollback"
    assert cli("audit", "verify", str(db)).code == 0
    assert journal_mode(db) == "rollback"
    assert on_disk(db) == before


def test_verify_leaves_a_store_in_use_as_it_was(cli: Cli, db: Path) -> None:
    engine, store = engine_on(db)
    try:
        engine.note("inc-1", "while a writer has the file open", actor=ACTOR)
        before = on_disk(db)
        assert set(before) == {"incidents.db", "incidents.db-wal", "incidents.db-shm"}
        result = cli("audit", "verify", str(db))
        assert result.out == "3 incident(s), 16 event(s): everything verifies\n"
        assert on_disk(db) == before
    finally:
        store.close()


@pytest.mark.parametrize("writer_open", [False, True], ids=["closed", "in-use"])
def test_the_reader_cannot_write(db: Path, writer_open: bool) -> None:
    store = engine_on(db)[1] if writer_open else None
    try:
        reader = ReadOnlySQLiteStore(db)
        assert reader.immutable is not writer_open  # a -wal file means: read it, with locks
        try:
            with pytest.raises(sqlite3.OperationalError) as refused:
                reader._conn.execute("CREATE TABLE intruder (x)")  # the connection itself
            assert refused.value.sqlite_errorname == "SQLITE_READONLY"
        finally:
            reader.close()
    finally:
        if store is not None:
            store.close()


NOBODY = 65534


def _nobody() -> int:
    try:
        return pwd.getpwnam("nobody").pw_uid
    except KeyError:
        return NOBODY


def _run_without_write_access(directory: Path, argv: list[str]) -> tuple[str, CliResult]:
    """Run the CLI in a child process that cannot write in ``directory`` (as root, which
    chmod does not stop, the child becomes 'nobody'). Returns what the child found when it
    tried to write there ("refused", "writable" or "unreachable") and the CLI's result."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():  # fork() with other threads alive: the child only reads
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(_nobody())
                os.setuid(_nobody())
            try:
                (directory / "probe").touch()
                access = "writable"
            except PermissionError:
                access = "refused" if os.access(directory, os.R_OK | os.X_OK) else "unreachable"
            out, err = io.StringIO(), io.StringIO()
            code = run(argv, out, err)
            os.write(write_end, json.dumps([access, code, out.getvalue(), err.getvalue()]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    access, code, out, err = json.loads(b"".join(chunks))
    return access, CliResult(code, out, err)


def test_verify_reads_a_read_only_copy_in_a_read_only_directory(db: Path) -> None:
    # Not under tmp_path: pytest keeps its directories to their owner, and SQLite opens
    # files by their absolute path, so the reader must be able to pass every parent.
    parent = Path(tempfile.mkdtemp(prefix="incidentflow-evidence-"))
    evidence = parent / "evidence"
    try:
        parent.chmod(0o755)
        evidence.mkdir()
        shutil.copy(db, evidence / "copy.db")
        (evidence / "copy.db").chmod(0o444)
        evidence.chmod(0o555)
        before = on_disk(evidence / "copy.db")
        access, result = _run_without_write_access(
            evidence, ["audit", "verify", str(evidence / "copy.db")]
        )
        if access == "unreachable":
            pytest.skip(f"'nobody' cannot reach {parent}")
        assert access == "refused", "the test could not take write access away"
        assert (result.code, result.err) == (0, "")
        assert result.out == "3 incident(s), 15 event(s): everything verifies\n"
        assert on_disk(evidence / "copy.db") == before
    finally:
        if evidence.exists():
            evidence.chmod(0o755)
        shutil.rmtree(parent)


def test_a_writer_that_comes_during_an_unlocked_read_makes_it_read_again(db: Path) -> None:
    writers: list[SQLiteStore] = []
    seen: list[bool] = []

    def count_events(reader: ReadOnlySQLiteStore) -> int:
        seen.append(reader.immutable)
        if not writers:  # the first read: a host starts and writes meanwhile
            engine, store = engine_on(db)
            writers.append(store)
            engine.note("inc-1", "written during the read", actor=ACTOR)
        return sum(1 for _ in reader.all_events())

    try:
        assert read_store(db, count_events) == 16
    finally:
        for store in writers:
            store.close()
    assert seen == [True, False]  # read again, with locks, now that the file has a -wal


# --- what is not an incidentflow store is refused, and left alone --------------------------


def _sqlite_file(path: Path, *statements: str) -> Path:
    execute(path, *statements)
    return path


REFUSED: dict[str, tuple[Callable[[Path], Path], str]] = {
    "empty file": (lambda d: _touch(d / "empty.db"), "is empty (0 bytes): not an incidentflow"),
    "text file": (
        lambda d: _write(d / "notes.txt", "not a database\n"),
        "is not an SQLite database: not an incidentflow event store",
    ),
    "foreign SQLite file": (
        lambda d: _sqlite_file(d / "crm.db", "CREATE TABLE customers (name TEXT)"),
        "is an SQLite database without incidentflow's tables",
    ),
    "foreign events table": (
        lambda d: _sqlite_file(d / "log.db", "CREATE TABLE events (id INTEGER, what TEXT)"),
        "is an SQLite database without incidentflow's tables",
    ),
    "SQLite file with no table": (
        lambda d: _sqlite_file(d / "blank.db", "PRAGMA user_version=7"),
        "is an SQLite database without incidentflow's tables",
    ),
    "another application's database": (
        lambda d: _sqlite_file(
            d / "geo.db", "PRAGMA application_id=1196444487", "CREATE TABLE t (x)"
        ),
        "is the SQLite database of another application (application_id 0x47504b47)",
    ),
    "directory": (lambda d: d, "is not a regular file"),
    "missing file": (lambda d: d / "missing.db", "no such database file"),
}


def _touch(path: Path) -> Path:
    path.touch()
    return path


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("command", ["audit verify", "audit anchor", "report"])
@pytest.mark.parametrize("case", list(REFUSED))
def test_what_is_not_a_store_is_refused_and_left_alone(
    cli: Cli, tmp_path: Path, case: str, command: str
) -> None:
    make, message = REFUSED[case]
    target = make(tmp_path)
    before = on_disk(target) if target.is_file() else {}
    argv = [*command.split(), str(target)]
    if command == "audit anchor":
        argv += ["-o", str(tmp_path / "anchor.json")]
    result = cli(*argv)
    assert result.code == 2
    assert result.err.startswith(f"incidentflow: {target}: {message}")
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err
    assert result.out == ""
    assert (on_disk(target) if target.is_file() else {}) == before  # no table created
    assert not (tmp_path / "anchor.json").exists()


def test_a_store_written_by_a_newer_release_is_refused(cli: Cli, db: Path) -> None:
    execute(db, f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    result = cli("audit", "verify", str(db))
    assert result.code == 2
    assert f"was written by a newer incidentflow (schema version {SCHEMA_VERSION + 1}" in result.err


def test_a_store_identifies_itself_and_stores_of_earlier_releases_still_verify(
    cli: Cli, db: Path
) -> None:
    def identity() -> tuple[int, int]:
        conn = sqlite3.connect(db)
        try:
            return (
                conn.execute("PRAGMA application_id").fetchone()[0],
                conn.execute("PRAGMA user_version").fetchone()[0],
            )
        finally:
            conn.close()

    assert identity() == (APPLICATION_ID, SCHEMA_VERSION)
    execute(db, "PRAGMA application_id=0", "PRAGMA user_version=0")  # as earlier releases left it
    assert cli("audit", "verify", str(db)).code == 0  # recognised by its tables
    SQLiteStore(db).close()  # a store opening it gives it its identity
    assert identity() == (APPLICATION_ID, SCHEMA_VERSION)


# --- deleted events, incidents and tables are reported -------------------------------------


class Tampering:
    """SQL run on the file; what `audit verify` must print; and the (incident, seq,
    problem) that Engine.verify() must report, on a writer's store."""

    def __init__(self, sql: tuple[str, ...], out: str, problems: list[tuple[str, int, str]]):
        self.sql, self.out, self.problems = sql, out, problems


def _deleted(n: int) -> str:
    return (
        f"inc-{n}: event 1: deleted: the incidents index lists it (position {n}), "
        "but the store has none of its events\n"
    )


EVERY_INCIDENT_DELETED = [(f"inc-{n}", 1, "deleted") for n in (1, 2, 3)]
TAMPERING = {
    "events emptied": Tampering(
        ("DELETE FROM events",),
        _deleted(1) + _deleted(2) + _deleted(3) + "3 incident(s), 0 event(s): 3 problem(s)\n",
        EVERY_INCIDENT_DELETED,
    ),
    "events table dropped": Tampering(
        ("DROP TABLE events",),
        "store: dropped: the events table is missing: it was dropped\n"
        + _deleted(1)
        + _deleted(2)
        + _deleted(3)
        + "3 incident(s), 0 event(s): 4 problem(s)\n",
        EVERY_INCIDENT_DELETED,  # a writer re-creates the table, empty
    ),
    "one incident's events deleted, its index row kept": Tampering(
        ("DELETE FROM events WHERE incident_id = 'inc-2'",),
        _deleted(2) + "3 incident(s), 10 event(s): 1 problem(s)\n",
        [("inc-2", 1, "deleted")],
    ),
    "one incident deleted with its index row": Tampering(
        (
            "DELETE FROM events WHERE incident_id = 'inc-2'",
            "DELETE FROM incidents WHERE position = 2",
        ),
        "store: deleted: position 2 of the incidents index is gone: the index row of 1 "
        "incident(s) was deleted, and its events\n"
        "2 incident(s), 10 event(s): 1 problem(s)\n",
        [("", 0, "deleted")],
    ),
    "the newest incidents deleted with their index rows": Tampering(
        (
            "DELETE FROM events WHERE incident_id IN ('inc-2', 'inc-3')",
            "DELETE FROM incidents WHERE position >= 2",
        ),
        "store: deleted: positions 2..3 of the incidents index are gone: the index rows of 2 "
        "incident(s) were deleted, and their events\n"
        "1 incident(s), 5 event(s): 1 problem(s)\n",
        [("", 0, "deleted")],
    ),
    "events and index emptied": Tampering(
        ("DELETE FROM events", "DELETE FROM incidents"),
        "store: deleted: positions 1..3 of the incidents index are gone: the index rows of 3 "
        "incident(s) were deleted, and their events\n"
        "0 incident(s), 0 event(s): 1 problem(s)\n",
        [("", 0, "deleted")],
    ),
    "index row deleted, events kept": Tampering(
        ("DELETE FROM incidents WHERE incident_id = 'inc-2'",),
        "store: deleted: position 2 of the incidents index is gone: the index row of 1 "
        "incident(s) was deleted\n"
        "inc-2: event 1: unindexed: its events are in the store but the incidents index "
        "does not list it, so tick() and queue() no longer see it\n"
        "3 incident(s), 15 event(s): 2 problem(s)\n",
        [("", 0, "deleted"), ("inc-2", 1, "unindexed")],
    ),
    "first events deleted": Tampering(
        ("DELETE FROM events WHERE incident_id = 'inc-1' AND seq <= 2",),
        "inc-1: event 1: missing: events 1..2 are missing\n"
        "3 incident(s), 13 event(s): 1 problem(s)\n",
        [("inc-1", 1, "missing")],
    ),
    "data that is not JSON": Tampering(
        ("UPDATE events SET data = 'not json' WHERE incident_id = 'inc-1' AND seq = 3",),
        "inc-1: event 3: modified: event 3 (noted) does not match its hash\n"
        "3 incident(s), 15 event(s): 1 problem(s)\n",
        [],  # a writer's store refuses to read such an event (the CLI reads it leniently)
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_verify_reports_deleted_events_incidents_and_tables(cli: Cli, db: Path, case: str) -> None:
    tampering = TAMPERING[case]
    execute(db, *tampering.sql)
    before = on_disk(db)
    result = cli("audit", "verify", str(db))
    assert (result.code, result.err) == (1, "")
    assert result.out == tampering.out
    assert on_disk(db) == before


@pytest.mark.parametrize("case", [c for c in TAMPERING if TAMPERING[c].problems])
def test_engine_verify_reports_them_too_and_never_raises(db: Path, case: str) -> None:
    tampering = TAMPERING[case]
    execute(db, *tampering.sql)
    engine, store = engine_on(db)
    try:
        report = engine.verify()
    finally:
        store.close()
    assert _problems(report.problems) == tampering.problems


def test_engine_verify_of_one_deleted_incident_reports_it(db: Path) -> None:
    execute(db, "DELETE FROM events WHERE incident_id = 'inc-2'")
    engine, store = engine_on(db)
    try:
        report = engine.verify("inc-2")
        assert _problems(report.problems) == [("inc-2", 1, "deleted")]
        assert engine.verify("inc-1").ok
        with pytest.raises(UnknownIncident):  # nothing knows this id: a typo, not a deletion
            engine.verify("inc-9")
    finally:
        store.close()


def test_a_log_must_start_with_its_opening() -> None:
    store = MemoryStore()
    engine = Engine(load(MINIMAL), store)
    spec = ("minimal", "1", "sha256:" + "0" * 64)
    forged: list[Event] = []
    prev = GENESIS
    for seq, text in enumerate(["hello", "world"], 1):  # a whole chain, hashed from scratch
        event = seal(
            "forged", seq, "2024-05-01T12:00:00+00:00", ACTOR, "noted", {"text": text}, spec, prev
        )
        forged.append(event)
        prev = event.hash
    store.append("forged", 0, forged)
    report = engine.verify()
    assert _problems(report.problems) == [("forged", 1, "not_opened")]
    assert report.problems[0].detail == (
        "event 1 is 'noted': a log starts with the incident's 'opened' event"
    )
