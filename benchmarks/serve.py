"""(j) ``incidentflow serve`` under load: 50 concurrent clients on SQLite, loopback only.

The real command (``python -m incidentflow serve``, worker inside) serves the example
major-incident process from a fresh SQLite file (``synchronous=FULL``) on 127.0.0.1. Ten
SEV1 incidents are open; each of 50 people holds the scribe role on all of them and has
their own token. Each client (one asyncio task with its own connection, all in this
process) loops for ``SECONDS``: read an incident (``GET``), then add a note with
``expected_version`` set to the version it read. A 409 ``stale_version`` (another
client wrote first) is the engine doing its job, not an error: the client reads again.

Checked after the run (failures, whatever the speed):

- **no lost update**: the notes in the store are exactly the notes answered 200, each
  once; no note answered 409 was written;
- **every chain verifies** (``Engine.verify`` over the store);
- no answer other than 200 and 409.

Measured: requests per second (reads and writes) and the p99 latency of a request.
Two baselines, in the same run and on the same machine:

- *bare*: the same 50 clients asking ``/healthz`` of the same server for
  ``BARE_SECONDS`` (HTTP, the ASGI stack and the load generator itself: no token, no
  engine, no store). The clients share the machine with the server, so this is what
  the machine can do at all; the ratios say what incidentflow adds to it.
- *direct*: the same loop (``get`` then ``note(expected_version=...)``) calling an
  :class:`Engine` directly on a copy of the store, one thread.

Ratios (lower is better): request time over a bare request's (target 2), p99 over
the bare p99 (target 3), and request time over a direct engine call (target 10).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.common import Outcome, table

CLIENTS = 50
INCIDENTS = 10
SECONDS = 30.0
BASELINE_SECONDS = 5.0
BARE_SECONDS = 10.0
START_TIMEOUT = 60.0
TARGET_RATE_RATIO = 2.0  # engine, store and tokens at most double a bare request's time
TARGET_P99_RATIO = 3.0  # and at most triple its p99
TARGET_DIRECT_RATIO = 10.0  # a request served costs at most 10 direct engine calls
ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "process_specs" / "major-incident.yaml"


def _prepare(folder: Path) -> tuple[Path, Path, dict[str, str], list[str]]:
    """The store (incidents and scribes), the tokens file, a token per client, the ids."""
    from incidentflow import Engine, SQLiteStore, load
    from incidentflow.serve.tokens import TokenFile

    store_path, tokens_path = folder / "incidents.db", folder / "tokens.json"
    tokens = TokenFile(tokens_path)
    people = {f"client{k:02d}": "" for k in range(CLIENTS)}
    for name in people:
        people[name] = tokens.add(name)
    engine = Engine(load(SPEC), SQLiteStore(store_path))
    ids = []
    for n in range(INCIDENTS):
        iid = engine.open("major-incident", severity="SEV1", title=f"load {n}").id
        for name in people:
            engine.assign(iid, "scribe", name, actor="system")
        ids.append(iid)
    engine.store.close()
    return store_path, tokens_path, people, ids


def _baseline(store_path: Path, ids: list[str]) -> float:
    """Seconds per get+note pair, called directly on a copy of the store (one thread)."""
    from incidentflow import Engine, SQLiteStore, load

    copy = store_path.with_name("baseline.db")
    shutil.copy(store_path, copy)
    engine = Engine(load(SPEC), SQLiteStore(copy))
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < BASELINE_SECONDS:
        iid = ids[done % len(ids)]
        version = engine.get(iid).version
        engine.note(iid, f"direct {done}", actor="client00", expected_version=version)
        done += 1
    elapsed = time.perf_counter() - start
    engine.store.close()
    return elapsed / done


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(folder: Path, store_path: Path, tokens_path: Path, port: int) -> subprocess.Popen[str]:
    import httpx

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "incidentflow", "serve", str(SPEC), "--store",
               str(store_path), "--tokens", str(tokens_path), "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=folder
    )
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError(f"serve did not start: {server.communicate()[1][-2000:]}")
        time.sleep(0.2)


class _Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.accepted: list[tuple[str, str]] = []  # (incident, note text) answered 200
        self.refused: list[tuple[str, str]] = []  # answered 409


async def _client(
    base: str, name: str, token: str, ids: list[str], stop_at: float, tally: _Tally
) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    sent = 0
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http:
        while time.perf_counter() < stop_at:
            iid = ids[(sent + int(name[-2:])) % len(ids)]
            started = time.perf_counter()
            read = await http.get(f"/api/incidents/{iid}")
            tally.latencies.append(time.perf_counter() - started)
            tally.statuses[read.status_code] += 1
            if read.status_code != 200:
                continue
            text = f"{name} note {sent}"
            sent += 1
            body = {"text": text, "expected_version": read.json()["version"]}
            started = time.perf_counter()
            wrote = await http.post(f"/api/incidents/{iid}/notes", json=body)
            tally.latencies.append(time.perf_counter() - started)
            tally.statuses[wrote.status_code] += 1
            (tally.accepted if wrote.status_code == 200 else tally.refused).append((iid, text))


async def _pinger(base: str, stop_at: float, tally: _Tally) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            answer = await http.get("/healthz")
            tally.latencies.append(time.perf_counter() - started)
            tally.statuses[answer.status_code] += 1


async def _load(
    base: str, people: dict[str, str], ids: list[str], seconds: float
) -> tuple[_Tally, float]:
    tally = _Tally()
    start = time.perf_counter()
    stop_at = start + seconds
    await asyncio.gather(
        *(_client(base, name, token, ids, stop_at, tally) for name, token in people.items())
    )
    return tally, time.perf_counter() - start


async def _bare(base: str, seconds: float) -> tuple[_Tally, float]:
    """The same number of clients asking ``/healthz`` (no token, no engine, no store)."""
    tally = _Tally()
    start = time.perf_counter()
    await asyncio.gather(*(_pinger(base, start + seconds, tally) for _ in range(CLIENTS)))
    return tally, time.perf_counter() - start


def _check(store_path: Path, tally: _Tally) -> tuple[int, int]:
    """(lost or phantom notes, incidents whose chain does not verify)."""
    from incidentflow import Engine, SQLiteStore, load

    engine = Engine(load(SPEC), SQLiteStore(store_path))
    stored = Counter(
        (e.incident_id, e.data["text"]) for e in engine.store.all_events() if e.kind == "noted"
    )
    accepted = Counter(tally.accepted)
    wrong = sum((stored - accepted).values()) + sum((accepted - stored).values())
    wrong += sum(1 for note in tally.refused if note in stored)
    report = engine.verify()
    engine.store.close()
    return wrong, len({p.incident_id or "(the store)" for p in report.problems})


def run(seconds: float = SECONDS) -> list[Outcome]:
    """Run the load for ``seconds`` (30 by default); the summary rows."""
    folder = Path(tempfile.mkdtemp(prefix="incidentflow-bench-serve-"))
    try:
        store_path, tokens_path, people, ids = _prepare(folder)
        direct = _baseline(store_path, ids)
        port = _free_port()
        server = _start(folder, store_path, tokens_path, port)
        try:
            bare, bare_elapsed = asyncio.run(_bare(f"http://127.0.0.1:{port}", BARE_SECONDS))
            tally, elapsed = asyncio.run(_load(f"http://127.0.0.1:{port}", people, ids, seconds))
        finally:
            server.terminate()
            server.communicate(timeout=START_TIMEOUT)
        wrong, broken = _check(store_path, tally)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    requests = sum(tally.statuses.values())
    others = sum(n for status, n in tally.statuses.items() if status not in (200, 409))
    p99 = statistics.quantiles(tally.latencies, n=100)[98]
    bare_p99 = statistics.quantiles(bare.latencies, n=100)[98]
    rate, bare_rate = requests / elapsed, len(bare.latencies) / bare_elapsed
    per_call = direct / 2  # the baseline's pair is two calls: get and note
    print(
        table(
            f"serve: {CLIENTS} clients, {seconds:g} s, SQLite (synchronous=FULL), loopback",
            ["measure", "value"],
            [
                ["requests", requests],
                ["requests/s", rate],
                ["notes accepted", len(tally.accepted)],
                ["notes refused as stale (409)", len(tally.refused)],
                [
                    "other answers",
                    json.dumps(
                        {str(k): n for k, n in tally.statuses.items() if k not in (200, 409)}
                    ),
                ],
                ["p50 latency (ms)", statistics.median(tally.latencies) * 1000],
                ["p99 latency (ms)", p99 * 1000],
                ["baseline: /healthz requests/s, same clients", bare_rate],
                ["baseline: /healthz p99 latency (ms)", bare_p99 * 1000],
                ["baseline: direct engine call (ms)", per_call * 1000],
            ],
        )
    )
    print()
    return [
        Outcome(
            "serve",
            "request time / bare /healthz request time",
            bare_rate / rate,
            TARGET_RATE_RATIO,
        ),
        Outcome("serve", "p99 latency / bare /healthz p99", p99 / bare_p99, TARGET_P99_RATIO),
        Outcome(
            "serve",
            "request time via HTTP / direct engine call",
            (1 / rate) / per_call,
            TARGET_DIRECT_RATIO,
        ),
        Outcome("serve", "lost or phantom updates", float(wrong), 0.0, ""),
        Outcome("serve", "incidents whose chain fails to verify", float(broken), 0.0, ""),
        Outcome("serve", "answers other than 200 and 409", float(others), 0.0, ""),
    ]
