"""(h) Hostile specs: every kind finishes ``incidentflow validate`` in under 2 seconds.

For each shape of :mod:`benchmarks.hostile_specs` (the largest input the default
limits accept, and inputs over them), plus a FIFO and ``/dev/zero`` named as the
spec: the time of ``incidentflow.check()`` in this process, and the wall time of
``incidentflow validate`` as a user runs it (a new interpreter, text and JSON
output), each with its CPU time in brackets. The targets: about a second for
``check()``; 2 seconds for ``validate``.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import incidentflow
from benchmarks.common import Outcome, table
from benchmarks.hostile_specs import AT_THE_LIMIT, REFUSED
from incidentflow.spec.limits import DEFAULT_LIMITS, Limits
from incidentflow.spec.yamlread import read_yaml

TARGET_CHECK = 1.0  # "anything accepted validates in about a second"
TARGET_VALIDATE = 2.0  # the bound for a hostile spec, command line included
TIMEOUT = 60.0


def _children_cpu() -> float:
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return math.nan
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _validate_seconds(path: str, *options: str) -> tuple[float, float]:
    """Wall and CPU time of ``incidentflow validate`` on ``path`` in a new interpreter.

    The CPU time tells a slow check from a busy machine (other work sharing its cores).
    """
    command = [sys.executable, "-m", "incidentflow", "validate", *options, path]
    start, cpu = time.perf_counter(), _children_cpu()
    try:
        subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return TIMEOUT, math.nan
    return time.perf_counter() - start, _children_cpu() - cpu


def _values(text: str, limits: Limits) -> str:
    """The values written (as a share of ``max_nodes``); an alias counts once here."""
    unbounded = Limits(max_bytes=2 * limits.max_bytes, max_nodes=2 * limits.max_nodes)
    document, _ = read_yaml(text, "x.yaml", unbounded)
    if document is None:
        return "-"
    return f"{len(document.source_map.values) / limits.max_nodes:.0%}"


def _codes(diagnostics: list[incidentflow.Diagnostic]) -> str:
    counts = Counter(d.code for d in diagnostics)
    return " ".join(f"{code}x{n}" if n > 1 else code for code, n in sorted(counts.items())) or "ok"


def run(limits: Limits = DEFAULT_LIMITS) -> list[Outcome]:
    """Run benchmark (h); print its table; return its summary rows."""
    rows: list[tuple[object, ...]] = []
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory() as tmp:
        cases: list[tuple[str, str, str, str]] = []  # name, path, size, values
        for name, make in {**AT_THE_LIMIT, **REFUSED}.items():
            text = make(limits)
            path = Path(tmp) / f"{name.replace(' ', '-')}.yaml"
            path.write_text(text, encoding="utf-8")
            size = f"{len(text.encode()) / 1024:,.0f} KiB"
            cases.append((name, str(path), size, _values(text, limits)))
        if hasattr(os, "mkfifo"):
            fifo = Path(tmp) / "fifo.yaml"
            os.mkfifo(fifo)
            cases.append(("FIFO", str(fifo), "-", "-"))
        if Path("/dev/zero").exists():
            cases.append(("/dev/zero", "/dev/zero", "-", "-"))
        incidentflow.check(cases[0][1], limits=limits)  # imports and caches warm
        for name, path, size, values in cases:
            start, cpu = time.perf_counter(), time.process_time()
            try:
                outcome = _codes(incidentflow.check(path, limits=limits))
            except incidentflow.IncidentflowError as exc:  # not a regular file
                outcome = type(exc).__name__
            checked, checked_cpu = time.perf_counter() - start, time.process_time() - cpu
            text_seconds, text_cpu = _validate_seconds(path)
            json_seconds, json_cpu = _validate_seconds(path, "--format", "json")
            rows.append(
                (
                    name,
                    size,
                    values,
                    outcome,
                    f"{checked:.2f} ({checked_cpu:.2f})",
                    f"{text_seconds:.2f} ({text_cpu:.2f})",
                    f"{json_seconds:.2f} ({json_cpu:.2f})",
                )
            )
            outcomes += [
                Outcome("hostile", f"check() {name} (seconds)", checked, TARGET_CHECK, "s"),
                Outcome(
                    "hostile", f"validate {name} (seconds)", text_seconds, TARGET_VALIDATE, "s"
                ),
                Outcome(
                    "hostile",
                    f"validate --format json {name} (seconds)",
                    json_seconds,
                    TARGET_VALIDATE,
                    "s",
                ),
            ]
    print(
        table(
            f"(h) hostile specs (max_nodes {limits.max_nodes:,}, max_depth {limits.max_depth}, "
            f"max_bytes {limits.max_bytes:,})",
            (
                "shape",
                "size",
                "values",
                "reported",
                "check() s (cpu)",
                "validate s (cpu)",
                "json s (cpu)",
            ),
            rows,
        )
    )
    return outcomes
