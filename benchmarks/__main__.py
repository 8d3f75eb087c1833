"""``python -m benchmarks [NAME ...]``: run benchmarks, print a summary, write JSON.

NAME: cold, compile, load, engine, memory, sqlite, postgres, history, queue, drill,
output, hostile, workers, serve, calendars, group (default: all; postgres needs a server: `bash .ci/with-postgres python -m
benchmarks postgres`).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks import (
    calendars,
    cold,
    compiling,
    drill,
    engine,
    group_commit,
    history,
    hostile,
    hostile_triggers,
    loading,
    memory,
    output,
    postgres_store,
    queue,
    serve,
    sqlite_store,
    workers,
)
from benchmarks.common import Outcome

BENCHMARKS: dict[str, Callable[[], list[Outcome]]] = {
    "cold": cold.run,
    "compile": compiling.run,
    "load": loading.run,
    "engine": engine.run,
    "memory": memory.run,
    "sqlite": sqlite_store.run,
    "postgres": postgres_store.run,
    "history": history.run,
    "queue": queue.run,
    "drill": drill.run,
    "output": output.run,
    "workers": workers.run,
    "serve": serve.run,
    "group": group_commit.run,
    "hostile": lambda: hostile.run() + hostile_triggers.run(),
    "calendars": calendars.run,
}
RESULTS = Path(__file__).with_name("results.json")


def summary(outcomes: list[Outcome]) -> str:
    """The final block: each ratio or time against its target."""
    width = max((len(o.metric) for o in outcomes), default=10)
    lines = ["SUMMARY", "======="]
    for o in outcomes:
        verdict = "PASS" if o.passed else "MISS"
        lines.append(
            f"{verdict}  {o.metric.ljust(width)}  {o.value:8.3f}{o.unit}  (target <= {o.target}{o.unit})"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Run the chosen benchmarks (all by default); exit 0 whatever the timings."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"{', '.join(BENCHMARKS)} (default: all)"
    )
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    outcomes: list[Outcome] = []
    for name in args.names or list(BENCHMARKS):
        outcomes.extend(BENCHMARKS[name]())
    print(summary(outcomes))
    RESULTS.write_text(
        json.dumps(
            {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "results": [o.as_dict() for o in outcomes],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
