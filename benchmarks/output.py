"""Validate's output formats for many diagnostics: text against JSON, and text's linearity.

SARIF is timed too, for information (it has no target).

A spec that repeats one key N times gets N diagnostics (IF108), all in one file. The
text format shows each with its source line, so it reads the file's lines; JSON does
not. Both are timed on the same diagnostics, alternately; text should cost at most
about twice what JSON does, and that ratio must not grow with N (it grew linearly
before: 40,000 diagnostics took 40 s as text, 1 s as JSON). The growth is measured
against JSON's rather than in seconds per diagnostic, so that what slows both alike
(a busy machine, the garbage collector walking a larger heap) does not count.
"""

from __future__ import annotations

from functools import partial

from benchmarks.common import Outcome, interleaved_medians, median_time, ms, table
from incidentflow.diagnostics import Diagnostic
from incidentflow.reporting import format_json, format_text
from incidentflow.sarif import format_sarif
from incidentflow.spec.limits import Limits
from incidentflow.spec.loader import load_text

SIZES = (2_500, 20_000)
ROUNDS = 5
TARGET_RATIO = 2.0  # text / JSON
TARGET_GROWTH = 1.5  # (text / JSON at the largest N) / (text / JSON at the smallest)
FILENAME = "repeated-keys.yaml"
LIMITS = Limits(max_bytes=64 * 1024 * 1024)


def repeated_keys(n: int) -> tuple[list[Diagnostic], dict[str, str | None]]:
    """The diagnostics of a spec that repeats one key ``n`` times, with its text."""
    text = "apiVersion: incidentflow/v1\nkind: Process\nmetadata:\n" + "  name: x\n" * (n + 1)
    result = load_text(text, FILENAME, LIMITS)
    diagnostics = [d for d in result.diagnostics if d.code == "IF108"]
    if len(diagnostics) != n:
        raise RuntimeError(f"expected {n} IF108 diagnostics, got {len(diagnostics)}")
    return list(result.diagnostics), {FILENAME: result.text}


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
