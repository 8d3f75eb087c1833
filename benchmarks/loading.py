"""(c) Full load from YAML text with ``incidentflow.loads``: absolute time and linearity."""

from __future__ import annotations

from functools import partial

import incidentflow
from benchmarks.common import Outcome, median_time, ms, table
from benchmarks.compiling import FILENAME, parse
from benchmarks.generate import spec_text
from incidentflow.compiler import compile_spec
from incidentflow.spec.limits import Limits
from incidentflow.spec.loader import LoadedSpec
from incidentflow.spec.validate import validate_spec

SIZES = (250, 1_000, 4_000)
REFERENCE = 1_000
REPEAT = 3
TARGET_SECONDS = 1.0
TARGET_LINEARITY = 1.5  # per-state time may grow by half from 250 to 4,000 states
# 4,000 states are more values than the default limits accept (about 1,100 states):
# this measures how loading scales, so it lifts them.
SCALING_LIMITS = Limits(max_nodes=200_000)


def breakdown(text: str) -> list[tuple[str, float]]:
    """Median seconds of each stage of loads(): YAML reading, model validation, compilation."""
    document = parse(text)
    spec, _ = validate_spec(document.data, FILENAME, document.source_map)
    assert spec is not None
    loaded = LoadedSpec(spec, document.source_map, FILENAME, text)
    return [
        ("read_yaml", median_time(lambda: parse(text), REPEAT)),
        (
            "validate_spec (pydantic)",
            median_time(
                lambda: validate_spec(document.data, FILENAME, document.source_map), REPEAT
            ),
        ),
        ("compile_spec", median_time(lambda: compile_spec(loaded), REPEAT)),
    ]


def run() -> list[Outcome]:
    """Run benchmark (c); print its tables; return its summary rows."""
    texts = {n: spec_text(n) for n in SIZES}
    seconds = {
        n: median_time(partial(incidentflow.loads, texts[n], limits=SCALING_LIMITS), REPEAT)
        for n in SIZES
    }
    rows = [
        (f"{n:,}", f"{len(texts[n]) / 1024:.0f} KiB", ms(s), f"{s / n * 1e6:.0f} us")
        for n, s in seconds.items()
    ]
    print(
        table(
            f"(c) incidentflow.loads(text) (median of {REPEAT})",
            ("states", "YAML size", "median", "per state"),
            rows,
        )
    )
    growth = (seconds[SIZES[-1]] / SIZES[-1]) / (seconds[SIZES[0]] / SIZES[0])
    print(f"per-state time at {SIZES[-1]:,} / at {SIZES[0]:,} = {growth:.2f} (1.0 = linear)\n")
    stages = breakdown(texts[REFERENCE])
    total = sum(s for _, s in stages)
    print(
        table(
            f"    breakdown at {REFERENCE:,} states",
            ("stage", "median", "share"),
            [(name, ms(s), f"{s / total:.0%}") for name, s in stages],
        )
    )
    return [
        Outcome(
            "load", f"loads {REFERENCE:,} states (seconds)", seconds[REFERENCE], TARGET_SECONDS, "s"
        ),
        Outcome(
            "load", f"per-state time {SIZES[-1]:,} / {SIZES[0]:,} states", growth, TARGET_LINEARITY
        ),
    ]
