"""A mutation fuzzer for specs: ``python -m tests.helpers.spec_fuzz --seconds 600``.

It mutates the example specs in ``process_specs/`` (bytes, lines, tokens and YAML
values: numbers, durations, Unicode, deep nesting, huge values, removed and
duplicated keys, swapped names) and feeds each mutant to ``incidentflow.check``
(from a file) and ``incidentflow.loads``; a mutant that compiles is also driven a
little through the engine (an incident at every level, timers run far ahead).

A **crash** is any exception other than the library's own errors (``SpecError``,
``SpecFileError`` and the engine's refusals); a **hang** is an input that takes
longer than ``--timeout`` seconds. Each input runs in a worker process, so that a
hang can be stopped and a crash cannot take the fuzzer down. Everything is seeded:
the same seed and count give the same inputs.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import multiprocessing
import random
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "process_specs").glob("*.yaml"))

# --- mutations -------------------------------------------------------------------------

NUMBERS = [
    "0", "-1", "1e400", "-1e400", ".nan", ".NaN", ".inf", "-.inf", "9" * 30, "9" * 5000,
    "0x7fffffffffffffff", "0o777", "1_000", "1.5", "-0", "+1", "00001", "1e-400",
]  # fmt: skip
DURATIONS = [
    "0s", "365d", "366d", "999999999d", "1000000000d", "99999999999999h", "9" * 30 + "s",
    "\uff15m", "\u0665m", "P1Y", "P400D", "P999999999D", "PT0.5S", "P", "PT", "-5m", "1h30", "1.5h",
    "15 min", "5m ", "P1DT", "PT" + "9" * 40 + "H", "1d1d", "5M",
]  # fmt: skip
TEXTS = [
    "", "~", "null", "yes", "on", "no", "true", "x" * 100_000, "\u2028", "a\u2029b", "\x85",
    "\u202e", "😀", "\\ud800", '"\\ud800"', '"\\U0001F600"', "é", "\ufeff", "\uff33", "\t",
    "!!python/object/apply:os.system [true]", "!!binary aGk=", "!Ref x", "&a x", "*a", "<<",
    "---", "...", "%YAML 1.1", "{", "[", "]", "}", "'", '"', "|", ">", "#", "? x", ": x",
    "[1, [2, [3]]]", "{a: {b: {c: d}}}", "*nonexistent", "&a [*a]",
]  # fmt: skip
INTERESTING = NUMBERS + DURATIONS + TEXTS
MAX_MUTANT = 16 * 1024 * 1024  # twice the default size limit: large enough to be refused
BYTES = [
    b"\x00",
    b"\xff",
    b"\xfe",
    b"\r",
    b"\r\n",
    b"\xe2\x80\xa8",
    b"\xef\xbb\xbf",
    b"\t",
    b"\x1b",
]
TOKEN = re.compile(r"[A-Za-z0-9_.\-]+")


def _byte_mutation(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    kind = rng.randrange(4)
    if kind == 0:  # insert
        return data[:at] + rng.choice(BYTES) + data[at:]
    if kind == 1:  # delete a run
        return data[:at] + data[at + rng.randint(1, 16) :]
    if kind == 2:  # flip a bit
        if at >= len(data):
            return data
        return data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1 :]
    return data[:at] + data[at : at + rng.randint(1, 64)] * rng.randint(2, 50) + data[at:]


def _line_mutation(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    kind = rng.randrange(5)
    if kind == 0:
        del lines[i]
    elif kind == 1:
        lines.insert(j, lines[i])  # a duplicated key, or an item twice
    elif kind == 2:
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == 3:
        lines[i] = b" " * rng.choice([1, 2, 4]) + lines[i]
    else:
        lines[i] = lines[i].lstrip(b" ")
    return b"\n".join(lines)


def _token_mutation(rng: random.Random, data: bytes) -> bytes:
    text = data.decode("utf-8", "replace")
    tokens = list(TOKEN.finditer(text))
    if not tokens:
        return data
    token = rng.choice(tokens)
    if rng.random() < 0.3:  # swap names: every occurrence of one token becomes another
        other = rng.choice(tokens).group()
        text = re.sub(rf"\b{re.escape(token.group())}\b", other, text)
    else:
        text = text[: token.start()] + rng.choice(INTERESTING) + text[token.end() :]
    return text.encode("utf-8", "surrogatepass")


def _walk(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _walk(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _walk(value, (*path, index))


def _value_mutation(rng: random.Random, data: bytes) -> bytes:
    """Parse, change one value of the tree, write it back (as JSON, which is YAML 1.2)."""
    from incidentflow.spec.limits import Limits
    from incidentflow.spec.source import decode_source
    from incidentflow.spec.yamlread import read_yaml

    text, _ = decode_source(data, "x", Limits())
    document = read_yaml(text, "x", Limits())[0] if text is not None else None
    if document is None or not isinstance(document.data, dict):
        return _token_mutation(rng, data)
    tree = json.loads(json.dumps(document.data, default=str))
    places = list(_walk(tree))[1:]
    path, value = rng.choice(places)
    parent = tree
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    kind = rng.randrange(9)
    if kind == 0 and isinstance(parent, dict):
        del parent[key]  # a required key missing, an entry gone
    elif kind == 1 and isinstance(parent, list):
        parent.insert(key, value)  # an item twice (duplicate ids)
    elif kind == 2:
        parent[key] = _nested(rng.randint(10, 200), value)
    elif kind == 3:
        size = len(json.dumps(value, default=str)) + 2
        parent[key] = [value] * min(rng.choice([1000, 10_000]), MAX_MUTANT // size + 1)
    elif kind == 4:
        parent[key] = rng.choice([0, -1, 10**30, 1.5, True, None, "", [], {}])
    elif kind == 5:
        parent[key] = rng.choice(DURATIONS)
    elif kind == 6 and isinstance(parent, dict):
        new_key = rng.choice(["x", "id", "name", "after", "when", "to", "default", "SEV1"])
        parent[new_key] = value  # an unknown or repeated key
    elif kind == 7:
        parent[key] = rng.choice(TEXTS + NUMBERS)
    else:
        parent[key] = (
            {"all": [{"field": "f", "gt": float("nan")}]} if rng.random() < 0.5 else str(value)
        )
    return json.dumps(tree, ensure_ascii=rng.random() < 0.5, allow_nan=True).encode(
        "utf-8", "surrogatepass"
    )


def _nested(depth: int, inner: Any) -> Any:
    for _ in range(depth):
        inner = [inner]
    return inner


MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    _byte_mutation,
    _line_mutation,
    _token_mutation,
    _token_mutation,
    _value_mutation,
    _value_mutation,
]


def mutants(seed: int) -> Iterator[bytes]:
    """Endless mutants of the example specs, the same for the same seed."""
    rng = random.Random(seed)
    originals = [p.read_bytes() for p in SEEDS]
    while True:
        data = rng.choice(originals)
        for _ in range(rng.choice([1, 1, 2, 3])):
            data = rng.choice(MUTATIONS)(rng, data)[:MAX_MUTANT]
        yield data


# --- running one input -----------------------------------------------------------------


def exercise(data: bytes, directory: Path) -> None:
    """Everything one input goes through; raises only for a crash."""
    from datetime import UTC, datetime, timedelta

    import incidentflow
    from incidentflow.spec.durations import MAX_DURATION

    path = directory / "mutant.yaml"
    path.write_bytes(data)
    incidentflow.check(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        process = incidentflow.loads(text, "mutant.yaml")
    except incidentflow.SpecError:
        return
    start = datetime(2026, 1, 1, tzinfo=UTC)
    engine = incidentflow.Engine(process, clock=lambda: start)
    for level in process.levels:
        with contextlib.suppress(incidentflow.IncidentflowError):  # a refusal is no crash
            engine.open(process.name, severity=level.id)
    for days in (1, 2):
        engine.tick(start + days * MAX_DURATION + timedelta(days=1))


def _worker(conn: Connection, directory: str) -> None:
    import incidentflow  # noqa: F401 - imported once, before the first input

    try:  # a runaway input must not take the machine's memory (MemoryError is a crash)
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not POSIX, or not allowed
        pass

    while True:
        data = conn.recv_bytes()
        try:
            exercise(data, Path(directory))
        except Exception as exc:  # a crash: report it, keep serving
            frames = traceback.extract_tb(exc.__traceback__)
            where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
            conn.send(("crash", f"{type(exc).__name__} at {where}", traceback.format_exc()))
        else:
            conn.send(("ok", "", ""))


WORKER_MEMORY = 2 * 1024**3


@dataclass
class Finding:
    """One crash or hang, with its input."""

    kind: str  # "crash" or "hang"
    signature: str  # exception type and where it was raised, or "hang"
    detail: str
    data: bytes


@dataclass
class Report:
    """What a fuzzing run found."""

    inputs: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)

    @property
    def crashes(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "crash"]

    @property
    def hangs(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "hang"]


class _Worker:
    def __init__(self, directory: Path) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, str(directory)), daemon=True)
        self.process.start()

    def run(self, data: bytes, timeout: float) -> tuple[str, str, str] | None:
        """The worker's verdict, or None when it did not answer in time (then it is gone)."""
        self.conn.send_bytes(data)
        if self.conn.poll(timeout):
            try:
                return self.conn.recv()  # type: ignore[no-any-return]
            except EOFError:  # the worker died (a crash below Python)
                self.stop()
                return ("crash", "worker died", "")
        self.stop()
        return None

    def stop(self) -> None:
        self.process.kill()
        self.process.join()


def fuzz(
    seed: int,
    *,
    count: int | None = None,
    seconds: float | None = None,
    timeout: float = 10.0,
    directory: Path,
    progress: Callable[[Report], None] | None = None,
) -> Report:
    """Run ``count`` inputs (or for ``seconds``) from ``seed``; return what was found."""
    report = Report()
    start = time.monotonic()
    worker = _Worker(directory)
    seen: set[str] = set()
    try:
        for data in mutants(seed):
            if count is not None and report.inputs >= count:
                break
            if seconds is not None and time.monotonic() - start >= seconds:
                break
            verdict = worker.run(data, timeout)
            report.inputs += 1
            if verdict is None:
                report.findings.append(Finding("hang", "hang", f"over {timeout} s", data))
                worker = _Worker(directory)
            elif verdict[0] == "crash":
                if verdict[1] == "worker died":
                    worker = _Worker(directory)
                if verdict[1] not in seen:  # one reproducer per distinct crash
                    seen.add(verdict[1])
                    report.findings.append(Finding("crash", verdict[1], verdict[2], data))
            if progress is not None and report.inputs % 100 == 0:
                progress(report)
    finally:
        worker.stop()
        report.seconds = time.monotonic() - start
    return report


def save(report: Report, out: Path) -> list[Path]:
    """Write each finding's input (and its traceback) under ``out``; return the inputs' paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for finding in report.findings:
        digest = hashlib.sha256(finding.data).hexdigest()[:12]
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", finding.signature).strip("-")
        path = out / f"{finding.kind}-{name}-{digest}.yaml"
        path.write_bytes(finding.data)
        path.with_suffix(".txt").write_text(finding.detail, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    """Fuzz for a while; exit 1 when anything crashed or hung."""
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m tests.helpers.spec_fuzz", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long (default 60)")
    parser.add_argument("--count", type=int, help="stop after this many inputs instead")
    parser.add_argument("--seed", type=int, default=0, help="seed of the mutations (default 0)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a hang")
    parser.add_argument("--save", type=Path, help="write crashing and hanging inputs here")
    args = parser.parse_args(argv)

    def progress(report: Report) -> None:
        print(
            f"{report.inputs} inputs, {len(report.crashes)} crashes, {len(report.hangs)} hangs",
            file=sys.stderr,
            flush=True,
        )

    with tempfile.TemporaryDirectory() as tmp:
        report = fuzz(
            args.seed,
            count=args.count,
            seconds=None if args.count else args.seconds,
            timeout=args.timeout,
            directory=Path(tmp),
            progress=progress,
        )
    print(
        f"{report.inputs} inputs in {report.seconds:.0f} s (seed {args.seed}): "
        f"{len(report.crashes)} distinct crashes, {len(report.hangs)} hangs"
    )
    for finding in report.findings:
        print(f"  {finding.kind}: {finding.signature}")
    if args.save and report.findings:
        for path in save(report, args.save):
            print(f"  saved {path}")
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
