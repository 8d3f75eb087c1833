"""(b) Compile speed from parsed data: incidentflow vs building a transitions.Machine.

The YAML is parsed once; incidentflow's time is model validation plus compilation
(what ``spec.loader.load_text`` and ``api.loads`` chain after reading), the baseline's
is constructing a ``transitions.Machine`` with the same states and the same named
transitions (sources and destinations), with the default model.
"""

from __future__ import annotations

from typing import Any

from transitions import Machine

from benchmarks.common import Outcome, interleaved_medians, ms, table
from benchmarks.generate import machine_args, spec_text
from incidentflow.compiler import compile_spec
from incidentflow.spec.limits import DEFAULT_LIMITS
from incidentflow.spec.loader import LoadedSpec
from incidentflow.spec.validate import validate_spec
from incidentflow.spec.yamlread import Document, read_yaml

STATES = 1_000
REPEAT = 15  # rounds, each timing one of ours and one of theirs, alternately
FILENAME = "<generated>"


def parse(text: str) -> Document:
    """Read generated YAML once; it must read cleanly."""
    document, problems = read_yaml(text, FILENAME, DEFAULT_LIMITS)
    if document is None or problems:
        raise RuntimeError(f"generated YAML does not read cleanly: {problems[:3]}")
    return document


def compile_parsed(document: Document, text: str) -> Any:
    """validate_spec + compile_spec, as load_text and loads chain them; asserts zero diagnostics."""
    spec, problems = validate_spec(document.data, FILENAME, document.source_map)
    if spec is None or problems:
        raise RuntimeError(f"generated spec does not validate: {problems[:3]}")
    process, diagnostics = compile_spec(LoadedSpec(spec, document.source_map, FILENAME, text))
    if process is None or diagnostics:  # zero errors and zero warnings
        raise RuntimeError(f"generated spec does not compile cleanly: {diagnostics[:3]}")
    return process


def build_machine(data: dict[str, Any]) -> Machine:
    """The same graph as a transitions.Machine."""
    states, transitions, initial = machine_args(data)
    return Machine(
        states=states,
        transitions=transitions,
        initial=initial,
        auto_transitions=False,
        ignore_invalid_triggers=True,
    )


def run(n: int = STATES) -> list[Outcome]:
    """Run benchmark (b); print its table; return its summary rows."""
    text = spec_text(n)
    document = parse(text)
    process = compile_parsed(document, text)
    machine = build_machine(document.data)
    edges = process.graph.number_of_edges()
    machine_edges = sum(len(t) for ev in machine.events.values() for t in ev.transitions.values())
    if edges != machine_edges:
        raise RuntimeError(f"graphs differ: {edges} edges vs {machine_edges} in the Machine")
    ours, theirs, ratio = interleaved_medians(
        lambda: compile_parsed(document, text), lambda: build_machine(document.data), REPEAT
    )
    print(
        table(
            f"(b) compile from parsed data: {n:,} states, {edges:,} transitions (median of {REPEAT} alternating rounds)",
            ("implementation", "median", "per transition"),
            [
                (
                    "incidentflow validate_spec + compile_spec",
                    ms(ours),
                    f"{ours / edges * 1e6:.1f} us",
                ),
                ("transitions.Machine(...)", ms(theirs), f"{theirs / edges * 1e6:.1f} us"),
            ],
        )
    )
    print(
        f"ratio incidentflow / transitions = {ratio:.3f} (median of per-round ratios; target <= 1.0)\n"
    )
    return [Outcome("compile", f"compile {n:,} states: incidentflow / transitions", ratio, 1.0)]
