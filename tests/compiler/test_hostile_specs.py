"""Hostile specs of every kind the issue names end in the right diagnostic (issue 9, "Done when").

Only the outcome is checked here; ``python -m benchmarks hostile`` times the same
specs against the 2-second bound for ``validate``.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

import incidentflow
from benchmarks.hostile_specs import AT_THE_LIMIT, REFUSED
from incidentflow import Limits, SpecFileError
from incidentflow.spec.limits import DEFAULT_LIMITS, MAX_DIAGNOSTICS
from incidentflow.spec.yamlread import read_yaml


def checked(tmp_path: Path, text: str) -> Counter[str]:
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return Counter(d.code for d in incidentflow.check(path))


# The other shapes of benchmarks/hostile_specs.py are timed by the benchmark only.
EXPECTED_AT_THE_LIMIT = {
    "flow list": {},
    "deep nesting": {"IF120": 1},
    "many unknown keys": {"IF120": MAX_DIAGNOSTICS, "IF115": 1},
    "many states": {},
}


@pytest.mark.parametrize("name", sorted(EXPECTED_AT_THE_LIMIT))
def test_the_largest_input_of_each_shape_is_read(tmp_path: Path, name: str) -> None:
    text = AT_THE_LIMIT[name](DEFAULT_LIMITS)
    document, problems = read_yaml(text, "hostile.yaml", DEFAULT_LIMITS)
    assert document is not None, problems
    assert checked(tmp_path, text) == Counter(EXPECTED_AT_THE_LIMIT[name])


def test_a_little_more_than_the_limit_is_refused(tmp_path: Path) -> None:
    text = AT_THE_LIMIT["flow list"](Limits(max_nodes=DEFAULT_LIMITS.max_nodes + 1000))
    assert checked(tmp_path, text) == Counter({"IF112": 1})


def test_deeper_than_the_limit_is_if111(tmp_path: Path) -> None:
    assert checked(tmp_path, REFUSED["too deep"](DEFAULT_LIMITS)) == Counter({"IF111": 1})


def test_an_alias_bomb_is_if112(tmp_path: Path) -> None:
    assert checked(tmp_path, REFUSED["alias bomb"](DEFAULT_LIMITS)) == Counter({"IF112": 1})


def test_a_file_over_the_size_limit_is_if110(tmp_path: Path) -> None:
    assert checked(tmp_path, REFUSED["too large"](DEFAULT_LIMITS)) == Counter({"IF110": 1})


def test_huge_numbers_nan_and_infinity_are_diagnostics(tmp_path: Path) -> None:
    found = checked(tmp_path, REFUSED["huge numbers"](DEFAULT_LIMITS))
    assert found == Counter({"IF114": 1, "IF125": 2})


def test_durations_beyond_a_year_or_not_ascii_are_diagnostics(tmp_path: Path) -> None:
    found = checked(tmp_path, REFUSED["durations"](DEFAULT_LIMITS))
    # SLA x2 and timer x1 over the ceiling, a 30-digit map value; the full-width one is no
    # duration-like text at all (IF208); the action parameter (IF206)
    assert found == Counter({"IF123": 4, "IF208": 1, "IF206": 1})


@pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev/zero are POSIX")
def test_a_fifo_and_dev_zero_are_refused_unread(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(SpecFileError, match="not a regular file"):
            incidentflow.check(path)


def test_a_thousand_warnings_and_more_stop_the_checks_as_an_error(tmp_path: Path) -> None:
    # 1,200 roles nobody takes (IF501 each): the checks stop, so the spec cannot be built
    roles = "".join(f"  extra{i}: {{title: R, backups: [lead]}}\n" for i in range(1200))
    text = AT_THE_LIMIT["flow list"](Limits(max_nodes=300)).replace(
        "roles:\n", "roles:\n" + roles, 1
    )
    found = checked(tmp_path, text)
    assert found == Counter({"IF501": MAX_DIAGNOSTICS, "IF115": 1})
    with pytest.raises(incidentflow.SpecError) as info:
        incidentflow.loads(text)
    assert info.value.errors[0].code == "IF115"
