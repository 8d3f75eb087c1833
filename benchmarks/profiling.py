"""cProfile helper: the functions of ``src/incidentflow`` that take the most time in a call."""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from pathlib import Path

import incidentflow
from benchmarks.common import ms, table

# The package as imported: the source tree, or site-packages when run from an installed copy.
PACKAGE = Path(incidentflow.__file__).resolve().parent
TOP = 8


def _ours(filename: str) -> bool:
    return Path(filename).is_relative_to(PACKAGE)


def hot_functions(fn: Callable[[], object], title: str, top: int = TOP) -> str:
    """The ``top`` incidentflow functions by time spent in them while ``fn()`` runs once.

    "own + libs" is the function's own time plus the cumulative time of the library and
    standard-library functions it calls directly (json, hashlib, transitions, sqlite3...),
    so the cost of a library call is charged to the incidentflow line that makes it.
    Callbacks from a library back into incidentflow are counted twice (they are tiny here).
    """
    profiler = cProfile.Profile()
    profiler.runcall(fn)
    stats = pstats.Stats(profiler)
    raw = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    charged: dict[tuple[str, int, str], float] = {}
    for key, (_, _, self_s, _, callers) in raw.items():
        if _ours(key[0]):
            charged[key] = charged.get(key, 0.0) + self_s
            continue
        for caller, edge in callers.items():
            if _ours(caller[0]):
                charged[caller] = charged.get(caller, 0.0) + edge[3]
    ranked = sorted(charged.items(), key=lambda kv: kv[1], reverse=True)[:top]
    body = []
    for (filename, line, name), spent in ranked:
        calls, self_s, cum_s = raw[(filename, line, name)][1:4]
        where = f"{Path(filename).relative_to(PACKAGE.parent)}:{line} {name}"
        body.append((where, calls, ms(spent), f"{spent / total:.0%}", ms(self_s), ms(cum_s)))
    return table(
        f"{title} (cProfile, {ms(total)} profiled)",
        ("function (file:line)", "calls", "own + libs", "share", "own", "cumulative"),
        body,
    )
