"""A short, seeded run of the spec mutation fuzzer (tests/helpers/spec_fuzz.py).

The long run is ``python -m tests.helpers.spec_fuzz --seconds 600``; this one
replays the same kind of inputs for a few seconds, deterministically, so that a
crash (an exception other than the library's own errors) or a hang fails CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import incidentflow
from tests.helpers.spec_fuzz import fuzz, mutants

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = (ROOT / "tests" / "specs" / "valid" / "minimal.yaml").read_text(encoding="utf-8")
PAGE = "actions:\n  page: {params: {role: role}}\ntriggers:\n"

# Inputs the fuzzer crashed on, reduced, with what they report now.
FOUND = {
    "an action parameter that is a list": (
        MINIMAL.replace("triggers:\n", PAGE, 1).replace(
            "      owner: lead\n",
            "      owner: lead\n      on_enter: [{action: page, role: [lead]}]\n",
        ),
        ["IF122"],
    ),
    "an action parameter that is a mapping": (
        MINIMAL.replace("triggers:\n", PAGE, 1).replace(
            "      owner: lead\n",
            "      owner: lead\n      on_enter: [{action: page, role: {a: b}}]\n",
        ),
        ["IF122"],
    ),
}

SEED = 20240911
COUNT = 40
HANG = 60.0  # seconds; far above any input's time, so a slow machine is no hang


def test_the_mutants_are_the_same_for_the_same_seed() -> None:
    first, second = mutants(SEED), mutants(SEED)
    assert [next(first) for _ in range(20)] == [next(second) for _ in range(20)]


def test_a_short_fuzz_run_finds_no_crash_and_no_hang(tmp_path: Path) -> None:
    report = fuzz(SEED, count=COUNT, timeout=HANG, directory=tmp_path)
    assert report.inputs == COUNT
    assert [(f.kind, f.signature, f.detail) for f in report.findings] == []


@pytest.mark.parametrize("name", sorted(FOUND))
def test_inputs_the_fuzzer_found_get_diagnostics(name: str) -> None:
    text, expected = FOUND[name]
    with pytest.raises(incidentflow.SpecError) as info:
        incidentflow.loads(text)
    assert [d.code for d in info.value.diagnostics] == expected
