"""(f) SQLiteStore: durable appends per second, and replay with hash verification.

Appends: three files in one temporary directory, all WAL with ``synchronous=FULL``,
one transaction per event, in alternating chunks:

- ``Engine.note`` on one incident (refresh, authorise, seal, append, snapshot);
- ``SQLiteStore.append`` of pre-sealed events, one per call;
- raw ``sqlite3``: ``BEGIN; INSERT; COMMIT`` of the same rows (the same 11 columns and
  the same bytes as SQLiteStore writes) into a table of the same shape and primary key.

Each ratio is the median over the rounds of ours / raw in the same round (the table shows
totals).

Replay: a database of 100,000 incidents x 10 events (opened, 2 assigned, 5 transitioned,
2 noted; made by running the chain spec of (d) once and re-sealing its events for each
incident id, each opening with its own title and each assignment naming one of 50 people
per role, bulk-loaded). Ours: ``SQLiteStore.all_rows()`` grouped by incident with
``checked_logs``, each row's hash checked as it is grouped, straight from its stored
columns (``verify_chain``'s verdicts; no Event built, no data decoded), and each
incident's rows folded with ``replay_rows`` into an IncidentState (each data decoded
once, where the fold reads it). ``all_events()`` alone (Event objects, every data
decoded: what the engine reads) is shown for comparison.
Raw: iterating ``SELECT <the 11 columns> FROM events ORDER BY incident_id, seq`` (the
primary key's order). After a warm-up read, raw and ours run alternately, REPLAY_ROUNDS
times each; the ratio is the median of the per-round ratios (a slow spell of a shared
machine weighs on both sides of a round alike), the times shown the medians.
``all_events()`` runs once. The 1M run is first projected from a 100,000-event database;
past 3 minutes, 200,000 events are used instead.

``INCIDENTFLOW_BENCH_SQLITE=replay`` runs the replay part alone (its table, profile and
summary row), for iterating on it; unset, everything runs.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import Outcome, interleaved_medians, ms, table, time_once
from benchmarks.engine import HOLDERS, chain_process, fire_engine, new_engine, open_incidents
from benchmarks.profiling import hot_functions
from incidentflow.audit.events import Event, seal
from incidentflow.audit.rows import RowStore, checked_logs
from incidentflow.audit.sqlite import SQLiteStore
from incidentflow.audit.store import MemoryStore
from incidentflow.engine.state import replay_rows

ROUNDS = 20
CHUNK = 50  # appends per implementation per round
NOTE = "Rolled back deploy 4711 on api-eu; error rate back under 0.1 %, watching for 30 min"
EVENTS_PER_INCIDENT = 10
REPLAY_EVENTS = 1_000_000
FALLBACK_EVENTS = 200_000
PROBE_EVENTS = 100_000
REPLAY_ROUNDS = 3  # alternating rounds of raw SELECT and ours
BUDGET = 180.0  # seconds for our side of the replay
TARGET_NOTE = 1 / 0.8  # time ratio: Engine.note throughput >= 0.8x raw sqlite3
TARGET_APPEND = 2.0  # time ratio: SQLiteStore.append throughput >= 0.5x raw
ONLY_REPLAY = os.environ.get("INCIDENTFLOW_BENCH_SQLITE") == "replay"  # see the top
TARGET_REPLAY = 3.0  # time ratio: replay + verify within 3x a raw SELECT
COLUMNS = (
    "incident_id, seq, time, actor, kind, data, spec_name, spec_version, spec_digest, "
    "prev_hash, hash"
)
RAW_TABLE = """
CREATE TABLE events (
    incident_id TEXT NOT NULL, seq INTEGER NOT NULL, time TEXT NOT NULL, actor TEXT NOT NULL,
    kind TEXT NOT NULL, data TEXT NOT NULL, spec_name TEXT NOT NULL,
    spec_version TEXT NOT NULL, spec_digest TEXT NOT NULL, prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL, PRIMARY KEY (incident_id, seq)
) WITHOUT ROWID
"""
INSERT = f"INSERT INTO events ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def row(event: Event) -> tuple[object, ...]:
    """The row SQLiteStore writes for ``event`` (data as canonical JSON)."""
    data = json.dumps(event.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (
        event.incident_id,
        event.seq,
        event.time,
        event.actor,
        event.kind,
        data,
        event.spec_name,
        event.spec_version,
        event.spec_digest,
        event.prev_hash,
        event.hash,
    )


def template() -> list[Event]:
    """One incident's 10 events on the chain spec: opened, 2 assigned, 5 transitioned, 2 noted."""
    process = chain_process()
    engine = new_engine(process, MemoryStore())
    ids = open_incidents(engine, process, 1)
    fire_engine(engine, ids)
    for _ in range(2):
        engine.note(ids[0], NOTE, actor=HOLDERS["commander"])
    events = engine.history(ids[0])
    if len(events) != EVENTS_PER_INCIDENT:
        raise RuntimeError(f"template has {len(events)} events, not {EVENTS_PER_INCIDENT}")
    return events


PEOPLE = 50  # an assignment names one of this many people per role, as a real rota does


def reseal(events: list[Event], incident_id: str, number: int) -> list[Event]:
    """``events`` re-chained for another incident id, with the data that differs from one
    incident to the next in a real log made to differ: the opening's title is the
    incident's own, and each assignment names one of :data:`PEOPLE` people per role.
    (Replay remembers decoded texts that repeat: a database of one incident's texts copied
    100,000 times would let every row after the first incident's skip its decoding.)"""
    out = []
    prev = "0" * 64
    for e in events:
        spec = (e.spec_name, e.spec_version, e.spec_digest)
        data = e.data
        if e.kind == "opened":
            data = {**data, "title": f"{data['title']} ({number})"}
        elif e.kind == "assigned":
            data = {**data, "person": f"{data['person']}-{number % PEOPLE}"}
        sealed = seal(incident_id, e.seq, e.time, e.actor, e.kind, data, spec, prev)
        out.append(sealed)
        prev = sealed.hash
    return out


# --- appends ----------------------------------------------------------------------------


def _raw_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def append_times(directory: Path) -> dict[str, list[float]]:
    """Seconds of each round of CHUNK durable appends, per implementation (ROUNDS each)."""
    process = chain_process()
    total = ROUNDS * CHUNK
    note_store = SQLiteStore(directory / "note.db")
    engine = new_engine(process, note_store)
    (incident,) = open_incidents(engine, process, 1)
    sealed = _note_chain((process.name, process.version, process.digest), total)
    rows = [row(e) for e in sealed]
    append_store = SQLiteStore(directory / "append.db")
    raw = _raw_connection(directory / "raw.db")
    raw.execute(RAW_TABLE)

    def notes(_: int) -> None:
        for _ in range(CHUNK):
            engine.note(incident, NOTE, actor=HOLDERS["commander"])

    def appends(start: int) -> None:
        for i in range(start, start + CHUNK):
            append_store.append("inc-append", i, [sealed[i]])

    def inserts(start: int) -> None:
        for i in range(start, start + CHUNK):
            raw.execute("BEGIN")
            raw.execute(INSERT, rows[i])
            raw.execute("COMMIT")

    times: dict[str, list[float]] = {"Engine.note": [], "SQLiteStore.append": [], "raw sqlite3": []}
    runners: dict[str, Callable[[int], None]] = {
        "Engine.note": notes,
        "SQLiteStore.append": appends,
        "raw sqlite3": inserts,
    }
    for r in range(ROUNDS):
        for name, runner in runners.items():
            times[name].append(time_once(lambda runner=runner, r=r: runner(r * CHUNK)))
    written = {
        "Engine.note": len(engine.history(incident)) - 3,
        "SQLiteStore.append": len(append_store.events("inc-append")),
        "raw sqlite3": raw.execute("SELECT count(*) FROM events").fetchone()[0],
    }
    if set(written.values()) != {total}:
        raise RuntimeError(f"appends went missing: {written}")
    note_store.close()
    append_store.close()
    raw.close()
    return times


def per_round_ratio(rounds: dict[str, list[float]], name: str) -> float:
    """The median over rounds of ``name``'s time / raw's time in the same round (a slow
    spell of the disk or the machine weighs on one round, not on the result)."""
    return statistics.median(
        ours / raw for ours, raw in zip(rounds[name], rounds["raw sqlite3"], strict=True)
    )


def _note_chain(spec: tuple[str, str, str], n: int) -> list[Event]:
    """``n`` sealed, chained note events of one incident."""
    events = []
    prev = "0" * 64
    for seq in range(1, n + 1):
        event = seal(
            "inc-append",
            seq,
            "2024-06-11T12:00:00+00:00",
            "alice",
            "noted",
            {"text": NOTE},
            spec,
            prev,
        )
        events.append(event)
        prev = event.hash
    return events


# --- replay -----------------------------------------------------------------------------


def build_database(path: Path, events: int) -> None:
    """``events`` events (10 per incident) in a SQLiteStore file, bulk-loaded."""
    SQLiteStore(path).close()  # the schema
    base = template()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    incidents = events // EVENTS_PER_INCIDENT
    batch = 10_000
    for start in range(0, incidents, batch):
        numbers = range(start, min(start + batch, incidents))
        ids = [f"inc-{n:07d}" for n in numbers]
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO incidents (incident_id) VALUES (?)", [(i,) for i in ids])
        conn.executemany(
            INSERT, (row(e) for n, i in zip(numbers, ids, strict=True) for e in reseal(base, i, n))
        )
        conn.execute("COMMIT")
    conn.close()


def verify_and_replay(store: RowStore) -> int:
    """Ours: every incident's rows verified (from their stored columns) and folded (each
    data decoded once); the number of events read."""
    count = 0
    for iid, rows, problem in checked_logs(store.all_rows()):
        if problem is not None:
            raise RuntimeError(f"chain broken: {problem}")
        replay_rows(iid, rows)
        count += len(rows)
    return count


def read_all(store: SQLiteStore) -> int:
    """Ours, reading only: every Event from all_events()."""
    return sum(1 for _ in store.all_events())


def raw_select(path: Path) -> int:
    """Raw: every row in primary-key order."""
    conn = sqlite3.connect(path)
    try:
        return sum(
            1 for _ in conn.execute(f"SELECT {COLUMNS} FROM events ORDER BY incident_id, seq")
        )
    finally:
        conn.close()


def _counted(fn: Callable[[], int], expected: int) -> Callable[[], None]:
    """``fn``, checked to read ``expected`` events each time it runs."""

    def run() -> None:
        counted = fn()
        if counted != expected:
            raise RuntimeError(f"read {counted} events, expected {expected}")

    return run


RAW_KEY = "raw SELECT ... ORDER BY incident_id, seq"
OURS_KEY = "all_rows() + checked_logs + replay_rows"


def replay_times(directory: Path, events: int) -> tuple[dict[str, float], float]:
    """Median seconds of raw SELECT and of verify + replay over ``events`` events (and of
    all_events() alone, run once), and the median per-round ratio ours / raw."""
    path = directory / f"replay-{events}.db"
    build_database(path, events)
    raw_select(path)  # warm the page cache
    store = SQLiteStore(path)
    try:
        ours_s, raw_s, ratio = interleaved_medians(
            _counted(lambda: verify_and_replay(store), events),
            _counted(lambda: raw_select(path), events),
            REPLAY_ROUNDS,
        )
        gc.collect()
        read_s = time_once(_counted(lambda: read_all(store), events))
        return {
            RAW_KEY: raw_s,
            "all_events() only (read + decode)": read_s,
            OURS_KEY: ours_s,
        }, ratio
    finally:
        store.close()
        path.unlink()


def run() -> list[Outcome]:
    """Run benchmark (f); print its tables; return its summary rows."""
    with tempfile.TemporaryDirectory(prefix="incidentflow-bench-", dir="/tmp") as tmp:
        directory = Path(tmp)
        appends = [] if ONLY_REPLAY else append_outcomes(directory)
        return appends + replay_outcomes(directory)


def append_outcomes(directory: Path) -> list[Outcome]:
    """The appends part: its table and summary rows."""
    rounds = append_times(directory)
    appends = {name: sum(seconds) for name, seconds in rounds.items()}
    total = ROUNDS * CHUNK
    raw = appends["raw sqlite3"]
    print(
        table(
            f"(f) durable appends, one transaction each, WAL + synchronous=FULL "
            f"({ROUNDS} alternating rounds of {CHUNK})",
            ("implementation", "total", "events/s", "per event", "throughput vs raw"),
            [
                (
                    name,
                    ms(s),
                    f"{total / s:,.0f}",
                    f"{s / total * 1e6:.0f} us",
                    f"{raw / s:.3f}",
                )
                for name, s in appends.items()
            ],
        )
    )
    note = per_round_ratio(rounds, "Engine.note")
    append = per_round_ratio(rounds, "SQLiteStore.append")
    print(
        f"throughput Engine.note / raw = {1 / note:.3f}, SQLiteStore.append / raw = "
        f"{1 / append:.3f} (targets >= 0.8 and >= 0.5)"
    )
    return [
        Outcome("sqlite", "append: Engine.note / raw sqlite3 time", note, TARGET_NOTE),
        Outcome("sqlite", "append: SQLiteStore.append / raw sqlite3 time", append, TARGET_APPEND),
    ]


def replay_outcomes(directory: Path) -> list[Outcome]:
    """The replay part: its table, profile and summary row."""
    probe, _ = replay_times(directory, PROBE_EVENTS)
    projected = probe[OURS_KEY] * REPLAY_EVENTS / PROBE_EVENTS
    events = REPLAY_EVENTS if projected <= BUDGET else FALLBACK_EVENTS
    if events != REPLAY_EVENTS:
        print(
            f"replay of {REPLAY_EVENTS:,} events projected at {projected:.0f} s "
            f"(> {BUDGET:.0f} s): measuring {events:,} events instead"
        )
    replays, replay_ratio = replay_times(directory, events)
    select = replays[RAW_KEY]
    print(
        table(
            f"    replay {events:,} events ({events // EVENTS_PER_INCIDENT:,} incidents; "
            f"medians of {REPLAY_ROUNDS} alternating rounds)",
            ("reader", "time", "events/s", "raw / this"),
            [
                (name, ms(s), f"{events / s:,.0f}", f"{select / s:.3f}")
                for name, s in replays.items()
            ],
        )
    )
    path = directory / "profile.db"
    build_database(path, PROBE_EVENTS)
    store = SQLiteStore(path)
    print(
        hot_functions(
            lambda: verify_and_replay(store),
            f"    hot functions of verify + replay, {PROBE_EVENTS:,} events",
        )
    )
    store.close()
    print(
        f"replay ours / raw = {replay_ratio:.3f}, the median of {REPLAY_ROUNDS} per-round "
        f"ratios (target <= {TARGET_REPLAY})\n"
    )
    return [
        Outcome(
            "sqlite",
            f"replay+verify {events:,} events / raw SELECT time",
            replay_ratio,
            TARGET_REPLAY,
        )
    ]
