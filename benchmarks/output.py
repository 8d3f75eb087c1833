"""Validate's output formats for many diagnostics: text against JSON, and text's linearity.

SARIF is timed too, for information (it has no target).

One file of N lines gets a diagnostic on each line (as a spec that repeats one key N
times got before the loader stopped at 1,000 problems per file, IF115; a set of specs
still reports many). The text format shows each with its source line, so it reads the
file's lines; JSON does not. Both are timed on the same diagnostics, alternately; text
should cost at most about twice what JSON does, and that ratio must not grow with N
(it grew linearly before: 40,000 diagnostics took 40 s as text, 1 s as JSON). The
growth is measured against JSON's rather than in seconds per diagnostic, so that what
slows both alike (a busy machine, the garbage collector walking a larger heap) does
not count.
"""

from __future__ import annotations

from functools import partial

from benchmarks.common import Outcome, interleaved_medians, median_time, ms, table
from incidentflow.diagnostics import Diagnostic, Severity
from incidentflow.reporting import format_json, format_text
from incidentflow.sarif import format_sarif

SIZES = (2_500, 20_000)
ROUNDS = 5
TARGET_RATIO = 2.0  # text / JSON
TARGET_GROWTH = 1.5  # (text / JSON at the largest N) / (text / JSON at the smallest)
FILENAME = "repeated-keys.yaml"


def repeated_keys(n: int) -> tuple[list[Diagnostic], dict[str, str | None]]:
    """A file that repeats one key ``n + 1`` times, with a duplicate-key diagnostic
    (IF108) on each repetition, as the loader words it."""
    header = "apiVersion: incidentflow/v1\nkind: Process\nmetadata:\n"
    text = header + "  name: x\n" * (n + 1)
    first = header.count("\n") + 1
    diagnostics = [
        Diagnostic(
            FILENAME,
            line,
            3,
            "IF108",
            Severity.ERROR,
            f"duplicate key 'name' (first at line {first})",
            hint="remove one of the two, or rename it",
            length=4,
        )
        for line in range(first + 1, first + n + 1)
    ]
    return diagnostics, {FILENAME: text}


def run() -> list[Outcome]:
    """Run the benchmark; print its table; return its summary rows."""
    rows = []
    ratios: dict[int, float] = {}
    for n in SIZES:
        diagnostics, sources = repeated_keys(n)
        text_s, json_s, ratios[n] = interleaved_medians(
            partial(format_text, diagnostics, sources), partial(format_json, diagnostics), ROUNDS
        )
        sarif_s = median_time(partial(format_sarif, diagnostics), ROUNDS)
        rows.append(
            (f"{len(diagnostics):,}", ms(text_s), ms(json_s), ms(sarif_s), f"{ratios[n]:.2f}")
        )
    print(
        table(
            f"validate output for many diagnostics (median of {ROUNDS} alternating rounds)",
            ("diagnostics", "text", "json", "sarif", "text / json"),
            rows,
        )
    )
    growth = ratios[SIZES[-1]] / ratios[SIZES[0]]
    print(f"text / json at {SIZES[-1]:,} over text / json at {SIZES[0]:,} = {growth:.2f}\n")
    return [
        Outcome(
            "output", f"text / json, {SIZES[-1]:,} diagnostics", ratios[SIZES[-1]], TARGET_RATIO
        ),
        Outcome(
            "output",
            f"growth of text / json, {SIZES[0]:,} to {SIZES[-1]:,}",
            growth,
            TARGET_GROWTH,
        ),
    ]
