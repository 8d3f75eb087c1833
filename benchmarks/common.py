"""Shared helpers: timing, tables and the summary row type."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Outcome:
    """One summary line: a measured value against its target (lower is better)."""

    benchmark: str
    metric: str
    value: float
    target: float
    unit: str = "x"

    @property
    def passed(self) -> bool:
        """True when the value meets the target."""
        return self.value <= self.target

    def as_dict(self) -> dict[str, Any]:
        """The row for results.json."""
        return {**asdict(self), "passed": self.passed}


def time_once(fn: Callable[[], object]) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_time(fn: Callable[[], object], repeat: int) -> float:
    """Median wall-clock seconds over ``repeat`` calls (after a full collection)."""
    gc.collect()
    return statistics.median(time_once(fn) for _ in range(repeat))


def interleaved_medians(
    ours: Callable[[], object], theirs: Callable[[], object], rounds: int
) -> tuple[float, float, float]:
    """(median of ours, median of theirs, median of the per-round ratios ours / theirs).

    The two run alternately, one call each per round, so a slow spell of the
    machine (another process, a frequency change) weighs on both sides alike
    instead of on whichever block of repeats it fell into.
    """
    gc.collect()
    pairs = [(time_once(ours), time_once(theirs)) for _ in range(rounds)]
    return (
        statistics.median(a for a, _ in pairs),
        statistics.median(b for _, b in pairs),
        statistics.median(a / b for a, b in pairs),
    )


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table; floats get 4 significant digits."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(header)]
    line = "  ".join("-" * w for w in widths)
    out = [
        title,
        "=" * len(title),
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
    ]
    out.append(line)
    out.extend(
        "  ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in cells
    )
    return "\n".join(out) + "\n"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def ms(seconds: float) -> str:
    """Seconds as milliseconds, for tables."""
    return f"{seconds * 1000:.1f} ms" if seconds >= 0.001 else f"{seconds * 1e6:.0f} us"
