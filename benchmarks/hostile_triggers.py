"""(i) Hostile triggers: patterns and conditions written to be slow, in the engine and the compiler.

The review's cases: ``^(a+)+$`` took 11 s on a 26-character signal under Python's
``re``, and the same pattern next to a long ``eq`` made ``validate`` hang. Patterns
now run on RE2 (linear in the text) and the satisfiability check has a work
budget. Rows: matching in the engine's predicate (short and 10 MB signals, and
the most expensive pattern the bounds allow on a 16 KiB text), and the compiler's
checks of specs built to be slow to check (reading their YAML is shown apart).
"""

from __future__ import annotations

import random

from benchmarks.common import Outcome, median_time, ms, table
from incidentflow.compiler import compile_spec
from incidentflow.compiler.patterns import MAX_PATTERN_PROGRAM
from incidentflow.compiler.predicates import Predicate, compile_condition
from incidentflow.spec.loader import load_text
from incidentflow.spec.models import Trigger

EVIL = "^(a+)+$"
# RE2's automaton for this needs 2**990 states, so RE2 falls back to its NFA, whose cost per
# byte grows with the program (about 1,000 instructions here): the slowest kind of search.
WORST = "[ab]*a[ab]{990}c"
REPEAT = 3
TARGET_MATCH_SHORT = 0.001  # seconds for one 27-character signal
TARGET_MATCH_LONG = 0.5  # seconds for one 10 MB signal
TARGET_WORST_16K = 1.0  # seconds: the costliest pattern allowed, on a 16 KiB text
TARGET_CHECKS = 1.0  # seconds of compiler checks for one hostile spec (reading comes first)

HEADER = """apiVersion: incidentflow/v1
kind: Process
metadata: {name: hostile, version: "1"}
roles:
  responder: {title: Responder, backups: [lead]}
  lead: {title: Lead, backups: [responder]}
severity:
  levels:
    - {id: SEV1, title: Critical, acknowledge_within: 5m, resolve_within: 4h}
process:
  initial: open
  states:
    open: {title: Open, owner: lead}
    closed: {title: Closed, terminal: true}
  transitions:
    - {name: close, from: open, to: closed, by: [responder]}
triggers:
"""


def _matcher(pattern: str) -> Predicate:
    when = Trigger.model_validate(
        {"id": "t", "when": {"field": "f", "matches": pattern}, "severity": "S"}
    ).when
    return compile_condition(when)


def _spec(triggers: list[str]) -> str:
    return HEADER + "".join(triggers)


def _hostile_specs() -> dict[str, str]:
    long_eq = "a" * 1_000_000 + "!"
    # The clash is between the first choice and the last, so no early test prunes it:
    # proving it takes 2**40 steps, and the check gives up at its work budget.
    branching = ", ".join(
        f"{{any: [{{field: f{i}, eq: 1}}, {{field: f{i}, eq: 2}}]}}" for i in range(40)
    )
    many = [
        f"  - id: t{j}\n    severity: SEV1\n    when: {{all: ["
        f"{{any: [{{field: z, eq: 1}}, {{field: z, eq: 2}}]}}, {branching}, "
        f"{{any: [{{field: z, eq: 3}}, {{field: z, eq: 4}}]}}]}}\n"
        for j in range(70)  # about the most triggers of this size the node limit admits
    ]
    listed = ", ".join(f"v{i}" for i in range(19_000))  # two lists of it fit the node limit
    return {
        "pattern + 1 MB eq": _spec(
            [
                "  - id: t\n    severity: SEV1\n    when: {all: ["
                f"{{field: s, matches: '{EVIL}'}}, {{field: s, eq: '{long_eq}'}}]}}\n"
            ]
        ),
        "70 triggers of 2^40 branches": _spec(many),
        "in vs not_in, 19,000 values": _spec(
            [
                "  - id: t\n    severity: SEV1\n    when: {all: ["
                f"{{field: s, in: [{listed}]}}, {{field: s, not_in: [{listed}]}}]}}\n"
            ]
        ),
    }


def _read_and_check(text: str) -> tuple[float, float]:
    """(seconds to read and validate the YAML, seconds for the compiler's checks).

    Reading is shown for context; the trigger checks are part of the second figure.
    """
    reading = median_time(lambda: load_text(text, "<hostile>"), REPEAT)
    loaded = load_text(text, "<hostile>").loaded
    if loaded is None:
        raise RuntimeError("a hostile spec must load, so that its triggers get checked")
    return reading, median_time(lambda: compile_spec(loaded), REPEAT)


def run() -> list[Outcome]:
    """Run benchmark (i); print its table; return its summary rows."""
    evil = _matcher(EVIL)
    worst = _matcher(WORST)
    rng = random.Random(7)
    signals = {
        f"match {EVIL} on 27 characters": (evil, {"f": "a" * 26 + "!"}),
        f"match {EVIL} on 10 MB": (evil, {"f": "a" * 10_000_000 + "!"}),
        f"match {WORST} on 16 KiB": (worst, {"f": "".join(rng.choices("ab", k=16 * 1024))}),
    }
    matching = {
        name: median_time(lambda fn=fn, signal=signal: fn(signal), REPEAT)
        for name, (fn, signal) in signals.items()
    }
    rows: list[tuple[str, str]] = [(name, ms(s)) for name, s in matching.items()]
    checking: dict[str, float] = {}
    for name, text in _hostile_specs().items():
        reading, checking[name] = _read_and_check(text)
        rows += [(f"read {name}", ms(reading)), (f"check {name}", ms(checking[name]))]
    print(
        table(
            f"(i) hostile triggers (median of {REPEAT}; patterns limited to "
            f"{MAX_PATTERN_PROGRAM:,} RE2 instructions)",
            ("case", "median"),
            rows,
        )
    )
    short, long, worst_16k = matching.values()
    return [
        Outcome("hostile", "match ^(a+)+$, 27 chars (s)", short, TARGET_MATCH_SHORT, "s"),
        Outcome("hostile", "match ^(a+)+$, 10 MB (s)", long, TARGET_MATCH_LONG, "s"),
        Outcome("hostile", "worst pattern, 16 KiB (s)", worst_16k, TARGET_WORST_16K, "s"),
        *(
            Outcome("hostile", f"check {name} (s)", seconds, TARGET_CHECKS, "s")
            for name, seconds in checking.items()
        ),
    ]
