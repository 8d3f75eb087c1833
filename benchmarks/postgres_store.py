"""(g) PostgresStore on a real server: durable appends with 1, 2 and 4 client processes, and
replay with hash verification.

Needs a server: ``bash .ci/with-postgres python -m benchmarks postgres`` (or set
INCIDENTFLOW_TEST_DATABASE_URL); without one it prints how to run it and reports nothing.

Appends: each client process appends APPENDS pre-sealed events to incidents of its own,
one event per transaction (a timer's or a fire's ``transitioned`` event), with
``synchronous_commit`` on (the server's default: every commit is flushed to disk).
Ours: ``PostgresStore.append`` (pool, due-row lock, version check, insert, in one
prepared statement; NOTIFY only when a timer falls due within 5 s, which these events do not).
Raw: psycopg, one connection per process, ``BEGIN; INSERT; COMMIT`` of the same rows
into a table of the same shape and primary key. Throughput is all appends over the
wall time of the slowest client; the ratio compares times (ours / raw: <= 2 means
ours reaches at least half the raw throughput), and scaling compares 1 and 4 clients.
Each count is measured in ROUNDS rounds, ours and raw back to back in each (which one
goes first alternates): the ratio is the median of the rounds' ratios, the rates the
medians of the rounds' rates (a shared machine's load drifts between runs).
Before schema version 2 every append notified: PostgreSQL serialises committing
transactions that notified (a database-wide lock on the notification queue), which
made 4 clients 2.46x raw; appends now notify only when something falls due soon.

Replay: REPLAY_EVENTS events (1M: 100,000 incidents of 10 events, the template of
benchmark (f)), re-sealed for each incident id by worker processes and bulk-loaded
with one COPY (its time is printed). Ours: ``all_rows()`` (a server-side cursor
fetching 10,000 rows per round trip) grouped by incident, each chain verified from its
stored columns and folded into an IncidentState (as benchmark (f)). Raw: iterating the
same SELECT through a server-side cursor, 5,000 rows per round trip. ``INCIDENTFLOW_BENCH_REPLAY_EVENTS`` sets another count.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import statistics
import time
from typing import Any

from benchmarks.common import Outcome, table
from benchmarks.sqlite_store import EVENTS_PER_INCIDENT, reseal, template, verify_and_replay
from incidentflow.audit.events import Event, seal
from incidentflow.audit.sqlite import COLUMNS, event_row

CLIENTS = (1, 2, 4)
APPENDS = 300  # per client process
ROUNDS = 3  # ours and raw alternate, each round; the ratio is the median of the rounds'
REPLAY_EVENTS = int(os.environ.get("INCIDENTFLOW_BENCH_REPLAY_EVENTS", "1000000"))
_SEAL_CHUNK = 5_000  # incidents re-sealed per task of the loading pool
TARGET_APPEND = 2.0  # time ratio ours / raw: throughput at least half of raw
TARGET_SCALING = 1.0  # fires/s with 1 client / with 4: rising with the count
TARGET_REPLAY = 3.0  # time ratio ours / raw SELECT
URL_VARIABLE = "INCIDENTFLOW_TEST_DATABASE_URL"
HOW = (
    "postgres: skipped: needs a PostgreSQL server: run "
    "`bash .ci/with-postgres python -m benchmarks postgres`, or set INCIDENTFLOW_TEST_DATABASE_URL"
)


def _events(client: int, count: int) -> list[tuple[str, int, Event]]:
    """(incident id, expected version, event): an incident opened, then fires on it."""
    iid = f"bench-{client}-{secrets.token_hex(4)}"
    spec = ("chain", "1", "0" * 64)
    prev = "0" * 64
    out = []
    for seq in range(1, count + 1):
        kind, data = ("opened", {"process": "chain"}) if seq == 1 else ("transitioned", {"to": "s"})
        event = seal(iid, seq, "2024-05-01T12:00:00+00:00", "svc", kind, data, spec, prev)
        out.append((iid, seq - 1, event))
        prev = event.hash
    return out


def _client(kind: str, url: str, schema: str, client: int, start_at: float) -> float:
    """One client process: APPENDS appends; seconds from the common start to its end."""
    work = _events(client, APPENDS)
    if kind == "ours":
        from incidentflow.audit.postgres import PostgresStore

        store = PostgresStore(url, schema=schema, max_connections=1)
        store.append(*_first(work))  # connect and check the schema before the clock
        time.sleep(max(0.0, start_at - time.time()))
        begin = time.perf_counter()
        for iid, version, event in work[1:]:
            store.append(iid, version, [event])
        seconds = time.perf_counter() - begin
        store.close()
        return seconds
    import psycopg

    insert = f'INSERT INTO "{schema}".raw_events ({COLUMNS}) VALUES ({", ".join(["%s"] * 11)})'
    with psycopg.connect(url, autocommit=True) as conn:
        iid, _, event = work[0]
        conn.execute(insert, event_row(event))
        time.sleep(max(0.0, start_at - time.time()))
        begin = time.perf_counter()
        for _, _, event in work[1:]:
            with conn.transaction():
                conn.execute(insert, event_row(event))
        return time.perf_counter() - begin


def _first(work: list[tuple[str, int, Event]]) -> tuple[str, int, list[Event]]:
    iid, version, event = work[0]
    return iid, version, [event]


def append_seconds(url: str, schema: str, kind: str, clients: int) -> float:
    """Wall seconds for ``clients`` processes to make their appends (the slowest one)."""
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 3.0  # every process connected and ready by then
    with ctx.Pool(clients) as pool:
        times = pool.starmap(_client, [(kind, url, schema, n, start_at) for n in range(clients)])
    return max(times)


def paired_seconds(url: str, schema: str, clients: int, round_: int) -> tuple[float, float]:
    """(ours, raw) seconds of one round, measured back to back; odd rounds measure raw
    first."""
    kinds = ("ours", "raw") if round_ % 2 == 0 else ("raw", "ours")
    seconds = {kind: append_seconds(url, schema, kind, clients) for kind in kinds}
    return seconds["ours"], seconds["raw"]


def _setup(url: str, schema: str) -> None:
    import psycopg

    from incidentflow.audit.postgres import PostgresStore

    store = PostgresStore(url, schema=schema, max_connections=1)
    store.migrate()
    store.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE TABLE "{schema}".raw_events (LIKE "{schema}".events INCLUDING ALL)')


def _drop(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _sealed_rows(first: int, count: int) -> list[tuple[object, ...]]:
    """The rows of incidents ``first`` .. ``first + count - 1`` (a loading pool's task)."""
    base = template()
    return [
        event_row(event)
        for n in range(first, first + count)
        for event in reseal(base, f"inc-{n:07d}", n)
    ]


def load_events(url: str, schema: str, events: int) -> float:
    """``events`` events, 10 per incident, with the index, bulk-loaded with one COPY (the
    sealing spread over processes); returns the seconds it took."""
    import psycopg

    begin = time.perf_counter()
    incidents = events // EVENTS_PER_INCIDENT
    chunks = [(n, min(_SEAL_CHUNK, incidents - n)) for n in range(0, incidents, _SEAL_CHUNK)]
    ctx = multiprocessing.get_context("spawn")
    with (
        ctx.Pool() as pool,
        psycopg.connect(url, autocommit=True) as conn,
        conn.transaction(),
    ):
        with conn.cursor() as cur, cur.copy(f'COPY "{schema}".events ({COLUMNS}) FROM STDIN') as c:
            for rows in pool.starmap(_sealed_rows, chunks):
                for row in rows:
                    c.write_row(row)
        with conn.cursor() as cur, cur.copy(f'COPY "{schema}".incidents FROM STDIN') as c:
            for n in range(incidents):
                c.write_row((n + 1, f"inc-{n:07d}"))
        conn.execute(f'UPDATE "{schema}".incident_counter SET position = %s', (incidents,))
        conn.execute(f'ANALYZE "{schema}".events')
    return time.perf_counter() - begin


def raw_select(url: str, schema: str) -> int:
    import psycopg

    query = f'SELECT {COLUMNS} FROM "{schema}".events ORDER BY incident_id, seq'
    with psycopg.connect(url) as conn, conn.cursor(name="raw") as cur:
        cur.itersize = 5000
        cur.execute(query)
        return sum(1 for _ in cur)


def run() -> list[Outcome]:
    """Run benchmark (g) if a server is configured; print its tables; return its rows."""
    url = os.environ.get(URL_VARIABLE)
    if not url:
        print(HOW)
        return []
    schema = f"bench_{secrets.token_hex(4)}"
    schemas = [schema]
    outcomes: list[Outcome] = []
    try:
        _setup(url, schema)
        rows: list[list[Any]] = []
        for clients in CLIENTS:
            rounds = [paired_seconds(url, schema, clients, n) for n in range(ROUNDS)]
            total = clients * (APPENDS - 1)
            ratio = statistics.median(ours / raw for ours, raw in rounds)
            rows.append(
                [
                    clients,
                    statistics.median(total / ours for ours, _ in rounds),
                    statistics.median(total / raw for _, raw in rounds),
                    ratio,
                    " ".join(f"{ours / raw:.2f}" for ours, raw in rounds),
                ]
            )
            outcomes.append(
                Outcome(
                    "postgres",
                    f"append, {clients} client(s): PostgresStore / raw psycopg time",
                    ratio,
                    TARGET_APPEND,
                )
            )
        print(
            table(
                "(g) PostgresStore: durable appends (one event per transaction)",
                ["clients", "ours/s", "raw/s", "time ratio", "rounds"],
                rows,
            )
        )
        outcomes.append(
            Outcome(
                "postgres",
                "append scaling: fires/s with 1 client / with 4",
                rows[0][1] / rows[-1][1],
                TARGET_SCALING,
            )
        )
        from incidentflow.audit.postgres import PostgresStore

        replayed = f"{schema}_replay"
        schemas.append(replayed)
        _setup(url, replayed)
        loaded = load_events(url, replayed, REPLAY_EVENTS)
        print(f"(g) loaded {REPLAY_EVENTS:,} events with COPY in {loaded:.1f} s")
        raw_select(url, replayed)  # warm the cache
        begin = time.perf_counter()
        counted_raw = raw_select(url, replayed)
        raw_seconds = time.perf_counter() - begin
        store = PostgresStore(url, schema=replayed, max_connections=1)
        try:
            begin = time.perf_counter()
            counted = verify_and_replay(store)
            ours_seconds = time.perf_counter() - begin
        finally:
            store.close()
        if counted != counted_raw or counted != REPLAY_EVENTS:
            raise RuntimeError(f"read {counted} and {counted_raw} events, not {REPLAY_EVENTS}")
        print(
            table(
                f"(g) PostgresStore: replay of {REPLAY_EVENTS:,} events",
                ["read", "seconds", "events/s"],
                [
                    ["raw SELECT (server-side cursor)", raw_seconds, counted / raw_seconds],
                    ["all_rows + verify + replay_rows", ours_seconds, counted / ours_seconds],
                ],
            )
        )
        outcomes.append(
            Outcome(
                "postgres",
                f"replay+verify {REPLAY_EVENTS:,} events / raw SELECT time",
                ours_seconds / raw_seconds,
                TARGET_REPLAY,
            )
        )
    finally:
        for name in schemas:
            _drop(url, name)
    return outcomes
