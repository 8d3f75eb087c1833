"""(h) Generated drills: drilling a generated process at every level, against compiling it.

For 50, 200 and 800 states (the spec of ``benchmarks/generate.py``: about 2.5
transitions per state, four levels), each round compiles the YAML text with
``incidentflow.loads`` (the compile time) and drills the fresh Process at all
four levels with ``incidentflow.drill.generated.drill`` (the drill time: paths
planned, each run on its own incident through an Engine with a MemoryStore and
a simulated clock, every audit log verified). Every round must cover every
transition at every level. Medians of ``REPEAT`` rounds.

The unit of work is a (transition x level) to cover. Drill paths are shortest
paths (to the transition, then on to a terminal state), so the engine steps per
unit grow with the graph's distances, about log n on this spec; the time per
engine step should stay flat. The summary rows are this benchmark's own bars:
the issue sets no target.
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass

import incidentflow
from benchmarks.common import Outcome, ms, table
from benchmarks.generate import LEVELS, spec_text
from incidentflow.drill.generated import DrillReport, drill

SIZES = (50, 200, 800)
REPEAT = 3
TARGET_UNIT_GROWTH = 3.0  # per-(transition x level) time, 800 vs 50 states (16x the work)
TARGET_STEP_GROWTH = 1.5  # per-engine-step time, 800 vs 50 states


@dataclass(frozen=True, slots=True)
class Measured:
    """Median times and the size of the work for one spec size."""

    states: int
    transitions: int  # graph edges: a transition counts once per source state
    paths: int
    steps: int
    timers: str  # (timer x level) covered / total: some generated timers are preempted
    compile_s: float
    drill_s: float

    @property
    def units(self) -> int:
        """Transitions x levels: what the drill must cover."""
        return self.transitions * len(LEVELS)

    @property
    def per_unit(self) -> float:
        """Drill seconds per (transition x level)."""
        return self.drill_s / self.units

    @property
    def per_step(self) -> float:
        """Drill seconds per engine step run."""
        return self.drill_s / self.steps


def _checked(report: DrillReport, edges: int) -> None:
    for level in report.levels:
        if level.transitions.covered != level.transitions.total:
            raise RuntimeError(f"{level.level}: transitions {level.transitions}, not all covered")
    if report.transitions.total != edges or report.audit_failures:
        raise RuntimeError(f"drill did not cover the graph: {report.transitions}")


def measure(n: int) -> Measured:
    """Compile and drill the n-state spec ``REPEAT`` times; the medians, checked."""
    text = spec_text(n)
    compiles, drills = [], []
    report: DrillReport | None = None
    edges = 0
    for _ in range(REPEAT):
        gc.collect()
        start = time.perf_counter()
        process = incidentflow.loads(text)
        compiled = time.perf_counter()
        report = drill(process)
        done = time.perf_counter()
        compiles.append(compiled - start)
        drills.append(done - compiled)
        edges = process.graph.number_of_edges()
        _checked(report, edges)
    assert report is not None
    paths = [p for lv in report.levels for p in lv.paths]
    return Measured(
        n,
        edges,
        len(paths),
        sum(len(p.steps) for p in paths),
        f"{sum(lv.timers.covered for lv in report.levels)}"
        f"/{sum(lv.timers.total for lv in report.levels)}",
        statistics.median(compiles),
        statistics.median(drills),
    )


def run() -> list[Outcome]:
    """Run benchmark (h); print its table; return its summary rows."""
    rows = [measure(n) for n in SIZES]
    print(
        table(
            f"(h) drill every level ({len(LEVELS)}), full transition coverage (median of {REPEAT})",
            (
                "states",
                "transitions",
                "paths",
                "steps",
                "timers x levels",
                "compile",
                "drill",
                "per (tr x level)",
                "per step",
                "drill / compile",
            ),
            [
                (
                    f"{m.states:,}",
                    m.transitions,
                    m.paths,
                    m.steps,
                    m.timers,
                    ms(m.compile_s),
                    ms(m.drill_s),
                    f"{m.per_unit * 1e6:.0f} us",
                    f"{m.per_step * 1e6:.0f} us",
                    f"{m.drill_s / m.compile_s:.1f}x",
                )
                for m in rows
            ],
        )
    )
    first, last = rows[0], rows[-1]
    unit_growth = last.per_unit / first.per_unit
    step_growth = last.per_step / first.per_step
    steps_growth = (last.steps / last.units) / (first.steps / first.units)
    print(
        f"per (transition x level) at {last.states:,} / at {first.states:,} = {unit_growth:.2f} "
        f"(1.0 = linear); steps per unit grew {steps_growth:.2f}x (longer shortest paths), "
        f"time per step {step_growth:.2f}x\n"
    )
    return [
        Outcome(
            "drill",
            f"drill per (transition x level) {last.states:,} / {first.states:,} states",
            unit_growth,
            TARGET_UNIT_GROWTH,
        ),
        Outcome(
            "drill",
            f"drill per engine step {last.states:,} / {first.states:,} states",
            step_growth,
            TARGET_STEP_GROWTH,
        ),
    ]
